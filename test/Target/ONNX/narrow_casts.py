"""Float8, float4 and 2-/4-bit integer tensors through the importer and muon-run
(.pb files of the narrow types), against ONNX's reference evaluator, exactly
(NaN where it has NaN; a MatMul within 1e-6).

For each FLOAT8 format (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ) and FLOAT4E2M1:
- decoding: all 256 (16) codes cast to FLOAT, FLOAT16, BFLOAT16 and DOUBLE, and
  the finite ones to INT32;
- encoding from FLOAT, DOUBLE, FLOAT16 and BFLOAT16, with saturate 1 and 0:
  every tie between neighbouring values and the floats next to it (round to
  nearest even), subnormals, the overflow boundary, ±0, ±inf, NaN and random
  values over 16 decades; from INT32 and between formats;
- data movement (Reshape, Transpose, Concat, Gather, Slice) of float8
  tensors, and QuantizeLinear/DequantizeLinear with a float8 type.
For INT4, UINT4, INT2 and UINT2 (packed two or four per byte in the files,
odd counts included):
- every value cast to FLOAT, FLOAT16, INT8/UINT8 and INT64;
- floats and integers in and out of range cast to them (the reference
  gives 0 for floats out of range);
- QuantizeLinear (saturating) and DequantizeLinear per tensor, per axis and
  blocked, and a blocked int4 weight initializer dequantized into a MatMul.

usage: narrow_casts.py MUON_TRANSLATE "MUON_RUN [ARGS]" WORK_DIR
"""

import os
import shlex
import subprocess
import sys

import ml_dtypes
import numpy as np
import onnx
from onnx import TensorProto as TP, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

FORMATS = {
    "e4m3fn": (TP.FLOAT8E4M3FN, ml_dtypes.float8_e4m3fn),
    "e4m3fnuz": (TP.FLOAT8E4M3FNUZ, ml_dtypes.float8_e4m3fnuz),
    "e5m2": (TP.FLOAT8E5M2, ml_dtypes.float8_e5m2),
    "e5m2fnuz": (TP.FLOAT8E5M2FNUZ, ml_dtypes.float8_e5m2fnuz),
    "e2m1": (TP.FLOAT4E2M1, ml_dtypes.float4_e2m1fn),
}
SUBBYTE = {
    "int4": (TP.INT4, ml_dtypes.int4), "uint4": (TP.UINT4, ml_dtypes.uint4),
    "int2": (TP.INT2, ml_dtypes.int2), "uint2": (TP.UINT2, ml_dtypes.uint2),
}
WIDE = {TP.FLOAT: np.float32, TP.DOUBLE: np.float64, TP.FLOAT16: np.float16,
        TP.BFLOAT16: ml_dtypes.bfloat16}
RNG = np.random.default_rng(11)


def all_codes(dtype):
    count = 16 if dtype == ml_dtypes.float4_e2m1fn else 256
    return np.arange(count, dtype=np.uint8).view(dtype)


def encode_inputs(dtype):
    """f64 values exercising every rounding and special case of `dtype`."""
    values = np.unique(np.abs(all_codes(dtype).astype(np.float64)))
    values = values[np.isfinite(values)]
    ties = (values[1:] + values[:-1]) / 2
    largest = values[-1]
    step = largest - values[-2]
    near = np.concatenate([np.nextafter(ties, np.inf), np.nextafter(ties, -np.inf)])
    special = [0.0, largest, largest + step / 2, largest + step / 2 * 0.99,
               largest + step, largest * 4, 1e30, np.inf, np.nan, values[1] / 2,
               values[1] / 2 * 1.01, values[1] / 4]
    random = RNG.standard_normal(200) * 10.0 ** RNG.integers(-10, 6, 200)
    x = np.concatenate([values, ties, near, special, random])
    return np.concatenate([x, -x])


def model(nodes, inputs, outputs, inits=(), opset=21):
    """`outputs`: value infos, or names (untyped) for the reference to run."""
    outputs = [helper.make_value_info(o, onnx.TypeProto()) if isinstance(o, str) else o
               for o in outputs]
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                             ir_version=10)


def info(name, array):
    return helper.make_tensor_value_info(
        name, helper.np_dtype_to_tensor_dtype(array.dtype), array.shape)


def cast_case(x, to, saturate=None):
    attrs = {"to": to} if saturate is None else {"to": to, "saturate": saturate}
    node = helper.make_node("Cast", ["x"], ["y"], **attrs)
    y = ReferenceEvaluator(model([node], [info("x", x)], ["y"])).run(None, {"x": x})[0]
    return model([node], [info("x", x)], [info("y", y)]), [x], [y]


def cases():
    for name, (code, dtype) in FORMATS.items():
        codes = all_codes(dtype)
        for to, wide in WIDE.items():
            yield f"decode_{name}_to_{np.dtype(wide).name}", cast_case(codes, to)
        finite = codes[np.isfinite(codes.astype(np.float32))]
        yield f"decode_{name}_to_int32", cast_case(finite, TP.INT32)
        x = encode_inputs(dtype)
        for source, wide in WIDE.items():
            for saturate in (1, 0):
                # Values the source type holds, so that the reference's only
                # rounding is to float8.
                yield (f"encode_{np.dtype(wide).name}_to_{name}_saturate{saturate}",
                       cast_case(x.astype(wide), code, saturate))
        ints = np.concatenate([np.arange(-700, 700, 3), [2**20, -2**31, 2**31 - 1]])
        yield f"encode_int32_to_{name}", cast_case(ints.astype(np.int32), code)
        for other_name, (other, _) in FORMATS.items():
            if other != code and TP.FLOAT4E2M1 not in (code, other):
                yield f"convert_{name}_to_{other_name}", cast_case(codes, other)
    yield "data_movement", data_movement_case()
    yield "quantize_dequantize", quantize_case()
    yield "quantize_dequantize_e2m1", quantize_case(ml_dtypes.float4_e2m1fn)
    for name, (code, dtype) in SUBBYTE.items():
        info_ = ml_dtypes.iinfo(dtype)
        values = np.arange(info_.min, info_.max + 1).astype(dtype)
        values = np.concatenate([values, values[::-1], values[:1]])  # odd count
        unsigned = info_.min == 0
        for to in (TP.FLOAT, TP.FLOAT16, TP.UINT8 if unsigned else TP.INT8, TP.INT64):
            yield f"decode_{name}_to_{TP.DataType.Name(to).lower()}", cast_case(values, to)
        floats = np.concatenate([np.arange(info_.min - 3, info_.max + 4, 0.25),
                                 [np.nan, np.inf, -np.inf, -0.0]]).astype(np.float32)
        yield f"encode_float_to_{name}", cast_case(floats, code)
        yield f"encode_float16_to_{name}", cast_case(floats.astype(np.float16), code)
        ints = np.arange(info_.min, info_.max + 1, dtype=np.int32)
        yield f"encode_int32_to_{name}", cast_case(ints, code)
        yield f"quantize_{name}", subbyte_quantize_case(code, dtype)
    yield "int4_weights_matmul", int4_weights_case()


def data_movement_case():
    """Reshape, Transpose, Concat, Gather and Slice of float8 tensors."""
    x = all_codes(ml_dtypes.float8_e4m3fn).reshape(16, 16)
    shape = np.array([8, 32], np.int64)
    idx = np.array([3, 0, 7], np.int64)
    starts, ends = np.array([1], np.int64), np.array([30], np.int64)
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0]),
        helper.make_node("Reshape", ["t", "shape"], ["r"]),
        helper.make_node("Concat", ["r", "r"], ["c"], axis=0),
        helper.make_node("Gather", ["c", "idx"], ["g"], axis=0),
        helper.make_node("Slice", ["g", "starts", "ends", "axes"], ["y"]),
    ]
    inits = [numpy_helper.from_array(v, n) for n, v in
             [("shape", shape), ("idx", idx), ("starts", starts), ("ends", ends),
              ("axes", np.array([1], np.int64))]]
    m = model(nodes, [info("x", x)], ["y"], inits)
    y = ReferenceEvaluator(m).run(None, {"x": x})[0]
    return model(nodes, [info("x", x)], [info("y", y)], inits), [x], [y]


def quantize_case(dtype=ml_dtypes.float8_e4m3fn):
    """x -> `dtype` with a per-channel scale, saturating, and back."""
    x = (RNG.standard_normal((4, 6)) * 300).astype(np.float32)
    x[0, :3] = [np.inf, -np.inf, np.nan]
    scale = np.array([0.5, 1.0, 2.0, 0.25], np.float32)
    zero = np.zeros(4, dtype)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "scale", "zero"], ["q"], axis=0),
        helper.make_node("DequantizeLinear", ["q", "scale", "zero"], ["y"], axis=0),
    ]
    inits = [numpy_helper.from_array(scale, "scale"),
             numpy_helper.from_array(zero, "zero")]
    m = model(nodes, [info("x", x)], ["q", "y"], inits)
    q, y = ReferenceEvaluator(m).run(["q", "y"], {"x": x})
    outputs = [info("q", q), info("y", y)]
    return model(nodes, [info("x", x)], outputs, inits), [x], [q, y]


def subbyte_quantize_case(code, dtype):
    """x -> `dtype` (per tensor, per axis with zero points, blocked) and back."""
    x = (RNG.standard_normal((4, 6)) * 6).astype(np.float32)
    info_ = ml_dtypes.iinfo(dtype)
    zero = np.array([0, info_.max // 2, info_.min, 1][:4], np.int64).clip(
        info_.min, info_.max).astype(dtype)
    inits = [numpy_helper.from_array(np.array(0.7, np.float32), "s0"),
             numpy_helper.from_array(np.array([0.5, 1.0, 2.0, 0.25], np.float32), "s1"),
             numpy_helper.from_array(zero, "z1"),
             numpy_helper.from_array(np.full((4, 2), 0.6, np.float32), "s2"),
             numpy_helper.from_array(np.zeros(1, dtype).reshape(()), "z0")]
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s0", "z0"], ["q0"]),
        helper.make_node("DequantizeLinear", ["q0", "s0", "z0"], ["y0"]),
        helper.make_node("QuantizeLinear", ["x", "s1", "z1"], ["q1"], axis=0),
        helper.make_node("DequantizeLinear", ["q1", "s1", "z1"], ["y1"], axis=0),
        helper.make_node("QuantizeLinear", ["x", "s2"], ["q2"], axis=1, block_size=3,
                         output_dtype=code),
        helper.make_node("DequantizeLinear", ["q2", "s2"], ["y2"], axis=1, block_size=3),
    ]
    names = ["q0", "y0", "q1", "y1", "q2", "y2"]
    m = model(nodes, [info("x", x)], names, inits)
    results = ReferenceEvaluator(m).run(names, {"x": x})
    outputs = [info(n, r) for n, r in zip(names, results)]
    return model(nodes, [info("x", x)], outputs, inits), [x], results


def int4_weights_case():
    """A weight-only int4 linear layer as quantizers export it: blocked int4
    weights (an initializer of 5 x 7, an odd count) dequantized, then MatMul."""
    w = RNG.integers(-8, 8, (5, 7)).astype(ml_dtypes.int4)
    scale = (RNG.random((5, 2)) + 0.5).astype(np.float32)
    x = RNG.standard_normal((3, 5)).astype(np.float32)
    nodes = [helper.make_node("DequantizeLinear", ["w", "scale"], ["wf"], axis=1,
                              block_size=4),
             helper.make_node("MatMul", ["x", "wf"], ["y"])]
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(scale, "scale")]
    m = model(nodes, [info("x", x)], ["y"], inits)
    y = ReferenceEvaluator(m).run(None, {"x": x})[0]
    # The sums' order is the compiler's: the one case that is not exact.
    return model(nodes, [info("x", x)], [info("y", y)], inits), [x], [y], 1e-6


def run(name, case, translate, run_args, work_dir):
    m, inputs, outputs, *threshold = case
    case_dir = os.path.join(work_dir, name)
    os.makedirs(case_dir, exist_ok=True)
    paths = []
    for kind, arrays in (("in", inputs), ("out", outputs)):
        for i, array in enumerate(arrays):
            path = os.path.join(case_dir, f"{kind}{i}.pb")
            with open(path, "wb") as f:
                f.write(numpy_helper.from_array(array).SerializeToString())
            paths.append(("--input=@" if kind == "in" else "--expected_output=@") + path)
    model_path = os.path.join(case_dir, "model.onnx")
    onnx.save(m, model_path)
    mlir_path = os.path.join(case_dir, "model.mlir")
    subprocess.run([translate, "--import-onnx", model_path, "-o", mlir_path], check=True)
    result = subprocess.run([*run_args, mlir_path, f"--expected_f32_threshold={threshold[0] if threshold else 0}", *paths],
                            capture_output=True, text=True)
    if result.returncode != 0:
        print(f"FAIL {name}: {result.stderr.strip()}")
        return False
    return True


def main(argv):
    translate, run_args, work_dir = argv[1], shlex.split(argv[2]), argv[3]
    passed = failed = 0
    for name, case in cases():
        if run(name, case, translate, run_args, work_dir):
            passed += 1
        else:
            failed += 1
    print(f"narrow types: {passed} cases passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
