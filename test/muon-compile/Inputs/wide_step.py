"""A step of more tensors than Python's ctypes passes as arguments (1024):
make writes a step of N inputs; check LIB calls its library through
muon_mlir.aot (the packed entry point) against numpy.

  wide_step.py make N OUT.mlir | wide_step.py check LIB
"""

import sys

import numpy as np

if sys.argv[1] == "make":
    # One op whatever N (compile time grows with ops, not arguments): the
    # inputs concatenated, and the last one doubled in place.
    n, path = int(sys.argv[2]), sys.argv[3]
    t = "tensor<2xf32>"
    args = [f"%a{i}: {t}" for i in range(n - 1)]
    args.append(f"%a{n - 1}: {t} {{optim.aliasing_output = 1 : i64}}")
    names = ", ".join(f"%a{i}" for i in range(n))
    with open(path, "w") as f:
        f.write(f"""func.func @wide({', '.join(args)}) -> (tensor<{2 * n}xf32>, {t}) {{
  %all = tensor.concat dim(0) {names} : ({', '.join([t] * n)}) -> tensor<{2 * n}xf32>
  %e = tensor.empty() : {t}
  %d = linalg.add ins(%a{n - 1}, %a{n - 1} : {t}, {t}) outs(%e : {t}) -> {t}
  return %all, %d : tensor<{2 * n}xf32>, {t}
}}
""")
else:
    from muon_mlir import aot
    step = aot.load(sys.argv[2])
    n = len(step.inputs)
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(2).astype(np.float32) for _ in range(n)]
    before = [a.copy() for a in arrays]
    together = step(*arrays)
    same = np.array_equal(together, np.concatenate(before))
    doubled = np.array_equal(arrays[-1], 2 * before[-1])
    kept = all(np.array_equal(a, b) for a, b in zip(arrays[:-1], before[:-1]))
    print(f"{n} inputs: concatenation {'matches' if same else 'DIFFERS'}, last input "
          f"{'doubled in place' if doubled else 'WRONG'}, others {'kept' if kept else 'CHANGED'}")
