"""Models calling ONNX model-local functions (ModelProto.functions, which
torch's dynamo exporter and onnxscript write), for local-functions.test.

  local_functions.py check TRANSLATE RUN DIR
                                   the valid ones: muon-translate and
                                   muon-run against ONNX Runtime (1e-5)
  local_functions.py errors DIR    the invalid ones, written to DIR
"""

import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

F = TensorProto.FLOAT
LOCAL = "pkg.local"
RTOL = 1e-5


def vi(name, shape):
    return helper.make_tensor_value_info(name, F, shape)


def ref(node, attr, ref_name):
    """Makes `node`'s float attribute `attr` a reference to `ref_name`."""
    node.attribute.append(helper.make_attribute_ref(attr, onnx.AttributeProto.FLOAT,
                                                    ref_attr_name=ref_name))
    return node


def scaled_relu(opset=18):
    """ScaledRelu(X, B; alpha = 3.0) = Relu(X * alpha + B); its internal
    value names (t, u) clash with the graph's; a second output, the
    pre-activation, which callers may leave out."""
    alpha = ref(helper.make_node("Constant", [], ["a"], name="c"), "value_float", "alpha")
    body = [alpha,
            helper.make_node("Mul", ["X", "a"], ["t"], name="m"),
            helper.make_node("Add", ["t", "B"], ["U"], name="add"),
            helper.make_node("Relu", ["U"], ["Y"], name="r")]
    return helper.make_function(
        LOCAL, "ScaledRelu", ["X", "B"], ["Y", "U"], body,
        [helper.make_opsetid("", opset)], attributes=[],
        attribute_protos=[helper.make_attribute("alpha", 3.0)])


def block():
    """Block(X, B) = Tanh(ScaledRelu(X, B; alpha = 0.5)): a call inside a
    function."""
    body = [helper.make_node("ScaledRelu", ["X", "B"], ["t", "pre"], name="inner",
                             domain=LOCAL, alpha=0.5),
            helper.make_node("Tanh", ["t"], ["Y"], name="tanh")]
    return helper.make_function(LOCAL, "Block", ["X", "B"], ["Y"], body,
                                [helper.make_opsetid("", 18),
                                 helper.make_opsetid(LOCAL, 1)])


def model(nodes, functions, opset=18):
    graph = helper.make_graph(nodes, "g", [vi("x", [2, 3]), vi("b", [3])],
                              [vi("y", [2, 3]), vi("u", [2, 3])])
    return helper.make_model(graph, functions=functions, ir_version=10, opset_imports=[
        helper.make_opsetid("", opset), helper.make_opsetid(LOCAL, 1)])


def calls():
    """alpha given (2.0), defaulted (3.0), a nested call, the optional
    second output taken once; two calls without node names (optional in
    ONNX), whose body values must still not clash."""
    nodes = [helper.make_node("ScaledRelu", ["x", "b"], ["t", ""], domain=LOCAL, alpha=2.0),
             helper.make_node("ScaledRelu", ["t", "b"], ["t2", "u"], domain=LOCAL),
             helper.make_node("Block", ["t2", "b"], ["y"], name="f3", domain=LOCAL)]
    return model(nodes, [scaled_relu(), block()])


def recursive():
    body = [helper.make_node("Loop", ["X"], ["Y"], name="again", domain=LOCAL)]
    loop = helper.make_function(LOCAL, "Loop", ["X"], ["Y"], body,
                                [helper.make_opsetid(LOCAL, 1)])
    nodes = [helper.make_node("Loop", ["x"], ["y"], name="call", domain=LOCAL),
             helper.make_node("Identity", ["x"], ["u"], name="id")]
    return model(nodes, [loop])


def mixed_opset():
    nodes = [helper.make_node("ScaledRelu", ["x", "b"], ["y", "u"], name="call",
                              domain=LOCAL)]
    return model(nodes, [scaled_relu(opset=17)])


def subgraph():
    branch = helper.make_graph([helper.make_node("Identity", ["X"], ["o"])], "then", [],
                               [vi("o", [2, 3])])
    body = [helper.make_node("ReduceMax", ["X"], ["m"], keepdims=0, name="max"),
            helper.make_node("Cast", ["m"], ["c"], to=TensorProto.BOOL, name="cast"),
            helper.make_node("If", ["c"], ["Y"], then_branch=branch, else_branch=branch,
                             name="if")]
    fn = helper.make_function(LOCAL, "Branch", ["X"], ["Y"], body,
                              [helper.make_opsetid("", 18)])
    nodes = [helper.make_node("Branch", ["x"], ["y"], name="call", domain=LOCAL),
             helper.make_node("Identity", ["x"], ["u"], name="id")]
    return model(nodes, [fn])


def duplicate():
    nodes = [helper.make_node("ScaledRelu", ["x", "b"], ["y", "u"], name="call",
                              domain=LOCAL)]
    return model(nodes, [scaled_relu(), scaled_relu()])


ERRORS = {"recursive": recursive, "mixed_opset": mixed_opset, "subgraph": subgraph,
          "duplicate": duplicate}


def check(translate, run, directory):
    import onnxruntime as ort
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "calls.onnx")
    onnx.save(calls(), path)
    rng = np.random.default_rng(0)
    feeds = {"x": rng.standard_normal((2, 3)).astype(np.float32),
             "b": rng.standard_normal(3).astype(np.float32)}
    expected = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, feeds)
    mlir = os.path.join(directory, "calls.mlir")
    subprocess.run([translate, "--import-onnx", path, "-o", mlir], check=True)
    args = [run, mlir]
    for name, value in feeds.items():
        np.save(os.path.join(directory, name + ".npy"), value)
        args.append("--input=@" + os.path.join(directory, name + ".npy"))
    outs = [os.path.join(directory, f"out{i}.npy") for i in range(len(expected))]
    subprocess.run(args + ["--output=@" + p for p in outs], check=True,
                   stdout=subprocess.DEVNULL)
    worst = 0.0
    for out, want in zip(outs, expected):
        got = np.load(out)
        worst = max(worst, np.linalg.norm(got - want) / np.linalg.norm(want))
    print(f"calls: max rel err {worst:.2e} (tolerance {RTOL:.0e})")
    return 0 if worst <= RTOL else 1


def main():
    if sys.argv[1] == "check":
        return check(*sys.argv[2:5])
    directory = sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    for name, build in ERRORS.items():
        onnx.save(build(), os.path.join(directory, name + ".onnx"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
