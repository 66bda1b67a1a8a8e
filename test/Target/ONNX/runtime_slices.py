"""Models slicing at run-time offsets (x[i:i+k], bounds a constant apart),
for runtime-slices.test.

  runtime_slices.py check TRANSLATE RUN DIR [NAMES]
                                    each valid model (or those named) imported
                                    and run with RUN against ONNX Runtime, as
                                    control_flow.py checks
  runtime_slices.py models DIR      the valid ones, written to DIR
  runtime_slices.py errors DIR      the invalid ones, written to DIR
"""

import sys

import numpy as np
from onnx import TensorProto, helper

from control_flow import const, f32, graph, init, main, model, untyped, vi

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def slice_loop(window_nodes, trips, x_shape, carried_shape, window="w"):
    """A Loop of `trips` iterations whose body computes `window` from x
    (outer) and the iteration number i by `window_nodes`, adds it to the
    carried y and scans it out."""
    body = graph("body", [
        helper.make_node("Identity", ["cond_in"], ["cond_out"]),
        *window_nodes,
        helper.make_node("Add", ["y", window], ["y_out"]),
        helper.make_node("Identity", [window], ["scan"]),
    ], [vi("i", I64, []), vi("cond_in", B, []), vi("y", F, carried_shape)],
        [vi("cond_out", B, []), untyped("y_out"), untyped("scan")])
    nodes = [helper.make_node("Loop", ["M", "go", "y0"], ["y", "ys"], name="loop",
                              body=body)]
    m = model(nodes, [vi("x", F, x_shape), vi("y0", F, carried_shape)],
              [untyped("y"), untyped("ys")],
              [init("M", np.int64(trips)), init("go", np.bool_(True))])
    return m, {"x": f32(*x_shape), "y0": f32(*carried_shape)}


def bounds(name, offset):
    """[name]: Unsqueeze(i + offset), as exporters write a bound."""
    return [const(name + "_k", np.int64(offset)),
            helper.make_node("Add", ["i", name + "_k"], [name + "_s"]),
            const(name + "_ax", np.int64([0])),
            helper.make_node("Unsqueeze", [name + "_s", name + "_ax"], [name])]


def loop_window():
    """test_loop11's x[i:i+1] widened: x[:, i:i+2] over 5 iterations of a
    3x6 x, axes given."""
    return slice_loop([*bounds("lo", 0), *bounds("hi", 2), const("axes", np.int64([1])),
                       helper.make_node("Slice", ["x", "lo", "hi", "axes"], ["w"])],
                      5, [3, 6], [3, 2])


def loop_strided_and_reversed():
    """x[i+4:i:-2, i:i+5:2] over 3 iterations of a 7x7 x: rows i+4 and
    i+2 (backwards), columns i, i+2 and i+4."""
    return slice_loop([*bounds("r0", 4), *bounds("r1", 0), *bounds("c0", 0),
                       *bounds("c1", 5),
                       helper.make_node("Concat", ["r0", "c0"], ["lo"], axis=0),
                       helper.make_node("Concat", ["r1", "c1"], ["hi"], axis=0),
                       const("steps", np.int64([-2, 2])),
                       const("axes", np.int64([0, 1])),
                       helper.make_node("Slice", ["x", "lo", "hi", "axes", "steps"], ["w"])],
                      3, [7, 7], [2, 3])


def loop_mixed_bounds():
    """x[i:i+1, 1:3] of a 4x5 x: starts and ends each Concat a run-time
    and a constant part."""
    return slice_loop([*bounds("r0", 0), *bounds("r1", 1),
                       const("c0", np.int64([1])), const("c1", np.int64([3])),
                       helper.make_node("Concat", ["r0", "c0"], ["lo"], axis=0),
                       helper.make_node("Concat", ["r1", "c1"], ["hi"], axis=0),
                       helper.make_node("Slice", ["x", "lo", "hi"], ["w"])],
                      4, [4, 5], [1, 2])


def input_offset():
    """Outside any loop: the offset a graph input s, x[:, s:s+3]."""
    nodes = [const("three", np.int64([3])),
             helper.make_node("Add", ["s", "three"], ["e"]),
             const("axes", np.int64([1])),
             helper.make_node("Slice", ["x", "s", "e", "axes"], ["y"])]
    m = model(nodes, [vi("x", F, [2, 8]), vi("s", I64, [1])], [untyped("y")])
    return m, {"x": f32(2, 8), "s": np.int64([4])}


def slice_grad_input_offset():
    """ORT's SliceGrad of x[:, s:s+3]: dY written into zeros of 2x8 at the
    run-time offset s."""
    nodes = [const("three", np.int64([3])),
             helper.make_node("Add", ["s", "three"], ["e"]),
             helper.make_node("SliceGrad", ["dy", "shape", "s", "e", "axes"], ["dx"],
                              domain="com.microsoft")]
    g = graph("g", nodes, [vi("dy", F, [2, 3]), vi("s", I64, [1])], [untyped("dx")],
              [init("shape", np.int64([2, 8])), init("axes", np.int64([1]))])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("com.microsoft", 1)],
                          ir_version=8)
    return m, {"dy": f32(2, 3), "s": np.int64([5])}


VALID = {
    "loop_window": loop_window,
    "loop_strided_and_reversed": loop_strided_and_reversed,
    "loop_mixed_bounds": loop_mixed_bounds,
    "input_offset": input_offset,
    "slice_grad_input_offset": slice_grad_input_offset,
}


# --- Errors -----------------------------------------------------------------

def slice_of_input(start_nodes, end, x_shape=(2, 8)):
    """Slice(x, s', end) on axis 1, s' computed from the input s."""
    nodes = [*start_nodes, const("axes", np.int64([1])),
             helper.make_node("Slice", ["x", "lo", end, "axes"], ["y"], name="slice")]
    return model(nodes, [vi("x", F, list(x_shape)), vi("s", I64, [1])], [untyped("y")])


def open_end():
    """x[:, s:]: the end a constant, the start run-time (size unknown)."""
    return slice_of_input([helper.make_node("Identity", ["s"], ["lo"]),
                           const("end", np.int64([2**62]))], "end")


def scaled_end():
    """x[:, s:2*s]: the bounds differ by s, not by a constant."""
    return slice_of_input([helper.make_node("Identity", ["s"], ["lo"]),
                           helper.make_node("Add", ["s", "s"], ["end"])], "end")


def empty_window():
    """x[:, s:s]: selects nothing."""
    return slice_of_input([helper.make_node("Identity", ["s"], ["lo"])], "lo")


def window_too_wide():
    """x[:, s:s+9] of 8 columns."""
    return slice_of_input([helper.make_node("Identity", ["s"], ["lo"]),
                           const("nine", np.int64([9])),
                           helper.make_node("Add", ["s", "nine"], ["end"])], "end")


def distance_overflows():
    """x[:, s - (2^63 - 1) : s + 2^62]: the bounds' difference overflows."""
    return slice_of_input([const("low", np.int64([-(2**63 - 1)])),
                           const("high", np.int64([2**62])),
                           helper.make_node("Add", ["s", "low"], ["lo"]),
                           helper.make_node("Add", ["s", "high"], ["end"])], "end")


ERRORS = {
    "open_end": open_end,
    "scaled_end": scaled_end,
    "empty_window": empty_window,
    "window_too_wide": window_too_wide,
    "distance_overflows": distance_overflows,
}


if __name__ == "__main__":
    sys.exit(main(sys.argv, VALID, ERRORS, "run-time slices"))
