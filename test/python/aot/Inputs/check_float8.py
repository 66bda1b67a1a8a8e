"""Float8 tensors across the AOT ABI: a library compiled by muon-compile
narrows f32 to each float8 format and widens float8 to f32; torch float8
tensors go in and come out as bytes of their bits, and torch's own
conversions are the reference (finite values in range, where torch rounds
to nearest even as the compiled code does; torch's out-of-range results
differ between formats, so they are left to float8.test)."""

import os
import subprocess
import sys

import torch

from muon_mlir import aot

compiler, work = sys.argv[1:3]
FORMATS = {"f8E4M3FN": torch.float8_e4m3fn, "f8E4M3FNUZ": torch.float8_e4m3fnuz,
           "f8E5M2": torch.float8_e5m2, "f8E5M2FNUZ": torch.float8_e5m2fnuz}
N = 4096

for name, dtype in FORMATS.items():
    source = os.path.join(work, f"{name}.mlir")
    with open(source, "w") as f:
        f.write(f"""
#map = affine_map<(d0) -> (d0)>
func.func @convert(%x: tensor<{N}xf32>, %w: tensor<{N}x{name}>)
    -> (tensor<{N}x{name}>, tensor<{N}xf32>) {{
  %e8 = tensor.empty() : tensor<{N}x{name}>
  %n = linalg.generic {{indexing_maps = [#map, #map], iterator_types = ["parallel"]}}
      ins(%x : tensor<{N}xf32>) outs(%e8 : tensor<{N}x{name}>) {{
  ^bb0(%a: f32, %o: {name}):
    %t = arith.truncf %a : f32 to {name}
    linalg.yield %t : {name}
  }} -> tensor<{N}x{name}>
  %e32 = tensor.empty() : tensor<{N}xf32>
  %y = linalg.generic {{indexing_maps = [#map, #map], iterator_types = ["parallel"]}}
      ins(%w : tensor<{N}x{name}>) outs(%e32 : tensor<{N}xf32>) {{
  ^bb0(%a: {name}, %o: f32):
    %t = arith.extf %a : {name} to f32
    linalg.yield %t : f32
  }} -> tensor<{N}xf32>
  return %n, %y : tensor<{N}x{name}>, tensor<{N}xf32>
}}
""")
    library = os.path.join(work, f"lib{name}.so")
    subprocess.run([compiler, source, "-o", library], check=True)
    convert = aot.load(library)
    largest = torch.finfo(dtype).max
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(N, generator=generator) * torch.logspace(-6, 2, N)
    x = x.clamp(-largest, largest)
    w = torch.arange(256, dtype=torch.uint8).repeat(N // 256).view(dtype)
    narrowed, widened = convert(x, w)
    same_bits = torch.equal(narrowed.view(torch.uint8), x.to(dtype).view(torch.uint8))
    expected = w.float()
    nan = expected.isnan()
    same_values = torch.equal(widened.isnan(), nan) and torch.equal(widened[~nan],
                                                                    expected[~nan])
    print(f"{name}: narrowed {narrowed.dtype} "
          f"{'matches' if same_bits else 'DIFFERS from'} torch, widened "
          f"{'matches' if same_values else 'DIFFERS from'} torch")
