"""A library rebuilt at the path of one this process has loaded, and torch
tensors written in place.

muon-compile links beside its output and renames over it, so the library
already mapped keeps its code (a linker writing into the file changed it
under the process: missing symbols, then a crash); aot.load of the rebuilt
file runs the new code (the dynamic loader would return the library it
already has for that path). A step writing a torch tensor in place bumps
its version, so a backward that saved it before raises as after torch's own
in-place ops, instead of differentiating with the new values."""

import os
import subprocess
import sys

import numpy as np
import torch

from muon_mlir import aot

compiler, work = sys.argv[1:3]
library = os.path.join(work, "libstep.so")


def build(scale):
    """w <- scale * w (in place), returning sum(w) before the update."""
    source = os.path.join(work, f"step{scale}.mlir")
    with open(source, "w") as f:
        f.write(f"""
func.func @step(%w: tensor<4xf32> {{optim.aliasing_output = 1 : i64}})
    -> (tensor<f32>, tensor<4xf32>) {{
  %s = arith.constant dense<{scale}.0> : tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  %w1 = linalg.mul ins(%w, %s : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %z = arith.constant dense<0.0> : tensor<f32>
  %sum = linalg.reduce ins(%w : tensor<4xf32>) outs(%z : tensor<f32>) dimensions = [0]
    (%a: f32, %b: f32) {{
      %t = arith.addf %a, %b : f32
      linalg.yield %t : f32
    }}
  return %sum, %w1 : tensor<f32>, tensor<4xf32>
}}
""")
    subprocess.run([compiler, source, "-o", library], check=True)


build(2)
first = aot.load(library)
w = np.ones(4, np.float32)
first(w)
build(3)  # over the loaded library
first(w)
second = aot.load(library)
second(w)
print(f"rebuilt in place: the loaded step still doubles, the reloaded one triples: "
      f"w = {w.tolist()}")
assert w.tolist() == [12.0] * 4, w

p = torch.nn.Parameter(torch.ones(4))
loss = (p * p).sum()
with torch.no_grad():
    second(p)
try:
    loss.backward()
    print("backward after the in-place step: no error")
except RuntimeError as e:
    print(f"backward after the in-place step: RuntimeError: {str(e).split(';')[0]}")
