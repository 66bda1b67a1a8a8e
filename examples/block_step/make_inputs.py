"""Writes the bundled inputs of examples/block_step.mlir (fixed seed), in
argument order as NN_name.npy. Re-run only to change the example."""

import os

import numpy as np

rng = np.random.default_rng(2026)
HERE = os.path.dirname(os.path.abspath(__file__))


def matrix(shape, scale):
    return (scale * rng.standard_normal(shape)).astype(np.float32)


args = []
for name, shape in [("q", (64, 64)), ("k", (64, 64)), ("fc", (64, 256)), ("proj", (256, 64))]:
    args += [(f"w{name}", matrix(shape, 0.05)), (f"g{name}", matrix(shape, 0.01)),
             (f"m{name}", matrix(shape, 0.005))]
args += [("ln", (1 + matrix((64,), 0.1))), ("gln", matrix((64,), 0.01)),
         ("mln", matrix((64,), 0.001)), ("vln", np.abs(matrix((64,), 1e-4)))]
# Heads 0 and 2 over tau = 100: their W_q/W_k columns get clipped.
args += [("max_logits", np.array([180.0, 35.5, 120.0, 99.0], np.float32)),
         ("lr", np.float32(0.02)), ("adam_lr", np.float32(0.001)), ("t", np.int64(7))]

for i, (name, value) in enumerate(args):
    np.save(os.path.join(HERE, f"{i:02d}_{name}.npy"), np.asarray(value))
