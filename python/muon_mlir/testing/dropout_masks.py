"""The compiled step's Dropout masks and RandomUniform(Like) values,
computed independently in numpy.

Element i (row-major) of a random node at step s draws the top 24 bits of
mix(mix(seed + s·γ) + (i + 1)·γ), mix being SplitMix64's finalizer and γ its
increment. A training-mode Dropout keeps the element when the draw is at
least ceil(ratio·2^24); RandomUniform(Like) gives low + (high − low)·draw·2^-24
in float32 (lib/Target/ONNX/Ops/Dropout.cpp; docs/onnx-ops.md).
"""

import numpy as np

GAMMA = np.uint64(0x9E3779B97F4A7C15)


def mix64(z):
    """SplitMix64's finalizer on uint64 arrays (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def random_bits(shape, seed, step):
    """The 24-bit draws of a node of `seed` at `step` (uint64)."""
    with np.errstate(over="ignore"):
        stream = mix64(np.array([seed], np.uint64) + np.uint64(step) * GAMMA)
        index = np.arange(1, int(np.prod(shape)) + 1, dtype=np.uint64)
        return (mix64(stream + index * GAMMA) >> np.uint64(40)).reshape(shape)


def dropout_mask(shape, seed, step, ratio):
    """The keep mask the compiled step draws at `step` for a node of `seed`."""
    return random_bits(shape, seed, step) >= np.uint64(np.ceil(ratio * 2**24))


def uniform(shape, seed, step, low=0.0, high=1.0):
    """RandomUniform(Like)'s float32 values at `step` for a node of `seed`."""
    u = random_bits(shape, seed, step).astype(np.float32) * np.float32(2.0**-24)
    if low == 0.0 and high == 1.0:
        return u
    low, high = np.float32(low), np.float32(high)
    return u * (high - low) + low
