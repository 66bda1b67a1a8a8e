"""Models with If, Loop and Scan (bodies reading the enclosing graphs'
values, nested control flow), for control-flow.test.

  control_flow.py check TRANSLATE RUN DIR [NAMES]
                                            each valid model (or those named,
                                            comma-separated) imported with
                                            muon-translate, run with RUN and
                                            compared with ONNX Runtime:
                                            relative Frobenius error <= 1e-5
                                            for floats, integers exact
  control_flow.py models DIR                the valid ones, written to DIR
  control_flow.py errors DIR                the invalid ones, written to DIR
"""

import os
import shlex
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "Ops"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "conformance"))
from check_ops import compare_outputs  # noqa: E402
from gen_node_test import mlir_type  # noqa: E402

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL
RTOL = 1e-5
RNG = np.random.default_rng(3)


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def const(name, value):
    return helper.make_node("Constant", [], [name], name=name + "_const",
                            value=onnx.numpy_helper.from_array(np.asarray(value), name))


def graph(name, nodes, inputs, outputs, inits=()):
    return helper.make_graph(nodes, name, inputs, outputs, list(inits))


def model(nodes, inputs, outputs, inits=(), opset=17):
    g = graph("g", nodes, inputs, outputs, inits)
    # ONNX Runtime 1.19 reads IR versions up to 10.
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                             ir_version=8)


def init(name, value):
    return onnx.numpy_helper.from_array(np.asarray(value), name)


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def untyped(name):
    return helper.make_value_info(name, onnx.TypeProto())


# --- If ---------------------------------------------------------------------

def add_or_scale_branches():
    """then: x + 1 and x * w (an initializer of the branch); else: x * 2
    and x - w: both read x from the main graph."""
    then = graph("then", [const("one", np.float32(1)),
                          helper.make_node("Add", ["x", "one"], ["t0"]),
                          helper.make_node("Mul", ["x", "w"], ["t1"])],
                 [], [untyped("t0"), untyped("t1")],
                 [init("w", np.float32([1.5, -2.0, 0.5]))])
    other = graph("else", [const("two", np.float32(2)),
                           helper.make_node("Mul", ["x", "two"], ["e0"]),
                           helper.make_node("Sub", ["x", "v"], ["e1"])],
                  [], [untyped("e0"), untyped("e1")])
    return then, other


def if_runtime(flag):
    then, other = add_or_scale_branches()
    nodes = [helper.make_node("If", ["c"], ["y0", "y1"], name="if",
                              then_branch=then, else_branch=other),
             helper.make_node("Relu", ["y1"], ["z"])]
    m = model(nodes, [vi("c", B, []), vi("x", F, [2, 3]), vi("v", F, [3])],
              [untyped("y0"), untyped("z")])
    return m, {"c": np.array(flag), "x": f32(2, 3), "v": f32(3)}


def if_constant_shapes():
    """A constant condition (as exporters' shape checks give): only the taken
    branch imports, and the branches' outputs differ in shape."""
    then = graph("then", [helper.make_node("Relu", ["x"], ["t"])], [], [untyped("t")])
    other = graph("else", [helper.make_node("Reshape", ["x", "flat"], ["e"])],
                  [], [untyped("e")], [init("flat", np.int64([-1]))])
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("ReduceProd", ["s"], ["n"], keepdims=0),
             helper.make_node("Greater", ["n", "limit"], ["big"]),
             helper.make_node("If", ["big"], ["y"], name="if",
                              then_branch=then, else_branch=other)]
    m = model(nodes, [vi("x", F, [2, 3])], [untyped("y")],
              [init("limit", np.int64(4))])
    return m, {"x": f32(2, 3)}


# --- Loop -------------------------------------------------------------------

def accumulate_body(extra_nodes=(), cond_out="cond_in", scans=True):
    """y' = 0.5 y + i * x (x from the main graph); scans y' and i when
    `scans`; the condition output is `cond_out`."""
    nodes = [helper.make_node("Cast", ["i"], ["fi"], to=F),
             helper.make_node("Mul", ["x", "fi"], ["ix"]),
             const("half", np.float32(0.5)),
             helper.make_node("Mul", ["y", "half"], ["hy"]),
             helper.make_node("Add", ["hy", "ix"], ["y_out"]),
             *extra_nodes]
    outputs = [vi(cond_out, B, []), untyped("y_out")]
    if scans:
        nodes += [helper.make_node("Identity", ["y_out"], ["y_scan"]),
                  helper.make_node("Identity", ["i"], ["i_scan"])]
        outputs += [untyped("y_scan"), untyped("i_scan")]
    return graph("body", nodes,
                 [vi("i", I64, []), vi("cond_in", B, []), vi("y", F, [2, 3])], outputs)


def loop_for_scans():
    """M = 5 and a constant-true condition the body passes on: an scf.for
    with two scan outputs."""
    nodes = [helper.make_node("Loop", ["M", "c", "y0"], ["y", "ys", "is"], name="loop",
                              body=accumulate_body())]
    m = model(nodes, [vi("x", F, [2, 3]), vi("y0", F, [2, 3])],
              [untyped("y"), untyped("ys"), untyped("is")],
              [init("M", np.int64(5)), init("c", np.bool_(True))])
    return m, {"x": f32(2, 3), "y0": f32(2, 3)}


def loop_no_condition():
    """No condition input and a body condition that is constant true: M
    iterations with scan outputs."""
    nodes = [helper.make_node("Loop", ["M", "", "y0"], ["y", "ys", "is"], name="loop",
                              body=accumulate_body(
                                  [const("go", np.bool_(True))], "go"))]
    m = model(nodes, [vi("x", F, [2, 3]), vi("y0", F, [2, 3])],
              [untyped("y"), untyped("ys"), untyped("is")], [init("M", np.int64(3))])
    return m, {"x": f32(2, 3), "y0": f32(2, 3)}


def loop_zero_trips():
    """M = 0 and a body condition that is constant false: scf.while, which
    runs no iteration."""
    nodes = [helper.make_node("Loop", ["zero", "", "y0"], ["y"], name="empty",
                              body=accumulate_body(
                                  [const("stop", np.bool_(False))], "stop", scans=False))]
    m = model(nodes, [vi("x", F, [2, 3]), vi("y0", F, [2, 3])], [untyped("y")],
              [init("zero", np.int64(0))])
    return m, {"x": f32(2, 3), "y0": f32(2, 3)}


def loop_runtime_trip_count():
    """M a graph input: an scf.for to a bound known at run time."""
    nodes = [helper.make_node("Loop", ["M", "", "y0"], ["y"], name="loop",
                              body=accumulate_body(scans=False))]
    m = model(nodes, [vi("M", I64, []), vi("x", F, [2, 3]), vi("y0", F, [2, 3])],
              [untyped("y")])
    return m, {"M": np.array(4, dtype=np.int64), "x": f32(2, 3), "y0": f32(2, 3)}


def loop_while(with_trip_count, with_condition=True):
    """Runs while sum(y) < 40 (y doubles; y starts positive), within
    M = 2 when `with_trip_count` (the bound ends it first) and without
    one, with and without an input condition: scf.while; also carries the
    sum of the iteration numbers."""
    body = graph("body", [
        const("two", np.float32(2)),
        helper.make_node("Mul", ["y", "two"], ["y_out"]),
        helper.make_node("ReduceSum", ["y_out"], ["total"], keepdims=0),
        helper.make_node("Less", ["total", "limit"], ["go"]),
        helper.make_node("Add", ["k", "i"], ["k_out"]),
    ], [vi("i", I64, []), vi("cond_in", B, []), vi("y", F, [2, 3]), vi("k", I64, [])],
        [vi("go", B, []), untyped("y_out"), untyped("k_out")])
    inputs = ["M" if with_trip_count else "", "c" if with_condition else "", "y0", "k0"]
    nodes = [helper.make_node("Loop", inputs, ["y", "k"], name="loop", body=body)]
    inits = [init("limit", np.float32(40)), init("k0", np.int64(0))]
    if with_trip_count:
        inits.append(init("M", np.int64(2)))
    m = model(nodes, [vi("c", B, [])] * with_condition + [vi("y0", F, [2, 3])],
              [untyped("y"), untyped("k")], inits)
    feeds = {"y0": np.abs(f32(2, 3)) + np.float32(0.1)}
    if with_condition:
        feeds["c"] = np.array(True)
    return m, feeds


def loop_with_if():
    """An If inside a Loop body on the iteration's parity; its branches read
    x two graphs out and the body's own values."""
    then = graph("then", [helper.make_node("Add", ["y", "x"], ["t"])], [], [untyped("t")])
    other = graph("else", [helper.make_node("Mul", ["y", "x"], ["e"])], [], [untyped("e")])
    body = graph("body", [
        helper.make_node("Mod", ["i", "two"], ["parity"]),
        helper.make_node("Equal", ["parity", "zero"], ["even"]),
        helper.make_node("If", ["even"], ["y_out"], name="if",
                         then_branch=then, else_branch=other),
    ], [vi("i", I64, []), vi("cond_in", B, []), vi("y", F, [2, 3])],
        [vi("cond_in", B, []), untyped("y_out")],
        [init("two", np.int64(2)), init("zero", np.int64(0))])
    nodes = [helper.make_node("Loop", ["M", "c", "y0"], ["y"], name="loop", body=body)]
    m = model(nodes, [vi("x", F, [2, 3]), vi("y0", F, [2, 3])], [untyped("y")],
              [init("M", np.int64(4)), init("c", np.bool_(True))])
    return m, {"x": f32(2, 3), "y0": f32(2, 3)}


def loop_embedding_rnn():
    """A recurrence as TorchScript exports `for t in range(ids.size(0))`:
    M from the input's shape (folded), the condition an outer constant the
    body passes on through Identity, a Gather at the iteration number (a
    run-time index, so a checked one) and a table lookup of the token id
    (checked against the table: a bad id fails the step's status)."""
    body = graph("body", [
        helper.make_node("Gather", ["ids", "t"], ["id"]),
        helper.make_node("Gather", ["table", "id"], ["e"]),
        helper.make_node("MatMul", ["e", "W"], ["eW"]),
        helper.make_node("Add", ["eW", "h"], ["pre"]),
        helper.make_node("Tanh", ["pre"], ["h_out"]),
        helper.make_node("Identity", ["go"], ["go_out"]),
        helper.make_node("Identity", ["h_out"], ["h_scan"]),
    ], [vi("t", I64, []), vi("cond", B, []), vi("h", F, [4])],
        [vi("go_out", B, []), untyped("h_out"), untyped("h_scan")])
    nodes = [helper.make_node("Shape", ["ids"], ["shape"]),
             helper.make_node("Gather", ["shape", "zero"], ["M"]),
             const("go", np.bool_(True)),
             helper.make_node("Loop", ["M", "go", "h0"], ["h", "hs"], name="loop",
                              body=body)]
    m = model(nodes, [vi("ids", I64, [5]), vi("h0", F, [4])], [untyped("h"), untyped("hs")],
              [init("zero", np.int64(0)), init("table", f32(10, 4)), init("W", f32(4, 4))])
    return m, {"ids": np.int64([3, 0, 9, 3, 7]), "h0": f32(4)}


# --- Scan -------------------------------------------------------------------

def scan_sum():
    """A running sum over axis 0 (opset 11): one state, one scan input, the
    partial sums scanned out."""
    body = graph("body", [helper.make_node("Add", ["s", "xi"], ["s_out"]),
                          helper.make_node("Identity", ["s_out"], ["scan"])],
                 [vi("s", F, [2]), vi("xi", F, [2])], [untyped("s_out"), untyped("scan")])
    nodes = [helper.make_node("Scan", ["s0", "xs"], ["s", "partial"], name="scan",
                              num_scan_inputs=1, body=body)]
    m = model(nodes, [vi("s0", F, [2]), vi("xs", F, [4, 2])],
              [untyped("s"), untyped("partial")], opset=11)
    return m, {"s0": f32(2), "xs": f32(4, 2)}


def scan_axes_directions():
    """Two scan inputs along axis 1 (one reversed, one at axis -1 of a 3-D
    tensor), two states, outputs along axis 1 (reversed) and axis 0, reading
    w from the main graph."""
    body = graph("body", [
        helper.make_node("Mul", ["a", "w"], ["aw"]),
        helper.make_node("Add", ["h", "aw"], ["h1"]),
        helper.make_node("MatMul", ["b", "h1"], ["bh"]),
        helper.make_node("Tanh", ["bh"], ["h_out"]),
        helper.make_node("Add", ["n", "one"], ["n_out"]),
        helper.make_node("Identity", ["h_out"], ["h_scan"]),
        helper.make_node("ReduceSum", ["b"], ["b_sum"], keepdims=0),
    ], [vi("h", F, [3]), vi("n", I64, []), vi("a", F, [3]), vi("b", F, [3, 3])],
        [untyped("h_out"), untyped("n_out"), untyped("h_scan"), untyped("b_sum")],
        [init("one", np.int64(1))])
    nodes = [helper.make_node("Scan", ["h0", "n0", "as", "bs"], ["h", "n", "hs", "sums"],
                              name="scan", num_scan_inputs=2, scan_input_axes=[1, -1],
                              scan_input_directions=[1, 0], scan_output_axes=[1, 0],
                              scan_output_directions=[1, 0], body=body)]
    m = model(nodes, [vi("h0", F, [3]), vi("as", F, [3, 5]), vi("bs", F, [3, 3, 5]),
                      vi("w", F, [3])],
              [untyped("h"), untyped("n"), untyped("hs"), untyped("sums")],
              [init("n0", np.int64(0))], opset=16)
    return m, {"h0": f32(3), "as": f32(3, 5), "bs": f32(3, 3, 5), "w": f32(3)}


VALID = {
    "if_true": lambda: if_runtime(True),
    "if_false": lambda: if_runtime(False),
    "if_constant_shapes": if_constant_shapes,
    "loop_for_scans": loop_for_scans,
    "loop_no_condition": loop_no_condition,
    "loop_zero_trips": loop_zero_trips,
    "loop_runtime_trip_count": loop_runtime_trip_count,
    "loop_while_trip_count": lambda: loop_while(True),
    "loop_while": lambda: loop_while(False),
    "loop_while_no_condition": lambda: loop_while(False, False),
    "loop_with_if": loop_with_if,
    "loop_embedding_rnn": loop_embedding_rnn,
    "scan_sum": scan_sum,
    "scan_axes_directions": scan_axes_directions,
}


# --- Errors -----------------------------------------------------------------

def if_types_differ():
    then = graph("then", [helper.make_node("Relu", ["x"], ["t"])], [], [untyped("t")])
    other = graph("else", [helper.make_node("Transpose", ["x"], ["e"])], [], [untyped("e")])
    nodes = [helper.make_node("If", ["c"], ["y"], name="if", then_branch=then,
                              else_branch=other)]
    return model(nodes, [vi("c", B, []), vi("x", F, [2, 3])], [untyped("y")])


def loop_scans_early_exit():
    body = accumulate_body([helper.make_node("Not", ["cond_in"], ["stop"])], "stop")
    nodes = [helper.make_node("Loop", ["M", "c", "y0"], ["y", "ys", "is"], name="loop",
                              body=body)]
    return model(nodes, [vi("c", B, []), vi("x", F, [2, 3]), vi("y0", F, [2, 3])],
                 [untyped("y"), untyped("ys"), untyped("is")], [init("M", np.int64(3))])


def loop_carried_grows():
    body = graph("body", [helper.make_node("Concat", ["y", "y"], ["y_out"], axis=0)],
                 [vi("i", I64, []), vi("cond_in", B, []), vi("y", F, [2, 3])],
                 [vi("cond_in", B, []), untyped("y_out")])
    nodes = [helper.make_node("Loop", ["M", "", "y0"], ["y"], name="loop", body=body)]
    return model(nodes, [vi("y0", F, [2, 3])], [untyped("y")], [init("M", np.int64(2))])


def loop_never_ends():
    nodes = [helper.make_node("Loop", ["", "", "y0"], ["y"], name="loop",
                              body=accumulate_body(scans=False))]
    return model(nodes, [vi("x", F, [2, 3]), vi("y0", F, [2, 3])], [untyped("y")])


def loop_body_arity():
    body = graph("body", [helper.make_node("Identity", ["y"], ["y_out"])],
                 [vi("cond_in", B, []), vi("y", F, [2, 3])],
                 [vi("cond_in", B, []), untyped("y_out")])
    nodes = [helper.make_node("Loop", ["M", "", "y0"], ["y"], name="loop", body=body)]
    return model(nodes, [vi("y0", F, [2, 3])], [untyped("y")], [init("M", np.int64(2))])


def scan_unknown_outer():
    body = graph("body", [helper.make_node("Add", ["s", "ghost"], ["s_out"])],
                 [vi("s", F, [2]), vi("xi", F, [2])], [untyped("s_out")])
    nodes = [helper.make_node("Scan", ["s0", "xs"], ["s"], name="scan",
                              num_scan_inputs=1, body=body)]
    return model(nodes, [vi("s0", F, [2]), vi("xs", F, [4, 2])], [untyped("s")], opset=11)


def scan_lengths_differ():
    body = graph("body", [helper.make_node("Add", ["a", "b"], ["c"])],
                 [vi("a", F, [2]), vi("b", F, [2])], [untyped("c")])
    nodes = [helper.make_node("Scan", ["as", "bs"], ["cs"], name="scan",
                              num_scan_inputs=2, body=body)]
    return model(nodes, [vi("as", F, [4, 2]), vi("bs", F, [3, 2])], [untyped("cs")],
                 opset=11)


def if_missing_branch():
    then = graph("then", [helper.make_node("Relu", ["x"], ["t"])], [], [untyped("t")])
    nodes = [helper.make_node("If", ["c"], ["y"], name="if", then_branch=then)]
    return model(nodes, [vi("c", B, []), vi("x", F, [2, 3])], [untyped("y")])


def if_output_declared():
    then = graph("then", [helper.make_node("Relu", ["x"], ["t"])], [], [vi("t", F, [3, 2])])
    other = graph("else", [helper.make_node("Neg", ["x"], ["e"])], [], [untyped("e")])
    nodes = [helper.make_node("If", ["c"], ["y"], name="if", then_branch=then,
                              else_branch=other)]
    return model(nodes, [vi("c", B, []), vi("x", F, [2, 3])], [untyped("y")])


def loop_body_outputs():
    body = graph("body", [helper.make_node("Identity", ["y"], ["y_out"])],
                 [vi("i", I64, []), vi("cond_in", B, []), vi("y", F, [2, 3])],
                 [untyped("y_out")])
    nodes = [helper.make_node("Loop", ["M", "", "y0"], ["y"], name="loop", body=body)]
    return model(nodes, [vi("y0", F, [2, 3])], [untyped("y")], [init("M", np.int64(2))])


def loop_body_input_type():
    body = graph("body", [helper.make_node("Identity", ["y"], ["y_out"])],
                 [vi("i", I64, []), vi("cond_in", B, []), vi("y", F, [3, 2])],
                 [vi("cond_in", B, []), untyped("y_out")])
    nodes = [helper.make_node("Loop", ["M", "", "y0"], ["y"], name="loop", body=body)]
    return model(nodes, [vi("y0", F, [2, 3])], [untyped("y")], [init("M", np.int64(2))])


def loop_condition_type():
    body = graph("body", [helper.make_node("Identity", ["y"], ["y_out"]),
                          const("go", np.float32(1))],
                 [vi("i", I64, []), vi("cond_in", B, []), vi("y", F, [2, 3])],
                 [untyped("go"), untyped("y_out")])
    nodes = [helper.make_node("Loop", ["M", "", "y0"], ["y"], name="loop", body=body)]
    return model(nodes, [vi("y0", F, [2, 3])], [untyped("y")], [init("M", np.int64(2))])


def loop_scans_runtime_trip_count():
    nodes = [helper.make_node("Loop", ["M", "", "y0"], ["y", "ys", "is"], name="loop",
                              body=accumulate_body())]
    return model(nodes, [vi("M", I64, []), vi("x", F, [2, 3]), vi("y0", F, [2, 3])],
                 [untyped("y"), untyped("ys"), untyped("is")])


def loop_scans_negative_trip_count():
    nodes = [helper.make_node("Loop", ["M", "", "y0"], ["y", "ys", "is"], name="loop",
                              body=accumulate_body())]
    return model(nodes, [vi("x", F, [2, 3]), vi("y0", F, [2, 3])],
                 [untyped("y"), untyped("ys"), untyped("is")], [init("M", np.int64(-1))])


def scan_bad_direction():
    body = graph("body", [helper.make_node("Add", ["s", "xi"], ["s_out"])],
                 [vi("s", F, [2]), vi("xi", F, [2])], [untyped("s_out")])
    nodes = [helper.make_node("Scan", ["s0", "xs"], ["s"], name="scan", num_scan_inputs=1,
                              scan_input_directions=[2], body=body)]
    return model(nodes, [vi("s0", F, [2]), vi("xs", F, [4, 2])], [untyped("s")], opset=11)


ERRORS = {
    "if_missing_branch": if_missing_branch,
    "if_output_declared": if_output_declared,
    "loop_body_outputs": loop_body_outputs,
    "loop_body_input_type": loop_body_input_type,
    "loop_condition_type": loop_condition_type,
    "loop_scans_runtime_trip_count": loop_scans_runtime_trip_count,
    "loop_scans_negative_trip_count": loop_scans_negative_trip_count,
    "scan_bad_direction": scan_bad_direction,
    "if_types_differ": if_types_differ,
    "loop_scans_early_exit": loop_scans_early_exit,
    "loop_carried_grows": loop_carried_grows,
    "loop_never_ends": loop_never_ends,
    "loop_body_arity": loop_body_arity,
    "scan_unknown_outer": scan_unknown_outer,
    "scan_lengths_differ": scan_lengths_differ,
}


def check(translate, run, directory, names=None, models=None,
          label="control flow"):
    """Runs `models` (name -> builder of (model, feeds); default VALID), or
    those of `names` (comma-separated), with muon-run against ONNX Runtime.
    A sequence (a list in the feeds or in ORT's outputs) crosses as one
    argument or result per element, its element types given to the importer
    with --onnx-sequence."""
    import onnxruntime as ort
    models = models or VALID
    selected = names.split(",") if names else list(models)
    for name in selected:
        m, feeds = models[name]()
        case_dir = os.path.join(directory, name)
        os.makedirs(case_dir, exist_ok=True)
        path = os.path.join(case_dir, "model.onnx")
        onnx.save(m, path)
        expected = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
            None, feeds)
        expected = [e for out in expected
                    for e in (out if isinstance(out, list) else [out])]
        mlir = os.path.join(case_dir, "model.mlir")
        flags = ["--onnx-sequence=%s=%s" % (key, ",".join(map(mlir_type, value)))
                 for key, value in feeds.items() if isinstance(value, list)]
        subprocess.run([translate, "--import-onnx", path, "-o", mlir, *flags],
                       check=True)
        args = [*shlex.split(run), mlir]
        # muon-run binds inputs in the graph's order.
        for input_name in [i.name for i in m.graph.input if i.name in feeds]:
            value = feeds[input_name]
            for j, element in enumerate(value if isinstance(value, list) else [value]):
                npy = os.path.join(case_dir, f"{input_name}_{j}.npy")
                np.save(npy, element)
                args.append("--input=@" + npy)
        outs = [os.path.join(case_dir, f"out{i}.npy") for i in range(len(expected))]
        subprocess.run(args + ["--output=@" + p for p in outs], check=True,
                       stdout=subprocess.DEVNULL)
        worst = compare_outputs(name, outs, expected, RTOL)
        print(f"PASS {name} max rel err {worst:.2e}")
    print(f"{label}: {len(selected)} models passed (tolerance {RTOL:.0e})")
    return 0


def main(argv, valid=None, errors=None, label="control flow"):
    """The `check`, `models` and `errors` commands over `valid` and `errors`
    (default this file's VALID and ERRORS)."""
    valid, errors = valid or VALID, errors or ERRORS
    if argv[1] == "check":
        return check(*argv[2:6], models=valid, label=label)
    directory = argv[2]
    os.makedirs(directory, exist_ok=True)
    if argv[1] == "models":
        for name, build in valid.items():
            onnx.save(build()[0], os.path.join(directory, name + ".onnx"))
    for name, build in errors.items() if argv[1] == "errors" else ():
        onnx.save(build(), os.path.join(directory, name + ".onnx"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
