"""Attention's per-head products on [batch, seq, heads, head_dim]
activations, as imported graphs write them (Q·Kᵀ, then softmax-free S·V
written back as [batch, seq, heads·head_dim], plus dS·Kᵀ-style and
Qᵀ·dS-style products of the backward pass), executed by muon-run against
numpy. The CPU pipeline folds every transpose into the GEMMs (a loop over
the batch around batched GEMMs over the heads, on strided views); the GPU
emulation keeps the transposes as kernels. Inputs are small integers, so
each product is exact in f32 whatever the summation order: results must be
equal."""

import numpy as np
from muon_mlir import runner, testing

p = testing.parser(__doc__)
p.add_argument("--pipeline", default="cpu")
p.add_argument("--shape", type=testing.shape, default=(3, 8, 4, 16),
               help="batch x seq x heads x head_dim")
p.add_argument("--print-module", action="store_true",
               help="print the module instead of running it")
args = p.parse_args()
b, s, h, d = args.shape
t = f"{b}x{s}x{h}x{d}xf32"
c = f"{b * h}"


def collapse(name, value, shape):
    return (f"%{name} = tensor.collapse_shape %{value} [[0, 1], [2], [3]] : "
            f"tensor<{shape}xf32> into tensor<{c}x{shape.split('x', 2)[2]}xf32>")


module = f"""
func.func @heads(%q: tensor<{t}>, %k: tensor<{t}>, %v: tensor<{t}>)
    -> (tensor<{b}x{s}x{h * d}xf32>, tensor<{c}x{s}x{s}xf32>, tensor<{c}x{d}x{s}xf32>) {{
  %zero = arith.constant 0.0 : f32
  %eq = tensor.empty() : tensor<{b}x{h}x{s}x{d}xf32>
  %qt = linalg.transpose ins(%q : tensor<{t}>) outs(%eq : tensor<{b}x{h}x{s}x{d}xf32>) permutation = [0, 2, 1, 3]
  %ek = tensor.empty() : tensor<{b}x{h}x{d}x{s}xf32>
  %kt = linalg.transpose ins(%k : tensor<{t}>) outs(%ek : tensor<{b}x{h}x{d}x{s}xf32>) permutation = [0, 2, 3, 1]
  %vt = linalg.transpose ins(%v : tensor<{t}>) outs(%eq : tensor<{b}x{h}x{s}x{d}xf32>) permutation = [0, 2, 1, 3]
  {collapse("qc", "qt", f"{b}x{h}x{s}x{d}")}
  {collapse("kc", "kt", f"{b}x{h}x{d}x{s}")}
  {collapse("vc", "vt", f"{b}x{h}x{s}x{d}")}
  %es = tensor.empty() : tensor<{c}x{s}x{s}xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<{c}x{s}x{s}xf32>) -> tensor<{c}x{s}x{s}xf32>
  %scores = linalg.batch_matmul ins(%qc, %kc : tensor<{c}x{s}x{d}xf32>, tensor<{c}x{d}x{s}xf32>) outs(%fs : tensor<{c}x{s}x{s}xf32>) -> tensor<{c}x{s}x{s}xf32>
  %eo = tensor.empty() : tensor<{c}x{s}x{d}xf32>
  %fo = linalg.fill ins(%zero : f32) outs(%eo : tensor<{c}x{s}x{d}xf32>) -> tensor<{c}x{s}x{d}xf32>
  %o = linalg.batch_matmul ins(%scores, %vc : tensor<{c}x{s}x{s}xf32>, tensor<{c}x{s}x{d}xf32>) outs(%fo : tensor<{c}x{s}x{d}xf32>) -> tensor<{c}x{s}x{d}xf32>
  %oe = tensor.expand_shape %o [[0, 1], [2], [3]] output_shape [{b}, {h}, {s}, {d}] : tensor<{c}x{s}x{d}xf32> into tensor<{b}x{h}x{s}x{d}xf32>
  %et = tensor.empty() : tensor<{t}>
  %ot = linalg.transpose ins(%oe : tensor<{b}x{h}x{s}x{d}xf32>) outs(%et : tensor<{t}>) permutation = [0, 2, 1, 3]
  %out = tensor.collapse_shape %ot [[0], [1], [2, 3]] : tensor<{t}> into tensor<{b}x{s}x{h * d}xf32>
  %ed = tensor.empty() : tensor<{c}x{d}x{s}xf32>
  %fd = linalg.fill ins(%zero : f32) outs(%ed : tensor<{c}x{d}x{s}xf32>) -> tensor<{c}x{d}x{s}xf32>
  %vts = linalg.batch_matmul indexing_maps = [affine_map<(n, i, j, l) -> (n, l, i)>, affine_map<(n, i, j, l) -> (n, l, j)>, affine_map<(n, i, j, l) -> (n, i, j)>]
      ins(%vc, %scores : tensor<{c}x{s}x{d}xf32>, tensor<{c}x{s}x{s}xf32>) outs(%fd : tensor<{c}x{d}x{s}xf32>) -> tensor<{c}x{d}x{s}xf32>
  return %out, %scores, %vts : tensor<{b}x{s}x{h * d}xf32>, tensor<{c}x{s}x{s}xf32>, tensor<{c}x{d}x{s}xf32>
}}
"""

if args.print_module:
    print(module)
    raise SystemExit

rng = np.random.default_rng(args.seed)
q, k, v = (rng.integers(-3, 4, args.shape).astype(np.float32) for _ in range(3))
heads = lambda x: x.transpose(0, 2, 1, 3).reshape(b * h, s, d)
scores = heads(q) @ heads(k).transpose(0, 2, 1)
o = (scores @ heads(v)).reshape(b, h, s, d).transpose(0, 2, 1, 3).reshape(b, s, h * d)
vts = heads(v).transpose(0, 2, 1) @ scores
got = runner.run(module, "heads", [q, k, v], 3, runner=args.runner,
                 extra_args=[f"--pipeline={args.pipeline}"])
for name, value, want in zip(("out", "scores", "vt_scores"), got, (o, scores, vts)):
    assert value.shape == want.shape and np.array_equal(value, want), name
print(f"attention heads {args.shape} on {args.pipeline}: out, scores, vt_scores equal to numpy")
