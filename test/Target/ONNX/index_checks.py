"""Out-of-range indices in a compiled step: a Gather of token ids (negative ids
count from the end, as in ONNX), its gradient and the cross-entropy labels.
Each model is imported with muon-translate and run three ways on good and bad
inputs: muon-run (CPU), a muon-compile library through muon_mlir.aot (CPU),
and the same library built from the GPU pipeline's program
(--pipeline=gpu-emulation). Good inputs must match numpy exactly; bad ones
must fail with the check's message (muon-run: exit 1; aot: ValueError) and
leave the caller's arrays as they were.

  index_checks.py BIN_DIR WORK_DIR
"""

import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

from muon_mlir import aot

BIN, WORK = sys.argv[1], sys.argv[2]
os.makedirs(WORK, exist_ok=True)
VOCAB, D = 10, 4
TABLE = np.arange(VOCAB * D, dtype=np.float32).reshape(VOCAB, D)


def model(name, node, inputs, outputs, inits=()):
    graph = helper.make_graph([node], name, inputs, outputs, initializer=list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                helper.make_opsetid("com.microsoft", 1)])
    path = os.path.join(WORK, name + ".onnx")
    onnx.save(m, path)
    mlir = os.path.join(WORK, name + ".mlir")
    subprocess.run([os.path.join(BIN, "muon-translate"), "--import-onnx", path, "-o", mlir],
                   check=True)
    return mlir


def npy(name, array):
    path = os.path.join(WORK, name + ".npy")
    np.save(path, array)
    return "--input=@" + path


def muon_run(mlir, arrays):
    args = [npy(f"{os.path.basename(mlir)}.{i}", a) for i, a in enumerate(arrays)]
    result = subprocess.run([os.path.join(BIN, "muon-run"), mlir, *args],
                            capture_output=True, text=True)
    return result.returncode, (result.stdout + result.stderr).strip()


LIBRARIES = {}


def compiled(mlir, pipeline):
    """Each library is built once: rewriting a loaded .so would crash."""
    if (mlir, pipeline) in LIBRARIES:
        return LIBRARIES[mlir, pipeline]
    library = os.path.join(WORK, f"lib{os.path.basename(mlir)}.{pipeline}.so")
    extra = ["--pipeline=gpu-emulation"] if pipeline == "gpu-emulation" else []
    subprocess.run([os.path.join(BIN, "muon-compile"), mlir, "--target=cpu", "-o", library,
                    *extra], check=True)
    LIBRARIES[mlir, pipeline] = aot.load(library)
    return LIBRARIES[mlir, pipeline]


def check(name, mlir, good, expected, bad):
    code, _ = muon_run(mlir, good)
    assert code == 0, f"{name}: muon-run failed on good input"
    code, text = muon_run(mlir, bad)
    print(f"{name} muon-run: exit {code}: {text.splitlines()[-1]}")
    for pipeline in ("cpu", "gpu-emulation"):
        step = compiled(mlir, pipeline)
        got = step(*good)
        assert np.array_equal(got, expected), f"{name} {pipeline}: wrong result"
        copies = [a.copy() for a in bad]
        try:
            step(*bad)
            print(f"{name} {pipeline}: no error")
        except ValueError as error:
            print(f"{name} {pipeline}: ValueError: {error}")
        assert all(np.array_equal(a, c) for a, c in zip(bad, copies)), "inputs changed"


ids_info = helper.make_tensor_value_info("ids", TensorProto.INT64, [2, 3])
gather = model("gather", helper.make_node("Gather", ["table", "ids"], ["out"], name="embed"),
               [helper.make_tensor_value_info("table", TensorProto.FLOAT, [VOCAB, D]), ids_info],
               [helper.make_tensor_value_info("out", TensorProto.FLOAT, [2, 3, D])])
good = np.array([[1, 9, -1], [0, -10, 3]], dtype=np.int64)
for bad_id in (VOCAB, -VOCAB - 1, 1 << 40):
    bad = good.copy()
    bad[1, 2] = bad_id
    check(f"gather id {bad_id}", gather, [TABLE, good], TABLE[good], [TABLE, bad])

dy = np.ones((2, 3, D), dtype=np.float32)
grad = model("gather_grad",
             helper.make_node("GatherGrad", ["shape", "ids", "dy"], ["dtable"], name="embed_grad",
                              domain="com.microsoft"),
             [ids_info, helper.make_tensor_value_info("dy", TensorProto.FLOAT, [2, 3, D])],
             [helper.make_tensor_value_info("dtable", TensorProto.FLOAT, [VOCAB, D])],
             [onnx.numpy_helper.from_array(np.array([VOCAB, D], dtype=np.int64), "shape")])
expected = np.zeros((VOCAB, D), dtype=np.float32)
np.add.at(expected, good % VOCAB, dy)
bad = good.copy()
bad[0, 0] = VOCAB
check("gather_grad", grad, [good, dy], expected, [bad, dy])

# In place (optim.aliasing_output): table -= GatherGrad(ids, dy), the table
# updated in its own buffer; with a bad id it must keep its values.
with open(grad) as f:
    imported = f.read().replace("func.func @gather_grad", "func.func private @gather_grad")
in_place = os.path.join(WORK, "in_place.mlir")
with open(in_place, "w") as f:
    f.write(imported.rstrip().rstrip("}") + f"""
  func.func @update(%table: tensor<{VOCAB}x{D}xf32> {{optim.aliasing_output = 0 : i64}},
                    %ids: tensor<2x3xi64>, %dy: tensor<2x3x{D}xf32>) -> tensor<{VOCAB}x{D}xf32> {{
    %g = call @gather_grad(%ids, %dy) : (tensor<2x3xi64>, tensor<2x3x{D}xf32>) -> tensor<{VOCAB}x{D}xf32>
    %e = tensor.empty() : tensor<{VOCAB}x{D}xf32>
    %new = linalg.sub ins(%table, %g : tensor<{VOCAB}x{D}xf32>, tensor<{VOCAB}x{D}xf32>)
        outs(%e : tensor<{VOCAB}x{D}xf32>) -> tensor<{VOCAB}x{D}xf32>
    return %new : tensor<{VOCAB}x{D}xf32>
  }}
}}
""")
for pipeline in ("cpu", "gpu-emulation"):
    step = compiled(in_place, pipeline)
    table = TABLE.copy()
    step(table, good, dy)
    assert np.array_equal(table, TABLE - expected), f"in place {pipeline}: wrong result"
    try:
        step(table, bad, dy)
        print(f"in place {pipeline}: no error")
    except ValueError as error:
        print(f"in place {pipeline}: ValueError: {error}")
    kept = np.array_equal(table, TABLE - expected)
    print(f"in place {pipeline}: table {'unchanged' if kept else 'CHANGED'}")

scores = np.zeros((3, 5), dtype=np.float32)
loss = model("loss",
             helper.make_node("SoftmaxCrossEntropyLoss", ["scores", "labels"], ["loss"],
                              name="xent", reduction="sum", ignore_index=-100),
             [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [3, 5]),
              helper.make_tensor_value_info("labels", TensorProto.INT64, [3])],
             [helper.make_tensor_value_info("loss", TensorProto.FLOAT, [])])
labels = np.array([4, -100, 0], dtype=np.int64)
check("loss", loss, [scores, labels], np.float32(2 * np.log(5)), [scores, np.array([4, 5, 0])])
# NegativeLogLikelihoodLoss has no default ignore_index: -1 is out of range.
nll = model("nll",
            helper.make_node("NegativeLogLikelihoodLoss", ["scores", "labels"], ["loss"],
                             name="nll", reduction="sum"),
            [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [3, 5]),
             helper.make_tensor_value_info("labels", TensorProto.INT64, [3])],
            [helper.make_tensor_value_info("loss", TensorProto.FLOAT, [])])
check("nll", nll, [scores, np.array([4, 1, 0])], np.float32(0), [scores, np.array([4, -1, 0])])

# GatherND/ScatterND: each component of an index tuple against its own dim
# (data [2, 5]: row 3 is inside the largest dim but outside the first).
data = np.arange(10, dtype=np.float32).reshape(2, 5)
tuples_info = helper.make_tensor_value_info("tuples", TensorProto.INT64, [2, 2])
data_info = helper.make_tensor_value_info("data", TensorProto.FLOAT, [2, 5])
good = np.array([[1, 4], [-2, -5]], dtype=np.int64)
gather_nd = model("gather_nd", helper.make_node("GatherND", ["data", "tuples"], ["out"],
                                                name="pick"),
                  [data_info, tuples_info], [helper.make_tensor_value_info(
                      "out", TensorProto.FLOAT, [2])])
for bad_tuple in ([3, 0], [0, 5], [-3, 0]):
    bad = good.copy()
    bad[1] = bad_tuple
    check(f"gather_nd {bad_tuple}", gather_nd, [data, good], data[tuple(good.T)], [data, bad])
updates = np.array([-1, -2], dtype=np.float32)
scatter_nd = model("scatter_nd", helper.make_node("ScatterND", ["data", "tuples", "updates"],
                                                  ["out"], name="assign"),
                   [data_info, tuples_info,
                    helper.make_tensor_value_info("updates", TensorProto.FLOAT, [2])],
                   [helper.make_tensor_value_info("out", TensorProto.FLOAT, [2, 5])])
expected = data.copy()
expected[tuple(good.T)] = updates
bad = good.copy()
bad[0] = [3, 0]
check("scatter_nd", scatter_nd, [data, good, updates], expected, [data, bad, updates])

# Integer divisors: 0 is reported like a bad index (the instruction would
# trap); the type's minimum over -1 wraps, as ONNX Runtime's does.
int_info = [helper.make_tensor_value_info(n, TensorProto.INT64, [4]) for n in ("a", "b")]
out_info = [helper.make_tensor_value_info("out", TensorProto.INT64, [4])]
lowest = np.iinfo(np.int64).min
a = np.array([7, -9, lowest, 5], dtype=np.int64)
b = np.array([2, 4, -1, -3], dtype=np.int64)
for op, attrs, expected in [
        ("Div", {}, np.array([3, -2, lowest, -1])),
        ("Mod", {}, np.array([1, 3, 0, -1])),
        ("Mod", {"fmod": 1}, np.array([1, -1, 0, 2]))]:
    name = f"{op.lower()}{attrs.get('fmod', '')}"
    divide = model(name, helper.make_node(op, ["a", "b"], ["out"], name=name, **attrs),
                   int_info, out_info)
    check(name, divide, [a, b], expected, [a, np.array([2, 0, -1, 3], dtype=np.int64)])

# Constant indices are checked while importing.
const = os.path.join(WORK, "const.onnx")
node = helper.make_node("Gather", ["table", "ids"], ["out"], name="const_embed")
graph = helper.make_graph([node], "const", [helper.make_tensor_value_info(
    "table", TensorProto.FLOAT, [VOCAB, D])], [helper.make_tensor_value_info(
        "out", TensorProto.FLOAT, [2, D])],
    initializer=[onnx.numpy_helper.from_array(np.array([3, VOCAB], dtype=np.int64), "ids")])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), const)
result = subprocess.run([os.path.join(BIN, "muon-translate"), "--import-onnx", const],
                        capture_output=True, text=True)
print(f"constant: exit {result.returncode}: {result.stderr.strip()}")
