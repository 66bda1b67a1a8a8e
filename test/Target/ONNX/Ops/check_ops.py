"""Single-node ONNX models for the forward and gradient op importers.

Each case builds one node with onnx.helper, runs it with ONNX Runtime (whose
CPU kernels include the com.microsoft training ops) for the reference, then
imports it with `muon-translate --import-onnx`, executes it with `muon-run`
and compares every output. Tolerance: relative Frobenius error
||got - ref|| / ||ref|| <= 1e-5 for f32 results (the same bound as the
optimizer numerics), exact equality for integer and bool results.

  check_ops.py FAMILY MUON_TRANSLATE MUON_RUN WORK_DIR   run FAMILY's cases
  check_ops.py --errors WORK_DIR                         write the error models
  check_ops.py --models WORK_DIR                         write every case's model
  check_ops.py --model CASE PATH                         write one case's model
  check_ops.py --defaulted-attributes MUON_TRANSLATE WORK_DIR
      import every case with each attribute its node omits spelled out at
      ONNX's default (an importer must read every attribute it is given)
"""

import os
import shlex
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

RTOL = 1e-5
RNG = np.random.default_rng(7)


def f32(*shape, positive=False, scale=1.0):
    x = np.asarray(RNG.standard_normal(shape) * scale, dtype=np.float32)
    return np.abs(x) + np.float32(0.5) if positive else x


def i64(values):
    return np.asarray(values, dtype=np.int64)


class Case:
    """One node. `inputs` feed graph inputs (None: an omitted optional input)
    except those whose index is in `consts`, which become initializers
    (shape-like operands must be constants for the importer)."""

    def __init__(self, name, op, inputs, attrs=None, outputs=1,
                 domain="", opset=17, consts=(), rtol=RTOL, expect=None, ms_opset=1):
        self.name, self.op, self.domain = name, op, domain
        self.inputs, self.attrs = inputs, attrs or {}
        self.num_outputs, self.opset, self.ms_opset = outputs, opset, ms_opset
        self.consts, self.rtol = set(consts), rtol
        # A numpy reference for what ONNX Runtime's CPU kernels reject.
        self.expect = expect

    def model(self, output_types=None):
        names = [("" if v is None else f"in{i}") for i, v in enumerate(self.inputs)]
        graph_inputs, inits = [], []
        for index, (name, value) in enumerate(zip(names, self.inputs)):
            if value is None:
                continue
            if index in self.consts:
                inits.append(onnx.numpy_helper.from_array(value, name))
            else:
                graph_inputs.append(helper.make_tensor_value_info(
                    name, helper.np_dtype_to_tensor_dtype(value.dtype), value.shape))
        outs = [f"out{i}" for i in range(self.num_outputs)]
        node = helper.make_node(self.op, names, outs, name=self.name,
                                domain=self.domain, **self.attrs)
        if output_types is None:
            graph_outputs = [helper.make_value_info(o, onnx.TypeProto()) for o in outs]
        else:
            graph_outputs = [helper.make_tensor_value_info(
                o, helper.np_dtype_to_tensor_dtype(r.dtype), r.shape)
                for o, r in zip(outs, output_types)]
        graph = helper.make_graph([node], self.name, graph_inputs, graph_outputs, inits)
        opsets = [helper.make_opsetid("", self.opset),
                  helper.make_opsetid("com.microsoft", self.ms_opset)]
        if self.domain not in ("", "com.microsoft"):
            opsets.append(helper.make_opsetid(self.domain, 1))
        # ONNX Runtime 1.19 reads IR versions up to 10.
        return helper.make_model(graph, opset_imports=opsets, ir_version=8)

    def feeds(self):
        return {f"in{i}": v for i, v in enumerate(self.inputs)
                if v is not None and i not in self.consts}


def reference(case):
    if case.expect:
        return case.expect(*case.inputs)
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(case.model().SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    return session.run(None, case.feeds())


def rel_error(got, ref):
    """Relative Frobenius error; NaN must meet NaN (numpy's equal_nan), and
    the error is over the other elements."""
    got, ref = got.astype(np.float64), ref.astype(np.float64)
    nan = np.isnan(ref)
    if not np.array_equal(np.isnan(got), nan):
        return float("nan")
    got, ref = got[~nan], ref[~nan]
    denom = np.linalg.norm(ref)
    return np.linalg.norm(got - ref) / (denom if denom > 0 else 1.0)


def run_case(case, translate, run, work_dir):
    expected = reference(case)
    case_dir = os.path.join(work_dir, case.name)
    os.makedirs(case_dir, exist_ok=True)
    model_path = os.path.join(case_dir, "model.onnx")
    onnx.save(case.model(expected), model_path)
    mlir_path = os.path.join(case_dir, "model.mlir")
    subprocess.run([translate, "--import-onnx",
                    model_path, "-o", mlir_path], check=True)
    args = [*shlex.split(run), mlir_path]
    for name, value in case.feeds().items():
        path = os.path.join(case_dir, name + ".npy")
        np.save(path, value)
        args.append("--input=@" + path)
    outs = [os.path.join(case_dir, f"out{i}.npy") for i in range(len(expected))]
    args += ["--output=@" + p for p in outs]
    subprocess.run(args, check=True)
    worst = compare_outputs(case.name, outs, expected, case.rtol)
    print(f"PASS {case.name} {case.op} max rel err {worst:.2e}")


def compare_outputs(name, paths, expected, rtol):
    """Checks the .npy files `paths` against `expected`: same shapes and
    dtypes, floats within `rtol` (rel_error), others exactly; returns the
    largest float error."""
    worst = 0.0
    for path, ref in zip(paths, expected, strict=True):
        got = np.load(path)
        if got.shape != ref.shape or got.dtype != ref.dtype:
            raise AssertionError(f"{name}: got {got.dtype}{got.shape}, "
                                 f"expected {ref.dtype}{ref.shape}")
        if np.issubdtype(ref.dtype, np.floating):
            err = rel_error(got, ref)
            if not err <= rtol:
                raise AssertionError(f"{name}: relative error {err:.3e} > {rtol:.0e}")
            worst = max(worst, err)
        elif not np.array_equal(got, ref):
            raise AssertionError(f"{name}: {got} != {ref}")
    return worst


def add_default_attributes(model):
    """Spells out each attribute ONNX's schema gives a default and a
    default-domain node omits; returns whether any was added."""
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    added = False
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx"):
            continue
        try:
            schema = onnx.defs.get_schema(node.op_type, opset, "")
        except onnx.defs.SchemaError:  # an op ORT adds to an older opset
            continue
        present = {a.name for a in node.attribute}
        for name, attr in schema.attributes.items():
            if name in present or attr.default_value.type == onnx.AttributeProto.UNDEFINED:
                continue
            node.attribute.append(attr.default_value)
            node.attribute[-1].name = name
            added = True
    return added


def check_defaulted_attributes(translate, work_dir):
    from cases import FAMILIES
    os.makedirs(work_dir, exist_ok=True)
    checked = failed = 0
    for cases in FAMILIES.values():
        for case in cases():
            model = case.model()
            if not add_default_attributes(model):
                continue
            path = os.path.join(work_dir, case.name + ".onnx")
            onnx.save(model, path)
            result = subprocess.run([translate, "--import-onnx", path, "-o", os.devnull],
                                    capture_output=True, text=True)
            checked += 1
            if result.returncode != 0:
                failed += 1
                print(f"FAIL {case.name}: {result.stderr.strip()}")
    print(f"{checked - failed} of {checked} cases import with defaulted attributes")
    return 1 if failed else 0


def main(argv):
    from cases import ERROR_CASES, FAMILIES
    if argv[1] == "--model":
        case = next(c for cases in FAMILIES.values() for c in cases()
                    if c.name == argv[2])
        onnx.save(case.model(), argv[3])
        return 0
    if argv[1] == "--models":
        os.makedirs(argv[2], exist_ok=True)
        for cases in FAMILIES.values():
            for case in cases():
                onnx.save(case.model(), os.path.join(argv[2], case.name + ".onnx"))
        return 0
    if argv[1] == "--defaulted-attributes":
        return check_defaulted_attributes(argv[2], argv[3])
    if argv[1] == "--errors":
        os.makedirs(argv[2], exist_ok=True)
        for case in ERROR_CASES:
            onnx.save(case.model(), os.path.join(argv[2], case.name + ".onnx"))
        return 0
    family, translate, run, work_dir = argv[1:5]
    cases = FAMILIES[family]()
    for case in cases:
        run_case(case, translate, run, work_dir)
    print(f"{family}: {len(cases)} cases passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
