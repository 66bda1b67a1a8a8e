"""The compiled step's Dropout masks, computed independently in numpy.

A training-mode Dropout keeps element i (row-major) at step s when the top
24 bits of mix(mix(seed + s·γ) + (i + 1)·γ) are at least ceil(ratio·2^24),
mix being SplitMix64's finalizer and γ its increment
(lib/Target/ONNX/Ops/Dropout.cpp; docs/onnx-ops.md).
"""

import numpy as np

GAMMA = np.uint64(0x9E3779B97F4A7C15)


def mix64(z):
    """SplitMix64's finalizer on uint64 arrays (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def dropout_mask(shape, seed, step, ratio):
    """The keep mask the compiled step draws at `step` for a node of `seed`."""
    with np.errstate(over="ignore"):
        stream = mix64(np.array([seed], np.uint64) + np.uint64(step) * GAMMA)
        index = np.arange(1, int(np.prod(shape)) + 1, dtype=np.uint64)
        bits = mix64(stream + index * GAMMA) >> np.uint64(40)
    return (bits >= np.uint64(np.ceil(ratio * 2**24))).reshape(shape)
