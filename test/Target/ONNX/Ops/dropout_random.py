"""Training-mode Dropout with a positive ratio: two nodes over one input
(one seeded, one not) imported with muon-translate and run with RUN (muon-run,
possibly with a pipeline) at steps 1, 1 again and 2; with them RandomUniformLike
(seeded, low/high given) and RandomUniform (unseeded, the defaults), which
draw from the same generator.

  dropout_random.py WORK_DIR MUON_TRANSLATE RUN...

Checked: output = mask ? x / (1 - ratio) : 0 exactly (x·f32(1/(1-ratio)));
the seeded node's masks equal muon_mlir.testing.dropout_masks (an
independent numpy implementation of the generator); each mask keeps
1 - ratio of 2^16 elements within 5 standard deviations; a step replays its
masks bit for bit; step 2's masks, and the two nodes' masks, agree on
ratio² + (1 - ratio)² of the elements within 5 standard deviations
(independent draws). The random values equal
muon_mlir.testing.dropout_masks.uniform (seeded) or lie in [low, high) with
the uniform distribution's mean within 5 standard deviations (unseeded),
and replay like the masks.
"""

import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from muon_mlir.testing.dropout_masks import dropout_mask, uniform

RATIO, SEED, SHAPE = 0.25, 77, (64, 1024)
LOW, HIGH, UNIFORM_SEED, UNIFORM_SHAPE = -2.0, 3.0, 78, (256, 64)
OUTPUTS = ["y", "m", "y2", "m2", "u", "u2"]


def write_model(path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE)
    inits = [numpy_helper.from_array(np.array(RATIO, np.float32), "ratio"),
             numpy_helper.from_array(np.array(True), "training")]
    nodes = [helper.make_node("Dropout", ["x", "ratio", "training"], ["y", "m"],
                              name="seeded", seed=SEED),
             helper.make_node("Dropout", ["x", "ratio", "training"], ["y2", "m2"],
                              name="named"),
             helper.make_node("RandomUniformLike", ["x"], ["u"], name="uniform_like",
                              low=LOW, high=HIGH, seed=float(UNIFORM_SEED)),
             helper.make_node("RandomUniform", [], ["u2"], name="uniform",
                              shape=list(UNIFORM_SHAPE))]
    outputs = [helper.make_value_info(o, onnx.TypeProto()) for o in OUTPUTS]
    graph = helper.make_graph(nodes, "g", [x], outputs, inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def main():
    work, translate, run = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(work, exist_ok=True)
    model, mlir = os.path.join(work, "dropout.onnx"), os.path.join(work, "dropout.mlir")
    write_model(model)
    subprocess.run([translate, "--import-onnx", model, "-o", mlir], check=True)
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    np.save(os.path.join(work, "x.npy"), x)

    def step(s):
        np.save(os.path.join(work, "s.npy"), np.array(s, np.int64))
        outs = [os.path.join(work, f"out{i}.npy") for i in range(len(OUTPUTS))]
        subprocess.run(run + [mlir, "--input=@" + os.path.join(work, "x.npy"),
                              "--input=@" + os.path.join(work, "s.npy")]
                       + ["--output=@" + o for o in outs], check=True, stdout=subprocess.DEVNULL)
        return [np.load(o) for o in outs]

    n, keep, same = x.size, 1 - RATIO, RATIO**2 + (1 - RATIO)**2
    first, again, second = step(1), step(1), step(2)
    scale = np.float32(1 / (1 - RATIO))
    for y, m in (first[:2], first[2:4], second[:2]):
        assert np.array_equal(y, np.where(m, x * scale, 0)), "output != mask ? x / (1 - ratio) : 0"
        assert abs(m.mean() - keep) < 5 * np.sqrt(keep * (1 - keep) / n), m.mean()
    for s, outs in ((1, first), (2, second)):
        assert np.array_equal(outs[1], dropout_mask(SHAPE, SEED, s, RATIO)), f"step {s}"
    assert all(np.array_equal(a, b) for a, b in zip(first, again)), "step 1 did not replay"
    bound = 5 * np.sqrt(same * (1 - same) / n)
    for a, b, what in ((first[1], second[1], "steps 1 and 2"), (first[1], first[3], "two nodes")):
        agree = (a == b).mean()
        assert abs(agree - same) < bound, f"{what} agree on {agree:.4f}, expected {same:.4f}"
    print(f"dropout: ratio {RATIO}: kept {first[1].mean():.4f} and {first[3].mean():.4f} of {n}; "
          f"seeded masks equal numpy's; step 1 replays; steps and nodes draw independently")
    for s, outs in ((1, first), (2, second)):
        u = outs[4]
        assert u.dtype == np.float32 and u.shape == SHAPE, (u.dtype, u.shape)
        assert np.array_equal(u, uniform(SHAPE, UNIFORM_SEED, s, LOW, HIGH)), f"uniform step {s}"
        assert LOW <= u.min() and u.max() < HIGH, (u.min(), u.max())
    for u in (first[4], first[5], second[5]):
        low, high = (LOW, HIGH) if u.shape == SHAPE else (0.0, 1.0)
        assert low <= u.min() and u.max() < high, (u.min(), u.max())
        sigma = (high - low) / np.sqrt(12 * u.size)
        assert abs(u.mean() - (low + high) / 2) < 5 * sigma, u.mean()
    assert not np.array_equal(first[5], second[5]), "RandomUniform repeated a step"
    print(f"random uniform: [{LOW}, {HIGH}) mean {first[4].mean():.4f} and [0, 1) mean "
          f"{first[5].mean():.4f}; seeded values equal numpy's; step 1 replays")


if __name__ == "__main__":
    main()
