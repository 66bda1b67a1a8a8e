"""Writes ONNX backend node test cases (model.onnx, test_data_set_0/) to a
directory, as `python -m onnx.backend.test.cmd_tools generate-data` lays them
out, from the case definitions shipped with the installed `onnx` package
(whose wheels carry no generated data). A case is found through the module
under onnx.backend.test.case.node that defines it: importing that module
runs its exporters (~1 s), where collecting all cases takes minutes.

usage: gen_node_test.py CASE OUTDIR
"""

import importlib
import os
import sys

import onnx
from onnx import numpy_helper
import onnx.backend.test.case.node as node_cases

# case name -> module under onnx.backend.test.case.node defining it; the
# cases of node_tests.txt are added by load_case_list.
CASES = {
    "test_adam": "adam",
    "test_adam_multiple": "adam",
    "test_momentum": "momentum",
    "test_momentum_multiple": "momentum",
    "test_nesterov_momentum": "momentum",
    "test_adagrad": "adagrad",
    "test_adagrad_multiple": "adagrad",
    "test_attention_causal_boolmask_nan_robustness": "attention",
    "test_attention_23_boolmask_fullymasked_row_nan_robustness": "attention",
}


def load_case_list(path):
    """Entries (case, module, threshold or None, constant inputs) of the lines
    of a file that read `NODE: MODULE CASE [THRESHOLD] [const=I,J...]` (so a
    lit test can list its cases itself); other lines are ignored. `const`
    names graph inputs that write_case makes initializers."""
    entries = []
    with open(path) as f:
        for line in f:
            fields = line.split()
            if not fields or fields[0] != "NODE:":
                continue
            module, name, *rest = fields[1:]
            threshold, consts = None, ()
            for field in rest:
                if field.startswith("const="):
                    consts = tuple(int(i) for i in field[len("const="):].split(","))
                else:
                    threshold = float(field)
            entries.append((name, module, threshold, consts))
    return entries


def find_case(name, module):
    """The node test case `name`, defined by `module`."""
    importlib.import_module("onnx.backend.test.case.node." + module)
    return next(c for c in node_cases._NodeTestCases if c.name == name)


def write_case(case, out_dir, consts=()):
    """Writes the case's model and first data set; returns the paths of its
    inputs and expected outputs, and the import flags its inputs need
    (`--onnx-sequence` for sequences, `--onnx-dim` for symbolic dims, their
    values those of the data). A sequence (input or output) is written as one file per
    element, as the importer passes it (one argument or result each). The
    graph inputs numbered in `consts` become initializers holding their data
    (node tests pass axes, shapes and sizes as inputs, where exporters write
    constants the importer needs)."""
    data_dir = os.path.join(out_dir, "test_data_set_0")
    os.makedirs(data_dir, exist_ok=True)
    inputs, outputs = case.data_sets[0]
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    graph = model.graph
    kept = [i for i in range(len(graph.input)) if i not in consts]
    for i in consts:
        graph.initializer.append(to_tensor(inputs[i], graph.input[i].name))
    kept_infos = [graph.input[i] for i in kept]
    del graph.input[:]
    graph.input.extend(kept_infos)
    inputs = [inputs[i] for i in kept]
    with open(os.path.join(out_dir, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    paths = {"input": [], "output": []}
    flags = []
    dims = {}
    for value, info in zip(inputs, graph.input):
        if info.type.HasField("tensor_type"):
            for dim, size in zip(info.type.tensor_type.shape.dim,
                                 numpy_shape(value)):
                if dim.dim_param and dims.setdefault(dim.dim_param,
                                                     size) == size:
                    flags.append("--onnx-dim=%s=%d" % (dim.dim_param, size))
    for kind, values, infos in (("input", inputs, graph.input),
                                ("output", outputs, graph.output)):
        for i, (value, info) in enumerate(zip(values, infos)):
            if isinstance(value, list):
                if kind == "input":
                    flags.append("--onnx-sequence=%s=%s" % (
                        info.name, ",".join(mlir_type(e) for e in value)))
                elements = [(f"{kind}_{i}_{j}.pb", e, f"{info.name}[{j}]")
                            for j, e in enumerate(value)]
            else:
                elements = [(f"{kind}_{i}.pb", value, info.name)]
            for file_name, element, name in elements:
                path = os.path.join(data_dir, file_name)
                with open(path, "wb") as f:
                    f.write(to_tensor(element, name).SerializeToString())
                paths[kind].append(path)
    return paths["input"], paths["output"], sorted(set(flags))


def numpy_shape(value):
    """The shape of an input's data (a TensorProto's dims for the types
    numpy lacks)."""
    return tuple(value.dims) if isinstance(value, onnx.TensorProto) \
        else value.shape


# numpy dtype name -> MLIR element type, for --onnx-sequence.
MLIR_ELEMENT_TYPES = {
    "float16": "f16", "float32": "f32", "float64": "f64", "bool": "i1",
    "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
    "uint8": "ui8", "uint16": "ui16", "uint32": "ui32", "uint64": "ui64",
}


def mlir_type(array):
    """The `--onnx-sequence` spelling of a numpy array's type (3x2xf32)."""
    return "x".join([str(d) for d in array.shape]
                    + [MLIR_ELEMENT_TYPES[array.dtype.name]])


def to_tensor(value, name):
    """`value` as a TensorProto named `name`; types numpy lacks (bfloat16,
    float8) come as TensorProtos already."""
    if isinstance(value, onnx.TensorProto):
        tensor = onnx.TensorProto()
        tensor.CopyFrom(value)
        tensor.name = name
        return tensor
    return numpy_helper.from_array(value, name)


def main():
    name, out_dir = sys.argv[1], sys.argv[2]
    cases = dict(CASES)
    list_path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "node_tests.txt")
    consts = {}
    for case, module, _, case_consts in load_case_list(list_path):
        cases[case] = module
        consts[case] = case_consts
    write_case(find_case(name, cases[name]), out_dir, consts.get(name, ()))


if __name__ == "__main__":
    main()
