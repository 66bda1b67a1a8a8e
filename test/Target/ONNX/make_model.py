"""Writes a small ONNX model for the importer tests: make_model.py CASE OUT.

Each case is a function below building one ModelProto with onnx.helper; the
malformed ones are made by editing the protobuf after it is built."""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

TRAINING = helper.make_opsetid("ai.onnx.preview.training", 1)
MS = helper.make_opsetid("com.microsoft", 1)
F = TensorProto.FLOAT


def vi(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


def model(nodes, inputs, outputs, inits=(), opsets=(TRAINING,), name="g"):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    return helper.make_model(graph, opset_imports=list(opsets))


def momentum_node(name="mom", **overrides):
    attrs = dict(alpha=0.9, beta=0.5, norm_coefficient=0.0, mode="standard")
    attrs.update(overrides)
    return helper.make_node("Momentum", ["R", "T", "X", "G", "V"], ["X_new", "V_new"],
                            name=name, domain="ai.onnx.preview.training", **attrs)


def momentum_model(node=None, x_shape=(2, 3)):
    return model([node or momentum_node()],
                 [vi("R", []), vi("T", [], TensorProto.INT64), vi("X", x_shape),
                  vi("G", x_shape), vi("V", x_shape)],
                 [vi("X_new", x_shape), vi("V_new", x_shape)])


def training_info():
    """W (trained) and B (constant) are initializers; the algorithm graph
    updates W with Momentum; update_binding W <- W_new."""
    w = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "W")
    b = numpy_helper.from_array(np.array([1, 2, 3], dtype=np.int64), "B")
    inference = helper.make_graph([helper.make_node("Identity", ["W"], ["Y"], name="id")],
                                  "net", [], [vi("Y", [2, 3])], initializer=[w, b])
    step = helper.make_node("Momentum", ["R", "T", "W", "G", "V"], ["W_new", "V_new"],
                            name="update", domain="ai.onnx.preview.training",
                            alpha=0.9, beta=1.0, norm_coefficient=0.0, mode="standard")
    algorithm = helper.make_graph(
        [step], "algo",
        [vi("R", []), vi("T", [], TensorProto.INT64), vi("G", [2, 3]), vi("V", [2, 3])],
        [vi("V_new", [2, 3])])
    info = onnx.TrainingInfoProto()
    info.algorithm.CopyFrom(algorithm)
    binding = info.update_binding.add()
    binding.key, binding.value = "W", "W_new"
    m = helper.make_model(inference, opset_imports=[helper.make_opsetid("", 17), TRAINING])
    m.training_info.append(info)
    # Identity belongs to the other op families; the test only checks the
    # training function, so drop the inference graph's node and output.
    del m.graph.node[:]
    del m.graph.output[:]
    return m


def seq(name):
    return helper.make_tensor_sequence_value_info(name, F, None)


def ort_adamw(**attrs):
    node = helper.make_node(
        "AdamWOptimizer", ["lr", "step", "params", "grads", "m1", "m2"],
        ["flag", "params_new", "m1_new", "m2_new"], name="adamw", domain="com.microsoft", **attrs)
    return model([node], [vi("lr", []), vi("step", [], TensorProto.INT64), seq("params"),
                          seq("grads"), seq("m1"), seq("m2")],
                 [vi("flag", [], TensorProto.BOOL), seq("params_new"), seq("m1_new"),
                  seq("m2_new")], opsets=(MS,))


def ort_adamw_signal(signal_shape=()):
    """AdamWOptimizer with its optional update_signal input."""
    node = helper.make_node(
        "AdamWOptimizer", ["lr", "step", "params", "grads", "m1", "m2", "signal"],
        ["flag", "params_new", "m1_new", "m2_new"], name="adamw", domain="com.microsoft")
    return model([node], [vi("lr", []), vi("step", [], TensorProto.INT64), seq("params"),
                          seq("grads"), seq("m1"), seq("m2"),
                          vi("signal", list(signal_shape), TensorProto.BOOL)],
                 [vi("flag", [], TensorProto.BOOL), seq("params_new"), seq("m1_new"),
                  seq("m2_new")], opsets=(MS,))


def ort_sgd():
    node = helper.make_node("SGDOptimizerV2", ["lr", "params", "grads"],
                            ["flag", "params_new"], name="sgd", domain="com.microsoft")
    return model([node], [vi("lr", []), seq("params"), seq("grads")],
                 [vi("flag", [], TensorProto.BOOL), seq("params_new")], opsets=(MS,))


def with_initializer(tensor):
    """Momentum whose V is the given initializer instead of an input."""
    m = momentum_model()
    del m.graph.input[4]
    m.graph.initializer.append(tensor)
    return m


def raw_size_mismatch():
    t = numpy_helper.from_array(np.zeros((2, 3), np.float32), "V")
    t.raw_data = t.raw_data[:-4]
    return with_initializer(t)


def external_data():
    t = numpy_helper.from_array(np.zeros((2, 3), np.float32), "V")
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    entry = t.external_data.add()
    entry.key, entry.value = "location", "weights.bin"
    return with_initializer(t)


def stored_outside(directory, location, offset=None, length=None, data=None):
    """Momentum whose V ([[0.5, 1, 1.5], [2, 2.5, 3]]) is stored outside the
    model, as torch's dynamo exporter saves weights: `location` under
    `directory` holds 8 bytes, then V's (written unless `data` replaces it)."""
    values = np.arange(1, 7, dtype=np.float32).reshape(2, 3) / 2
    t = numpy_helper.from_array(values, "V")
    payload = t.raw_data if data is None else data
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", offset), ("length", length)):
        if value is not None:
            entry = t.external_data.add()
            entry.key, entry.value = key, str(value)
    path = os.path.join(directory, location)
    if os.path.abspath(path).startswith(os.path.abspath(directory) + os.sep):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(b"\0" * 8 + payload)
    return with_initializer(t)


# Cases that write files beside the model: f(directory).
EXTERNAL_CASES = {
    "external_init": lambda d: stored_outside(d, "weights/v.bin", offset=8, length=24),
    "external_escape": lambda d: stored_outside(d, "../v.bin"),
    "external_past_end": lambda d: stored_outside(d, "past_end.bin", offset=16, length=24),
    "external_short": lambda d: stored_outside(d, "short.bin", offset=8, data=b"\0" * 20),
}


def huge_dims():
    return with_initializer(TensorProto(name="V", data_type=F, dims=[1 << 40, 1 << 40]))


def cycle():
    a = helper.make_node("Momentum", ["R", "T", "X", "G", "V2"], ["X1", "V1"], name="first",
                         domain="ai.onnx.preview.training", alpha=0.9, beta=0.5,
                         norm_coefficient=0.0, mode="standard")
    b = helper.make_node("Momentum", ["R", "T", "X1", "G", "V1"], ["X_new", "V2"], name="second",
                         domain="ai.onnx.preview.training", alpha=0.9, beta=0.5,
                         norm_coefficient=0.0, mode="standard")
    return model([a, b], [vi("R", []), vi("T", [], TensorProto.INT64), vi("X", [2]), vi("G", [2])],
                 [vi("X_new", [2])])


def unsorted():
    """The second node is listed first: the importer sorts topologically."""
    m = cycle()
    m.graph.node[0].input[4] = "V"
    m.graph.input.append(vi("V", [2]))
    nodes = list(m.graph.node)
    del m.graph.node[:]
    m.graph.node.extend([nodes[1], nodes[0]])
    return m


def duplicate_output():
    m = momentum_model()
    m.graph.node.append(momentum_node(name="again"))
    return m


def bad_attr_type():
    node = momentum_node()
    del node.attribute[0]
    node.attribute.append(helper.make_attribute("alpha", 1))
    return momentum_model(node)


def shape_subgraph():
    """Reshape's shape computed from Shape(X) as exporters write it (Gather,
    Mul, Unsqueeze, Concat): folded to a constant. Add on the i64 input J
    reads a runtime value and stays."""
    i64 = TensorProto.INT64
    const = lambda name, value: numpy_helper.from_array(np.array(value, np.int64), name)
    nodes = [helper.make_node("Shape", ["X"], ["s"])]
    for i in range(3):
        nodes.append(helper.make_node("Gather", ["s", f"c{i}"], [f"n{i}"]))
    nodes += [helper.make_node("Mul", ["n1", "n2"], ["n12"]),
              helper.make_node("Unsqueeze", ["n0", "axes"], ["u0"]),
              helper.make_node("Unsqueeze", ["n12", "axes"], ["u1"]),
              helper.make_node("Concat", ["u0", "u1"], ["shape"], axis=0),
              helper.make_node("Reshape", ["X", "shape"], ["Y"]),
              helper.make_node("Add", ["J", "shape"], ["K"])]
    inits = [const(f"c{i}", i) for i in range(3)] + [const("axes", [0])]
    return model(nodes, [vi("X", [2, 3, 4]), vi("J", [2], i64)],
                 [vi("Y", [2, 12]), vi("K", [2], i64)], inits,
                 opsets=[helper.make_opsetid("", 17)])


def float_shape_subgraph(divisor):
    """Range's limit computed in floats, as torch code writes
    ceil(seq_len / 2) and exporters keep it: Shape, Gather, Cast to float,
    Div, Ceil, Cast back. Folded, Range gets its constant limit; the float
    scalar qc also feeds a runtime Mul. A zero divisor makes the limit
    infinite, which no integer holds: Range must stay an error."""
    i64 = TensorProto.INT64
    scalar = lambda name, value, dtype: numpy_helper.from_array(np.array(value, dtype), name)
    nodes = [helper.make_node("Shape", ["X"], ["s"]),
             helper.make_node("Gather", ["s", "one"], ["n"]),
             helper.make_node("Cast", ["n"], ["nf"], to=F),
             helper.make_node("Div", ["nf", "divisor"], ["q"]),
             helper.make_node("Ceil", ["q"], ["qc"]),
             helper.make_node("Cast", ["qc"], ["limit"], to=i64),
             helper.make_node("Range", ["zero", "limit", "one"], ["Y"], name="range"),
             helper.make_node("Mul", ["X", "qc"], ["Z"])]
    inits = [scalar("zero", 0, np.int64), scalar("one", 1, np.int64),
             scalar("divisor", divisor, np.float32)]
    return model(nodes, [vi("X", [2, 5, 4])], [vi("Y", [3], i64), vi("Z", [2, 5, 4])],
                 inits, opsets=[helper.make_opsetid("", 17)])


CASES = {
    "shape_subgraph": shape_subgraph,
    "float_shape_subgraph": lambda: float_shape_subgraph(2.0),
    "float_shape_subgraph_inf": lambda: float_shape_subgraph(0.0),
    "momentum": momentum_model,
    "training_info": training_info,
    "ort_adamw": ort_adamw,
    "ort_adamw_mode1": lambda: ort_adamw(adam_mode=1, correct_bias=0),
    "ort_adamw_mode2": lambda: ort_adamw(adam_mode=2),
    "ort_adamw_signal": ort_adamw_signal,
    "ort_adamw_signal_vector": lambda: ort_adamw_signal((2,)),
    "ort_sgd": ort_sgd,
    "unsupported_op": lambda: model(
        [helper.make_node("Frobnicate", ["X"], ["Y"], name="frob", domain="com.example")],
        [vi("X", [2])], [vi("Y", [2])], opsets=(helper.make_opsetid("com.example", 3),)),
    "unnamed_node": lambda: model(
        [helper.make_node("Identity", ["X"], ["Z"]),
         helper.make_node("Frobnicate", ["Z"], ["Y"], domain="com.example")],
        [vi("X", [2])], [vi("Y", [2])],
        opsets=(helper.make_opsetid("", 17), helper.make_opsetid("com.example", 3))),
    "unknown_domain": lambda: momentum_model().__class__(
        ir_version=8, graph=momentum_model().graph),
    "dynamic_dim": lambda: momentum_model(x_shape=("N", 3)),
    "random_step_name": lambda: model(
        [helper.make_node("Identity", ["muon.random_step"], ["Y"])],
        [vi("muon.random_step", [], TensorProto.INT64)], [vi("Y", [], TensorProto.INT64)],
        opsets=(helper.make_opsetid("", 17),)),
    "no_shape": lambda: model([momentum_node()], [vi("R", []), vi("T", [], TensorProto.INT64),
                                                  vi("X", None), vi("G", None), vi("V", None)],
                              [vi("X_new", None), vi("V_new", None)]),
    "string_input": lambda: model([], [vi("S", [2], TensorProto.STRING)], [vi("S", [2], TensorProto.STRING)]),
    "missing_input": lambda: model([momentum_node()], [vi("R", []), vi("T", [], TensorProto.INT64),
                                                       vi("X", [2]), vi("G", [2])],
                                   [vi("X_new", [2])]),
    "missing_output": lambda: model([], [vi("X", [2])], [vi("Y", [2])]),
    "duplicate_input": lambda: model([], [vi("X", [2]), vi("X", [2])], [vi("X", [2])]),
    # An input's initializer is its default: it must have the input's type.
    "input_default": lambda: model([], [vi("X", [2])], [vi("X", [2])], inits=[
        numpy_helper.from_array(np.ones(2, np.float32), "X")]),
    "input_default_mismatch": lambda: model([], [vi("X", [2])], [vi("X", [2])], inits=[
        numpy_helper.from_array(np.ones(3, np.float32), "X")]),
    "duplicate_output": duplicate_output,
    "cycle": cycle,
    "unsorted": unsorted,
    "bad_attr_type": bad_attr_type,
    "missing_attr": lambda: momentum_model(helper.make_node(
        "Momentum", ["R", "T", "X", "G", "V"], ["X_new", "V_new"], name="mom",
        domain="ai.onnx.preview.training", alpha=0.9, beta=0.5, mode="standard")),
    "bad_mode": lambda: momentum_model(momentum_node(mode="heavy")),
    "unknown_attr": lambda: momentum_model(momentum_node(gamma=1.0)),
    "bad_alpha": lambda: model([helper.make_node(
        "Adam", ["R", "T", "X", "G", "V", "H"], ["X_new", "V_new", "H_new"], name="adam",
        domain="ai.onnx.preview.training", alpha=1.5)],
        [vi("R", []), vi("T", [], TensorProto.INT64)] + [vi(n, [4]) for n in "XGVH"],
        [vi(n, [4]) for n in ("X_new", "V_new", "H_new")]),
    "wrong_arity": lambda: model([helper.make_node(
        "Momentum", ["R", "T", "X", "G"], ["X_new"], name="mom", domain="ai.onnx.preview.training",
        alpha=0.9, beta=0.5, norm_coefficient=0.0, mode="standard")],
        [vi("R", []), vi("T", [], TensorProto.INT64), vi("X", [2]), vi("G", [2])], [vi("X_new", [2])]),
    "vector_lr": lambda: model([momentum_node()], [vi("R", [1]), vi("T", [], TensorProto.INT64),
                                                   vi("X", [2]), vi("G", [2]), vi("V", [2])],
                               [vi("X_new", [2])]),
    "mismatched_state": lambda: model([momentum_node()], [vi("R", []), vi("T", [], TensorProto.INT64),
                                                          vi("X", [2]), vi("G", [2]), vi("V", [3])],
                                      [vi("X_new", [2])]),
    "output_type_mismatch": lambda: model([momentum_node()], [vi("R", []), vi("T", [], TensorProto.INT64),
                                                              vi("X", [2]), vi("G", [2]), vi("V", [2])],
                                          [vi("X_new", [3])]),
    "const_init": lambda: with_initializer(
        helper.make_tensor("V", F, [2, 3], [0.5, 1, 1.5, 2, 2.5, 3])),
    "raw_size_mismatch": raw_size_mismatch,
    "external_data": external_data,
    "huge_dims": huge_dims,
    "opset2": lambda: momentum_model().__class__(
        ir_version=8, graph=momentum_model().graph,
        opset_import=[helper.make_opsetid("ai.onnx.preview.training", 2)]),
    "no_graph": lambda: onnx.ModelProto(ir_version=8),
}

def symbolic_target(case):
    """A loss whose targets are declared with symbolic dimensions, as
    generate_artifacts declares them when torch exports logits reshaped to
    (-1, V); the targets come first among the inputs."""
    I64 = TensorProto.INT64
    mean = dict(reduction="mean")
    if case == "labels":  # SoftmaxCrossEntropyLoss: scores [6, 5]
        nodes = [helper.make_node("SoftmaxCrossEntropyLoss", ["X", "T"], ["L"], **mean),
                 helper.make_node("Cast", ["M"], ["Mf"], to=F),
                 helper.make_node("Mul", ["L", "Mf"], ["Y"])]
        inputs = [vi("T", ["N"], I64), vi("X", [6, 5]), vi("M", ["N"], I64)]
        outputs = [vi("Y", ["N"])]
    elif case == "spatial":  # scores [2, 5, 3]: a class dimension, then a spatial one
        nodes = [helper.make_node("SoftmaxCrossEntropyLoss", ["X", "T"], ["Y"], **mean)]
        inputs = [vi("T", ["B", "S"], I64), vi("X", [2, 5, 3])]
        outputs = [vi("Y", [])]
    elif case == "mse":  # Sub(prediction [4, 2], target)
        nodes = [helper.make_node("Sub", ["X", "T"], ["D"]),
                 helper.make_node("Mul", ["D", "D"], ["Y"])]
        inputs = [vi("T", ["N", "K"]), vi("X", [4, 2])]
        outputs = [vi("Y", [4, 2])]
    elif case == "broadcast":  # a size-1 dimension of the prediction tells nothing
        nodes = [helper.make_node("Sub", ["X", "T"], ["Y"])]
        inputs = [vi("T", ["N", "K"]), vi("X", [4, 1])]
        outputs = [vi("Y", [4, "K"])]
    else:  # "read_first": read by a node that does not determine it
        nodes = [helper.make_node("Identity", ["T"], ["T2"]),
                 helper.make_node("SoftmaxCrossEntropyLoss", ["X", "T2"], ["Y"], **mean)]
        inputs = [vi("T", ["N"], I64), vi("X", [6, 5])]
        outputs = [vi("Y", [])]
    return model(nodes, inputs, outputs, opsets=(helper.make_opsetid("", 17),))


for _case in ("labels", "spatial", "mse", "broadcast", "read_first"):
    CASES["symbolic_" + _case] = lambda c=_case: symbolic_target(c)


def symbolic_pool_grad(undeclared_x=False):
    """ORT's pooling gradients in a graph exported with a dynamic batch,
    height and width: its shape inference declares X (a Relu's output),
    the pooled values and the gradients dX with dims it made up (unk__N)
    that no input names. Without X's declaration nothing binds them."""
    I64 = TensorProto.INT64
    x = ["N", 2, "unk__0", "unk__1"]
    y = ["N", 2, "unk__2", "unk__3"]
    pool = dict(kernel_shape=[2, 2], strides=[2, 2])
    nodes = [helper.make_node("Relu", ["In"], ["X"]),
             helper.make_node("MaxPool", ["X"], ["P", "I"], **pool),
             helper.make_node("AveragePool", ["X"], ["A"], **pool),
             helper.make_node("MaxPoolGrad", ["P", "I"], ["X_grad"], name="max_grad", **pool),
             helper.make_node("AveragePoolGrad", ["A"], ["X_grad_1"], name="avg_grad",
                              **pool)]
    declared = [vi("P", y), vi("I", y, I64), vi("A", y)] + ([] if undeclared_x else [vi("X", x)])
    graph = helper.make_graph(nodes, "g", [vi("In", ["N", 2, "H", "W"])],
                              [vi("X_grad", x), vi("X_grad_1", x)], value_info=declared)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def gradient_buffer(reduced):
    """ORT's accumulation of parameter fill's gradient into the graph input
    `fill_grad.accumulation.buffer`, which ORT declares without a shape
    where its shape inference could not give the gradient fill's shape: a
    gradient left unreduced over a broadcast of fill (Where's), or one that
    has fill's shape after all."""
    B = TensorProto.BOOL
    grad = helper.make_node("Mul", ["fill", "fill"] if reduced else ["x", "fill"],
                            ["fill_grad"])
    accumulate = helper.make_node(
        "InPlaceAccumulatorV2", ["fill_grad.accumulation.buffer", "fill_grad", "reset"],
        ["fill_grad.accumulation.out", "fill_grad.accumulation.buffer_out"],
        name="accumulate", domain="com.microsoft")
    buffer = helper.make_tensor_value_info("fill_grad.accumulation.buffer", F, None)
    return model([grad, accumulate], [vi("x", [5, 4]), vi("fill", [4]), buffer, vi("reset", [1], B)],
                 [vi("fill_grad.accumulation.out", [1], B),
                  helper.make_tensor_value_info("fill_grad.accumulation.buffer_out", F, None)],
                 opsets=(helper.make_opsetid("", 17), MS))


CASES["unreduced_gradient"] = lambda: gradient_buffer(reduced=False)
CASES["reduced_gradient"] = lambda: gradient_buffer(reduced=True)
CASES["symbolic_pool_grad"] = symbolic_pool_grad
CASES["symbolic_pool_grad_unbound"] = lambda: symbolic_pool_grad(undeclared_x=True)

if __name__ == "__main__":
    if sys.argv[1] in EXTERNAL_CASES:
        m = EXTERNAL_CASES[sys.argv[1]](os.path.dirname(os.path.abspath(sys.argv[2])))
    else:
        m = CASES[sys.argv[1]]()
    with open(sys.argv[2], "wb") as f:
        f.write(m.SerializeToString())
