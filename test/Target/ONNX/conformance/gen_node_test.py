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
    """Entries (case, module, threshold or None) of the lines of a file that
    read `NODE: MODULE CASE [THRESHOLD]` (so a lit test can list its cases
    itself); other lines are ignored."""
    entries = []
    with open(path) as f:
        for line in f:
            fields = line.split()
            if not fields or fields[0] != "NODE:":
                continue
            fields = fields[1:]
            threshold = float(fields[2]) if len(fields) > 2 else None
            entries.append((fields[1], fields[0], threshold))
    return entries


def find_case(name, module):
    """The node test case `name`, defined by `module`."""
    importlib.import_module("onnx.backend.test.case.node." + module)
    return next(c for c in node_cases._NodeTestCases if c.name == name)


def write_case(case, out_dir):
    """Writes the case's model and first data set; returns the paths of its
    inputs and expected outputs."""
    data_dir = os.path.join(out_dir, "test_data_set_0")
    os.makedirs(data_dir, exist_ok=True)
    with open(os.path.join(out_dir, "model.onnx"), "wb") as f:
        f.write(case.model.SerializeToString())
    inputs, outputs = case.data_sets[0]
    paths = {"input": [], "output": []}
    for kind, values, infos in (("input", inputs, case.model.graph.input),
                                ("output", outputs, case.model.graph.output)):
        for i, (value, info) in enumerate(zip(values, infos)):
            path = os.path.join(data_dir, f"{kind}_{i}.pb")
            # Types numpy lacks (bfloat16, float8) come as TensorProtos.
            if isinstance(value, onnx.TensorProto):
                tensor = onnx.TensorProto()
                tensor.CopyFrom(value)
                tensor.name = info.name
            else:
                tensor = numpy_helper.from_array(value, info.name)
            with open(path, "wb") as f:
                f.write(tensor.SerializeToString())
            paths[kind].append(path)
    return paths["input"], paths["output"]


def main():
    name, out_dir = sys.argv[1], sys.argv[2]
    cases = dict(CASES)
    list_path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "node_tests.txt")
    cases.update((case, module) for case, module, _ in load_case_list(list_path))
    write_case(find_case(name, cases[name]), out_dir)


if __name__ == "__main__":
    main()
