"""Models with ONNX sequences (static lists at import) and Loops carrying
them (unrolled at import), for sequences.test.

  sequences.py check TRANSLATE RUN DIR [NAMES]
                                    each valid model (or those named) imported
                                    and run with RUN against ONNX Runtime, as
                                    control_flow.py checks
  sequences.py models DIR           the valid ones, written to DIR
  sequences.py errors DIR           the invalid ones, written to DIR
"""

import sys

import numpy as np
from onnx import TensorProto, helper

from control_flow import const, f32, graph, init, main, model, untyped, vi

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def seq_vi(name, elem=F):
    return helper.make_tensor_sequence_value_info(name, elem, None)


# --- Valid models -----------------------------------------------------------

def loop_stack_outputs():
    """TorchScript's `outs = []; for t in range(x.size(0)): h = tanh(x[t] *
    w + h); outs.append(h)` then `torch.stack(outs)`: a Loop carrying a
    tensor and a sequence, its trip count folded from x's shape."""
    body = graph("body", [
        helper.make_node("Identity", ["cond_in"], ["cond_out"]),
        helper.make_node("Gather", ["x", "t"], ["xt"], axis=0),
        helper.make_node("Mul", ["xt", "w"], ["xw"]),
        helper.make_node("Add", ["xw", "h_in"], ["pre"]),
        helper.make_node("Tanh", ["pre"], ["h_out"]),
        helper.make_node("SequenceInsert", ["outs_in", "h_out"], ["outs_out"]),
    ], [vi("t", I64, []), vi("cond_in", B, []), vi("h_in", F, [3]), seq_vi("outs_in")],
        [vi("cond_out", B, []), vi("h_out", F, [3]), seq_vi("outs_out")])
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"]),
        const("zero", np.int64(0)),
        helper.make_node("Gather", ["shape", "zero"], ["steps"], axis=0),
        const("true", np.bool_(True)),
        helper.make_node("SequenceEmpty", [], ["outs0"], dtype=F),
        helper.make_node("Loop", ["steps", "true", "h0", "outs0"], ["h", "outs"],
                         name="loop", body=body),
        helper.make_node("ConcatFromSequence", ["outs"], ["stacked"], axis=0, new_axis=1),
        helper.make_node("SequenceLength", ["outs"], ["count"]),
    ]
    m = model(nodes, [vi("x", F, [4, 3]), vi("h0", F, [3])],
              [vi("h", F, [3]), vi("stacked", F, [4, 3]), vi("count", I64, [])],
              [init("w", f32(3))])
    return m, {"x": f32(4, 3), "h0": f32(3)}


def loop_scan_with_sequence():
    """A Loop carrying a sequence that also has a scan output (stacked) and
    ends early on its body's condition (constant per unrolled iteration):
    its slice `x[: i + 1]` grows each iteration."""
    body = graph("body", [
        const("one", np.int64(1)),
        const("two", np.int64(2)),
        const("axes", np.int64([0])),
        const("start", np.int64([0])),
        helper.make_node("Add", ["i", "one"], ["end"]),
        helper.make_node("Unsqueeze", ["end", "axes"], ["ends"]),
        helper.make_node("Slice", ["x", "start", "ends"], ["prefix"]),
        helper.make_node("SequenceInsert", ["seq_in", "prefix"], ["seq_out"]),
        helper.make_node("ReduceSum", ["prefix"], ["total"], keepdims=0),
        helper.make_node("Less", ["i", "two"], ["cond_out"]),
    ], [vi("i", I64, []), vi("cond_in", B, []), seq_vi("seq_in")],
        [vi("cond_out", B, []), seq_vi("seq_out"), vi("total", F, [])])
    nodes = [
        helper.make_node("SequenceEmpty", [], ["seq0"]),
        helper.make_node("Loop", ["M", "", "seq0"], ["seq", "totals"], name="loop",
                         body=body),
    ]
    m = model(nodes, [vi("x", F, [5])], [seq_vi("seq"), vi("totals", F, [3])],
              [init("M", np.int64(5))])
    return m, {"x": f32(5)}


def split_erase_insert_concat():
    """SplitToSequence by sizes, SequenceErase, SequenceInsert at a
    negative position, SequenceAt, ConcatFromSequence."""
    nodes = [
        helper.make_node("SplitToSequence", ["x", "sizes"], ["parts"], axis=0),
        helper.make_node("SequenceErase", ["parts", "one"], ["erased"]),
        helper.make_node("SequenceInsert", ["erased", "y", "minus_one"], ["inserted"]),
        helper.make_node("SequenceAt", ["inserted", "minus_one"], ["last"]),
        helper.make_node("ConcatFromSequence", ["inserted"], ["joined"], axis=0),
        helper.make_node("SequenceLength", ["inserted"], ["count"]),
    ]
    m = model(nodes, [vi("x", F, [6, 4]), vi("y", F, [2, 4])],
              [vi("last", F, [3, 4]), vi("joined", F, [6, 4]), vi("count", I64, [])],
              [init("sizes", np.int64([1, 2, 3])), init("one", np.int64(1)),
               init("minus_one", np.int64(-1))])
    return m, {"x": f32(6, 4), "y": f32(2, 4)}


def split_scalar_sequence_output():
    """SplitToSequence with a scalar size (the last part smaller) along axis
    1: the graph returns the sequence, one result per element."""
    nodes = [helper.make_node("SplitToSequence", ["x", "four"], ["parts"], axis=1)]
    m = model(nodes, [vi("x", F, [2, 10])], [seq_vi("parts")],
              [init("four", np.int64(4))])
    return m, {"x": f32(2, 10)}


def split_no_keepdims_stack():
    """SplitToSequence into parts of one without their axis, stacked back
    along another axis (a transpose)."""
    nodes = [
        helper.make_node("SplitToSequence", ["x"], ["rows"], axis=0, keepdims=0),
        helper.make_node("ConcatFromSequence", ["rows"], ["t"], axis=-1, new_axis=1),
    ]
    m = model(nodes, [vi("x", F, [3, 5])], [vi("t", F, [5, 3])])
    return m, {"x": f32(3, 5)}


def sequence_map_input_sequence():
    """SequenceMap over a sequence input (elements of different shapes) and
    a tensor bound to every iteration: each element scaled and summed."""
    body = graph("body", [
        helper.make_node("Mul", ["e", "s"], ["scaled"]),
        helper.make_node("ReduceSum", ["scaled"], ["sum"], keepdims=1),
    ], [vi("e", F, ["N"]), vi("s", F, [1])], [vi("scaled", F, ["N"]), vi("sum", F, [1])])
    nodes = [
        helper.make_node("SequenceMap", ["xs", "s"], ["scaled", "sums"], body=body),
        helper.make_node("ConcatFromSequence", ["sums"], ["all"], axis=0),
    ]
    m = model(nodes, [seq_vi("xs"), vi("s", F, [1])], [seq_vi("scaled"), vi("all", F, [3])])
    return m, {"xs": [f32(4), f32(2), f32(5)], "s": f32(1)}


def sequence_at_runtime():
    """SequenceConstruct, then SequenceAt at a position given at run time (a
    select over elements of one type)."""
    nodes = [
        helper.make_node("SequenceConstruct", ["a", "b", "c"], ["abc"]),
        helper.make_node("SequenceAt", ["abc", "p"], ["picked"]),
    ]
    m = model(nodes, [vi("a", F, [2, 3]), vi("b", F, [2, 3]), vi("c", F, [2, 3]),
                      vi("p", I64, [])], [vi("picked", F, [2, 3])])
    return m, {"a": f32(2, 3), "b": f32(2, 3), "c": f32(2, 3), "p": np.array(-2, dtype=np.int64)}


def optionals():
    """An optional graph input (present: its contents), Optional and
    OptionalGetElement passing values through, OptionalHasElement of a
    present and an omitted input (constants), and an If on a constant
    condition returning a sequence."""
    then = graph("then", [helper.make_node("SequenceConstruct", ["x", "x"], ["pair"])],
                 [], [seq_vi("pair")])
    other = graph("else", [helper.make_node("SequenceConstruct", ["x"], ["one"])],
                  [], [seq_vi("one")])
    nodes = [
        helper.make_node("OptionalHasElement", ["o"], ["has_o"]),
        helper.make_node("OptionalHasElement", [""], ["has_none"]),
        helper.make_node("OptionalGetElement", ["o"], ["o_value"]),
        helper.make_node("Optional", ["x"], ["x_opt"]),
        helper.make_node("OptionalGetElement", ["x_opt"], ["x_value"]),
        helper.make_node("Add", ["o_value", "x_value"], ["sum"]),
        helper.make_node("If", ["yes"], ["chosen"], then_branch=then, else_branch=other),
        helper.make_node("ConcatFromSequence", ["chosen"], ["joined"], axis=0),
    ]
    optional_input = helper.make_value_info(
        "o", helper.make_optional_type_proto(helper.make_tensor_type_proto(F, [3])))
    m = model(nodes, [optional_input, vi("x", F, [3])],
              [vi("has_o", B, []), vi("has_none", B, []), vi("sum", F, [3]),
               vi("joined", F, [6])], [init("yes", np.bool_(True))], opset=18)
    return m, {"o": f32(3), "x": f32(3)}


VALID = {
    "loop_stack_outputs": loop_stack_outputs,
    "loop_scan_with_sequence": loop_scan_with_sequence,
    "split_erase_insert_concat": split_erase_insert_concat,
    "split_scalar_sequence_output": split_scalar_sequence_output,
    "split_no_keepdims_stack": split_no_keepdims_stack,
    "sequence_map_input_sequence": sequence_map_input_sequence,
    "sequence_at_runtime": sequence_at_runtime,
    "optionals": optionals,
}


# --- Invalid models ---------------------------------------------------------

def at_out_of_range():
    nodes = [helper.make_node("SequenceConstruct", ["a", "a"], ["s"]),
             helper.make_node("SequenceAt", ["s", "p"], ["y"], name="at")]
    return model(nodes, [vi("a", F, [2])], [untyped("y")], [init("p", np.int64(2))])


def insert_wrong_type():
    nodes = [helper.make_node("SequenceConstruct", ["a"], ["s"]),
             helper.make_node("SequenceInsert", ["s", "n"], ["t"], name="insert"),
             helper.make_node("SequenceLength", ["t"], ["y"])]
    return model(nodes, [vi("a", F, [2]), vi("n", I64, [2])], [untyped("y")])


def concat_empty():
    nodes = [helper.make_node("SequenceEmpty", [], ["s"]),
             helper.make_node("ConcatFromSequence", ["s"], ["y"], name="concat", axis=0)]
    return model(nodes, [], [untyped("y")])


def appending_loop(condition_nodes=(helper.make_node("Identity", ["c"], ["c_out"]),)):
    """SequenceEmpty, a Loop over M appending x to the sequence (its body's
    condition from `condition_nodes`), and the sequence's length."""
    body = graph("body", [
        *condition_nodes,
        helper.make_node("SequenceInsert", ["s_in", "x"], ["s_out"]),
    ], [vi("i", I64, []), vi("c", B, []), seq_vi("s_in")],
        [vi("c_out", B, []), seq_vi("s_out")])
    return [helper.make_node("SequenceEmpty", [], ["s0"]),
            helper.make_node("Loop", ["M", "", "s0"], ["s"], name="loop", body=body),
            helper.make_node("SequenceLength", ["s"], ["y"])]


def loop_runtime_trips():
    return model(appending_loop(), [vi("M", I64, []), vi("x", F, [2])], [untyped("y")])


def loop_too_many_trips():
    return model(appending_loop(), [vi("x", F, [2])], [untyped("y")],
                 [init("M", np.int64(2000))])


def loop_runtime_body_condition():
    nodes = appending_loop([helper.make_node("ReduceSum", ["x"], ["total"], keepdims=0),
                            helper.make_node("Greater", ["total", "zero"], ["c_out"])])
    return model(nodes, [vi("x", F, [2])], [untyped("y")],
                 [init("M", np.int64(3)), init("zero", np.float32(0))])


def at_runtime_mixed_types():
    nodes = [helper.make_node("SequenceConstruct", ["a", "b"], ["s"]),
             helper.make_node("SequenceAt", ["s", "p"], ["y"], name="at")]
    return model(nodes, [vi("a", F, [2]), vi("b", F, [3]), vi("p", I64, [])],
                 [untyped("y")])


def tensor_as_sequence():
    nodes = [helper.make_node("SequenceLength", ["a"], ["y"], name="length")]
    return model(nodes, [vi("a", F, [2])], [untyped("y")])


def map_lengths_differ():
    body = graph("body", [helper.make_node("Add", ["e", "f"], ["g"])],
                 [vi("e", F, [2]), vi("f", F, [2])], [vi("g", F, [2])])
    nodes = [helper.make_node("SequenceConstruct", ["a", "a"], ["s"]),
             helper.make_node("SequenceConstruct", ["a"], ["t"]),
             helper.make_node("SequenceMap", ["s", "t"], ["y"], name="map", body=body)]
    return model(nodes, [vi("a", F, [2])], [untyped("y")])


def optional_empty():
    nodes = [helper.make_node("Optional", [], ["none"], name="empty",
                              type=helper.make_tensor_type_proto(F, [2])),
             helper.make_node("OptionalGetElement", ["none"], ["y"])]
    return model(nodes, [], [untyped("y")], opset=18)


ERRORS = {
    "at_out_of_range": at_out_of_range,
    "insert_wrong_type": insert_wrong_type,
    "concat_empty": concat_empty,
    "loop_runtime_trips": loop_runtime_trips,
    "loop_too_many_trips": loop_too_many_trips,
    "loop_runtime_body_condition": loop_runtime_body_condition,
    "at_runtime_mixed_types": at_runtime_mixed_types,
    "tensor_as_sequence": tensor_as_sequence,
    "map_lengths_differ": map_lengths_differ,
    "optional_empty": optional_empty,
}


if __name__ == "__main__":
    sys.exit(main(sys.argv, VALID, ERRORS, "sequences"))
