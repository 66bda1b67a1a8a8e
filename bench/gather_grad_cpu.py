"""GatherGrad (the embedding gradient) alone at a GPT-2-like size (vocab
8192, 512 token ids, negative ones included, d 256), imported by each given
build's muon-translate and run by its muon-run on CPU. The output is checked
against numpy's np.add.at and muon-run's wall time (JIT compile included) is
printed for three runs each.

    .venv/bin/python bench/gather_grad_cpu.py LABEL=BIN_DIR [LABEL=BIN_DIR ...]
    e.g. .venv/bin/python bench/gather_grad_cpu.py before=/tmp/old/bin after=build/bin
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

VOCAB, TOKENS, D = 8192, 512, 256


def model():
    shape = numpy_helper.from_array(np.array([VOCAB, D], dtype=np.int64), "shape")
    node = helper.make_node("GatherGrad", ["shape", "ids", "dy"], ["out"],
                            domain="com.microsoft")
    graph = helper.make_graph(
        [node], "gather_grad",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, [TOKENS]),
         helper.make_tensor_value_info("dy", TensorProto.FLOAT, [TOKENS, D])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [VOCAB, D])], [shape])
    return helper.make_model(graph, ir_version=8, opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])


def main():
    rng = np.random.default_rng(0)
    ids = rng.integers(-VOCAB, VOCAB, size=(TOKENS,)).astype(np.int64)
    dy = rng.standard_normal((TOKENS, D)).astype(np.float32)
    ref = np.zeros((VOCAB, D), np.float64)
    np.add.at(ref, ids % VOCAB, dy)
    with tempfile.TemporaryDirectory(prefix="gather-grad-") as work:
        path = lambda name: os.path.join(work, name)
        onnx.save(model(), path("model.onnx"))
        np.save(path("ids.npy"), ids)
        np.save(path("dy.npy"), dy)
        for label, bin_dir in (arg.split("=", 1) for arg in sys.argv[1:]):
            subprocess.run([os.path.join(bin_dir, "muon-translate"), "--import-onnx",
                            path("model.onnx"), "-o", path(label + ".mlir")], check=True)
            walls = []
            for _ in range(3):
                start = time.perf_counter()
                subprocess.run([os.path.join(bin_dir, "muon-run"), path(label + ".mlir"),
                                "--input=@" + path("ids.npy"), "--input=@" + path("dy.npy"),
                                "--output=@" + path(label + ".npy")], check=True)
                walls.append(time.perf_counter() - start)
            got = np.load(path(label + ".npy"))
            err = np.linalg.norm(got - ref) / np.linalg.norm(ref)
            print(f"{label}: muon-run {', '.join(f'{w:.2f}' for w in walls)} s "
                  f"(median {statistics.median(walls):.2f}); rel err vs np.add.at {err:.1e}")


if __name__ == "__main__":
    main()
