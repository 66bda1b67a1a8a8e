"""The single-node cases of check_ops.py, by op family."""

import ml_dtypes
import numpy as np
from onnx import TensorProto, helper

from check_ops import RNG, Case, f32, i64, reference

MS = "com.microsoft"


def elementwise():
    cases = [
        Case("add_broadcast", "Add", [f32(2, 3, 4), f32(4)]),
        Case("sub_broadcast_both", "Sub", [f32(2, 1, 4), f32(3, 1)]),
        Case("mul_scalar", "Mul", [f32(2, 3), f32()]),
        Case("div_rows", "Div", [f32(3, 4), f32(3, 1, positive=True)]),
        Case("pow", "Pow", [f32(2, 4, positive=True), f32(4)]),
        Case("add_int64", "Add", [i64([[1, 2], [3, 4]]), i64([10, -20])]),
        Case("sum3", "Sum", [f32(2, 3), f32(3), f32(1, 3)]),
        Case("mean2", "Mean", [f32(2, 3), f32(2, 1)]),
        Case("max3", "Max", [f32(4), f32(2, 4), f32(1)]),
        Case("min1", "Min", [f32(3, 2)]),
    ]
    cases += [
        Case("mod_python", "Mod", [i64([[7, -7, 7, -7, 0]]), i64([3, 3, -3, -3, 5])]),
        Case("mod_fmod_int", "Mod", [i64([7, -7, 7, -7]), i64([3, 3, -3, -3])], {"fmod": 1}),
        Case("mod_fmod_float", "Mod", [f32(3, 4, scale=5.0), f32(4, positive=True)],
             {"fmod": 1}),
        # Mod-28's fmod = 0 on floats (newer than ORT 1.19): the divisor's
        # sign, infinities and zeros as ONNX specifies.
        onnx_reference(Case("mod_python_float", "Mod",
                            [np.array([[7.5, -7.5, 7.5, -7.5, 0.0, -0.0],
                                       [np.inf, 3.0, -3.0, 2.0, np.nan, 1.0]], np.float32),
                             np.array([[2.0, 2.0, -2.0, -2.0, 3.0, -3.0],
                                       [2.0, np.inf, -np.inf, 0.0, 1.0, np.nan]],
                                      np.float32)], opset=28)),
        # Integer Neg and Abs (ORT's gradient of Pad negates int64 pads).
        Case("neg_int64", "Neg", [i64([[3, -2, 0], [-(2**62), 7, -1]])]),
        Case("abs_int32", "Abs", [np.array([-5, 0, 9, -(2**31 - 1)], np.int32)]),
    ]
    # ORT's fusions in DeBERTa's training graph, CUDA-only kernels in ORT
    # (numpy references): ScaledSum (scale_2 absent: 1) and BatchScale.
    a, b, c = f32(2, 3, 5), f32(2, 3, 5), f32(2, 3, 5)
    cases += [
        Case("scaled_sum3", "ScaledSum", [a, b, c], {"scale_0": 0.25, "scale_1": -2.0},
             domain=MS, expect=lambda a, b, c: [np.float32(0.25) * a - 2 * b + c]),
        Case("scaled_sum2", "ScaledSum", [a, b], {"scale_0": 0.5, "scale_1": 3.0},
             domain=MS, expect=lambda a, b: [np.float32(0.5) * a + 3 * b]),
        Case("batch_scale3", "BatchScale", [a],
             {"scale_0": 0.5, "scale_1": -1.5, "scale_2": 0.1}, outputs=3, domain=MS,
             expect=lambda a: [np.float32(s) * a for s in (0.5, -1.5, 0.1)]),
        Case("batch_scale2", "BatchScale", [f32(4, 6)], {"scale_0": 2.0, "scale_1": 0.125},
             outputs=2, domain=MS, expect=lambda a: [2 * a, np.float32(0.125) * a]),
    ]
    for op in ["Neg", "Abs", "Exp", "Tanh", "Erf", "Reciprocal", "Relu",
               "Sigmoid", "Identity", "Sin", "Cos", "Floor", "Ceil", "Sign"]:
        cases.append(Case(op.lower(), op, [f32(3, 5)]))
    for op in ["Log", "Sqrt"]:
        cases.append(Case(op.lower(), op, [f32(3, 5, positive=True)]))
    # Forward only (ORT has no gradient for them): Tan, Atan, Asin and Acos
    # (in [-1, 1], its ends included), the hyperbolic functions and their
    # inverses (Acosh from 1, Atanh in (-1, 1)), Round (halves to even), PRelu
    # (nn.PReLU's per-channel [C, 1, 1] and single slopes, a full one).
    unit = np.concatenate([np.tanh(f32(14)), [-1.0, 1.0]]).astype(np.float32).reshape(4, 4)
    halves = np.array([-2.5, -1.5, -0.5, -0.0, 0.5, 1.5, 2.5, 3.5, 0.49999997, -0.49999997,
                       2.4, -2.6, 8388609.0, -8388607.5, 1e20, 7.25], np.float32)
    cases += [
        Case("tan", "Tan", [f32(3, 5)]),
        Case("atan", "Atan", [f32(3, 5, scale=4.0)]),
        Case("asin", "Asin", [unit]),
        Case("acos", "Acos", [unit]),
        Case("sinh", "Sinh", [f32(3, 5, scale=3.0)]),
        Case("cosh", "Cosh", [f32(3, 5, scale=3.0)]),
        Case("asinh", "Asinh", [f32(3, 5, scale=10.0)]),
        Case("acosh", "Acosh", [(1.0 + f32(3, 5, positive=True, scale=5.0)).astype(np.float32)]),
        Case("atanh", "Atanh", [np.tanh(f32(3, 5, scale=2.0)).astype(np.float32)]),
        Case("round_halves", "Round", [halves.reshape(2, 8)]),
        Case("round", "Round", [f32(3, 5, scale=4.0)]),
        Case("prelu_channel", "PRelu", [f32(2, 4, 3, 3), f32(4, 1, 1)]),
        Case("prelu_single", "PRelu", [f32(2, 4, 3), f32(1)]),
        Case("prelu_full", "PRelu", [f32(3, 5), f32(3, 5)], opset=9),
    ]
    return cases


def matmul():
    return [
        # Det (opset 11): LU with partial pivoting; a batch, a single matrix
        # (a 0-d result), a zero first pivot and a singular matrix.
        Case("det_batched", "Det", [f32(2, 3, 4, 4)], opset=11),
        Case("det_matrix", "Det", [f32(6, 6)], opset=11),
        Case("det_zero_pivot", "Det",
             [np.array([[0, 2, 1], [3, 1, 0], [1, 1, 5]], np.float32)], opset=11),
        Case("det_singular", "Det",
             [np.array([[[1, 2, 3], [2, 4, 6], [0, 1, 1]]], np.float32)], opset=11),
        Case("matmul_2d", "MatMul", [f32(3, 4), f32(4, 5)]),
        Case("matmul_batched", "MatMul", [f32(2, 3, 4, 5), f32(2, 3, 5, 6)]),
        Case("matmul_rhs_matrix", "MatMul", [f32(2, 3, 4), f32(4, 5)]),
        Case("matmul_broadcast_batch", "MatMul", [f32(2, 1, 4, 5), f32(3, 5, 6)]),
        Case("matmul_lhs_matrix", "MatMul", [f32(4, 5), f32(2, 5, 3)]),
        Case("matmul_vec_mat", "MatMul", [f32(4), f32(2, 4, 5)]),
        Case("matmul_mat_vec", "MatMul", [f32(2, 3, 4), f32(4)]),
        Case("matmul_vec_vec", "MatMul", [f32(4), f32(4)]),
        Case("gemm_plain", "Gemm", [f32(3, 4), f32(4, 5)]),
        Case("gemm_trans_bias_row", "Gemm", [f32(4, 3), f32(5, 4), f32(5)],
             {"transA": 1, "transB": 1, "alpha": 0.5, "beta": 2.0}),
        Case("gemm_bias_column", "Gemm", [f32(3, 4), f32(5, 4), f32(3, 1)],
             {"transB": 1}),
        Case("gemm_bias_scalar", "Gemm", [f32(3, 4), f32(4, 5), f32()],
             {"beta": -1.0}),
        Case("fused_matmul_transb_alpha", "FusedMatMul", [f32(2, 3, 4), f32(5, 4)],
             {"transB": 1, "alpha": 0.25}, domain=MS),
        Case("fused_matmul_transa", "FusedMatMul", [f32(2, 4, 3), f32(2, 4, 5)],
             {"transA": 1}, domain=MS),
        Case("fused_matmul_both", "FusedMatMul", [f32(6, 3), f32(5, 6)],
             {"transA": 1, "transB": 1, "alpha": -2.0}, domain=MS),
    ]


def shape():
    return [
        # Scatter (opsets 9 and 10): ScatterElements under its older name.
        Case("scatter_opset10", "Scatter", [f32(3, 4), i64([[1, 0, 3], [2, 2, 0]]), f32(2, 3)],
             {"axis": 1}, opset=10),
        # ReverseSequence: whole, partial and empty prefixes, both layouts.
        # (ORT 1.19 zeroes an entry of length 0, which ONNX's reference
        # copies, as ONNX specifies: the reference for that case.)
        onnx_reference(Case("reverse_sequence_time_major", "ReverseSequence",
                            [f32(4, 3, 2), i64([4, 1, 0])],
                            {"time_axis": 0, "batch_axis": 1})),
        Case("reverse_sequence_batch_major", "ReverseSequence", [f32(3, 5), i64([2, 5, 3])],
             {"time_axis": 1, "batch_axis": 0}),
        Case("reshape_zero_infer", "Reshape", [f32(2, 3, 4), i64([0, -1, 2])],
             consts={1}),
        Case("reshape_to_vector", "Reshape", [f32(2, 3, 4), i64([24])], consts={1}),
        Case("reshape_scalar", "Reshape", [f32(1, 1), i64([])], consts={1}),
        Case("transpose_default", "Transpose", [f32(2, 3, 4)]),
        Case("transpose_perm", "Transpose", [f32(2, 3, 4, 5)], {"perm": [0, 2, 3, 1]}),
        Case("split_sizes", "Split", [f32(2, 7), i64([2, 5])], {"axis": -1},
             outputs=2, consts={1}),
        Case("split_equal", "Split", [f32(6, 3)], outputs=3, opset=13),
        Case("split_num_outputs", "Split", [f32(2, 7)], {"axis": 1, "num_outputs": 3},
             outputs=3, opset=18),
        Case("split_attr_opset11", "Split", [f32(5, 2)], {"split": [1, 4]},
             outputs=2, opset=11),
        # Zero-size parts: nothing to slice or insert.
        Case("split_empty_part", "Split", [f32(4, 3), i64([4, 0])], outputs=2, consts={1}),
        Case("split_two_empty_parts", "Split", [f32(4, 3), i64([0, 4, 0])], outputs=3,
             consts={1}),
        # [2, 2, 0] as the spec's "last chunk smaller" reads (ONNX Runtime
        # asks for 6 rows instead).
        onnx_reference(Case("split_num_outputs_empty_tail", "Split", [f32(4, 3)],
                            {"num_outputs": 3}, outputs=3, opset=18)),
        Case("concat_empty_input", "Concat", [f32(2, 0), f32(2, 3), f32(2, 0)], {"axis": 1}),
        Case("concat_all_empty", "Concat", [f32(0, 2), f32(0, 3)], {"axis": 1}),
        Case("concat_last", "Concat", [f32(2, 3), f32(2, 1), f32(2, 4)], {"axis": -1}),
        Case("concat_first", "Concat", [f32(1, 3, 2), f32(2, 3, 2)], {"axis": 0}),
        # ORT's training forms: the extents as an output, and as an input.
        Case("concat_training", "ConcatTraining", [f32(2, 3), f32(2, 1), f32(2, 4)],
             {"axis": -1}, outputs=2, domain=MS),
        Case("split_training", "SplitTraining", [f32(2, 7), i64([2, 5])], {"axis": 1},
             outputs=2, consts={1}, domain=MS),
        Case("shape_all", "Shape", [f32(2, 3, 4)]),
        Case("shape_slice", "Shape", [f32(2, 3, 4, 5)], {"start": 1, "end": -1},
             opset=15),
        Case("gather_elements_axis1", "GatherElements",
             [f32(3, 4), i64([[0, -1, 3], [2, 2, 0], [-4, 1, 1]])], {"axis": 1}),
        # Indices smaller than the data outside the axis, along axis 0.
        Case("gather_elements_axis0", "GatherElements",
             [f32(4, 3, 2), i64(RNG.integers(-4, 4, size=(5, 2, 2)))]),
        # ScatterElements: torch.scatter (distinct indices: a top-k mask),
        # scatter_add and the reductions with repeated ones (in order: the
        # last update wins without a reduction, as in ORT), indices smaller
        # than the data outside the axis, int32 indices, integer data.
        Case("scatter_elements_distinct", "ScatterElements",
             [f32(3, 5), i64([[4, 0], [-1, 2], [1, 3]]), f32(3, 2)], {"axis": 1}),
        Case("scatter_elements_repeated_last_wins", "ScatterElements",
             [f32(4, 3), i64([[1, 0, 2], [1, -3, 2], [3, 0, 2]]), f32(3, 3)]),
        Case("scatter_elements_add", "ScatterElements",
             [f32(2, 8), i64(RNG.integers(-8, 8, size=(2, 20))), f32(2, 20)],
             {"axis": 1, "reduction": "add"}, opset=16),
        Case("scatter_elements_mul_smaller", "ScatterElements",
             [f32(5, 4, 3), np.asarray(RNG.integers(0, 5, size=(3, 2, 3)), np.int32),
              f32(3, 2, 3)], {"reduction": "mul"}, opset=16),
        Case("scatter_elements_max", "ScatterElements",
             [f32(3, 6), i64([[0, 0, 5], [2, 2, 2], [1, 4, 1]]), f32(3, 3)],
             {"axis": -1, "reduction": "max"}, opset=18),
        Case("scatter_elements_min_int", "ScatterElements",
             [i64([[5, 5, 5], [1, 2, 3]]), i64([[0, 0], [2, 1]]), i64([[7, -1], [0, 9]])],
             {"axis": 1, "reduction": "min"}, opset=18),
        # ScatterND (x[:, :, 3] = v as torch exports it: full index tuples;
        # rows of a matrix; reduction add with repeated tuples) and GatherND
        # (its gradient; tuples of 1 to all dims, negative components).
        Case("scatter_nd_assign", "ScatterND",
             [f32(2, 3, 4), i64([[[[b, t, 3]] for t in range(3)] for b in range(2)]),
              f32(2, 3, 1)]),
        Case("scatter_nd_rows", "ScatterND", [f32(5, 3), i64([[4], [-5], [2]]), f32(3, 3)]),
        # Boolean and integer data (a key padding mask edited by assignment).
        Case("scatter_nd_bool_mask", "ScatterND",
             [RNG.random((3, 5)) < 0.5, i64([[0, 0], [1, 0], [2, 0]]),
              np.array([False, True, False])]),
        Case("scatter_nd_int_rows", "ScatterND",
             [i64([[1, 2], [3, 4], [5, 6]]), i64([[2], [0]]), i64([[-7, 8], [9, -10]])]),
        Case("scatter_nd_add_repeated", "ScatterND",
             [f32(4, 2, 3), i64([[1, 0], [3, -1], [1, 0], [0, 1]]), f32(4, 3)],
             {"reduction": "add"}, opset=16),
        Case("gather_nd_tuples", "GatherND",
             [f32(2, 3, 4), i64([[[[b, t, 3]] for t in range(3)] for b in range(2)])]),
        Case("gather_nd_rows", "GatherND", [f32(5, 3, 2), i64([[[4], [-1]], [[0], [2]]])]),
        Case("gather_nd_pairs", "GatherND", [f32(4, 2, 3), i64([[1, 0], [3, -1], [1, 0]])]),
        Case("gather_embedding", "Gather", [f32(10, 4), i64([[1, 9, -1], [0, 0, 3]])]),
        # ScatterND at opsets 11-18: an in-place index assignment (mask[1, -3:] = 0) as torch
        # exports it; whole rows, elements with negative indices, a
        # computed index tensor (runtime-checked), and reduction add (16+,
        # repeated rows accumulate).
        Case("scatter_nd_const_rows", "ScatterND", [f32(4, 3), i64([[2], [0]]), f32(2, 3)],
             opset=11, consts={1}),
        Case("scatter_nd_elements", "ScatterND",
             [f32(2, 5, 3), i64([[1, -1], [0, 2], [1, 0]]), f32(3, 3)], opset=13,
             consts={1}),
        Case("scatter_nd_computed", "ScatterND",
             [f32(3, 3), i64([[0, 2], [-1, 1]]), f32(2)], opset=18),
        Case("scatter_nd_int_mask", "ScatterND",
             [i64(np.ones((4, 6), np.int64)), i64([[1, 3], [1, 4], [1, -1]]), i64([0, 0, 0])],
             opset=18, consts={1}),
        Case("scatter_nd_add", "ScatterND", [f32(4, 3), i64([[1], [3], [1]]), f32(3, 3)],
             {"reduction": "add"}, opset=16, consts={1}),
        Case("gather_axis1", "Gather", [f32(2, 5, 3), i64([4, -5, 2])], {"axis": 1}),
        Case("gather_scalar_index", "Gather", [f32(4, 3), i64(2)]),
        Case("squeeze_axes", "Squeeze", [f32(2, 1, 3, 1), i64([1, -1])], opset=13,
             consts={1}),
        Case("squeeze_all", "Squeeze", [f32(1, 3, 1)], opset=13),
        Case("unsqueeze", "Unsqueeze", [f32(2, 3), i64([0, 3])], opset=13, consts={1}),
        Case("flatten", "Flatten", [f32(2, 3, 4, 5)], {"axis": 2}),
        Case("slice_axes_steps", "Slice", [f32(4, 6, 5), i64([1, -4]), i64([100, -1]),
                                           i64([0, 2]), i64([2, 1])], consts={1, 2, 3, 4}),
        Case("slice_default_axes", "Slice", [f32(4, 6), i64([0, 3]), i64([2, 6])],
             consts={1, 2}),
        # x[..., ::2] and x[..., 1::2] (interleaved rotary pairs).
        Case("slice_strided_even", "Slice", [f32(2, 3, 8), i64([0]), i64([2**62]), i64([-1]),
                                             i64([2])], consts={1, 2, 3, 4}),
        Case("slice_strided_odd", "Slice", [f32(2, 3, 8), i64([1]), i64([2**62]), i64([-1]),
                                            i64([2])], consts={1, 2, 3, 4}),
        # x[:, 6:6] and a start past the end: zero-size results.
        Case("slice_empty", "Slice", [f32(4, 6), i64([6]), i64([6]), i64([1])],
             consts={1, 2, 3}),
        Case("slice_empty_clamped", "Slice", [f32(4, 6), i64([9]), i64([12]), i64([1])],
             consts={1, 2, 3}),
        # Negative steps: torch.flip (from the last element to INT64_MIN),
        # strided and on two axes, mixed with a positive one, and empty.
        Case("slice_flip", "Slice", [f32(3, 5, 2), i64([-1]), i64([-2**63]), i64([1]),
                                     i64([-1])], consts={1, 2, 3, 4}),
        Case("slice_negative_steps", "Slice", [f32(4, 9), i64([7, 3]), i64([0, -100]),
                                               i64([1, 0]), i64([-2, -1])],
             consts={1, 2, 3, 4}),
        Case("slice_mixed_steps", "Slice", [f32(5, 8), i64([0, 7]), i64([4, 1]), i64([0, 1]),
                                            i64([2, -3])], consts={1, 2, 3, 4}),
        Case("slice_negative_empty", "Slice", [f32(4, 6), i64([2]), i64([5]), i64([1]),
                                               i64([-1])], consts={1, 2, 3, 4}),
        # Steps of ±(2^63 - 1) and -2^63 select one element; a zero-size
        # dimension none.
        Case("slice_step_max", "Slice", [f32(4, 6), i64([1]), i64([2**62]), i64([1]),
                                         i64([2**63 - 1])], consts={1, 2, 3, 4}),
        Case("slice_step_min", "Slice", [f32(4, 6), i64([-2]), i64([-2**63]), i64([1]),
                                         i64([-2**63])], consts={1, 2, 3, 4}),
        Case("slice_zero_dim_backward", "Slice", [f32(0, 5), i64([-1]), i64([-2**63]),
                                                  i64([0]), i64([-1])], consts={1, 2, 3, 4}),
        Case("size", "Size", [f32(2, 3, 4)]),
        Case("size_scalar", "Size", [f32()]),
        # GQA's repeat_kv: a unit axis expanded; a 1 in shape keeps the input's.
        Case("expand_repeat", "Expand", [f32(2, 3, 1, 4), i64([2, 3, 5, 4])], consts={1}),
        Case("expand_bidirectional", "Expand", [f32(3, 1), i64([2, 1, 6])], consts={1}),
        Case("tile", "Tile", [f32(2, 3, 4), i64([2, 1, 3])], consts={1}),
        # GQA's repeat_interleave as torch exports it: unsqueeze, tile, reshape.
        Case("tile_int64", "Tile", [i64([[1, 2, 3], [4, 5, 6]]), i64([3, 2])], consts={1}),
        # nn.PixelShuffle (DCR) and CRD; SpaceToDepth.
        Case("depth_to_space_dcr", "DepthToSpace", [f32(2, 8, 3, 4)], {"blocksize": 2}),
        Case("depth_to_space_crd", "DepthToSpace", [f32(1, 18, 2, 3)],
             {"blocksize": 3, "mode": "CRD"}),
        # ORT has float kernels only: ONNX's reshape-transpose-reshape in numpy.
        Case("depth_to_space_int64", "DepthToSpace", [i64(np.arange(32).reshape(1, 8, 2, 2))],
             {"blocksize": 2, "mode": "DCR"},
             expect=lambda x: [x.reshape(1, 2, 2, 2, 2, 2).transpose(0, 3, 4, 1, 5, 2)
                               .reshape(1, 2, 4, 4)]),
        Case("space_to_depth", "SpaceToDepth", [f32(2, 3, 4, 6)], {"blocksize": 2}),
    ]


def reduction():
    cases = [
        Case("reduce_sum_keep", "ReduceSum", [f32(2, 3, 4), i64([1])], consts={1}),
        Case("reduce_sum_drop_two", "ReduceSum", [f32(2, 3, 4), i64([0, -1])],
             {"keepdims": 0}, consts={1}),
        Case("reduce_sum_all", "ReduceSum", [f32(2, 3, 4)], {"keepdims": 0}),
        # ONNX Runtime 1.19's CPU ReduceSum fails on this (valid) case.
        Case("reduce_sum_noop", "ReduceSum", [f32(2, 3)], {"noop_with_empty_axes": 1},
             expect=lambda x: [x]),
        Case("reduce_mean_attr", "ReduceMean", [f32(2, 3, 4)], {"axes": [2]}),
        Case("reduce_max_input", "ReduceMax", [f32(2, 3, 4), i64([1, 2])],
             {"keepdims": 0}, opset=18, consts={1}),
        Case("reduce_min_input", "ReduceMin", [f32(2, 3, 4), i64([0, 2])],
             {"keepdims": 0}, opset=18, consts={1}),
        Case("reduce_min_attr", "ReduceMin", [f32(2, 3, 4)], {"axes": [1]}),
        Case("reduce_min_all_int64", "ReduceMin", [i64([[3, -7, 2], [2**40, 0, -1]])]),
        # Bools (opset 20) order false < true: any / all.
        onnx_reference(Case("reduce_max_bool", "ReduceMax",
                            [np.array([[1, 1], [1, 0], [0, 1], [0, 0]], bool), i64([1])],
                            opset=20, consts={1})),
        onnx_reference(Case("reduce_min_bool_all", "ReduceMin",
                            [np.array([[1, 1], [1, 0]], bool)], {"keepdims": 0}, opset=20)),
        Case("reduce_l2_attr", "ReduceL2", [f32(2, 3, 4)], {"axes": [-1]}),
        Case("reduce_l2_input_all", "ReduceL2", [f32(2, 3, 4), i64([0, 2])],
             {"keepdims": 0}, opset=18, consts={1}),
        Case("reduce_sum_square_attr", "ReduceSumSquare", [f32(2, 3, 4)], {"axes": [1]}),
        Case("reduce_sum_square_input", "ReduceSumSquare", [f32(2, 3, 4), i64([0, 2])],
             {"keepdims": 0}, opset=18, consts={1}),
        Case("reduce_log_sum_attr", "ReduceLogSum", [np.abs(f32(2, 3, 4)) + 0.1],
             {"axes": [-1]}),
        Case("reduce_log_sum_all", "ReduceLogSum", [np.abs(f32(3, 5)) + 0.1],
             {"keepdims": 0}, opset=18),
        # CumSum: RoBERTa's position ids (int64 over a 0-d axis), and float
        # ones over every axis and flag.
        Case("cumsum_int64_positions", "CumSum",
             [i64([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]), i64(1)], consts={1}),
        Case("cumsum_int32", "CumSum",
             [np.array([[3, -2, 7], [1, 0, -9]], np.int32), np.array([0], np.int32)],
             consts={1}),
        Case("cumsum_first_axis", "CumSum", [f32(5, 3, 4), i64([0])], consts={1}),
        Case("cumsum_middle_negative_axis", "CumSum", [f32(2, 6, 3), i64(-2)], consts={1}),
        Case("cumsum_exclusive", "CumSum", [f32(3, 7), i64(1)], {"exclusive": 1}, consts={1}),
        Case("cumsum_reverse", "CumSum", [f32(3, 7), i64(-1)], {"reverse": 1}, consts={1}),
        Case("cumsum_exclusive_reverse", "CumSum", [f32(4, 5, 2), i64(1)],
             {"exclusive": 1, "reverse": 1}, consts={1}),
        Case("cumsum_1d", "CumSum", [f32(9), i64(0)], consts={1}),
        # CumProd-26 (newer than ORT 1.19).
        onnx_reference(Case("cumprod_axis1", "CumProd", [f32(3, 5) + 1.0, i64(1)], opset=26,
                            consts={1})),
        onnx_reference(Case("cumprod_exclusive_reverse", "CumProd", [f32(4, 3, 2), i64(-3)],
                            {"exclusive": 1, "reverse": 1}, opset=26, consts={1})),
        onnx_reference(Case("cumprod_int64", "CumProd", [i64([[2, -3, 1], [4, 0, 5]]),
                                                         i64(1)], opset=26, consts={1})),
        # torch.logsumexp: max-subtracted (large and very negative inputs).
        Case("reduce_log_sum_exp_keep", "ReduceLogSumExp", [f32(2, 3, 4, scale=30.0)],
             {"axes": [-1]}),
        Case("reduce_log_sum_exp_two_axes", "ReduceLogSumExp", [f32(3, 4, 5)],
             {"axes": [0, 2], "keepdims": 0}),
        Case("reduce_log_sum_exp_input_axes", "ReduceLogSumExp",
             [np.array([[-120.0, -130.0], [1.0, -1e30], [100.0, 100.0]], np.float32),
              i64([1])], opset=18, consts={1}),
        Case("reduce_log_sum_exp_all", "ReduceLogSumExp", [f32(2, 5)], {"keepdims": 0}),
    ]
    ties = np.array([[3, 1, 3, 2, 1, 3], [0, 0, 0, -1, 5, 5]], np.float32)
    # ArgMax/ArgMin: any axis, keepdims, ties (first or, with
    # select_last_index, last), int32 data (ORT has no int64 kernel).
    cases += [
        Case("arg_max_last_axis", "ArgMax", [f32(3, 4, 7)], {"axis": -1}),
        Case("arg_max_axis0_drop", "ArgMax", [f32(5, 3)], {"keepdims": 0}),
        Case("arg_max_ties_last", "ArgMax", [ties], {"axis": 1, "select_last_index": 1},
             opset=12),
        Case("arg_max_ties_first", "ArgMax", [ties], {"axis": 1}),
        Case("arg_max_int32", "ArgMax", [np.array([[4, -2, 9, 9, 0], [1, 1, 0, -5, 1]], np.int32)],
             {"axis": 1, "keepdims": 0}),
        Case("arg_min", "ArgMin", [f32(2, 6, 3)], {"axis": 1, "keepdims": 0}),
        Case("arg_min_ties_last", "ArgMin", [ties], {"axis": -1, "select_last_index": 1},
             opset=12),
        # Hardmax: the first maximum on ties; opset 11 over the 2-D coercion.
        Case("hardmax_last_axis", "Hardmax", [f32(3, 4, 7)], opset=13),
        Case("hardmax_ties_axis0", "Hardmax", [ties.T.copy()], {"axis": 0}, opset=13),
        Case("hardmax_coerced_opset11", "Hardmax", [f32(2, 3, 4)], {"axis": 1}, opset=11),
    ]
    # TopK: torch.topk and torch.sort (k = the axis' size); ties keep the
    # lower index first, as ONNX specifies.
    cases += [
        Case("top_k_last", "TopK", [f32(3, 4, 10), i64([4])], outputs=2, consts={1}),
        Case("top_k_smallest_axis0", "TopK", [f32(6, 3), i64([2])],
             {"axis": 0, "largest": 0}, outputs=2, consts={1}),
        Case("top_k_sort_middle", "TopK", [f32(2, 5, 3), i64([5])], {"axis": 1},
             outputs=2, consts={1}),
        Case("top_k_ties", "TopK", [ties, i64([6])], outputs=2, consts={1}),
        Case("top_k_ties_smallest", "TopK", [ties, i64([4])], {"largest": 0},
             outputs=2, consts={1}),
        Case("top_k_int64", "TopK", [i64([[4, -2, 9, 9, 0]]), i64([3])], outputs=2,
             consts={1}),
        Case("top_k_zero", "TopK", [f32(2, 4), i64([0])], outputs=2, consts={1}),
    ]
    # torch.prod and the L1 norm (forward only: ORT has no gradient for them).
    cases += [
        Case("reduce_prod_attr", "ReduceProd", [f32(2, 3, 4, positive=True)], {"axes": [1]}),
        Case("reduce_prod_input", "ReduceProd", [f32(2, 3, 4), i64([0, 2])],
             {"keepdims": 0}, opset=18, consts={1}),
        Case("reduce_prod_all_int64", "ReduceProd", [i64([[3, -7, 2], [5, 1, -1]])]),
        Case("reduce_l1_attr", "ReduceL1", [f32(2, 3, 4)], {"axes": [-1], "keepdims": 0}),
        Case("reduce_l1_input_all", "ReduceL1", [f32(2, 3, 4), i64([0, 1, 2])],
             opset=18, consts={1}),
    ]
    return cases


def lrn_reference(x, size, alpha, beta, bias):
    """LRN as ONNX defines it: channels c - floor((size-1)/2) through
    c + ceil((size-1)/2), clipped to X."""
    squares = np.zeros_like(x)
    channels = x.shape[1]
    for c in range(channels):
        low, high = max(0, c - (size - 1) // 2), min(channels - 1, c + size // 2)
        squares[:, c] = (x[:, low:high + 1] ** 2).sum(axis=1)
    return (x / (bias + alpha / size * squares) ** beta).astype(x.dtype)


def normalization():
    x = f32(3, 2, 8)
    cases = [
        # LRN: even and odd windows, clipped at the first and last channels.
        # (ORT takes odd sizes only, and ONNX's reference sums over the
        # first N channels only: numpy for the even size.)
        Case("lrn_size4", "LRN", [f32(2, 6, 3, 3)],
             {"size": 4, "alpha": 0.01, "beta": 0.5, "bias": 2.0},
             expect=lambda x: [lrn_reference(x, 4, 0.01, 0.5, 2.0)]),
        Case("lrn_size5", "LRN", [f32(2, 7, 3, 2)], {"size": 5}),
        Case("lrn_size3_1d", "LRN", [f32(2, 5, 7)], {"size": 3},
             expect=lambda x: [lrn_reference(x, 3, 1e-4, 0.75, 1.0)]),
        Case("mvn_default_axes", "MeanVarianceNormalization", [f32(3, 4, 2, 5)]),
        Case("mvn_last_axis", "MeanVarianceNormalization", [f32(3, 7) * 4],
             {"axes": [-1]}),
        Case("layernorm_last", "LayerNormalization", [x, f32(8), f32(8)],
             outputs=3),
        Case("layernorm_axis1_no_bias", "LayerNormalization",
             [f32(3, 4, 5), f32(4, 5)], {"axis": 1, "epsilon": 1e-3}, outputs=3),
        Case("layernorm_y_only", "LayerNormalization", [f32(4, 6), f32(6), f32(6)]),
        # ORT's own LayerNormalization, which its LayerNormFusion writes into
        # training graphs exported before opset 17.
        Case("layernorm_opset13", "LayerNormalization", [x, f32(8), f32(8)],
             outputs=3, opset=13),
    ]
    cases += [
        Case("rmsnorm_last", "SimplifiedLayerNormalization", [f32(3, 2, 8), f32(8)],
             {"epsilon": 1e-6}, outputs=2),
        Case("rmsnorm_axis1", "SimplifiedLayerNormalization", [f32(3, 4, 5), f32(4, 5)],
             {"axis": 1}, outputs=2),
        Case("rmsnorm_y_only", "SimplifiedLayerNormalization", [f32(4, 6), f32(6)]),
        # ONNX's RMSNormalization (opset 23: the dynamo exporter's nn.RMSNorm;
        # ONNX Runtime 1.19 predates it).
        onnx_reference(Case("rms_normalization", "RMSNormalization",
                            [f32(3, 2, 8), f32(8)], opset=23)),
        onnx_reference(Case("rms_normalization_axis1", "RMSNormalization",
                            [f32(3, 4, 5), f32(4, 5)], {"axis": 1, "epsilon": 1e-3},
                            opset=23)),
    ]
    for name, axis, shape in [("rmsnorm_grad_last", -1, (3, 2, 8)),
                              ("rmsnorm_grad_axis1", 1, (3, 4, 5))]:
        x = f32(*shape, scale=3.0)
        axes = tuple(range(axis % len(shape), len(shape)))
        inv_rms = (1.0 / np.sqrt((x * x).mean(axis=axes, keepdims=True) + 1e-5))
        cases.append(Case(name, "SimplifiedLayerNormalizationGrad",
                          [f32(*shape), x, f32(*shape[axis % len(shape):]),
                           inv_rms.astype(np.float32)], {"axis": axis}, outputs=2,
                          domain=MS))
    # LayerNormalizationGrad takes the statistics the forward stashed.
    for name, axis, shape in [("layernorm_grad_last", -1, (3, 2, 8)),
                              ("layernorm_grad_axis1", 1, (3, 4, 5))]:
        x = f32(*shape, scale=3.0)
        axes = tuple(range(axis % len(shape), len(shape)))
        mean = x.mean(axis=axes, keepdims=True)
        inv_std = (1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5)).astype(np.float32)
        cases.append(Case(name, "LayerNormalizationGrad",
                          [f32(*shape), x, f32(*shape[axis % len(shape):]), mean, inv_std],
                          {"axis": axis}, outputs=3, domain=MS))
    # ORT's training form of BatchNormalization and its gradient: batch
    # statistics (training_mode 1) or the given ones (0).
    x = f32(3, 4, 5, 2, scale=2.0) + 1.0
    mean, var = f32(4), f32(4, positive=True)
    cases.append(Case("batch_norm_training", "BatchNormInternal",
                      [x, f32(4), f32(4), mean, var], {"momentum": 0.8, "training_mode": 1},
                      outputs=5, domain=MS))
    cases.append(Case("batch_norm_inference", "BatchNormInternal",
                      [x, f32(4), f32(4), mean, var], {"training_mode": 0}, domain=MS))
    cases.append(Case("batch_norm_1d_training", "BatchNormInternal",
                      [f32(6, 3), f32(3), f32(3), f32(3), f32(3, positive=True)],
                      {"training_mode": 1, "epsilon": 1e-3}, outputs=5, domain=MS))
    # ONNX BatchNormalization, as torch exports it into forward graphs:
    # training_mode from opset 14; before, training when the running
    # statistics are declared (ORT's rule).
    bn_inputs = [x, f32(4), f32(4), mean, var]
    cases.append(Case("batchnorm_training", "BatchNormalization", bn_inputs,
                      {"momentum": 0.8, "training_mode": 1}, outputs=3, opset=15))
    cases.append(Case("batchnorm_inference", "BatchNormalization", bn_inputs,
                      {"epsilon": 1e-3}, opset=15))
    cases.append(Case("batchnorm_training_opset13", "BatchNormalization", bn_inputs,
                      {"momentum": 0.7}, outputs=5, opset=13))
    cases.append(Case("batchnorm_inference_opset9", "BatchNormalization",
                      [f32(6, 3), f32(3), f32(3), f32(3), f32(3, positive=True)], opset=9))
    axes = (0, 2, 3)
    batch_mean = x.mean(axis=axes)
    inv_std = (1.0 / np.sqrt(x.var(axis=axes) + 1e-5)).astype(np.float32)
    cases.append(Case("batch_norm_grad", "BatchNormalizationGrad",
                      [f32(3, 4, 5, 2), x, f32(4), batch_mean, inv_std], {"epsilon": 1e-5},
                      outputs=3, domain=MS))
    # InstanceNormalization (nn.InstanceNorm2d; nn.GroupNorm as torch
    # exports it: over [N, G, C/G·H·W] with unit scales) and
    # GroupNormalization (18: per-group scale and bias; 21: per channel).
    cases += [
        Case("instance_norm_2d", "InstanceNormalization",
             [f32(2, 3, 4, 5, scale=3.0), f32(3), f32(3)]),
        Case("instance_norm_1d_epsilon", "InstanceNormalization",
             [f32(3, 4, 6), f32(4), f32(4)], {"epsilon": 1e-2}),
        Case("instance_norm_group_view", "InstanceNormalization",
             [f32(2, 2, 24) + 1.0, np.ones(2, np.float32), np.zeros(2, np.float32)]),
        # No spatial dims (ORT's kernel wants 3): one element per instance,
        # normalized to 0, so Y is B.
        Case("instance_norm_no_spatial", "InstanceNormalization", [f32(2, 3), f32(3), f32(3)],
             expect=lambda x, scale, bias: [np.broadcast_to(bias, x.shape).copy()]),
        Case("group_norm_18", "GroupNormalization", [f32(2, 6, 3, 3), f32(3), f32(3)],
             {"num_groups": 3}, opset=18),
        Case("group_norm_21", "GroupNormalization", [f32(2, 6, 3, 3), f32(6), f32(6)],
             {"num_groups": 2, "epsilon": 1e-3}, opset=21),
        # LpNormalization: a zero row stays 0 (ORT's kernel).
        Case("lp_norm_default", "LpNormalization",
             [np.concatenate([np.zeros((1, 5), np.float32), f32(2, 5)])]),
        Case("lp_norm_l1_axis0", "LpNormalization", [f32(4, 3, 2)], {"axis": 0, "p": 1}),
        Case("lp_norm_l1_zero_row", "LpNormalization",
             [np.concatenate([np.zeros((1, 5), np.float32), f32(2, 5)])], {"p": 1}),
    ]
    return cases


def activation():
    f32_max = np.float32(np.finfo(np.float32).max)
    return [
        Case("leaky_relu_default", "LeakyRelu", [f32(3, 4, scale=2.0)], opset=16),
        Case("leaky_relu_alpha", "LeakyRelu", [f32(3, 4, scale=2.0)], {"alpha": 0.2}),
        Case("clip_attrs_opset6", "Clip", [f32(3, 4, scale=2.0)], {"min": -0.5, "max": 0.7},
             opset=6),
        Case("clip_min_input", "Clip", [f32(3, 4, scale=2.0), np.array(-0.3, np.float32), None],
             opset=13),
        Case("clip_both_inputs", "Clip", [f32(3, 4, scale=2.0), np.array(-0.3, np.float32),
                                          np.array(0.4, np.float32)], opset=13),
        # Unbounded: infinities become the largest finite value, as ORT's do.
        Case("clip_no_bounds", "Clip", [np.array([[np.inf, -np.inf, 1.5]], np.float32)],
             opset=13, expect=lambda x: [np.clip(x, -f32_max, f32_max)]),
        # Integers (since opset 12): an absent bound clamps nothing; max wins
        # where min > max.
        Case("clip_int64", "Clip", [np.arange(-6, 6, dtype=np.int64).reshape(3, 4),
                                    np.array(-3, np.int64), np.array(4, np.int64)], opset=13),
        Case("clip_int8_max_only", "Clip", [np.array([-128, -5, 7, 127], np.int8), None,
                                            np.array(6, np.int8)], opset=13),
        Case("clip_int32_crossed_bounds", "Clip", [np.arange(-2, 4, dtype=np.int32),
                                                   np.array(3, np.int32),
                                                   np.array(1, np.int32)], opset=12),
        Case("softmax_last", "Softmax", [f32(2, 3, 5)], opset=13),
        Case("softmax_axis1", "Softmax", [f32(2, 3, 5)], {"axis": 1}, opset=13),
        Case("softmax_large_logits", "Softmax", [f32(4, 6, scale=1000.0)], opset=13),
        Case("softmax_coerced_opset11", "Softmax", [f32(2, 3, 5)], {"axis": 1},
             opset=11),
        # Opset 1's Softmax: the same 2-D coercion, default axis 1.
        Case("softmax_opset1", "Softmax", [f32(2, 3, 5)], opset=1),
        Case("logsoftmax_last", "LogSoftmax", [f32(3, 7, scale=50.0)], opset=13),
        Case("gelu_erf", "Gelu", [f32(4, 5, scale=3.0)], opset=20),
        Case("gelu_tanh", "Gelu", [f32(4, 5, scale=3.0)], {"approximate": "tanh"},
             opset=20),
        Case("bias_gelu", "BiasGelu", [f32(2, 3, 6, scale=2.0), f32(6)], domain=MS),
        # GPT-2's tanh GELU as ORT fuses it, with and without a bias.
        Case("fast_gelu", "FastGelu", [f32(4, 5, scale=3.0)], domain=MS),
        Case("fast_gelu_bias", "FastGelu", [f32(2, 3, 6, scale=2.0), f32(6)], domain=MS),
        # alpha 1: SiLU, as ORT fuses x * sigmoid(x).
        Case("quick_gelu_silu", "QuickGelu", [f32(4, 5, scale=4.0)], {"alpha": 1.0},
             domain=MS),
        Case("quick_gelu_default", "QuickGelu", [f32(4, 5, scale=4.0)], domain=MS),
        # Forward-only activations (ORT has no gradient for them), with
        # ONNX's default attributes and others; large inputs for Softplus
        # (no overflow at 100).
        Case("softplus", "Softplus", [f32(4, 5, scale=4.0)]),
        Case("softplus_large", "Softplus", [np.array([[-100.0, -20.0, 0.0, 20.0, 100.0]],
                                                     np.float32)]),
        Case("elu_default", "Elu", [f32(4, 5, scale=3.0)]),
        Case("elu_alpha", "Elu", [f32(4, 5, scale=3.0)], {"alpha": 0.5}),
        Case("selu_default", "Selu", [f32(4, 5, scale=3.0)]),
        Case("selu_attrs", "Selu", [f32(4, 5, scale=3.0)], {"alpha": 2.0, "gamma": 0.5}),
        Case("celu_default", "Celu", [f32(4, 5, scale=3.0)]),
        Case("celu_alpha", "Celu", [f32(4, 5, scale=3.0)], {"alpha": 2.5}),
        Case("hard_sigmoid_default", "HardSigmoid", [f32(4, 5, scale=6.0)]),
        Case("hard_sigmoid_attrs", "HardSigmoid", [f32(4, 5, scale=6.0)],
             {"alpha": 0.25, "beta": 0.4}),
        Case("hard_swish", "HardSwish", [f32(4, 5, scale=6.0)]),
        Case("softsign", "Softsign", [f32(4, 5, scale=4.0)]),
        Case("mish", "Mish", [np.append(f32(18, scale=4.0), [-100.0, 100.0])
                              .astype(np.float32).reshape(4, 5)], opset=18),
        # Swish-24 is newer than ORT 1.19.
        onnx_reference(Case("swiglu_alpha", "SwiGLU", [f32(3, 8, scale=4.0), f32(3, 8)],
                            {"alpha": 1.702}, opset=28)),
        onnx_reference(Case("swish_default", "Swish", [f32(4, 5, scale=4.0)], opset=24)),
        onnx_reference(Case("swish_alpha", "Swish", [f32(4, 5, scale=4.0)], {"alpha": 1.702},
                            opset=24)),
        # NaN gives 0 in ORT's ThresholdedRelu and Shrink kernels.
        Case("thresholded_relu_default", "ThresholdedRelu",
             [np.append(f32(19, scale=3.0), np.nan).astype(np.float32).reshape(4, 5)],
             opset=10),
        Case("thresholded_relu_alpha", "ThresholdedRelu", [f32(4, 5, scale=3.0)],
             {"alpha": -0.5}, opset=10),
        Case("shrink_default", "Shrink",
             [np.append(f32(19), np.nan).astype(np.float32).reshape(4, 5)]),
        Case("shrink_soft", "Shrink", [f32(4, 5, scale=3.0)], {"bias": 1.5, "lambd": 1.5}),
    ]


def loss():
    labels = i64([[1, 4, 0], [3, 3, 2]])
    return [
        Case("sce_mean", "SoftmaxCrossEntropyLoss", [f32(6, 5), i64([0, 4, 2, 2, 1, 3])],
             outputs=2),
        Case("sce_sum", "SoftmaxCrossEntropyLoss", [f32(4, 3), i64([0, 1, 2, 1])],
             {"reduction": "sum"}),
        Case("sce_none_nd", "SoftmaxCrossEntropyLoss", [f32(2, 5, 3), labels],
             {"reduction": "none"}, outputs=2),
        Case("sce_weights_ignore", "SoftmaxCrossEntropyLoss",
             [f32(2, 5, 3), labels, f32(5, positive=True)], {"ignore_index": 3}),
        # The mean-reduction gradient ORT writes for MSELoss, L1Loss and
        # BCEWithLogitsLoss: Scale by 1 / Size (an int64 count).
        Case("scale_down_int64", "Scale", [f32(), i64(24)], {"scale_down": 1}, domain=MS),
        Case("scale_up_float", "Scale", [f32(3, 4), np.array([0.5], np.float32)], domain=MS),
        Case("sce_grad_mean", "SoftmaxCrossEntropyLossGrad",
             [f32(), log_softmax(f32(6, 5)), i64([0, 4, 2, 2, 1, 3])], domain=MS),
        Case("sce_grad_sum_weights", "SoftmaxCrossEntropyLossGrad",
             [f32(), log_softmax(f32(4, 3)), i64([0, 1, 2, 1]), f32(3, positive=True)],
             {"reduction": "sum"}, domain=MS),
        Case("sce_grad_none_nd", "SoftmaxCrossEntropyLossGrad",
             [f32(2, 3), log_softmax(f32(2, 5, 3)), labels], {"reduction": "none"},
             domain=MS),
        Case("sce_grad_mean_ignore_weights", "SoftmaxCrossEntropyLossGrad",
             [f32(), log_softmax(f32(2, 5, 3)), labels, f32(5, positive=True)],
             {"ignore_index": 3}, domain=MS),
        # Every label ignored (an all-padding batch) or of weight 0: ORT's
        # mean skips its division (loss 0, zero gradients), not 0 / 0.
        Case("sce_mean_all_ignored", "SoftmaxCrossEntropyLoss",
             [f32(4, 3), i64([-1, -1, -1, -1])], outputs=2),
        Case("sce_mean_zero_weights", "SoftmaxCrossEntropyLoss",
             [f32(2, 5, 3), labels, np.array([0, 1, 1, 0, 0], np.float32)],
             {"ignore_index": 1}),
        Case("sce_grad_mean_all_ignored", "SoftmaxCrossEntropyLossGrad",
             [f32(), log_softmax(f32(4, 3)), i64([2, 2, 2, 2])], {"ignore_index": 2},
             domain=MS),
        Case("sce_grad_mean_zero_weights", "SoftmaxCrossEntropyLossGrad",
             [f32(), log_softmax(f32(2, 5, 3)), labels,
              np.array([0, 1, 1, 0, 0], np.float32)], {"ignore_index": 1}, domain=MS),
        # NegativeLogLikelihoodLoss (F.nll_loss): the same without the
        # log_softmax.
        Case("nll_mean", "NegativeLogLikelihoodLoss",
             [log_softmax(f32(6, 5)), i64([0, 4, 2, 2, 1, 3])]),
        Case("nll_none_nd", "NegativeLogLikelihoodLoss", [log_softmax(f32(2, 5, 3)), labels],
             {"reduction": "none"}),
        Case("nll_sum_weights_ignore", "NegativeLogLikelihoodLoss",
             [log_softmax(f32(2, 5, 3)), labels, f32(5, positive=True)],
             {"reduction": "sum", "ignore_index": 3}),
        # Unlike ORT's cross-entropy, its NLL kernel (as ONNX and torch) has no
        # default ignore_index and divides a mean over zero weight into NaN.
        Case("nll_mean_all_ignored", "NegativeLogLikelihoodLoss",
             [log_softmax(f32(4, 3)), i64([2, 2, 2, 2])], {"ignore_index": 2}),
        Case("nll_mean_weights_ignore", "NegativeLogLikelihoodLoss",
             [log_softmax(f32(2, 5, 3)), labels, np.array([0, 1, 1, 0, 0], np.float32)],
             {"ignore_index": 1}),
    ]


def log_softmax(x):
    shifted = x - x.max(axis=1, keepdims=True)
    return (shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))).astype(np.float32)


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(np.float32)


def sigmoid(x):
    return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)


def accumulate_v2(buffer, value, overwrite=np.array([False])):
    return [np.array([True]), value if overwrite[0] else buffer + value]


def slice_grad_reference(dy, shape, *_):
    """SliceGrad of x[:, 7:0:-2] by numpy."""
    dx = np.zeros(shape, np.float32)
    dx[:, 7:0:-2] = dy
    return [dx]


def gradient():
    flag = lambda value: np.array([value])
    return [
        Case("softmax_grad13_last", "SoftmaxGrad_13", [f32(2, 3, 5), softmax(f32(2, 3, 5), -1)],
             domain=MS),
        Case("softmax_grad13_axis1", "SoftmaxGrad_13", [f32(2, 3, 5), softmax(f32(2, 3, 5), 1)],
             {"axis": 1}, domain=MS),
        Case("softmax_grad_coerced", "SoftmaxGrad",
             [f32(2, 3, 5), softmax(f32(2, 15), -1).reshape(2, 3, 5)], {"axis": 1},
             domain=MS),
        Case("logsoftmax_grad13", "LogSoftmaxGrad_13",
             [f32(4, 6), np.log(softmax(f32(4, 6), -1))], domain=MS),
        Case("gelu_grad", "GeluGrad", [f32(3, 4), f32(3, 4, scale=3.0)], domain=MS),
        Case("bias_gelu_grad", "BiasGeluGrad_dX", [f32(2, 3, 4), f32(2, 3, 4), f32(4)],
             domain=MS),
        Case("relu_grad", "ReluGrad", [f32(3, 4), f32(3, 4)], domain=MS),
        Case("leaky_relu_grad", "LeakyReluGrad", [f32(3, 4), f32(3, 4)], {"alpha": 0.1},
             domain=MS),
        # Div's gradient with B broadcast (along a leading dim and rows, or
        # along a unit dim), and with the same shapes.
        Case("div_grad_broadcast_b", "DivGrad",
             [f32(2, 3, 4), f32(2, 3, 4), f32(4, positive=True)], outputs=2, domain=MS),
        Case("div_grad_broadcast_unit", "DivGrad",
             [f32(2, 3, 4), f32(2, 3, 4), f32(3, 1, positive=True)], outputs=2, domain=MS),
        Case("div_grad_broadcast_a", "DivGrad",
             [f32(2, 3, 4), f32(3, 1), f32(2, 3, 4, positive=True)], outputs=2, domain=MS),
        Case("div_grad_same_shape", "DivGrad",
             [f32(3, 4), f32(3, 4), f32(3, 4, positive=True)], outputs=2, domain=MS),
        Case("tanh_grad", "TanhGrad", [f32(3, 4), np.tanh(f32(3, 4, scale=2.0))], domain=MS),
        Case("sigmoid_grad", "SigmoidGrad", [f32(3, 4), sigmoid(f32(3, 4, scale=2.0))],
             domain=MS),
        Case("fast_gelu_grad", "FastGeluGrad", [f32(3, 4), f32(3, 4, scale=3.0)], domain=MS),
        Case("bias_fast_gelu_grad", "BiasFastGeluGrad_dX", [f32(2, 3, 4), f32(2, 3, 4), f32(4)],
             domain=MS),
        Case("quick_gelu_grad_silu", "QuickGeluGrad", [f32(3, 4), f32(3, 4, scale=4.0)],
             {"alpha": 1.0}, domain=MS),
        Case("quick_gelu_grad_default", "QuickGeluGrad", [f32(3, 4), f32(3, 4, scale=4.0)],
             domain=MS),
        # Repeated and negative indices accumulate; indices smaller than
        # the data outside the axis.
        Case("gather_elements_grad_axis1", "GatherElementsGrad",
             [f32(3, 3), i64([3, 4]), i64([[0, -1, 0], [2, 2, 0], [-4, 1, 1]])],
             {"axis": 1}, domain=MS, consts={1}),
        Case("gather_elements_grad_axis0", "GatherElementsGrad",
             [f32(5, 2, 2), i64([4, 3, 2]), i64(RNG.integers(-4, 4, size=(5, 2, 2)))],
             domain=MS, consts={1}),
        Case("gather_grad_axis0", "GatherGrad",
             [i64([7, 3]), i64([[1, 1, 6], [0, -1, 1]]), f32(2, 3, 3)], domain=MS,
             consts={0}),
        Case("gather_grad_axis1", "GatherGrad",
             [i64([2, 4, 3]), i64([3, 0, 3]), f32(2, 3, 3)], {"axis": 1}, domain=MS,
             consts={0}),
        # An embedding gradient: 256 token ids (negative ones included) into
        # 50 rows, most rows hit many times (the scatter's accumulation).
        Case("gather_grad_embedding", "GatherGrad",
             [i64([50, 32]), RNG.integers(-50, 50, size=(4, 64)), f32(4, 64, 32)],
             domain=MS, consts={0}),
        # int32 indices along the last axis (no dims after it).
        Case("gather_grad_int32_last_axis", "GatherGrad",
             [i64([3, 5]), np.asarray([4, -1, 4, 0], dtype=np.int32), f32(3, 4)],
             {"axis": -1}, domain=MS, consts={0}),
        # A 0-d index: dY is one row.
        Case("gather_grad_scalar_index", "GatherGrad",
             [i64([6, 4]), i64(-2), f32(4)], domain=MS, consts={0}),
        # ORT updates the V2 buffer in place (its output 1 aliases input 0),
        # which an InferenceSession does not hand back: numpy reference of
        # its CPU kernel, buffer' = overwrite ? value : buffer + value.
        Case("accumulator_v2_add", "InPlaceAccumulatorV2", [f32(3, 2), f32(3, 2), flag(False)],
             outputs=2, domain=MS, expect=accumulate_v2),
        Case("accumulator_v2_overwrite", "InPlaceAccumulatorV2",
             [f32(3, 2), f32(3, 2), flag(True)], outputs=2, domain=MS,
             expect=accumulate_v2),
        Case("accumulator_v2_no_flag", "InPlaceAccumulatorV2", [f32(4), f32(4)],
             outputs=2, domain=MS, expect=accumulate_v2),
        # Strided (x[..., 1::2]), offset and empty slices' gradients.
        Case("slice_grad_strided", "SliceGrad",
             [f32(2, 3, 4), i64([2, 3, 8]), i64([1]), i64([2**62]), i64([-1]), i64([2])],
             domain=MS, consts={1, 2, 3, 4, 5}),
        Case("slice_grad_two_axes", "SliceGrad",
             [f32(3, 2, 5), i64([4, 6, 5]), i64([1, -4]), i64([100, -2]), i64([0, 1])],
             domain=MS, consts={1, 2, 3, 4}),
        # Negative steps (torch.flip; every other element back to front).
        Case("slice_grad_flip", "SliceGrad",
             [f32(3, 5, 2), i64([3, 5, 2]), i64([-1]), i64([-2**63]), i64([1]), i64([-1])],
             domain=MS, consts={1, 2, 3, 4, 5}),
        # ORT's kernel fails here (narrowing_error): numpy's x[:, 7:0:-2].
        Case("slice_grad_negative_stride", "SliceGrad",
             [f32(4, 4), i64([4, 9]), i64([7]), i64([0]), i64([1]), i64([-2])],
             domain=MS, consts={1, 2, 3, 4, 5}, expect=slice_grad_reference),
        Case("slice_grad_empty", "SliceGrad",
             [np.zeros((4, 0), np.float32), i64([4, 6]), i64([6]), i64([6]), i64([1])],
             domain=MS, consts={1, 2, 3, 4}),
        Case("accumulator_update", "InPlaceAccumulator", [f32(4), f32(4), flag(True)],
             domain=MS),
        Case("accumulator_no_update", "InPlaceAccumulator", [f32(4), f32(4), flag(False)],
             domain=MS),
    ]


def logic():
    TP = __import__("onnx").TensorProto
    bools = lambda *shape: RNG.random(shape) < 0.5
    ints = lambda *shape: RNG.integers(-3, 4, shape).astype(np.int64)
    x = f32(3, 4, scale=2.0)
    cases = [
        Case("equal_float", "Equal", [x, np.where(RNG.random((3, 4)) < 0.5, x, f32(3, 4))]),
        Case("equal_int_broadcast", "Equal", [ints(3, 4), ints(4)]),
        Case("equal_bool", "Equal", [bools(3, 4), bools(3, 4)], opset=11),
        Case("less", "Less", [f32(3, 4), f32(4)]),
        Case("less_or_equal_int", "LessOrEqual", [ints(2, 3), ints(2, 1)]),
        Case("greater", "Greater", [ints(5), ints(1)]),
        Case("greater_or_equal", "GreaterOrEqual", [f32(2, 3), f32(2, 3)]),
        # Bitwise ops (opset 18) on integers; BitShift-28's signed shifts
        # (newer than ORT 1.19): arithmetic right shifts, amounts out of
        # [0, width) give the sign fill.
        Case("bitwise_and_int32_broadcast", "BitwiseAnd",
             [RNG.integers(-100, 100, (3, 4)).astype(np.int32),
              RNG.integers(-100, 100, 4).astype(np.int32)], opset=18),
        Case("bitwise_or_int8", "BitwiseOr", [RNG.integers(-128, 128, (2, 5)).astype(np.int8),
                                              RNG.integers(-128, 128, (2, 5)).astype(np.int8)],
             opset=18),
        Case("bitwise_xor_int64", "BitwiseXor", [ints(3, 4) << 40, ints(3, 4)], opset=18),
        Case("bitwise_not_int16", "BitwiseNot",
             [RNG.integers(-2**15, 2**15, (3, 3)).astype(np.int16)], opset=18),
        # BitCast (opset 26, newer than ORT 1.19: numpy's view): NaN, -0 and
        # infinities keep their bits; a bool is its byte.
        Case("bitcast_float_to_int32", "BitCast",
             [np.array([[1.0, -0.0, np.inf], [np.nan, -2.5, 1e-40]], np.float32)],
             {"to": TP.INT32}, opset=26, expect=lambda x: [x.view(np.int32)]),
        Case("bitcast_int16_to_float16", "BitCast", [RNG.integers(-2**15, 2**15, (3, 4))
                                                     .astype(np.int16)],
             {"to": TP.FLOAT16}, opset=26, expect=lambda x: [x.view(np.float16)]),
        Case("bitcast_bool_to_int8", "BitCast", [bools(3, 4)], {"to": TP.INT8}, opset=26,
             expect=lambda x: [x.astype(np.int8)]),
        onnx_reference(Case("bitshift_right_int32", "BitShift",
                            [np.array([-97, 97, -1, 5, -2**31, 12], np.int32),
                             np.array([3, 3, 40, -1, 31, 32], np.int32)],
                            {"direction": "RIGHT"}, opset=28)),
        onnx_reference(Case("bitshift_left_int8_overflow", "BitShift",
                            [np.array([[64, -3, 1], [127, -128, 5]], np.int8),
                             np.array([1, 7, 8], np.int8)], {"direction": "LEFT"}, opset=28)),
        Case("not", "Not", [bools(3, 4)]),
        Case("and", "And", [bools(3, 4), bools(4)]),
        Case("or", "Or", [bools(3, 4), bools(3, 1)]),
        Case("xor", "Xor", [bools(3, 4), bools(3, 4)]),
        # masked_fill as exported: Where(mask, fill, scores).
        Case("where_masked_fill", "Where", [bools(4, 4), np.array(-1e9, np.float32),
                                            f32(2, 4, 4)]),
        Case("where_int", "Where", [bools(3, 1), ints(3, 4), ints(4)]),
        Case("cast_float_to_int", "Cast", [f32(3, 4, scale=5.0)], {"to": TP.INT64}),
        Case("cast_int_to_float", "Cast", [ints(3, 4)], {"to": TP.FLOAT}),
        Case("cast_float_to_bool", "Cast", [np.array([0.0, -0.0, 1.5, -2.0], np.float32)],
             {"to": TP.BOOL}),
        Case("cast_bool_to_float", "Cast", [bools(3, 4)], {"to": TP.FLOAT}),
        Case("cast_bool_to_int", "Cast", [bools(3, 4)], {"to": TP.INT32}),
        Case("cast_int64_to_int32", "Cast", [ints(3, 4)], {"to": TP.INT32}),
        Case("cast_float_to_double", "Cast", [f32(3, 4)], {"to": TP.DOUBLE}),
        Case("cast_same_type", "Cast", [f32(3, 4)], {"to": TP.FLOAT}),
        # CastLike takes the second input's element type (its values unused).
        Case("castlike_float_to_int", "CastLike", [f32(3, 4, scale=5.0), ints(2)],
             opset=15),
        Case("castlike_int_to_double", "CastLike", [ints(3, 4), np.ones(1)], opset=15),
        Case("castlike_bool_to_float", "CastLike", [bools(5), f32(1)], opset=15),
        # saturate applies to float8 targets only (ONNX Runtime rejects it
        # elsewhere).
        onnx_reference(Case("cast_saturate_off", "Cast", [f32(3, 4, scale=5.0)],
                            {"to": TP.INT64, "saturate": 0}, opset=19)),
    ]
    # IsNaN/IsInf (SDPA with a boolean mask guards its softmax with IsNaN).
    special = np.array([[np.nan, np.inf, -np.inf, 0.0], [1.5, -np.nan, -2.0, 3e38]],
                       np.float32)
    cases += [
        Case("is_nan", "IsNaN", [special]),
        Case("is_inf", "IsInf", [special]),
        Case("is_inf_negative", "IsInf", [special], {"detect_positive": 0}),
        Case("is_inf_positive", "IsInf", [special], {"detect_negative": 0}),
    ]
    # OneHot (F.one_hot: int64 values; off/on floats as label smoothing
    # writes them): negative indices wrap, ones outside [-depth, depth) give
    # a row of off values; the new axis last, first or between. (Float
    # indices: integral ones only, as ORT does not truncate the others.)
    hot = i64([[0, 3, -1], [-4, 4, 2]])
    cases += [
        Case("one_hot_torch", "OneHot", [i64([[1, 0, 2], [4, 3, 3]]), i64(5), i64([0, 1])],
             consts={1, 2}, opset=11),
        Case("one_hot_float_values", "OneHot",
             [hot, i64([4]), np.array([0.1, 0.7], np.float32)], consts={1, 2}, opset=11),
        Case("one_hot_axis0", "OneHot", [hot, i64(4), np.array([-1.0, 2.0], np.float32)],
             {"axis": 0}, consts={1}, opset=11),
        Case("one_hot_axis_middle", "OneHot", [hot, i64(3), i64([5, -7])], {"axis": -2},
             consts={1, 2}, opset=11),
        Case("one_hot_float_indices", "OneHot",
             [np.array([0.0, 2.0, -1.0, 5.0], np.float32), i64(3), i64([0, 1])],
             consts={1}, opset=11),
    ]
    return cases


def constant():
    from onnx import numpy_helper
    value = numpy_helper.from_array(f32(2, 3), "value")
    return [
        Case("constant_tensor", "Constant", [], {"value": value}),
        Case("constant_bool_tensor", "Constant", [],
             {"value": numpy_helper.from_array(np.array([True, False]), "value")}),
        Case("constant_float", "Constant", [], {"value_float": 2.5}),
        Case("constant_floats", "Constant", [], {"value_floats": [1.0, -2.0]}),
        Case("constant_int", "Constant", [], {"value_int": -3}),
        Case("constant_ints", "Constant", [], {"value_ints": [4, 5, 6]}),
        Case("constant_of_shape_default", "ConstantOfShape", [i64([2, 3])], consts={0}),
        Case("constant_of_shape_int", "ConstantOfShape", [i64([4])], consts={0},
             attrs={"value": numpy_helper.from_array(np.array([7], np.int64), "value")}),
        Case("range_int", "Range", [i64(2), i64(11), i64(3)], consts={0, 1, 2}),
        Case("range_float_down", "Range", [np.array(1.0, np.float32),
                                          np.array(-1.5, np.float32),
                                          np.array(-0.5, np.float32)], consts={0, 1, 2}),
        Case("trilu_upper", "Trilu", [f32(2, 4, 5)]),
        # ORT's own (its gradient of torch.tril/triu).
        Case("trilu_ms_lower", "Trilu", [f32(3, 5, 4), i64(-1)], {"upper": 0}, consts={1},
             domain=MS),
        Case("trilu_lower_k", "Trilu", [f32(4, 5), i64(1)], {"upper": 0}, consts={1}),
        Case("trilu_upper_negative_k", "Trilu", [i64(np.arange(12).reshape(3, 4)), i64(-1)],
             consts={1}),
        # EyeLike: any diagonal (one past the matrix gives zeros), dtype.
        Case("eyelike_k1", "EyeLike", [f32(3, 5)], {"k": 1}),
        Case("eyelike_double_k_negative", "EyeLike", [i64(np.zeros((4, 3)))],
             {"dtype": 11, "k": -2}),
        # (numpy's eye: ORT 1.19 has no bool EyeLike)
        Case("eyelike_bool_outside", "EyeLike", [f32(2, 3)], {"dtype": 9, "k": 3},
             expect=lambda x: [np.eye(2, 3, 3, dtype=np.bool_)]),
    ]


def dropout():
    mask = RNG.random((3, 4)) < 0.7
    scalar = lambda value: np.array(value, dtype=np.float32)
    return [
        # Identity cases: ratio 0 in training mode, inference mode, and the
        # inference-only Dropout of opset 10.
        Case("dropout_ratio0_training", "Dropout", [f32(3, 4), scalar(0.0), np.array(True)],
             outputs=2, consts={1, 2}),
        Case("dropout_inference", "Dropout", [f32(3, 4), scalar(0.3), np.array(False)],
             outputs=2, consts={1, 2}),
        Case("dropout_default_mode", "Dropout", [f32(3, 4)], outputs=2),
        # ONNX Runtime 1.19 returns an all-false mask here; onnx's reference
        # (and opset 12's definition of inference) an all-true one.
        onnx_reference(Case("dropout_opset10", "Dropout", [f32(3, 4)], {"ratio": 0.2},
                            outputs=2, opset=10)),
        # The ratio a runtime value; absent, 0.5.
        Case("dropout_grad", "DropoutGrad", [f32(3, 4), mask, scalar(0.25)], domain=MS),
        Case("dropout_grad_default_ratio", "DropoutGrad", [f32(3, 4), mask], domain=MS),
    ]


def onnx_reference(case):
    """`case` with onnx's reference implementation as its reference (for
    ops newer than the installed ONNX Runtime, such as Attention-23)."""
    from onnx.reference import ReferenceEvaluator
    case.expect = lambda *_: ReferenceEvaluator(case.model()).run(None, case.feeds())
    return case


def bool_mask(*shape):
    mask = RNG.random(shape) < 0.7
    mask[..., 0] = True  # no fully masked row
    return mask


def unit_keys(batch, steps, heads, size):
    """Keys L2-normalized per head, as the delta rules expect."""
    keys = f32(batch, steps, heads, size)
    return (keys / np.linalg.norm(keys, axis=-1, keepdims=True)).reshape(
        batch, steps, heads * size)


def log_decay(*shape):
    return np.log(RNG.uniform(0.5, 1.0, shape)).astype(np.float32)


def rates(*shape):
    return RNG.uniform(0.1, 0.9, shape).astype(np.float32)


def attention():
    angles = np.outer(np.arange(10), 1.0 / 10000 ** (np.arange(4) / 4)).astype(np.float32)
    return [
        # TensorScatter (opset 24): the KV-cache update, linear and wrapping.
        onnx_reference(Case("tensor_scatter_linear", "TensorScatter",
                            [f32(2, 3, 6, 4), f32(2, 3, 2, 4), i64([1, 4])], opset=24)),
        onnx_reference(Case("tensor_scatter_circular", "TensorScatter",
                            [f32(2, 5, 3), f32(2, 3, 3), i64([3, 0])],
                            {"axis": 1, "mode": "circular"}, opset=24)),
        # RotaryEmbedding (opset 23, newer than ORT 1.19): halves with cache
        # rows at position ids; interleaved pairs over part of 3-D X's heads
        # with per-token caches.
        onnx_reference(Case("rotary_4d_positions", "RotaryEmbedding",
                            [f32(2, 3, 5, 8), np.cos(angles), np.sin(angles),
                             RNG.integers(0, 10, (2, 5))], opset=23)),
        onnx_reference(Case("rotary_3d_interleaved_partial", "RotaryEmbedding",
                            [f32(2, 4, 24), f32(2, 4, 4), f32(2, 4, 4)],
                            {"num_heads": 2, "rotary_embedding_dim": 8, "interleaved": 1},
                            opset=23)),
        # LinearAttention (opset 27): the four recurrences, GQA, a past
        # state, per-key-dim and per-head decay, a shared beta, a scale.
        onnx_reference(Case("linear_attention_gated_delta_gqa", "LinearAttention",
                            [f32(2, 5, 12), unit_keys(2, 5, 2, 3), f32(2, 5, 4),
                             f32(2, 2, 3, 2), log_decay(2, 5, 6), rates(2, 5, 2)],
                            {"q_num_heads": 4, "kv_num_heads": 2}, outputs=2, opset=27)),
        onnx_reference(Case("linear_attention_delta_shared_beta", "LinearAttention",
                            [f32(1, 4, 6), unit_keys(1, 4, 2, 3), f32(1, 4, 8), None, None,
                             rates(1, 4, 1)],
                            {"q_num_heads": 2, "kv_num_heads": 2, "update_rule": "delta"},
                            outputs=2, opset=27)),
        onnx_reference(Case("linear_attention_gated_per_head", "LinearAttention",
                            [f32(2, 3, 8), f32(2, 3, 4), f32(2, 3, 6), None,
                             log_decay(2, 3, 1)],
                            {"q_num_heads": 2, "kv_num_heads": 1, "update_rule": "gated"},
                            outputs=2, opset=27)),
        onnx_reference(Case("linear_attention_linear_scale", "LinearAttention",
                            [f32(1, 3, 4), f32(1, 3, 4), f32(1, 3, 2), f32(1, 1, 4, 2)],
                            {"q_num_heads": 1, "kv_num_heads": 1, "update_rule": "linear",
                             "scale": 0.25}, outputs=2, opset=27)),
        # CausalConvWithState (opset 27): with a carried state, bias and
        # SiLU; without a state; a kernel of one tap.
        onnx_reference(Case("causal_conv_state_bias_silu", "CausalConvWithState",
                            [f32(2, 3, 5), f32(3, 1, 4), f32(3), f32(2, 3, 3)],
                            {"activation": "silu"}, outputs=2, opset=27)),
        onnx_reference(Case("causal_conv_no_state", "CausalConvWithState",
                            [f32(1, 4, 2), f32(4, 1, 3)], outputs=2, opset=27)),
        onnx_reference(Case("causal_conv_one_tap", "CausalConvWithState",
                            [f32(2, 2, 3), f32(2, 1, 1), f32(2)], opset=27)),
        # Attention's nonpad_kv_seqlen (an external cache's valid lengths),
        # qk_matmul_output's modes, a mask shorter than the keys.
        onnx_reference(Case("attention_nonpad_causal_gqa_probs", "Attention",
                            [f32(2, 4, 3, 8), f32(2, 2, 6, 8), f32(2, 2, 6, 8), None, None,
                             None, i64([6, 4])],
                            {"is_causal": 1, "qk_matmul_output_mode": 3}, outputs=4,
                            opset=24)),
        onnx_reference(Case("attention_nonpad_window_3d_scores", "Attention",
                            [f32(2, 3, 8), f32(2, 5, 8), f32(2, 5, 4), None, None, None,
                             i64([5, 2])],
                            {"q_num_heads": 2, "kv_num_heads": 2, "left_window_size": 1},
                            outputs=4, opset=25)),
        onnx_reference(Case("attention_short_mask_softcap_scores", "Attention",
                            [f32(1, 2, 3, 4), f32(1, 2, 5, 4), f32(1, 2, 5, 4),
                             bool_mask(3, 3)],
                            {"softcap": 2.0, "qk_matmul_output_mode": 1}, outputs=4,
                            opset=24)),
        onnx_reference(Case("attention_4d", "Attention",
                            [f32(2, 4, 6, 8), f32(2, 4, 5, 8), f32(2, 4, 5, 8)], opset=23)),
        onnx_reference(Case("attention_3d_gqa_causal", "Attention",
                            [f32(2, 6, 32), f32(2, 6, 16), f32(2, 6, 24)],
                            {"q_num_heads": 4, "kv_num_heads": 2, "is_causal": 1},
                            opset=23)),
        onnx_reference(Case("attention_bool_mask_scale", "Attention",
                            [f32(2, 4, 6, 8), f32(2, 2, 5, 8), f32(2, 2, 5, 8),
                             bool_mask(6, 5)], {"scale": 0.3}, opset=23)),
        onnx_reference(Case("attention_float_mask_softcap", "Attention",
                            [f32(2, 4, 6, 8, scale=3.0), f32(2, 4, 5, 8), f32(2, 4, 5, 8),
                             f32(2, 1, 6, 5)], {"softcap": 2.0}, opset=23)),
        # Attention-25's sliding windows: bidirectional, and composed with
        # is_causal and a bool mask (the window and the mask together leave
        # some rows with no key: zero rows, as ONNX specifies).
        onnx_reference(Case("attention_window_bidirectional", "Attention",
                            [f32(2, 4, 6, 8), f32(2, 4, 7, 8), f32(2, 4, 7, 8)],
                            {"left_window_size": 2, "right_window_size": 1}, opset=25)),
        onnx_reference(Case("attention_3d_gqa_causal_window", "Attention",
                            [f32(2, 6, 32), f32(2, 6, 16), f32(2, 6, 24)],
                            {"q_num_heads": 4, "kv_num_heads": 2, "is_causal": 1,
                             "left_window_size": 1}, opset=25)),
        # A window past every key is unbounded (no overflow at the int64 limit).
        onnx_reference(Case("attention_window_huge", "Attention",
                            [f32(2, 4, 6, 8), f32(2, 4, 7, 8), f32(2, 4, 7, 8)],
                            {"left_window_size": 2**63 - 1, "right_window_size": 2**63 - 1},
                            opset=25)),
        onnx_reference(Case("attention_window_bool_mask", "Attention",
                            [f32(2, 4, 6, 8), f32(2, 4, 5, 8), f32(2, 4, 5, 8),
                             bool_mask(6, 5)], {"right_window_size": 0, "left_window_size": 0},
                            opset=25)),
        # KV caches: the past keys and values come first (present_key and
        # present_value), and the queries sit after them for is_causal and
        # the windows; GQA over the packed form.
        onnx_reference(Case("attention_kv_cache_causal", "Attention",
                            [f32(1, 2, 3, 4), f32(1, 2, 3, 4), f32(1, 2, 3, 4), None,
                             f32(1, 2, 5, 4), f32(1, 2, 5, 4)], {"is_causal": 1},
                            outputs=3, opset=23)),
        onnx_reference(Case("attention_kv_cache_3d_gqa_window_mask", "Attention",
                            [f32(2, 3, 32), f32(2, 3, 16), f32(2, 3, 24), bool_mask(3, 7),
                             f32(2, 2, 4, 8), f32(2, 2, 4, 12)],
                            {"q_num_heads": 4, "kv_num_heads": 2, "left_window_size": 3},
                            outputs=3, opset=25)),
        # The mode selects what the (absent) fourth output holds.
        onnx_reference(Case("attention_qk_output_mode_unused", "Attention",
                            [f32(2, 4, 6, 8), f32(2, 4, 5, 8), f32(2, 4, 5, 8)],
                            {"qk_matmul_output_mode": 3}, opset=23)),
        # Full-shape attention_bias: ONNX Runtime 1.19 misreads a batch-1 one.
        Case("ms_multi_head_attention", "MultiHeadAttention",
             [f32(2, 6, 32), f32(2, 5, 32), f32(2, 5, 24), None, None, f32(2, 4, 6, 5)],
             {"num_heads": 4}, domain=MS),
        Case("ms_multi_head_attention_causal", "MultiHeadAttention",
             [f32(2, 6, 32), f32(2, 6, 32), f32(2, 6, 32)],
             {"num_heads": 4, "unidirectional": 1, "scale": 0.2}, domain=MS),
        Case("ms_attention", "Attention", [f32(2, 6, 16), f32(16, 96), f32(96)],
             {"num_heads": 4, "unidirectional": 1}, domain=MS),
        Case("ms_attention_hidden_sizes", "Attention", [f32(2, 6, 16), f32(16, 80), f32(80)],
             {"num_heads": 4, "qkv_hidden_sizes": [32, 32, 16]}, domain=MS),
    ]


def conv():
    cases = [
        Case("conv1d", "Conv", [f32(2, 3, 9), f32(4, 3, 3)]),
        Case("conv1d_stride_pad_dilation_bias", "Conv", [f32(2, 4, 11), f32(6, 4, 3), f32(6)],
             {"strides": [2], "pads": [2, 1], "dilations": [2]}),
        Case("conv1d_groups", "Conv", [f32(2, 6, 8), f32(9, 2, 3), f32(9)], {"group": 3,
                                                                            "pads": [1, 1]}),
        Case("conv2d", "Conv", [f32(2, 3, 6, 5), f32(4, 3, 3, 3), f32(4)]),
        Case("conv2d_stride_pad_dilation", "Conv", [f32(2, 3, 9, 8), f32(5, 3, 3, 2)],
             {"strides": [2, 3], "pads": [1, 0, 2, 1], "dilations": [2, 1]}),
        Case("conv2d_depthwise", "Conv", [f32(1, 4, 7, 7), f32(8, 1, 3, 3), f32(8)],
             {"group": 4, "pads": [1, 1, 1, 1]}),
        Case("conv2d_same_upper", "Conv", [f32(1, 2, 7, 6), f32(3, 2, 4, 3)],
             {"auto_pad": "SAME_UPPER", "strides": [2, 2]}),
        Case("conv2d_same_lower", "Conv", [f32(1, 2, 7, 6), f32(3, 2, 4, 3)],
             {"auto_pad": "SAME_LOWER", "strides": [2, 1]}),
        Case("conv2d_valid_kernel_shape", "Conv", [f32(1, 2, 5, 5), f32(2, 2, 2, 2)],
             {"auto_pad": "VALID", "kernel_shape": [2, 2]}),
        # A 1x1 convolution is one plain GEMM over positions.
        Case("conv2d_pointwise", "Conv", [f32(2, 8, 4, 4), f32(16, 8, 1, 1)]),
        Case("conv1d_pointwise_groups", "Conv", [f32(4, 32, 16), f32(32, 16, 1), f32(32)],
             {"group": 2}),
    ]
    # ConvGrad (ORT's CPU kernel as the reference) for every forward case.
    # ORT's ConvGrad ignores auto_pad (its gradient builder sees explicit
    # pads from exporters): those cases' reference is ORT on the same pads
    # spelled out.
    from check_ops import reference
    for case in list(cases):
        x, w = case.inputs[0], case.inputs[1]
        shape = reference(Case(case.name, "Conv", [x, w], case.attrs))[0].shape
        attrs = dict(case.attrs)
        attrs.setdefault("kernel_shape", list(w.shape[2:]))
        grad = Case(case.name + "_grad", "ConvGrad", [f32(*shape), x, w], attrs,
                    outputs=3, domain=MS)
        if attrs.get("auto_pad", "NOTSET") != "NOTSET":
            explicit = dict(attrs, pads=same_pads(x.shape[2:], w.shape[2:], attrs))
            del explicit["auto_pad"]
            spelled = Case(grad.name, "ConvGrad", grad.inputs, explicit, outputs=3, domain=MS)
            grad.expect = lambda *_, spelled=spelled: reference(spelled)
        cases.append(grad)
    # Col2Im (opset 18): the blocks summed back into the image.
    cases += [
        Case("col2im_2d_strides_pads_dilations", "Col2Im",
             [f32(1, 12, 12), i64([5, 6]), i64([2, 3])],
             {"strides": [1, 2], "pads": [1, 0, 0, 1], "dilations": [2, 1]},
             opset=18, consts={1, 2}),
        # ORT 1.19's 1-D Col2Im reads past its input (garbage, NaN): ONNX's
        # reference checks it.
        onnx_reference(Case("col2im_1d", "Col2Im", [f32(2, 9, 3), i64([7]), i64([3])],
                            {"strides": [2]}, opset=18, consts={1, 2})),
    ]
    # ConvInteger and QLinearConv (opset 10): the GEMMs in i32 on centered
    # inputs; per-channel weight scales.
    def quantized(dtype, *shape):
        info = np.iinfo(dtype)
        return RNG.integers(info.min, info.max + 1, shape).astype(dtype)
    cases += [
        Case("conv_integer_uint8_padded", "ConvInteger",
             [quantized(np.uint8, 1, 2, 5, 5), quantized(np.uint8, 3, 2, 3, 3),
              np.array(131, np.uint8), np.array(120, np.uint8)], {"pads": [1, 1, 1, 1]},
             opset=10),
        Case("qlinear_conv_uint8_bias_strided", "QLinearConv",
             [quantized(np.uint8, 1, 3, 7, 6), np.array(0.02, np.float32),
              np.array(128, np.uint8), quantized(np.uint8, 4, 3, 3, 3),
              np.array(0.01, np.float32), np.array(125, np.uint8), np.array(0.2, np.float32),
              np.array(100, np.uint8), RNG.integers(-500, 500, 4).astype(np.int32)],
             {"strides": [2, 2]}, opset=10),
        Case("qlinear_conv_int8_per_channel", "QLinearConv",
             [quantized(np.int8, 2, 2, 5, 5), np.array(0.05, np.float32),
              np.array(-4, np.int8), quantized(np.int8, 3, 2, 2, 2),
              np.array([0.01, 0.02, 0.005], np.float32), np.zeros(3, np.int8),
              np.array(0.4, np.float32), np.array(3, np.int8)], opset=10),
    ]
    return cases + conv_transpose()


def conv_transpose_geometry(spatial, kernel, attrs):
    """ConvTranspose's begin pads and output sizes as ONNX and ORT compute
    them (output_shape or SAME_*: the padding cropping the unpadded output to
    that size, its odd unit at the end for SAME_UPPER, else at the
    beginning; none when the size is larger, which adds zeros)."""
    rank = len(spatial)
    strides = attrs.get("strides", [1] * rank)
    dilations = attrs.get("dilations", [1] * rank)
    output_padding = attrs.get("output_padding", [0] * rank)
    pads = attrs.get("pads", [0] * 2 * rank)
    auto_pad = attrs.get("auto_pad", "NOTSET")
    wanted = attrs.get("output_shape")
    begin, out = [], []
    for i in range(rank):
        unpadded = (strides[i] * (spatial[i] - 1) + output_padding[i]
                    + (kernel[i] - 1) * dilations[i] + 1)
        if wanted or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            out.append(wanted[len(wanted) - rank + i] if wanted else spatial[i] * strides[i])
            total = max(0, unpadded - out[-1])
            begin.append(total // 2 if auto_pad == "SAME_UPPER" else total - total // 2)
        else:
            begin.append(pads[i])
            out.append(unpadded - pads[i] - pads[rank + i])
    return begin, out


def conv_transpose_torch(x, w, b, attrs):
    """ConvTranspose in torch: the unpadded transposed convolution, then
    cropped (or extended with zeros) to the geometry's window."""
    import torch
    from torch.nn import functional as F
    rank = x.dim() - 2
    begin, out = conv_transpose_geometry(x.shape[2:], w.shape[2:], attrs)
    fn = [F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d][rank - 1]
    y = fn(x, w, stride=attrs.get("strides", 1), dilation=attrs.get("dilations", 1),
           groups=attrs.get("group", 1))
    extra = []
    for i in reversed(range(rank)):
        extra += [0, max(0, begin[i] + out[i] - y.shape[2 + i])]
    y = F.pad(y, extra)
    for i in range(rank):
        y = y.narrow(2 + i, begin[i], out[i])
    return y + b.reshape(1, -1, *[1] * rank)


def conv_transpose_grad(case, outputs):
    """ConvTransposeGrad by torch's autograd of conv_transpose_torch (ORT
    has this kernel for CUDA only), whose forward must first match ORT's
    ConvTranspose kernel."""
    from check_ops import reference, rel_error
    def expect(dy, x, w):
        import torch
        xt = torch.from_numpy(x).requires_grad_()
        wt = torch.from_numpy(w).requires_grad_()
        bt = torch.zeros(w.shape[1] * case.attrs.get("group", 1), requires_grad=True)
        y = conv_transpose_torch(xt, wt, bt, case.attrs)
        forward = reference(Case(case.name, "ConvTranspose", [x, w], case.attrs))[0]
        assert rel_error(y.detach().numpy(), forward) < 1e-6, case.name
        y.backward(torch.from_numpy(dy))
        return [t.grad.numpy() for t in (xt, wt, bt)][:outputs]
    return expect


def conv_transpose():
    """ConvTranspose against ORT's CPU kernel; ConvTransposeGrad of each
    (with the forward's attributes, as ORT's gradient builder writes it)
    against torch."""
    cases = [
        Case("convt1d", "ConvTranspose", [f32(2, 3, 5), f32(3, 4, 3)], opset=11),
        Case("convt1d_stride3_dilation2_pads_bias", "ConvTranspose",
             [f32(2, 4, 6), f32(4, 2, 3), f32(2)],
             {"strides": [3], "dilations": [2], "pads": [2, 1], "output_padding": [1]}),
        # output_padding may reach the stride when below the dilation.
        Case("convt1d_output_padding_dilation", "ConvTranspose",
             [f32(1, 2, 5), f32(2, 3, 2)], {"dilations": [3], "output_padding": [2]}),
        Case("convt2d_stride2_output_padding", "ConvTranspose",
             [f32(2, 4, 4, 5), f32(4, 3, 3, 3), f32(3)],
             {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]}),
        Case("convt2d_group2_asymmetric_pads", "ConvTranspose",
             [f32(2, 4, 5, 4), f32(4, 3, 3, 2), f32(6)],
             {"group": 2, "strides": [2, 1], "dilations": [1, 2], "pads": [0, 1, 2, 0]}),
        Case("convt2d_depthwise", "ConvTranspose", [f32(1, 3, 4, 4), f32(3, 1, 3, 3)],
             {"group": 3, "strides": [2, 2]}),
        # Rows cropped by one (at the beginning), columns extended by one zero.
        Case("convt2d_output_shape", "ConvTranspose", [f32(1, 2, 3, 4), f32(2, 3, 3, 3), f32(3)],
             {"strides": [3, 2], "output_shape": [8, 10]}),
        # Given pads yield to output_shape, as in ORT.
        Case("convt1d_output_shape_ignores_pads", "ConvTranspose", [f32(1, 2, 4), f32(2, 3, 3)],
             {"strides": [3], "output_shape": [10], "pads": [2, 0]}),
        Case("convt2d_output_shape_nchw_same_upper", "ConvTranspose",
             [f32(2, 2, 3, 4), f32(2, 3, 3, 3)],
             {"strides": [3, 2], "output_shape": [2, 3, 7, 8], "auto_pad": "SAME_UPPER"}),
        Case("convt2d_same_upper", "ConvTranspose", [f32(1, 2, 3, 4), f32(2, 2, 3, 3)],
             {"strides": [2, 2], "auto_pad": "SAME_UPPER"}),
        Case("convt2d_same_lower", "ConvTranspose", [f32(1, 2, 3, 4), f32(2, 2, 3, 4)],
             {"strides": [2, 3], "auto_pad": "SAME_LOWER"}),
        Case("convt2d_valid_kernel_shape", "ConvTranspose", [f32(1, 2, 3, 3), f32(2, 2, 2, 2)],
             {"auto_pad": "VALID", "kernel_shape": [2, 2], "strides": [2, 2]}, opset=21),
        Case("convt3d", "ConvTranspose", [f32(1, 2, 3, 3, 2), f32(2, 2, 2, 3, 2), f32(2)],
             {"strides": [2, 1, 2], "pads": [1, 0, 0, 0, 1, 1]}),
        Case("convt2d_empty_batch", "ConvTranspose", [f32(0, 2, 3, 3), f32(2, 3, 2, 2), f32(3)],
             {"strides": [2, 2]}),
    ]
    from check_ops import reference
    for case in list(cases):
        x, w = case.inputs[0], case.inputs[1]
        shape = reference(Case(case.name, "ConvTranspose", [x, w], case.attrs))[0].shape
        attrs = dict(case.attrs)
        attrs.setdefault("kernel_shape", list(w.shape[2:]))
        # Without a bias in the forward, dB is not asked for.
        outputs = 3 if len(case.inputs) > 2 else 2
        grad = Case(case.name + "_grad", "ConvTransposeGrad", [f32(*shape), x, w], attrs,
                    outputs=outputs, domain=MS)
        grad.expect = conv_transpose_grad(grad, outputs)
        cases.append(grad)
    return cases


def max_pool_grad(dy, indices, shape):
    """ORT's MaxPoolGrad: zeros of X's shape with dY added at the flat
    Indices (repeated ones accumulate)."""
    dx = np.zeros(int(np.prod(shape)), np.float32)
    np.add.at(dx, indices.ravel(), dy.ravel())
    return [dx.reshape(shape)]


def avg_pool_grad(x_shape, kernel, strides, pads, include_pad, ceil_mode=False):
    """AveragePool's gradient by torch's autograd (avg_pool2d's backward)."""
    def expect(dy):
        import torch
        x = torch.zeros(x_shape, requires_grad=True)
        y = torch.nn.functional.avg_pool2d(x, kernel, strides, pads, ceil_mode=ceil_mode,
                                           count_include_pad=include_pad)
        y.backward(torch.from_numpy(dy))
        return [x.grad.numpy()]
    return expect


def transposed_jacobian(x_shape, forward):
    """A gradient's reference dX = Jᵀ·dY, J the Jacobian of the linear
    per-plane op ORT runs for `forward(images)` (a Case) on the one-hot
    images of X's [N, C, spatial...] plane."""
    n, c, *spatial = x_shape
    size = int(np.prod(spatial))
    basis = np.eye(size, dtype=np.float32).reshape(size, 1, *spatial)
    (jacobian,) = reference(forward(basis))
    jacobian = jacobian.reshape(size, -1)
    return lambda dy, *_: [np.einsum("io,nco->nci", jacobian, dy.reshape(n, c, -1))
                           .reshape(x_shape).astype(np.float32)]


def max_pool_ceil_grad(x, kernel, strides):
    """MaxPoolGrad's inputs for ORT's MaxPool of `x` with ceil_mode, and
    torch's max_pool2d(ceil_mode=True) backward as the reference (its
    argmax must be ORT's Indices)."""
    attrs = {"kernel_shape": kernel, "strides": strides, "ceil_mode": 1}
    y, indices = reference(Case("", "MaxPool", [x], attrs, outputs=2))
    dy = f32(*y.shape)

    def expect(dy, _):
        import torch
        xt = torch.from_numpy(x).requires_grad_()
        torch.nn.functional.max_pool2d(xt, kernel, strides, ceil_mode=True).backward(
            torch.from_numpy(dy))
        return [xt.grad.numpy()]
    return Case("max_pool_grad_ceil", "MaxPoolGrad", [dy, indices], attrs, expect=expect)


def pool():
    nan_x = f32(1, 2, 4, 4)
    nan_x[0, 0, 0, 0] = nan_x[0, 1, 2, 3] = nan_x[0, 1, 3, 3] = np.nan
    grad_x = (2, 3, 4, 4)
    grad_indices = RNG.integers(0, np.prod(grad_x), size=(2, 3, 2, 2))
    # ceil_mode adds a last window reaching past X and the end pads (8 + 2
    # rows and 6 columns pool to 5 x 3, not 4 x 2).
    ceil = {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 0, 1, 0], "ceil_mode": 1}
    ceil_include = dict(ceil, count_include_pad=1)
    return [
        Case("max_pool_2d", "MaxPool", [f32(2, 3, 6, 6)],
             {"kernel_shape": [2, 2], "strides": [2, 2]}),
        # ceil_mode's last column window would start in the end padding: dropped,
        # as ONNX's reference and torch do (ORT 1.19 keeps it, pooling nothing).
        onnx_reference(Case("max_pool_ceil_dropped_window", "MaxPool", [f32(1, 2, 5, 3)],
                            {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [0, 1, 0, 1],
                             "ceil_mode": 1})),
        # Indices are flat offsets in X (batch and channel included).
        Case("max_pool_indices_padded", "MaxPool", [f32(2, 3, 7, 6)],
             {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}, outputs=2),
        Case("max_pool_1d_dilated", "MaxPool", [f32(2, 2, 9)],
             {"kernel_shape": [2], "dilations": [2]}, outputs=2),
        # NaN never counts as larger, as in ORT's kernel (every window here
        # has a number).
        Case("max_pool_nan", "MaxPool", [nan_x], {"kernel_shape": [2, 2], "strides": [2, 2]},
             outputs=2),
        Case("max_pool_same_upper", "MaxPool", [f32(1, 2, 5, 5)],
             {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER"}),
        # LpPool: padded taps add nothing; p = 3, and the default 2 with
        # dilations (opset 18).
        Case("lp_pool_2d_p3", "LpPool", [f32(2, 3, 5, 5)],
             {"kernel_shape": [2, 2], "strides": [2, 1], "pads": [1, 0, 0, 1], "p": 3},
             opset=18),
        Case("lp_pool_1d_dilated", "LpPool", [f32(1, 2, 7)],
             {"kernel_shape": [3], "dilations": [2]}, opset=18),
        # Integers (opset 12): padding never wins, even over the type's
        # minimum. (Y only: where a window's maximum is the minimum, ORT's
        # Indices are negative, -7 here; the importer's, the first tap's.)
        Case("max_pool_int8_padded", "MaxPool",
             [np.concatenate([np.full(6, -128), RNG.integers(-128, 128, 30)])
              .astype(np.int8).reshape(1, 2, 3, 6)],
             {"kernel_shape": [2, 3], "pads": [1, 1, 0, 1]}, opset=12),
        Case("max_pool_int8_indices", "MaxPool",
             [RNG.integers(-100, 128, (2, 2, 4, 5)).astype(np.int8)],
             {"kernel_shape": [2, 2], "strides": [1, 2]}, outputs=2, opset=12),
        Case("max_pool_grad", "MaxPoolGrad", [f32(2, 3, 2, 2), grad_indices],
             {"kernel_shape": [2, 2], "strides": [2, 2]},
             expect=lambda dy, i: max_pool_grad(dy, i, grad_x)),
        Case("avg_pool_2d", "AveragePool", [f32(2, 3, 6, 6)],
             {"kernel_shape": [2, 2], "strides": [2, 2]}),
        # Padded windows: divided by their unpadded taps, or by the kernel.
        Case("avg_pool_padded", "AveragePool", [f32(2, 2, 7, 5)],
             {"kernel_shape": [3, 3], "strides": [2, 1], "pads": [1, 1, 1, 1]}),
        Case("avg_pool_include_pad", "AveragePool", [f32(2, 2, 7, 5)],
             {"kernel_shape": [3, 3], "strides": [2, 1], "pads": [1, 1, 1, 1],
              "count_include_pad": 1}),
        Case("avg_pool_1d", "AveragePool", [f32(2, 3, 9)], {"kernel_shape": [3]}),
        Case("global_avg_pool", "GlobalAveragePool", [f32(2, 3, 5, 4)]),
        Case("global_max_pool", "GlobalMaxPool", [f32(2, 3, 5, 4)]),
        Case("global_max_pool_1d", "GlobalMaxPool", [f32(2, 4, 7)]),
        Case("avg_pool_grad_padded", "AveragePoolGrad", [f32(2, 2, 4, 5)],
             {"kernel_shape": [3, 3], "strides": [2, 1], "pads": [1, 1, 1, 1]},
             expect=avg_pool_grad((2, 2, 7, 5), 3, (2, 1), 1, False)),
        Case("avg_pool_grad_include_pad", "AveragePoolGrad", [f32(2, 2, 4, 5)],
             {"kernel_shape": [3, 3], "strides": [2, 1], "pads": [1, 1, 1, 1],
              "count_include_pad": 1},
             expect=avg_pool_grad((2, 2, 7, 5), 3, (2, 1), 1, True)),
        Case("avg_pool_grad_strided", "AveragePoolGrad", [f32(2, 3, 3, 3)],
             {"kernel_shape": [2, 2], "strides": [2, 2]},
             expect=avg_pool_grad((2, 3, 6, 7), 2, 2, 0, False)),
        Case("max_pool_ceil", "MaxPool", [f32(2, 3, 6, 6)],
             {"kernel_shape": [3, 2], "strides": [2, 2], "ceil_mode": 1}),
        Case("max_pool_ceil_indices_padded", "MaxPool", [f32(2, 3, 8, 6)], ceil, outputs=2),
        Case("max_pool_ceil_1d_dilated", "MaxPool", [f32(2, 2, 10)],
             {"kernel_shape": [2], "strides": [3], "dilations": [2], "ceil_mode": 1},
             outputs=2),
        # The partial windows average their taps in X, or divide by the
        # kernel's size even past the end pads.
        Case("avg_pool_ceil_padded", "AveragePool", [f32(2, 2, 8, 6)], ceil),
        Case("avg_pool_ceil_include_pad", "AveragePool", [f32(2, 2, 8, 6)], ceil_include),
        Case("avg_pool_ceil_1d_include_pad", "AveragePool", [f32(2, 3, 9)],
             {"kernel_shape": [2], "strides": [2], "ceil_mode": 1, "count_include_pad": 1}),
        Case("avg_pool_ceil_dilated_opset19", "AveragePool", [f32(1, 2, 10, 8)],
             {"kernel_shape": [2, 3], "strides": [2, 2], "dilations": [2, 1], "ceil_mode": 1,
              "count_include_pad": 1}, opset=19),
        max_pool_ceil_grad(f32(2, 2, 5, 6), [2, 3], [2, 2]),
        Case("avg_pool_grad_ceil", "AveragePoolGrad", [f32(2, 2, 5, 3)], ceil,
             expect=avg_pool_grad((2, 2, 8, 6), 3, 2, (1, 0), False, ceil_mode=True)),
        Case("avg_pool_grad_ceil_include_pad", "AveragePoolGrad", [f32(2, 2, 5, 3)],
             ceil_include,
             # ORT's AveragePoolGrad is its forward's transpose; torch's
             # differs in the windows past the end pads.
             expect=transposed_jacobian(
                 (2, 2, 8, 6), lambda x: Case("", "AveragePool", [x], ceil_include))),
    ]


def resize_grad(x_shape, align_corners, scale=None, size=None):
    """ResizeGrad by torch's autograd: ORT's kernel (CUDA only) is
    upsample_bilinear2d's backward (linear and trilinear for 1-D and 3-D)."""
    def expect(dy, *_):
        import torch
        x = torch.zeros(x_shape, requires_grad=True)
        mode = {3: "linear", 4: "bilinear", 5: "trilinear"}[len(x_shape)]
        y = torch.nn.functional.interpolate(x, size=size, scale_factor=scale,
                                            mode=mode, align_corners=align_corners)
        y.backward(torch.from_numpy(dy))
        return [x.grad.numpy()]
    return expect


def resize():
    def scales(*values):
        return np.asarray(values, dtype=np.float32)

    def case(name, x, attrs, scale=None, size=None, opset=19, roi=None):
        # Opset 11 requires roi and scales (empty when sizes are given).
        inputs = [x, roi, scale, size]
        if size is None:
            inputs = inputs[:3]
        if opset == 11 and scale is None:
            inputs[2] = scales()
        if opset == 11 and roi is None:
            inputs[1] = scales()
        return Case(name, "Resize", inputs, attrs, opset=opset,
                    consts={i for i in (1, 2, 3) if i < len(inputs)
                            and inputs[i] is not None})

    cases = []
    nearest = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]
    coordinates = ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel",
                   "half_pixel_symmetric"]
    # Every nearest_mode under every coordinate mode, up and down by
    # non-integer scales (ties between two pixels decide the rounding).
    for i, mode in enumerate(nearest):
        for coord in coordinates:
            cases.append(case(f"nearest_{mode}_{coord}", f32(2, 3, 5, 4),
                              {"mode": "nearest", "nearest_mode": mode,
                               "coordinate_transformation_mode": coord},
                              scales(1, 1, (1.5, 0.6, 2.0, 0.5)[i], (0.6, 1.5, 3.0, 0.75)[i])))
    cases += [
        # An empty batch stays empty.
        case("linear_empty_batch", f32(0, 2, 3, 3), {"mode": "linear"}, scales(1, 1, 2, 2)),
        case("nearest_tf_half_pixel_opset11", f32(1, 2, 4, 6),
             {"mode": "nearest", "coordinate_transformation_mode": "tf_half_pixel_for_nn"},
             scales(1, 1, 1.5, 0.5), opset=11),
        case("nearest_sizes_opset11", f32(1, 2, 4, 6), {"mode": "nearest"},
             size=i64([1, 2, 7, 3]), opset=11),
        case("nearest_asymmetric_floor_x2_opset13", f32(2, 2, 3, 4),
             {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
              "nearest_mode": "floor"}, scales(1, 1, 2, 2), opset=13),
        # Batch and channels resized too (ORT's nearest takes any axis).
        case("nearest_all_axes", f32(2, 3, 4), {"mode": "nearest"}, scales(2, 0.5, 1.5)),
        case("nearest_1d", f32(7), {"mode": "nearest"}, scales(0.6)),
    ]
    # axes (opset 18): ORT 1.19's kernel misreads them, so the reference is
    # the same resize spelled over every axis.
    x = f32(2, 3, 5, 4)
    axes = case("nearest_axes_opset18", x, {"mode": "nearest", "axes": [3, -2]},
                scales(1.5, 0.6), opset=18)
    axes.expect = lambda *_, x=x: reference(case("", x, {"mode": "nearest"},
                                            scales(1, 1, 0.6, 1.5), opset=18))
    cases.append(axes)
    # antialias (opset 18): linear and cubic downsampling with the kernel
    # widened by 1/scale (upsampling axes unchanged), exclude_outside, sizes.
    cases += [
        case("linear_antialias_down", f32(1, 2, 9, 8),
             {"mode": "linear", "antialias": 1}, scales(1, 1, 0.5, 0.6), opset=18),
        case("cubic_antialias_mixed", f32(1, 2, 9, 4),
             {"mode": "cubic", "antialias": 1}, scales(1, 1, 0.35, 1.5), opset=18),
        case("cubic_antialias_exclude_sizes", f32(1, 2, 10, 7),
             {"mode": "cubic", "antialias": 1, "exclude_outside": 1,
              "cubic_coeff_a": -0.5}, size=i64([1, 2, 4, 3]), opset=18),
    ]
    # Linear over the last two dims (rank 2 and 4) or three (rank 3 and 5),
    # as ORT's kernel allows.
    for coord in coordinates:
        cases.append(case(f"linear_{coord}", f32(2, 3, 5, 4),
                          {"mode": "linear", "coordinate_transformation_mode": coord},
                          scales(1, 1, 1.5, 0.6)))
        cases.append(case(f"linear_{coord}_down", f32(1, 2, 8, 6),
                          {"mode": "linear", "coordinate_transformation_mode": coord},
                          scales(1, 1, 0.5, 2.5)))
    cases += [
        case("linear_2d_sizes", f32(5, 4), {"mode": "linear"}, size=i64([3, 9])),
        case("linear_sizes_to_one", f32(1, 1, 5, 4),
             {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"},
             size=i64([1, 1, 1, 7])),
        case("linear_3d_rank3", f32(4, 3, 5), {"mode": "linear"}, scales(2, 0.5, 1.4)),
        case("linear_3d_rank5", f32(1, 2, 3, 4, 5),
             {"mode": "linear", "coordinate_transformation_mode": "align_corners"},
             scales(1, 1, 2, 1.5, 0.6)),
        case("linear_opset11", f32(1, 2, 4, 5), {"mode": "linear"},
             scales(1, 1, 2, 2), opset=11),
        case("linear_not_larger_opset18", f32(4, 6),
             {"mode": "linear", "keep_aspect_ratio_policy": "not_larger"},
             size=i64([8, 9]), opset=18),
        case("linear_not_smaller_opset18", f32(4, 6),
             {"mode": "linear", "keep_aspect_ratio_policy": "not_smaller"},
             size=i64([5, 5]), opset=18),
    ]
    # Cubic (torch's bicubic: cubic_coeff_a -0.75, taps past the edge read
    # at it) under each coordinate mode, up and down; exclude_outside and
    # another coefficient; sizes.
    for coord in coordinates:
        cases.append(case(f"cubic_{coord}", f32(2, 3, 5, 4),
                          {"mode": "cubic", "coordinate_transformation_mode": coord},
                          scales(1, 1, 1.5, 0.6)))
    cases += [
        case("cubic_down_exclude_outside", f32(1, 2, 8, 6),
             {"mode": "cubic", "exclude_outside": 1}, scales(1, 1, 0.5, 2.5)),
        case("cubic_coeff_a_sizes", f32(5, 4), {"mode": "cubic", "cubic_coeff_a": -0.5},
             size=i64([3, 9])),
        case("cubic_identity_opset11", f32(1, 2, 4, 5), {"mode": "cubic"},
             scales(1, 1, 1, 1), opset=11),
    ]
    x = f32(2, 3, 4, 6)
    axes = case("linear_axes_not_larger_opset18", x,
                {"mode": "linear", "axes": [3, 2], "keep_aspect_ratio_policy": "not_larger"},
                size=i64([9, 8]), opset=18)
    axes.expect = lambda *_, x=x: reference(case("", x, {"mode": "linear"},
                                            size=i64([2, 3, 6, 9]), opset=18))
    cases.append(axes)
    # ResizeGrad: ORT's kernel is CUDA only; torch's bilinear backward.
    for name, x_shape, dy_shape, ac, scale, size in [
            ("resize_grad_up2", (2, 3, 4, 5), (2, 3, 8, 10), False, (2.0, 2.0), None),
            ("resize_grad_up_odd", (1, 2, 4, 5), (1, 2, 6, 7), False, (1.5, 1.5), None),
            ("resize_grad_down", (1, 2, 8, 6), (1, 2, 4, 3), False, (0.5, 0.5), None),
            ("resize_grad_align_corners", (2, 2, 4, 5), (2, 2, 8, 7), True, (2.0, 1.5),
             None),
            ("resize_grad_sizes", (1, 3, 5, 4), (1, 3, 7, 9), False, None, (7, 9)),
            ("resize_grad_sizes_corners", (1, 3, 5, 4), (1, 3, 3, 9), True, None, (3, 9)),
            # nn.Upsample over sequences and volumes.
            ("resize_grad_1d", (2, 3, 5), (2, 3, 10), False, (2.0,), None),
            ("resize_grad_3d_corners", (1, 2, 3, 4, 2), (1, 2, 6, 8, 2), True,
             (2.0, 2.0, 1.0), None)]:
        inputs = [f32(*dy_shape), f32(*x_shape), None,
                  scales(1, 1, *scale) if scale else None]
        cases.append(Case(name, "ResizeGrad", inputs if scale else inputs[:2],
                          {"mode": "linear", "coordinate_transformation_mode":
                           "align_corners" if ac else "half_pixel"},
                          domain=MS, consts={3},
                          expect=resize_grad(x_shape, ac, scale, size)))

    # Nearest ResizeGrad (ORT's artifacts write it for nn.Upsample's default
    # mode, and no ORT kernel computes it): dX = Jᵀ·dY with J the Jacobian
    # of ORT's own nearest Resize, run on the one-hot images of X's plane.
    def nearest_grad(x_shape, attrs, scale, size):
        positions = int(np.prod(x_shape[2:]))
        sizes = None if size is None else i64([positions, 1, *size])
        return transposed_jacobian(
            x_shape, lambda basis: case("", basis, attrs, scale=scale, size=sizes))

    torch_nearest = {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
                     "nearest_mode": "floor"}
    for name, x_shape, dy_shape, attrs, scale, size in [
            ("resize_grad_nearest_up2", (2, 3, 4, 5), (2, 3, 8, 10), torch_nearest,
             (2.0, 2.0), None),
            ("resize_grad_nearest_up_odd", (1, 2, 4, 5), (1, 2, 6, 7), {"mode": "nearest"},
             (1.5, 1.5), None),
            ("resize_grad_nearest_down", (1, 2, 8, 6), (1, 2, 4, 3), torch_nearest,
             (0.5, 0.5), None),
            ("resize_grad_nearest_sizes", (1, 3, 5, 4), (1, 3, 7, 9),
             {"mode": "nearest", "nearest_mode": "round_prefer_ceil"}, None, (7, 9)),
            ("resize_grad_nearest_1d", (2, 3, 5), (2, 3, 15), torch_nearest, (3.0,), None)]:
        inputs = [f32(*dy_shape), f32(*x_shape), None,
                  scales(1, 1, *scale) if scale else None]
        cases.append(Case(name, "ResizeGrad", inputs if scale else inputs[:2], attrs,
                          domain=MS, consts={3},
                          expect=nearest_grad(x_shape, attrs,
                                              scales(1, 1, *scale) if scale else None, size)))
    # Cubic ResizeGrad (torch's bicubic interpolation, and DINOv2's of its
    # position embeddings): no ORT kernel either, the Jacobian likewise.
    for name, x_shape, dy_shape, attrs, scale in [
            ("resize_grad_cubic_up2", (2, 3, 4, 5), (2, 3, 8, 10),
             {"mode": "cubic", "cubic_coeff_a": -0.75}, (2.0, 2.0)),
            ("resize_grad_cubic_down_exclude_outside", (1, 2, 8, 6), (1, 2, 4, 9),
             {"mode": "cubic", "exclude_outside": 1}, (0.5, 1.5)),
            ("resize_grad_cubic_align_corners", (1, 2, 5, 4), (1, 2, 7, 4),
             {"mode": "cubic", "coordinate_transformation_mode": "align_corners"},
             (1.4, 1.0))]:
        inputs = [f32(*dy_shape), f32(*x_shape), None, scales(1, 1, *scale)]
        cases.append(Case(name, "ResizeGrad", inputs, attrs, domain=MS, consts={3},
                          expect=nearest_grad(x_shape, attrs, scales(1, 1, *scale), None)))
    # An empty X plane: nothing flows back.
    cases.append(Case("resize_grad_nearest_empty", "ResizeGrad",
                      [f32(1, 2, 0, 8), f32(1, 2, 0, 4), None, scales(1, 1, 1, 2)],
                      torch_nearest, domain=MS, consts={3},
                      expect=lambda *_: [np.zeros((1, 2, 0, 4), np.float32)]))
    # Upsample (opset 7: scales an attribute; 9: an input) and Resize-10:
    # asymmetric coordinates, nearest rounding down when upsampling and up
    # when downsampling, as ORT's kernels.
    cases += [
        Case("upsample7_nearest", "Upsample", [f32(1, 2, 3, 4)],
             {"scales": [1.0, 1.0, 2.0, 1.5]}, opset=7),
        Case("upsample9_linear", "Upsample", [f32(2, 1, 3, 3), scales(1, 1, 2, 2.5)],
             {"mode": "linear"}, opset=9, consts={1}),
        Case("resize10_nearest_down", "Resize", [f32(1, 2, 7, 6), scales(1, 1, 0.6, 0.5)],
             opset=10, consts={1}),
        Case("resize10_linear_mixed", "Resize", [f32(1, 1, 6, 4), scales(1, 1, 0.5, 1.75)],
             {"mode": "linear"}, opset=10, consts={1}),
    ]
    return cases


def same_pads(spatial, kernel, attrs):
    """ONNX's explicit pads for auto_pad (VALID, SAME_UPPER, SAME_LOWER)."""
    begin, end = [], []
    for i, (size, k) in enumerate(zip(spatial, kernel)):
        stride = attrs.get("strides", [1] * len(spatial))[i]
        extent = (k - 1) * attrs.get("dilations", [1] * len(spatial))[i] + 1
        total = 0 if attrs["auto_pad"] == "VALID" else \
            max(0, (-(-size // stride) - 1) * stride + extent - size)
        small = total // 2
        begin.append(small if attrs["auto_pad"] != "SAME_LOWER" else total - small)
        end.append(total - begin[-1])
    return begin + end


def pad():
    ints = np.arange(12, dtype=np.int64).reshape(3, 4)
    return [
        # CenterCropPad (opset 18): an odd crop and an odd pad, the extra
        # element at the end; named axes, or all of them.
        Case("center_crop_pad_axes", "CenterCropPad", [f32(5, 6, 3), i64([2, 9])],
             {"axes": [0, -2]}, opset=18, consts={1}),
        Case("center_crop_pad_all", "CenterCropPad", [f32(4, 7), i64([7, 4])],
             opset=18, consts={1}),
        Case("pad_constant", "Pad", [f32(2, 3, 4, 5), i64([0, 0, 1, 2, 0, 0, 2, 1])],
             consts={1}),
        # The value from a graph input; negative pads crop first.
        Case("pad_value_crop", "Pad",
             [f32(2, 3, 4), i64([0, -1, 2, 1, 1, -2]), np.array(1.5, np.float32)],
             consts={1}),
        # What ORT's gradient of Pad runs: the negated pads, cropping only.
        Case("pad_crop_only", "Pad", [f32(2, 5, 6), i64([0, -1, -2, 0, -3, -1])], consts={1}),
        Case("pad_crop_to_empty", "Pad", [f32(2, 4), i64([0, -2, 0, -2])], consts={1}),
        Case("pad_empty_input", "Pad", [f32(0, 3), i64([1, 0, 1, 2])], consts={1}),
        Case("pad_edge", "Pad", [f32(2, 3, 4), i64([0, 2, 3, 0, 1, 2])], {"mode": "edge"},
             consts={1}),
        Case("pad_reflect", "Pad", [f32(2, 4, 5), i64([0, 3, -1, 0, 2, 3])],
             {"mode": "reflect"}, consts={1}),
        Case("pad_wrap", "Pad", [f32(2, 4, 3), i64([0, 4, -1, 0, 1, 2])], {"mode": "wrap"},
             consts={1}, opset=19),
        # Opset 18's axes, negative and out of order.
        Case("pad_axes", "Pad", [f32(2, 3, 4), i64([2, 1, 0, 3]), None, i64([-1, 1])],
             consts={1, 3}, opset=18),
        Case("pad_attributes_opset10", "Pad", [f32(3, 4)],
             {"pads": [1, 0, 2, 1], "value": -2.5}, opset=10),
        Case("pad_int_reflect", "Pad", [ints, i64([1, 2, 1, 3])], {"mode": "reflect"},
             consts={1}),
        Case("pad_bool", "Pad", [np.array([[True, False, True]]), i64([1, 1, 0, 2])],
             consts={1}),
        # An empty dimension, not padded, under reflect.
        Case("pad_reflect_empty_unpadded", "Pad", [f32(0, 4), i64([0, 1, 0, 2])],
             {"mode": "reflect"}, consts={1}),
    ]


def lstm_weights(steps, batch, inputs, hidden, directions=1):
    """X, W, R, B, initial_h, initial_c, P of an LSTM."""
    return (f32(steps, batch, inputs), f32(directions, 4 * hidden, inputs, scale=0.5),
            f32(directions, 4 * hidden, hidden, scale=0.5), f32(directions, 8 * hidden),
            f32(directions, batch, hidden), f32(directions, batch, hidden),
            f32(directions, 3 * hidden))


def lstm_training_outputs(inputs, hidden):
    """ORT's LSTMTraining outputs (all_hidden_states, final h and c,
    all_cell_states, iofc) for LSTMGrad's inputs."""
    return reference(Case("forward", "LSTMTraining", inputs, {"hidden_size": hidden},
                          outputs=5, domain=MS))


def lstm_grad_case(name, with_initial, grads, hidden=6, steps=4, batch=3, inputs=5,
                   outputs=6):
    """LSTMGrad after ORT's LSTMTraining; `grads` picks which of dHAll, dHt,
    dCt are given."""
    x, w, r, b, h0, c0, _ = lstm_weights(steps, batch, inputs, hidden)
    h0, c0 = (h0, c0) if with_initial else (None, None)
    h_all, _, _, c_all, iofc = lstm_training_outputs([x, w, r, b, None, h0, c0], hidden)
    d_all = f32(steps, 1, batch, hidden) if "all" in grads else None
    d_h = f32(1, batch, hidden) if "h" in grads else None
    d_c = f32(1, batch, hidden) if "c" in grads else None
    return Case(name, "LSTMGrad", [x, w, r, None, h0, c0, h_all, c_all, iofc, d_all, d_h,
                                   d_c], {"hidden_size": hidden}, outputs=outputs, domain=MS)


def gru_weights(steps, batch, inputs, hidden, directions=1):
    """X, W, R, B, sequence_lens (None), initial_h of a GRU."""
    return [f32(steps, batch, inputs), f32(directions, 3 * hidden, inputs, scale=0.5),
            f32(directions, 3 * hidden, hidden, scale=0.5), f32(directions, 6 * hidden),
            None, f32(directions, batch, hidden)]


def rnn_weights(steps, batch, inputs, hidden, directions=1):
    """X, W, R, B, sequence_lens (None), initial_h of an RNN."""
    return [f32(steps, batch, inputs), f32(directions, hidden, inputs, scale=0.5),
            f32(directions, hidden, hidden, scale=0.5), f32(directions, 2 * hidden),
            None, f32(directions, batch, hidden)]


def gru_grad_case(name, linear_before_reset, with_bias, with_initial, grads, hidden=6,
                  steps=4, batch=3, inputs=5):
    """GRUGrad after ORT's GRUTraining; `grads` picks which of dHAll and dHt
    are given."""
    x, w, r, b, _, h0 = gru_weights(steps, batch, inputs, hidden)
    b = b if with_bias else None
    h0 = h0 if with_initial else None
    attrs = {"hidden_size": hidden, "linear_before_reset": linear_before_reset}
    h_all, _, zrh = reference(Case("forward", "GRUTraining", [x, w, r, b, None, h0], attrs,
                                   outputs=3, domain=MS))
    d_all = f32(steps, 1, batch, hidden) if "all" in grads else None
    d_h = f32(1, batch, hidden) if "h" in grads else None
    return Case(name, "GRUGrad", [x, w, r, b, None, h0, h_all, zrh, d_all, d_h], attrs,
                outputs=5, domain=MS)


def rnn():
    x, w, r, b, h0, c0, p = lstm_weights(4, 3, 5, 6)
    bidirectional = list(lstm_weights(4, 3, 5, 6, directions=2))
    bidirectional.insert(4, None)
    cases = [
        Case("lstm_training", "LSTMTraining", [x, w, r, b, None, h0, c0],
             {"hidden_size": 6, "direction": "forward"}, outputs=5, domain=MS),
        Case("lstm_training_no_bias_no_initial", "LSTMTraining", [x, w, r],
             {"hidden_size": 6}, outputs=5, domain=MS),
        Case("lstm_training_peepholes", "LSTMTraining", [x, w, r, b, None, h0, c0, p],
             {"hidden_size": 6}, outputs=5, domain=MS),
        Case("lstm_training_one_step", "LSTMTraining", [*lstm_weights(1, 2, 3, 4)[:4]],
             {"hidden_size": 4}, outputs=5, domain=MS),
        lstm_grad_case("lstm_grad", True, ["all", "h", "c"]),
        lstm_grad_case("lstm_grad_all_hidden_only", False, ["all"]),
        lstm_grad_case("lstm_grad_final_only", True, ["h", "c"]),
        lstm_grad_case("lstm_grad_peepholes", True, ["all", "h", "c"], outputs=7),
        lstm_grad_case("lstm_grad_one_step", False, ["all", "c"], hidden=4, steps=1,
                       batch=2, inputs=3),
        Case("lstm", "LSTM", [x, w, r, b, None, h0, c0], {"hidden_size": 6}, outputs=3),
        # sequence_lens giving every batch entry all 4 steps changes nothing.
        Case("lstm_full_sequence_lens", "LSTM",
             [x, w, r, b, np.full(3, 4, np.int32), h0, c0], {"hidden_size": 6},
             outputs=3, consts={4}),
        Case("lstm_y_only_opset7", "LSTM", [x, w, r], {"hidden_size": 6}, opset=7),
        Case("lstm_reverse_peepholes", "LSTM", [x, w, r, b, None, h0, c0, p],
             {"hidden_size": 6, "direction": "reverse"}, outputs=3),
        Case("lstm_bidirectional", "LSTM", bidirectional,
             {"hidden_size": 6, "direction": "bidirectional",
              "activations": ["Sigmoid", "Tanh", "Tanh"] * 2}, outputs=3, opset=14),
    ]
    gx, gw, gr, gb, _, gh0 = gru_weights(4, 3, 5, 6)
    for lbr in (0, 1):
        attrs = {"hidden_size": 6, "linear_before_reset": lbr}
        cases += [
            Case(f"gru_training_lbr{lbr}", "GRUTraining", [gx, gw, gr, gb, None, gh0],
                 attrs, outputs=3, domain=MS),
            Case(f"gru_training_lbr{lbr}_no_bias_no_initial", "GRUTraining", [gx, gw, gr],
                 attrs, outputs=3, domain=MS),
            gru_grad_case(f"gru_grad_lbr{lbr}", lbr, True, True, ["all", "h"]),
            gru_grad_case(f"gru_grad_lbr{lbr}_all_hidden_only", lbr, True, False, ["all"]),
            gru_grad_case(f"gru_grad_lbr{lbr}_no_bias_final_only", lbr, False, True, ["h"]),
            Case(f"gru_lbr{lbr}", "GRU", [gx, gw, gr, gb, None, gh0], attrs, outputs=2),
            Case(f"gru_lbr{lbr}_reverse", "GRU", [gx, gw, gr, gb, None, gh0],
                 {**attrs, "direction": "reverse"}, outputs=2),
            Case(f"gru_lbr{lbr}_bidirectional", "GRU", gru_weights(4, 3, 5, 6, directions=2),
                 {**attrs, "direction": "bidirectional"}, outputs=2, opset=14),
        ]
    cases += [
        gru_grad_case("gru_grad_one_step", 1, True, False, ["all"], hidden=4, steps=1,
                      batch=2, inputs=3),
        Case("gru_y_only_opset7", "GRU", [gx, gw, gr], {"hidden_size": 6}, opset=7),
    ]
    # RNN (nn.RNN): H = tanh(X·Wᵀ + H·Rᵀ + Wb + Rb).
    rx, rw, rr, rb, _, rh0 = rnn_weights(4, 3, 5, 6)
    cases += [
        Case("rnn", "RNN", [rx, rw, rr, rb, None, rh0], {"hidden_size": 6}, outputs=2),
        Case("rnn_reverse", "RNN", [rx, rw, rr, rb, None, rh0],
             {"hidden_size": 6, "direction": "reverse"}, outputs=2),
        Case("rnn_bidirectional", "RNN", rnn_weights(4, 3, 5, 6, directions=2),
             {"hidden_size": 6, "direction": "bidirectional"}, outputs=2, opset=14),
        # ORT's kernel rejects layout 1 (batch-first).
        onnx_reference(Case(
            "rnn_batch_first", "RNN",
            [rx.transpose(1, 0, 2).copy(), rw, rr, rb, None, rh0.transpose(1, 0, 2).copy()],
            {"hidden_size": 6, "layout": 1}, outputs=2, opset=14)),
        Case("rnn_y_only_opset7", "RNN", [rx, rw, rr], {"hidden_size": 6}, opset=7),
        # ONNX's schema default lists two activations even for one direction.
        Case("rnn_schema_default_activations", "RNN", [rx, rw, rr],
             {"hidden_size": 6, "activations": ["Tanh", "Tanh"]}),
    ]
    return cases


def einsum():
    """torch.einsum's equations (forward only: ORT has no gradient for Einsum)."""
    return [
        Case("einsum_attention_scores", "Einsum", [f32(2, 3, 5, 4), f32(2, 3, 6, 4)],
             {"equation": "bhqd,bhkd->bhqk"}, opset=12),
        Case("einsum_attention_values", "Einsum", [f32(2, 3, 5, 6), f32(2, 3, 6, 4)],
             {"equation": "bhqk,bhkd->bhqd"}),
        Case("einsum_bmm", "Einsum", [f32(2, 3, 4), f32(2, 4, 5)], {"equation": "bij,bjk->bik"}),
        Case("einsum_ellipsis_vector", "Einsum", [f32(2, 3, 4), f32(4)],
             {"equation": "...d,d->..."}),
        Case("einsum_ellipsis_broadcast", "Einsum", [f32(2, 1, 3, 4), f32(1, 5, 4, 2)],
             {"equation": "...ij,...jk->...ik"}),
        Case("einsum_ellipsis_middle", "Einsum", [f32(3, 2, 5, 4)],
             {"equation": "a...b->b...a"}),
        Case("einsum_implicit", "Einsum", [f32(3, 4), f32(4, 5)], {"equation": "ij,jk"}),
        Case("einsum_implicit_transpose", "Einsum", [f32(3, 4)], {"equation": "ba"}),
        Case("einsum_transpose", "Einsum", [f32(3, 4, 2)], {"equation": "ijk->kij"}),
        Case("einsum_sum_all", "Einsum", [f32(3, 4)], {"equation": "ij->"}),
        Case("einsum_dot", "Einsum", [f32(7), f32(7)], {"equation": "i,i->"}),
        Case("einsum_outer", "Einsum", [f32(3), f32(4)], {"equation": "i,j->ij"}),
        Case("einsum_sum_one_operand_index", "Einsum", [f32(3, 4), f32(4, 5)],
             {"equation": "ij,jk->k"}),
        Case("einsum_three_operands", "Einsum", [f32(2, 3), f32(3, 4), f32(4, 5)],
             {"equation": "ij,jk,kl->il"}),
        Case("einsum_upper_spaces", "Einsum", [f32(2, 3), f32(3, 4)],
             {"equation": " bI , IJ -> bJ "}),
        Case("einsum_bilinear", "Einsum", [f32(4, 3), f32(5, 3, 2), f32(4, 2)],
             {"equation": "bi,oij,bj->bo"}),
        Case("einsum_int64", "Einsum", [i64([[1, -2], [3, 4]]), i64([[5, 6, -7], [8, 9, 10]])],
             {"equation": "ij,jk->ik"}),
        # Diagonals: a letter repeated within an input term.
        Case("einsum_diagonal", "Einsum", [f32(4, 4)], {"equation": "ii->i"}),
        Case("einsum_trace", "Einsum", [f32(5, 5)], {"equation": "ii->"}),
        Case("einsum_trace_implicit", "Einsum", [f32(5, 5)], {"equation": "ii"}),
        Case("einsum_batch_diagonal", "Einsum", [f32(2, 3, 3)], {"equation": "bii->bi"}),
        Case("einsum_ellipsis_diagonal", "Einsum", [f32(2, 3, 4, 4)],
             {"equation": "...ii->...i"}),
        Case("einsum_diagonal_contraction", "Einsum", [f32(3, 3, 4), f32(4, 5)],
             {"equation": "iij,jk->ik"}),
        Case("einsum_triple_diagonal", "Einsum", [f32(3, 3, 3)], {"equation": "iii->i"}),
        Case("einsum_diagonal_int64", "Einsum", [i64([[1, -2], [3, 4]])],
             {"equation": "ii->i"}),
    ]


def unsigned():
    """UINT8..UINT64 tensors, drawn across each type's whole range: half the
    values lie above the signed maximum, where a signed reading differs. ORT
    has no unsigned Add/Sub/Mul/Div (numpy references there)."""
    TP = __import__("onnx").TensorProto

    def u(dtype, *shape, low=0, high=None):
        high = np.iinfo(dtype).max if high is None else high
        return RNG.integers(low, high, shape, dtype=dtype, endpoint=True)

    u8, u16, u32, u64 = (lambda *s, d=d, **k: u(d, *s, **k)
                         for d in (np.uint8, np.uint16, np.uint32, np.uint64))
    numpy = lambda fn: (lambda *xs: [fn(*xs)])
    divisors = np.concatenate([u64(6, low=1), u64(6, low=1, high=1000)]).reshape(3, 4)
    amounts64 = RNG.integers(0, 80, (3, 4)).astype(np.uint64)
    shift_right = lambda x, n: [np.where(n < 64, x >> np.minimum(n, 63), 0).astype(x.dtype)]
    cases = [
        # Arithmetic wraps modulo 2^width; division and remainders are unsigned.
        Case("add_uint8", "Add", [u8(3, 4), u8(4)], expect=numpy(np.add)),
        Case("sub_uint16", "Sub", [u16(3, 4), u16(3, 1)], expect=numpy(np.subtract)),
        Case("mul_uint32", "Mul", [u32(2, 5), u32(2, 5)], expect=numpy(np.multiply)),
        Case("div_uint64", "Div", [u64(3, 4), divisors], expect=numpy(np.floor_divide)),
        Case("div_uint8", "Div", [u8(3, 4), u8(4, low=1)], expect=numpy(np.floor_divide)),
        Case("sum_uint16", "Sum", [u16(2, 3), u16(3), u16(1, 3)],
             expect=lambda a, b, c: [a + b + c]),
        Case("max_uint64", "Max", [u64(3, 4), u64(4), u64(1)]),
        Case("min_uint32", "Min", [u32(2, 5), u32(2, 5)]),
        Case("max_uint8", "Max", [u8(2, 5), u8(2, 5)], expect=numpy(np.maximum)),
        Case("mod_uint16", "Mod", [u16(3, 4), u16(3, 4, low=1)]),
        # ORT computes fmod = 1 through doubles, inexact beyond 2^53.
        Case("mod_uint64_fmod", "Mod", [u64(3, 4), divisors], {"fmod": 1},
             expect=numpy(np.fmod)),
        Case("pow_uint32_exponent", "Pow", [f32(3, 4), u32(3, 4, high=5)],
             expect=lambda x, e: [np.power(x, e.astype(np.float32))]),
        # Comparisons order unsigned.
        Case("less_uint64", "Less", [u64(3, 4), u64(3, 4)]),
        Case("greater_or_equal_uint8", "GreaterOrEqual", [u8(3, 4), u8(4)]),
        Case("less_or_equal_uint16", "LessOrEqual", [u16(2, 5), u16(2, 5)]),
        Case("greater_uint32", "Greater", [u32(2, 5), u32(5)]),
        Case("equal_uint64", "Equal", [u64(2, 3), u64(2, 3)]),
        # Bitwise ops; BitShift (unsigned since opset 11): logical right
        # shifts, and shifting by the width or more gives 0 (numpy reference:
        # C's shift by the width is undefined).
        Case("bitwise_xor_uint16", "BitwiseXor", [u16(3, 4), u16(4)], opset=18),
        Case("bitwise_not_uint32", "BitwiseNot", [u32(2, 3)], opset=18),
        Case("bitshift_left_uint8", "BitShift", [u8(3, 4), u8(3, 4, high=7)],
             {"direction": "LEFT"}, opset=11),
        Case("bitshift_right_uint64", "BitShift", [u64(3, 4), amounts64],
             {"direction": "RIGHT"}, opset=11, expect=shift_right),
        # Cast: unsigned integers widen with zeros and convert to floats as
        # unsigned; narrowing wraps; floats truncate.
        Case("cast_uint8_to_float", "Cast", [u8(3, 4)], {"to": TP.FLOAT}),
        Case("cast_uint64_to_double", "Cast", [u64(3, 4)], {"to": TP.DOUBLE}),
        Case("cast_uint16_to_int64", "Cast", [u16(3, 4)], {"to": TP.INT64}),
        Case("cast_uint32_to_uint64", "Cast", [u32(3, 4)], {"to": TP.UINT64}),
        Case("cast_uint64_to_uint16", "Cast", [u64(3, 4)], {"to": TP.UINT16}),
        Case("cast_int32_to_uint8", "Cast",
             [RNG.integers(-300, 300, (3, 4)).astype(np.int32)], {"to": TP.UINT8}),
        Case("cast_float_to_uint32", "Cast", [f32(3, 4, positive=True, scale=1e9)],
             {"to": TP.UINT32}),
        Case("cast_uint8_to_bool", "Cast", [u8(3, 4, high=2)], {"to": TP.BOOL}),
        Case("cast_bool_to_uint16", "Cast", [RNG.random((3, 4)) < 0.5], {"to": TP.UINT16}),
        Case("castlike_uint8_to_float16", "CastLike",
             [u8(3, 4), np.zeros(1, np.float16)], opset=15),
        # Reductions, ArgMax, TopK and CumSum in unsigned order.
        Case("reduce_max_uint32", "ReduceMax", [u32(3, 4, 5)], {"axes": [1], "keepdims": 0}),
        Case("reduce_min_uint64", "ReduceMin", [u64(3, 4, 5)], {"axes": [0, 2]}),
        Case("reduce_sum_uint8", "ReduceSum", [u8(3, 4), i64([1])], consts={1},
             expect=lambda x, _: [x.sum(axis=1, keepdims=True, dtype=np.uint8)]),
        Case("argmax_uint8", "ArgMax", [u8(4, 6)], {"axis": 1}),
        Case("argmax_uint64_last", "ArgMax", [u64(4, 6, high=3)],
             {"axis": 0, "select_last_index": 1}),
        Case("topk_uint64", "TopK", [u64(3, 6), i64([3])], {"axis": 1}, outputs=2,
             consts={1}),
        Case("topk_smallest_uint16", "TopK", [u16(2, 5), i64([2])], {"largest": 0},
             outputs=2, consts={1}),
        Case("cumsum_uint32", "CumSum", [u32(3, 4), i64(1)], consts={1}),
        # Selection and data movement keep the values.
        Case("where_uint16", "Where", [RNG.random((3, 4)) < 0.5, u16(3, 4), u16(4)]),
        Case("trilu_uint8", "Trilu", [u8(3, 4)], opset=14),
        Case("reshape_uint8", "Reshape", [u8(2, 6), i64([3, 4])], consts={1}),
        Case("transpose_uint16", "Transpose", [u16(2, 3, 4)], {"perm": [2, 0, 1]}),
        Case("concat_uint32", "Concat", [u32(2, 3), u32(1, 3)], {"axis": 0}),
        Case("slice_uint64", "Slice", [u64(4, 5), i64([1]), i64([3]), i64([1])],
             consts={1, 2, 3}),
        Case("gather_uint8", "Gather", [u8(5, 3), i64([[0, 4], [2, 2]])]),
        Case("gather_elements_uint32", "GatherElements",
             [u32(3, 4), RNG.integers(0, 3, (2, 4))], {"axis": 0}),
        Case("expand_uint16", "Expand", [u16(3, 1), i64([2, 3, 4])], consts={1}),
        Case("tile_uint64", "Tile", [u64(2, 3), i64([2, 1])], consts={1}),
        Case("split_uint8", "Split", [u8(4, 3)], {"axis": 0}, outputs=2),
        Case("flatten_uint32", "Flatten", [u32(2, 3, 4)], {"axis": 2}),
        Case("unsqueeze_uint16", "Unsqueeze", [u16(3, 4), i64([0])], consts={1}),
        Case("identity_uint64", "Identity", [u64(2, 3)]),
        Case("pad_uint8", "Pad", [u8(2, 3), i64([1, 0, 0, 2]), np.array(250, np.uint8)],
             consts={1, 2}),
        Case("pad_zeros_uint16", "Pad", [u16(2, 3), i64([1, 0, 0, 2])], consts={1}),
        Case("pad_edge_uint64", "Pad", [u64(2, 3), i64([0, 2, 1, 1])], {"mode": "edge"},
             consts={1}),
        Case("bitcast_uint64_to_float64", "BitCast",
             [f32(3, 4).astype(np.float64).view(np.uint64)], {"to": TP.DOUBLE},
             opset=26, expect=lambda x: [x.view(np.float64)]),
        Case("bitcast_int32_to_uint32", "BitCast",
             [RNG.integers(-2**31, 2**31, (2, 3)).astype(np.int32)], {"to": TP.UINT32},
             opset=26, expect=lambda x: [x.view(np.uint32)]),
        Case("eyelike_uint8", "EyeLike", [f32(3, 3)], {"dtype": TP.UINT8, "k": -1},
             expect=lambda x: [np.eye(3, 3, -1, dtype=np.uint8)]),
        Case("clip_uint64", "Clip", [u64(3, 4), np.array(2**62, np.uint64),
                                     np.array(2**63 + 5, np.uint64)], opset=13),
        Case("clip_min_uint8", "Clip", [u8(3, 4), np.array(200, np.uint8)], opset=13),
        Case("scatter_elements_max_uint16", "ScatterElements",
             [u16(3, 4), RNG.integers(0, 3, (2, 4)), u16(2, 4)],
             {"axis": 0, "reduction": "max"}, opset=18),
        Case("scatter_elements_uint32", "ScatterElements",
             [u32(3, 4), i64([[1, 0, 2, 3], [0, 3, 1, 2]]), u32(2, 4)], {"axis": 1},
             opset=16),
        Case("max_pool_uint8", "MaxPool", [u8(2, 2, 5, 5)],
             {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}, outputs=2,
             opset=12),
        Case("center_crop_pad_uint8", "CenterCropPad", [u8(3, 5), i64([6, 2])], opset=18,
             consts={1}),
        Case("depth_to_space_uint8", "DepthToSpace", [u8(1, 8, 2, 3)], {"blocksize": 2}),
        Case("shape_of_uint16", "Shape", [u16(2, 3)]),
        Case("constant_of_shape_uint64", "ConstantOfShape", [i64([2, 3])],
             {"value": helper.make_tensor("v", TP.UINT64, [1], [2**64 - 5])}, consts={0}),
    ]
    # ORT 1.19 has no unsigned kernels of these: ONNX's reference instead.
    no_ort = {"Less", "Greater", "GreaterOrEqual", "LessOrEqual", "Equal", "ReduceMax",
              "ReduceMin", "ArgMax", "TopK", "CumSum", "Where", "Trilu", "DepthToSpace",
              "Pad", "CenterCropPad", "Clip", "ScatterElements"}
    return [onnx_reference(c) if c.op in no_ort and not c.expect else c for c in cases]


def quantize():
    """QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear: parameters
    per tensor, per axis and per block (opset 21, a block that does not
    divide its axis among them), int8/uint8/int16/uint16, values past each
    type's range (saturated) and halves (rounded to even)."""
    TP = __import__("onnx").TensorProto
    halves = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 1000.0, -1000.0,
                       124.5, 125.5, 252.5], np.float32).reshape(3, 4)
    x = f32(2, 3, 4, scale=60.0)
    scale = lambda *shape: (0.25 + RNG.random(shape)).astype(np.float32)
    ints = lambda dtype, *shape: RNG.integers(np.iinfo(dtype).min, np.iinfo(dtype).max,
                                              shape, dtype=dtype, endpoint=True)
    zero = lambda dtype, *shape: RNG.integers(np.iinfo(dtype).min // 4, np.iinfo(dtype).max // 4,
                                              shape, dtype=dtype, endpoint=True)
    cases = [
        Case("quantize_halves_uint8", "QuantizeLinear",
             [halves, np.array(1.0, np.float32), np.array(3, np.uint8)], opset=13),
        Case("quantize_int8_per_axis", "QuantizeLinear",
             [x, scale(3), zero(np.int8, 3)], {"axis": 1}, opset=13),
        Case("quantize_int16_last_axis", "QuantizeLinear",
             [x * 400, scale(4), zero(np.int16, 4)], {"axis": -1}, opset=21),
        Case("quantize_default_uint8", "QuantizeLinear", [x, np.array(0.5, np.float32)],
             opset=13),
        Case("quantize_uint16_output_dtype", "QuantizeLinear",
             [x * 500, np.array([0.75], np.float32)], {"output_dtype": TP.UINT16}, opset=21),
        # ORT 1.19 rounds f16 inputs toward zero (28.61 - 7 gives 21): ONNX's
        # reference, which rounds to nearest as ONNX specifies.
        onnx_reference(Case("quantize_float16", "QuantizeLinear",
                            [x.astype(np.float16), np.array(0.5, np.float16),
                             np.array(-7, np.int8)], opset=19)),
        onnx_reference(Case("quantize_blocked_int8", "QuantizeLinear",
                            [x, scale(2, 3, 2), zero(np.int8, 2, 3, 2)],
                            {"axis": 2, "block_size": 2}, opset=21)),
        Case("dequantize_uint8", "DequantizeLinear",
             [ints(np.uint8, 3, 4), np.array(0.125, np.float32), np.array(200, np.uint8)],
             opset=13),
        Case("dequantize_int8_axis0", "DequantizeLinear",
             [ints(np.int8, 3, 4), scale(3), zero(np.int8, 3)], {"axis": 0}, opset=13),
        Case("dequantize_uint16_last_axis", "DequantizeLinear",
             [ints(np.uint16, 2, 3, 4), scale(4), zero(np.uint16, 4)], {"axis": -1}, opset=21),
        Case("dequantize_int16", "DequantizeLinear",
             [ints(np.int16, 3, 4), np.array(0.01, np.float32), np.array(-1000, np.int16)],
             opset=21),
        Case("dequantize_int32", "DequantizeLinear",
             [ints(np.int32, 3, 4), np.array(2.0**-20, np.float32)], opset=13),
        Case("dequantize_float16_scale", "DequantizeLinear",
             [ints(np.uint8, 3, 4), np.array(0.5, np.float16), np.array(9, np.uint8)],
             opset=19),
        onnx_reference(Case("dequantize_blocked_uint8", "DequantizeLinear",
                            [ints(np.uint8, 3, 4), scale(3, 2), zero(np.uint8, 3, 2)],
                            {"axis": 1, "block_size": 3}, opset=21)),
        Case("dynamic_quantize", "DynamicQuantizeLinear", [f32(3, 4, scale=3.0)],
             outputs=3, opset=11),
        Case("dynamic_quantize_positive", "DynamicQuantizeLinear",
             [f32(2, 5, positive=True)], outputs=3, opset=11),
    ]
    # MatMulInteger and QLinearMatMul: the centered integer product in i32.
    def per_row_product(a, b, a_zero, b_zero):
        return [(a.astype(np.int32) - a_zero.astype(np.int32)[:, None])
                @ (b.astype(np.int32) - b_zero.astype(np.int32))]
    a_i8, b_i8 = ints(np.int8, 3, 4), ints(np.int8, 4, 2)
    a_zero, b_zero = ints(np.int8, 3), ints(np.int8, 2)
    cases += [
        Case("matmul_integer_uint8", "MatMulInteger",
             [ints(np.uint8, 2, 3, 4), ints(np.uint8, 4, 5), np.array(128, np.uint8),
              np.array(7, np.uint8)], opset=10),
        Case("matmul_integer_int8_per_row_column", "MatMulInteger",
             [a_i8, b_i8, a_zero, b_zero], opset=10,
             expect=lambda *_: per_row_product(a_i8, b_i8, a_zero, b_zero)),
        Case("qlinear_matmul_uint8_batched", "QLinearMatMul",
             [ints(np.uint8, 2, 3, 4), np.array(0.02, np.float32), np.array(120, np.uint8),
              ints(np.uint8, 4, 5), np.array(0.03, np.float32), np.array(130, np.uint8),
              np.array(0.05, np.float32), np.array(128, np.uint8)], opset=10),
        Case("qlinear_matmul_int8_per_column", "QLinearMatMul",
             [ints(np.int8, 3, 4), np.array(0.1, np.float32), np.array(-3, np.int8),
              ints(np.int8, 4, 2), np.array([0.05, 0.2], np.float32),
              np.array([0, 0], np.int8), np.array(0.5, np.float32), np.array(5, np.int8)],
             opset=10),
    ]
    return cases


def grid_sample():
    """GridSample and AffineGrid (the spatial transformer pair)."""
    def grid(*shape, extent=1.2):
        return RNG.uniform(-extent, extent, shape).astype(np.float32)
    return [
        Case("grid_sample_bilinear_zeros", "GridSample", [f32(2, 3, 5, 6), grid(2, 4, 3, 2)],
             opset=16),
        Case("grid_sample_bicubic_border_aligned", "GridSample",
             [f32(1, 2, 4, 5), grid(1, 3, 3, 2)],
             {"mode": "bicubic", "padding_mode": "border", "align_corners": 1}, opset=16),
        Case("grid_sample_bicubic_reflection", "GridSample",
             [f32(1, 1, 5, 4), grid(1, 4, 4, 2, extent=2.0)],
             {"mode": "bicubic", "padding_mode": "reflection"}, opset=16),
        Case("grid_sample_nearest_reflection", "GridSample",
             [f32(1, 2, 4, 3), grid(1, 5, 4, 2, extent=2.5)],
             {"mode": "nearest", "padding_mode": "reflection"}, opset=16),
        Case("grid_sample_bilinear_reflection_aligned", "GridSample",
             [f32(2, 1, 3, 4), grid(2, 3, 3, 2, extent=3.0)],
             {"padding_mode": "reflection", "align_corners": 1}, opset=16),
        # Opset 20's N-D sampling, newer than ORT 1.19's kernel.
        onnx_reference(Case("grid_sample_3d_linear_reflection", "GridSample",
                            [f32(1, 2, 3, 4, 5), grid(1, 2, 3, 2, 3, extent=1.6)],
                            {"padding_mode": "reflection"}, opset=20)),
        onnx_reference(Case("grid_sample_1d_cubic_zeros", "GridSample",
                            [f32(2, 3, 6), grid(2, 5, 1)], {"mode": "cubic"}, opset=20)),
        onnx_reference(Case("affine_grid_2d", "AffineGrid", [f32(2, 2, 3), i64([2, 3, 4, 5])],
                            opset=20, consts={1})),
        onnx_reference(Case("affine_grid_3d_aligned", "AffineGrid",
                            [f32(1, 3, 4), i64([1, 1, 2, 3, 4])], {"align_corners": 1},
                            opset=20, consts={1})),
    ]


def signal():
    """DFT, STFT, the windows and MelWeightMatrix (audio front ends)."""
    def scalar(value, dtype=np.int64):
        return np.array(value, dtype)
    return [
        Case("dft_real_axis1", "DFT", [f32(2, 8, 1)], opset=17),
        Case("dft_inverse_complex_padded", "DFT", [f32(2, 6, 2), scalar(8)], {"inverse": 1},
             opset=17, consts={1}),
        onnx_reference(Case("dft_onesided_truncated", "DFT",
                            [f32(3, 10, 1), scalar(7), scalar(-2)], {"onesided": 1},
                            opset=20, consts={1, 2})),
        onnx_reference(Case("dft_irfft", "DFT", [f32(2, 5, 2)],
                            {"inverse": 1, "onesided": 1}, opset=20)),
        onnx_reference(Case("dft_axis0_complex", "DFT", [f32(6, 3, 2), None, scalar(0)],
                            opset=20, consts={2})),
        Case("stft_hann_onesided", "STFT",
             [f32(2, 32, 1), scalar(4), np.hanning(8).astype(np.float32), scalar(8)],
             opset=17, consts={1, 3}),
        # ORT 1.19's STFT of a complex signal is off by orders of magnitude;
        # ONNX's reference agrees with numpy's FFT of each frame.
        onnx_reference(Case("stft_complex_two_sided", "STFT",
                            [f32(1, 20, 2), scalar(5), None, scalar(6)], {"onesided": 0},
                            opset=17, consts={1, 3})),
        Case("hann_window_periodic", "HannWindow", [scalar(10)], opset=17, consts={0}),
        Case("hamming_window_symmetric_double", "HammingWindow", [scalar(9)],
             {"periodic": 0, "output_datatype": 11}, opset=17, consts={0}),
        Case("blackman_window", "BlackmanWindow", [scalar(7)], opset=17, consts={0}),
        Case("mel_weight_matrix", "MelWeightMatrix",
             [scalar(8), scalar(64), scalar(16000), scalar(20.0, np.float32),
              scalar(7000.0, np.float32)], opset=17, consts={0, 1, 2, 3, 4}),
    ]


FAMILIES = {
    "elementwise": elementwise, "matmul": matmul, "shape": shape,
    "reduction": reduction, "normalization": normalization,
    "activation": activation, "attention": attention, "loss": loss,
    "gradient": gradient, "dropout": dropout, "logic": logic, "constant": constant,
    "conv": conv, "pool": pool, "pad": pad, "resize": resize, "rnn": rnn,
    "einsum": einsum, "unsigned": unsigned, "quantize": quantize,
    "grid_sample": grid_sample, "signal": signal,
}

# Models the importer must reject with a located error (see errors.test).
def flex_score_mod_to_double():
    """A FlexAttention score_mod that changes the scores' type."""
    return helper.make_graph(
        [helper.make_node("Cast", ["scores"], ["scores_out"], to=TensorProto.DOUBLE)],
        "score_mod", [helper.make_tensor_value_info("scores", TensorProto.FLOAT, None)],
        [helper.make_tensor_value_info("scores_out", TensorProto.DOUBLE, None)])


ERROR_CASES = [
    # FlexAttention (ai.onnx.preview): heads that do not group, a score_mod
    # changing the scores' type.
    Case("flex_attention_heads", "FlexAttention",
         [f32(1, 3, 4, 8), f32(1, 2, 4, 8), f32(1, 2, 4, 8)], domain="ai.onnx.preview"),
    Case("flex_attention_score_mod_type", "FlexAttention",
         [f32(1, 2, 4, 8), f32(1, 2, 4, 8), f32(1, 2, 4, 8)],
         {"score_mod": flex_score_mod_to_double()}, domain="ai.onnx.preview"),
    # Attributes an importer does not read: ignoring them could change the
    # result (LeakyRelu's slope on a Relu, an option a newer opset or another
    # runtime adds).
    Case("relu_unknown_alpha", "Relu", [f32(2, 3)], {"alpha": 0.1}),
    Case("softmax_unknown_precision", "Softmax", [f32(2, 3)], {"precision": 1}),
    Case("gemm_bad_trans", "Gemm", [f32(3, 4), f32(4, 5)], {"transA": 2}),
    Case("fused_matmul_trans_batch", "FusedMatMul", [f32(2, 3, 4), f32(2, 4, 5)],
         {"transBatchA": 1}, domain=MS),
    Case("matmul_mismatch", "MatMul", [f32(3, 4), f32(5, 6)]),
    Case("add_no_broadcast", "Add", [f32(2, 3), f32(4)]),
    Case("reshape_computed_shape", "Reshape", [f32(2, 3), i64([3, 2])]),
    Case("reshape_bad_count", "Reshape", [f32(2, 3), i64([4, -1])], consts={1}),
    Case("transpose_bad_perm", "Transpose", [f32(2, 3)], {"perm": [0, 0]}),
    Case("split_bad_sizes", "Split", [f32(2, 7), i64([2, 4])], {"axis": 1},
         outputs=2, consts={1}),
    Case("split_no_outputs", "Split", [f32(4, 3)], outputs=0, opset=13),
    Case("clip_vector_min", "Clip", [f32(3, 4), f32(4), None], opset=13),
    Case("gather_elements_bad_rank", "GatherElements", [f32(3, 4), i64([1, 2])]),
    Case("scatter_nd_bad_reduction", "ScatterND", [f32(4, 3), i64([[1]]), f32(1, 3)],
         {"reduction": "mean"}, opset=18, consts={1}),
    Case("scatter_nd_repeated", "ScatterND", [f32(4, 3), i64([[1], [-3]]), f32(2, 3)],
         consts={1}),
    Case("scatter_nd_scalar_indices", "ScatterND", [f32(4, 3), i64(1), f32(3)], consts={1}),
    Case("scatter_nd_out_of_range", "ScatterND", [f32(4, 3), i64([[4]]), f32(1, 3)],
         consts={1}),
    # ceil_mode's last window would start past X (ORT pools nothing there).
    Case("max_pool_pads_not_below_kernel", "MaxPool", [f32(1, 1, 5, 5)],
         {"kernel_shape": [2, 2], "pads": [2, 0, 0, 0]}),
    Case("max_pool_grad_undeclared", "MaxPoolGrad",
         [f32(1, 1, 2, 2), i64([[[[0, 1], [2, 3]]]])], {"kernel_shape": [2, 2]}),
    Case("div_grad_bad_dy", "DivGrad", [f32(3, 5), f32(3, 4), f32(4, positive=True)],
         outputs=2, domain=MS),
    Case("softmax_bad_axis", "Softmax", [f32(2, 3)], {"axis": 2}, opset=13),
    Case("gelu_bad_approximate", "Gelu", [f32(2, 3)], {"approximate": "fast"}, opset=20),
    Case("layernorm_stash_f16", "LayerNormalization", [f32(2, 3), f32(3)],
         {"stash_type": 10}),
    Case("layernorm_f64", "LayerNormalization",
         [np.ones((2, 3)), np.ones(3)]),
    Case("sce_bad_reduction", "SoftmaxCrossEntropyLoss", [f32(4, 3), i64([0, 1, 2, 1])],
         {"reduction": "max"}),
    Case("sce_bad_labels", "SoftmaxCrossEntropyLoss", [f32(4, 3), i64([0, 1, 2])]),
    Case("reduce_duplicate_axes", "ReduceSum", [f32(2, 3), i64([1, -1])], consts={1}),
    Case("scaled_sum_broadcast", "ScaledSum", [f32(2, 3), f32(3)], domain=MS),
    Case("batch_scale_one_output", "BatchScale", [f32(2, 3)], {"scale_0": 2.0}, domain=MS),
    Case("one_hot_computed_depth", "OneHot", [i64([0, 1]), i64(3), i64([0, 1])], opset=11),
    Case("one_hot_bad_values", "OneHot", [i64([0, 1]), i64(3), i64([0, 1, 2])], consts={1},
         opset=11),
    Case("cumsum_computed_axis", "CumSum", [f32(2, 3), i64(1)]),
    Case("cumsum_bad_axis", "CumSum", [f32(2, 3), i64(2)], consts={1}),
    Case("cumsum_bad_reverse", "CumSum", [f32(2, 3), i64(1)], {"reverse": 2}, consts={1}),
    Case("accumulator_v2_no_buffer_out", "InPlaceAccumulatorV2", [f32(3), f32(3)],
         domain=MS),
    Case("attention_past_key_only", "Attention",
         [f32(1, 2, 3, 4), f32(1, 2, 3, 4), f32(1, 2, 3, 4), None, f32(1, 2, 2, 4)],
         opset=23),
    Case("attention_past_mismatch", "Attention",
         [f32(1, 2, 3, 4), f32(1, 2, 3, 4), f32(1, 2, 3, 4), None, f32(1, 2, 2, 4),
          f32(1, 1, 2, 4)], opset=23),
    Case("ms_attention_rotary", "Attention", [f32(1, 3, 8), f32(8, 24), f32(24)],
         {"num_heads": 2, "do_rotary": 1}, domain=MS),
    Case("gather_grad_bad_dy", "GatherGrad", [i64([7, 3]), i64([1, 2]), f32(3, 3)],
         domain=MS, consts={0}),
    # Shapes a node builds its result from: negative dims, or a product past
    # int64 (GatherElementsGrad's skipped offset overflowed on one).
    Case("gather_grad_negative_shape", "GatherGrad", [i64([-4, 3]), i64([1, 2]),
                                                      f32(2, 3)], domain=MS, consts={0}),
    Case("gather_elements_grad_huge_shape", "GatherElementsGrad",
         [f32(2, 2), i64([1 << 62, 4]), i64([[0, 1], [1, 0]])], domain=MS, consts={1}),
    Case("constant_of_shape_negative", "ConstantOfShape", [i64([2, -1])], consts={0}),
    Case("lp_norm_p3", "LpNormalization", [f32(2, 3)], {"p": 3}),
    Case("bitwise_and_float", "BitwiseAnd", [f32(2, 3), f32(2, 3)], opset=18),
    Case("bitshift_up", "BitShift", [i64([1, 2]), i64([1, 1])], {"direction": "UP"}, opset=28),
    # Unsigned integers reach only the importers that handle them.
    Case("rotary_odd_dim", "RotaryEmbedding", [f32(1, 2, 3, 8), f32(3, 2), f32(3, 2)],
         {"rotary_embedding_dim": 5}, opset=23),
    Case("rotary_bad_cache", "RotaryEmbedding",
         [f32(1, 2, 3, 8), f32(3, 3), f32(3, 3), np.zeros((1, 3), np.int64)], opset=23),
    Case("reverse_sequence_too_long", "ReverseSequence", [f32(3, 2), i64([3, 4])],
         consts={1}),
    Case("linear_attention_no_beta", "LinearAttention",
         [f32(1, 2, 4), f32(1, 2, 4), f32(1, 2, 4), None, f32(1, 2, 1)],
         {"q_num_heads": 1, "kv_num_heads": 1}, outputs=2, opset=27),
    Case("linear_attention_heads", "LinearAttention",
         [f32(1, 2, 6), f32(1, 2, 6), f32(1, 2, 6)],
         {"q_num_heads": 3, "kv_num_heads": 2, "update_rule": "linear"}, outputs=2,
         opset=27),
    Case("causal_conv_bad_weight", "CausalConvWithState", [f32(1, 3, 4), f32(3, 2, 2)],
         outputs=2, opset=27),
    Case("col2im_block_count", "Col2Im", [f32(1, 4, 5), i64([4, 4]), i64([2, 2])],
         opset=18, consts={1, 2}),
    Case("attention_nonpad_with_past", "Attention",
         [f32(1, 2, 1, 4), f32(1, 2, 1, 4), f32(1, 2, 1, 4), None, f32(1, 2, 3, 4),
          f32(1, 2, 3, 4), i64([2])], outputs=3, opset=24),
    Case("attention_qk_mode", "Attention", [f32(1, 2, 3, 4), f32(1, 2, 3, 4), f32(1, 2, 3, 4)],
         {"qk_matmul_output_mode": 4}, outputs=4, opset=24),
    Case("grid_sample_bad_grid", "GridSample", [f32(1, 1, 3, 3), f32(1, 2, 2, 3)], opset=16),
    Case("grid_sample_bad_mode", "GridSample", [f32(1, 1, 3, 3), f32(1, 2, 2, 2)],
         {"mode": "linear"}, opset=16),
    Case("affine_grid_bad_theta", "AffineGrid", [f32(1, 2, 2), i64([1, 1, 3, 3])], opset=20,
         consts={1}),
    Case("dft_last_axis", "DFT", [f32(2, 4, 2)], {"axis": 2}, opset=17),
    Case("stft_zero_step", "STFT", [f32(1, 8, 1), np.array(0, np.int64)], opset=17,
         consts={1}),
    Case("upsample_scales_count", "Upsample", [f32(1, 2, 3)], {"scales": [1.0, 2.0]}, opset=7),
    Case("matmul_integer_float", "MatMulInteger", [f32(2, 3), f32(3, 2)], opset=10),
    Case("qlinear_conv_float_bias", "QLinearConv",
         [np.zeros((1, 1, 3, 3), np.uint8), np.array(0.1, np.float32), np.array(0, np.uint8),
          np.zeros((1, 1, 2, 2), np.uint8), np.array(0.1, np.float32), np.array(0, np.uint8),
          np.array(0.1, np.float32), np.array(0, np.uint8), f32(1)], opset=10),
    Case("det_not_square", "Det", [f32(2, 3, 4)], opset=11),
    Case("tensor_scatter_overflow", "TensorScatter",
         [f32(1, 6, 2), f32(1, 2, 2), i64([5])], {"axis": 1}, opset=24, consts={2}),
    Case("bitcast_wider", "BitCast", [f32(3)], {"to": 7}, opset=26),
    Case("gather_uint32_indices", "Gather",
         [f32(4, 3), np.array([1, 3], np.uint32)]),
    Case("average_pool_uint8", "AveragePool",
         [np.arange(16, dtype=np.uint8).reshape(1, 1, 4, 4)], {"kernel_shape": [2, 2]}),
    Case("bitshift_signed_opset11", "BitShift", [i64([1, 2]), i64([1, 1])],
         {"direction": "LEFT"}, opset=11),
    Case("pow_uint8_base", "Pow", [np.arange(4, dtype=np.uint8), f32(4)], opset=15),
    Case("quantize_float8e8m0", "QuantizeLinear", [f32(3), np.array(1.0, np.float32)],
         {"output_dtype": 24}, opset=24),
    # Float8 tensors go through conversions and data movement only.
    Case("add_float8", "Add", [np.zeros(3, ml_dtypes.float8_e4m3fn)] * 2),
    Case("quantize_precision_f16", "QuantizeLinear", [f32(3), np.array(1.0, np.float32)],
         {"precision": 10}, opset=25),
    Case("dequantize_bad_scale", "DequantizeLinear",
         [np.arange(6, dtype=np.int8).reshape(2, 3), np.ones(5, np.float32)], opset=13),
    Case("dequantize_bad_block", "DequantizeLinear",
         [np.arange(6, dtype=np.int8).reshape(2, 3), np.ones((2, 1), np.float32)],
         {"axis": 1, "block_size": 2}, opset=21),
    Case("dropout_ratio1_training", "Dropout",
         [f32(3, 4), np.array(1.0, np.float32), np.array(True)], consts={1, 2}),
    Case("dropout_runtime_mode", "Dropout", [f32(3, 4), np.array(0.1, np.float32),
                                             np.array(True)], consts={1}),
    Case("dropout_grad_float_mask", "DropoutGrad", [f32(3, 4), f32(3, 4)], domain=MS),
    Case("random_uniform_int_dtype", "RandomUniform", [], {"shape": [2, 3], "dtype": 7}),
    Case("random_uniform_no_shape", "RandomUniform", [], {"seed": 1.0}),
    Case("random_uniform_low_above_high", "RandomUniform", [],
         {"shape": [2, 3], "low": 2.0, "high": 1.0}),
    Case("random_uniform_like_int_input", "RandomUniformLike", [i64([1, 2])]),
    Case("random_uniform_like_huge_seed", "RandomUniformLike", [f32(2, 3)], {"seed": 1e30}),
    Case("cast_to_string", "Cast", [f32(3)], {"to": 8}),
    Case("where_float_condition", "Where", [f32(3), f32(3), f32(3)]),
    Case("and_int", "And", [i64([1, 0]), i64([1, 1])]),
    Case("expand_huge", "Expand", [f32(1), i64([1 << 20, 1 << 20])], consts={1}),
    Case("constant_string", "Constant", [], {"value_string": "text"}),
    Case("range_runtime", "Range", [i64(0), i64(4), i64(1)], consts={0, 2}),
    Case("range_zero_delta", "Range", [i64(0), i64(4), i64(0)], consts={0, 1, 2}),
    Case("mod_float_python", "Mod", [f32(3), f32(3)]),
    Case("tile_zero_repeat", "Tile", [f32(2, 3), i64([2, 0])], consts={1}),
    Case("scatter_elements_bad_updates", "ScatterElements",
         [f32(3, 4), i64([[0, 1]]), f32(2, 2)], {"axis": 1}),
    Case("scatter_elements_bad_reduction", "ScatterElements",
         [f32(3, 4), i64([[0, 1]]), f32(1, 2)], {"reduction": "mean"}, opset=18),
    Case("gather_nd_batch_dims", "GatherND", [f32(2, 3, 4), i64([[1], [2]])],
         {"batch_dims": 2}, opset=12),
    Case("scatter_nd_bad_updates", "ScatterND", [f32(5, 3), i64([[4], [2]]), f32(3, 3)]),
    Case("top_k_too_large", "TopK", [f32(2, 3), i64([4])], outputs=2, consts={1}),
    Case("top_k_runtime_k", "TopK", [f32(2, 3), i64([2])], outputs=2),
    Case("rmsnorm_grad_bad_stat", "SimplifiedLayerNormalizationGrad",
         [f32(3, 4), f32(3, 4), f32(4), f32(4, 1)], domain=MS),
    Case("resize_scales_and_sizes", "Resize",
         [f32(1, 1, 2, 2), None, np.array([1, 1, 2, 2], np.float32), i64([1, 1, 4, 4])],
         opset=13, consts={2, 3}),
    Case("resize_computed_scales", "Resize",
         [f32(1, 1, 2, 2), None, np.array([1, 1, 2, 2], np.float32)], opset=13),
    Case("resize_zero_scale", "Resize",
         [f32(1, 1, 2, 2), None, np.array([1, 1, 0, 2], np.float32)], opset=13, consts={2}),
    Case("resize_huge_scale", "Resize",
         [f32(1, 1, 2, 2), None, np.array([1, 1, 1e30, 2], np.float32)], opset=13, consts={2}),
    Case("resize_scales_rank", "Resize",
         [f32(1, 1, 2, 2), None, np.array([2, 2], np.float32)], opset=13, consts={2}),
    Case("resize_bicubic", "Resize", [f32(1, 1, 2, 2), None, np.array([1, 1, 2, 2], np.float32)],
         {"mode": "bicubic"}, opset=13, consts={2}),
    Case("batch_norm_training_mode", "BatchNormInternal",
         [f32(2, 3), f32(3), f32(3), f32(3), f32(3, positive=True)], {"training_mode": 2},
         domain=MS),
    Case("resize_exclude_outside", "Resize",
         [f32(1, 1, 2, 2), None, np.array([1, 1, 2, 2], np.float32)],
         {"mode": "cubic", "exclude_outside": 2}, opset=13, consts={2}),
    Case("resize_tf_crop_and_resize", "Resize",
         [f32(1, 1, 2, 2), np.array([0, 0, 0, 0, 1, 1, 1, 1], np.float32),
          np.array([1, 1, 2, 2], np.float32)],
         {"coordinate_transformation_mode": "tf_crop_and_resize"}, opset=13, consts={1, 2}),
    Case("resize_antialias", "Resize",
         [f32(1, 1, 4, 4), None, np.array([1, 1, 0.5, 0.5], np.float32)],
         {"mode": "nearest", "antialias": 1}, opset=18, consts={2}),
    Case("resize_grad_pytorch_half_pixel", "ResizeGrad",
         [f32(1, 1, 4, 4), f32(1, 1, 2, 2), None, np.array([1, 1, 2, 2], np.float32)],
         {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"},
         domain=MS, consts={3}),
    Case("resize_grad_channel_mismatch", "ResizeGrad", [f32(1, 4, 4), f32(1, 2, 2)],
         {"mode": "linear"}, domain=MS),
    # Opset versions outside what each importer implements.
    Case("upsample_opset10", "Upsample", [f32(1, 1, 2, 2), np.array([1, 1, 2, 2], np.float32)],
         opset=10, consts={1}),
    Case("softmax_opset99", "Softmax", [f32(2, 3)], opset=99),
    Case("add_opset_negative", "Add", [f32(2, 3), f32(3)], opset=-5),
    Case("gemm_opset6", "Gemm", [f32(3, 4), f32(4, 5)], opset=6),
    Case("attention_window_negative", "Attention",
         [f32(1, 2, 3, 4), f32(1, 2, 3, 4), f32(1, 2, 3, 4)], {"left_window_size": -2},
         opset=25),
    # The windows are Attention-25's: earlier opsets do not read them.
    Case("attention_window_opset24", "Attention",
         [f32(1, 2, 3, 4), f32(1, 2, 3, 4), f32(1, 2, 3, 4)], {"left_window_size": 1},
         opset=24),
    Case("convt_opset10", "ConvTranspose", [f32(1, 2, 3), f32(2, 2, 2)], opset=10),
    # Beyond output_padding's reach ORT and ONNX's reference disagree.
    Case("convt_output_shape_too_large", "ConvTranspose", [f32(1, 2, 3, 3), f32(2, 2, 3, 3)],
         {"output_shape": [20, 11]}),
    Case("convt_stride_too_large", "ConvTranspose", [f32(1, 1, 5), f32(1, 1, 3)],
         {"strides": [2**62]}),
    Case("fused_matmul_ms_opset2", "FusedMatMul", [f32(3, 4), f32(4, 5)], domain=MS,
         ms_opset=2),
    # Constant indices outside the gathered axis.
    Case("gather_index_out_of_range", "Gather", [f32(10, 4), i64([[1, 10], [0, 3]])],
         consts={1}),
    Case("gather_index_below_range", "Gather", [f32(2, 5), i64([-6])], {"axis": 1},
         consts={1}),
    Case("gather_grad_index_out_of_range", "GatherGrad",
         [i64([7, 3]), i64([1, 7]), f32(2, 3)], domain=MS, consts={0, 1}),
    Case("scale_two_elements", "Scale", [f32(3), f32(2)], domain=MS),
    # 0/1 attributes: ORT reads some as != 0, others as == 1.
    Case("arg_max_keepdims_minus_one", "ArgMax", [f32(5, 3)], {"keepdims": -1}),
    Case("mod_fmod_two", "Mod", [i64([7, -7]), i64([3, 3])], {"fmod": 2}),
    Case("trilu_upper_two", "Trilu", [f32(3, 3)], {"upper": 2}),
    Case("reshape_allowzero_minus_one", "Reshape", [f32(2, 3), i64([3, 2])],
         {"allowzero": -1}, consts={1}, opset=14),
    Case("attention_is_causal_two", "Attention", [f32(2, 4, 6, 8), f32(2, 4, 5, 8),
                                                  f32(2, 4, 5, 8)], {"is_causal": 2}, opset=23),
    Case("scale_down_two", "Scale", [f32(3), np.array([2.0], np.float32)], {"scale_down": 2},
         domain=MS),
    # ConvTranspose: W [C, M/group, k...] must match X [N, C, D...].
    Case("convt_channels_mismatch", "ConvTranspose", [f32(1, 3, 4, 4), f32(2, 2, 3, 3)]),
    Case("convt_group_not_dividing", "ConvTranspose", [f32(1, 3, 4, 4), f32(3, 2, 3, 3)],
         {"group": 2}),
    Case("convt_w_bad_rank", "ConvTranspose", [f32(1, 3, 4, 4), f32(3, 2, 3)]),
    # An empty kernel has no taps (it imported as a convolution of input + 1 outputs).
    Case("conv_empty_kernel", "Conv", [f32(1, 1, 5), f32(1, 1, 0)]),
    Case("convt_empty_kernel", "ConvTranspose", [f32(1, 1, 4, 4), f32(1, 1, 0, 3)]),
    Case("convt_output_padding_too_large", "ConvTranspose", [f32(1, 2, 4, 4), f32(2, 2, 3, 3)],
         {"strides": [2, 2], "dilations": [1, 2], "output_padding": [1, 2]}),
    Case("convt_negative_pads", "ConvTranspose", [f32(1, 2, 4, 4), f32(2, 2, 3, 3)],
         {"pads": [-1, 0, 0, 0]}),
    Case("convt_pads_leave_no_output", "ConvTranspose", [f32(1, 2, 2), f32(2, 2, 2)],
         {"pads": [2, 1]}),
    Case("convt_bad_output_shape", "ConvTranspose", [f32(1, 2, 4, 4), f32(2, 2, 3, 3)],
         {"output_shape": [1, 3, 6, 6]}),
    Case("convt_grad_bad_dy", "ConvTransposeGrad", [f32(1, 2, 5, 5), f32(1, 2, 4, 4),
                                                    f32(2, 2, 3, 3)],
         {"strides": [2, 2]}, outputs=3, domain=MS),
    Case("slice_zero_step", "Slice", [f32(4, 6), i64([0]), i64([3]), i64([1]), i64([0])],
         consts={1, 2, 3, 4}),
    Case("slice_grad_bad_dy", "SliceGrad",
         [f32(2, 3), i64([2, 8]), i64([0]), i64([8]), i64([1]), i64([2])],
         domain=MS, consts={1, 2, 3, 4, 5}),
    # ORT reads outside the input for these (garbage); rejected here.
    Case("pad_reflect_too_far", "Pad", [f32(2, 3), i64([0, 3, 0, 0])], {"mode": "reflect"},
         consts={1}),
    Case("pad_edge_empty", "Pad", [f32(0, 3), i64([1, 0, 1, 0])], {"mode": "edge"},
         consts={1}),
    Case("pad_crop_too_far", "Pad", [f32(2, 3), i64([0, -2, 0, -2])], consts={1}),
    # INT64_MIN, whose magnitude does not fit in int64_t.
    Case("pad_int64_min", "Pad", [f32(2, 3), i64([0, -(2**63), 0, 0])], consts={1}),
    Case("pad_wrap_opset17", "Pad", [f32(2, 3), i64([0, 1, 0, 1])], {"mode": "wrap"},
         consts={1}),
    Case("pad_computed_pads", "Pad", [f32(2, 3), i64([0, 1, 0, 1])]),
    Case("pad_pads_2d", "Pad", [f32(2, 3), i64([[0, 1], [0, 1]])], consts={1}),
    # Shape-like inputs are vectors (or scalars): a matrix was read flattened.
    Case("reshape_shape_2d", "Reshape", [f32(2, 3), i64([[3, 2]])], consts={1}),
    # Scales that do not resize X to dY describe no Resize.
    Case("resize_grad_scale_mismatch", "ResizeGrad",
         [f32(1, 1, 4, 4), f32(1, 1, 2, 2), None, np.array([1, 1, 3, 2], np.float32)],
         {"mode": "linear"}, domain=MS, consts={3}),
    # What ONNX Runtime's LSTM training kernels do not run, and what the
    # importer does not implement.
    Case("lstm_training_reverse", "LSTMTraining", [*lstm_weights(3, 2, 4, 5)[:3]],
         {"hidden_size": 5, "direction": "reverse"}, outputs=5, domain=MS),
    Case("lstm_sequence_lens", "LSTM",
         [*lstm_weights(3, 2, 4, 5)[:4], np.array([3, 2], np.int32)], {"hidden_size": 5}),
    Case("lstm_clip", "LSTM", [*lstm_weights(3, 2, 4, 5)[:3]],
         {"hidden_size": 5, "clip": 1.0}),
    Case("lstm_input_forget", "LSTM", [*lstm_weights(3, 2, 4, 5)[:3]],
         {"hidden_size": 5, "input_forget": 1}),
    Case("lstm_activations", "LSTM", [*lstm_weights(3, 2, 4, 5)[:3]],
         {"hidden_size": 5, "activations": ["Sigmoid", "Relu", "Tanh"]}),
    Case("lstm_layout_bad", "LSTM", [*lstm_weights(3, 2, 4, 5)[:3]],
         {"hidden_size": 5, "layout": 2}, opset=14),
    Case("lstm_bad_hidden_size", "LSTM", [*lstm_weights(3, 2, 4, 5)[:3]],
         {"hidden_size": 4}),
    Case("lstm_grad_no_steps", "LSTMGrad",
         [f32(0, 2, 4), f32(1, 20, 4), f32(1, 20, 5), None, None, None, f32(0, 1, 2, 5),
          f32(0, 1, 2, 5), f32(0, 1, 2, 20)], {"hidden_size": 5}, outputs=6, domain=MS),
    Case("gru_training_bidirectional", "GRUTraining", gru_weights(3, 2, 4, 5, 2)[:3],
         {"hidden_size": 5, "direction": "bidirectional"}, outputs=3, domain=MS),
    Case("gru_activations", "GRU", gru_weights(3, 2, 4, 5)[:3],
         {"hidden_size": 5, "activations": ["HardSigmoid", "Tanh"]}),
    Case("gru_missing_hidden_size", "GRU", gru_weights(3, 2, 4, 5)[:3]),
    # nn.RNN(nonlinearity="relu").
    Case("rnn_relu", "RNN", rnn_weights(3, 2, 4, 5)[:3],
         {"hidden_size": 5, "activations": ["Relu"]}),
    Case("gru_grad_bad_zrh", "GRUGrad",
         [f32(3, 2, 4), f32(1, 15, 4), f32(1, 15, 5), None, None, None, f32(3, 1, 2, 5),
          f32(3, 1, 2, 5)], {"hidden_size": 5}, outputs=5, domain=MS),
    # Einsum: diagonals, mismatched terms and sizes, an unknown output index,
    # a dropped ellipsis.
    Case("einsum_repeated_output", "Einsum", [f32(3)], {"equation": "i->ii"}, opset=12),
    Case("einsum_diagonal_sizes", "Einsum", [f32(3, 4)], {"equation": "ii->i"}, opset=12),
    Case("einsum_term_count", "Einsum", [f32(2, 3)], {"equation": "ij,jk->ik"}, opset=12),
    Case("einsum_size_mismatch", "Einsum", [f32(2, 3), f32(4, 5)], {"equation": "ij,jk->ik"},
         opset=12),
    Case("einsum_unknown_output", "Einsum", [f32(2, 3)], {"equation": "ij->ik"}, opset=12),
    Case("einsum_drops_ellipsis", "Einsum", [f32(2, 3, 4)], {"equation": "...ij->ij"},
         opset=12),
    Case("einsum_bad_character", "Einsum", [f32(2, 3)], {"equation": "i1->i"}, opset=12),
    Case("einsum_term_too_long", "Einsum", [f32(2, 3)], {"equation": "ijk->i"}, opset=12),
    # PRelu's slope broadcasts to X; normalizations and DepthToSpace need
    # their shapes to divide.
    Case("prelu_slope_grows_x", "PRelu", [f32(3), f32(2, 3)]),
    Case("group_norm_bad_groups", "GroupNormalization", [f32(2, 6, 3), f32(4), f32(4)],
         {"num_groups": 4}, opset=18),
    Case("group_norm_21_per_group_scale", "GroupNormalization", [f32(2, 6, 3), f32(3), f32(3)],
         {"num_groups": 3}, opset=21),
    Case("instance_norm_bad_scale", "InstanceNormalization", [f32(2, 3, 4), f32(2), f32(3)]),
    Case("depth_to_space_bad_channels", "DepthToSpace", [f32(1, 6, 2, 2)], {"blocksize": 2}),
    Case("depth_to_space_bad_mode", "DepthToSpace", [f32(1, 8, 2, 2)],
         {"blocksize": 2, "mode": "RDC"}),
    Case("space_to_depth_bad_spatial", "SpaceToDepth", [f32(1, 2, 5, 4)], {"blocksize": 2}),
    Case("space_to_depth_zero_block", "SpaceToDepth", [f32(1, 2, 4, 4)], {"blocksize": 0}),
    Case("reduce_l1_int64", "ReduceL1", [i64([[1, -2], [3, 4]])]),
    # 2^62 taps per output: rejected rather than run.
    Case("max_pool_too_many_taps", "MaxPool", [f32(1, 1, 5, 5)],
         {"kernel_shape": [2**31, 2**31], "pads": [2**30] * 4}),
]
