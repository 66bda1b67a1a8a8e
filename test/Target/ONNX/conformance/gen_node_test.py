"""Writes one ONNX backend node test case (model.onnx, test_data_set_0/) to a
directory, as `python -m onnx.backend.test.cmd_tools generate-data` lays them
out, from the case definitions shipped with the installed `onnx` package
(whose wheels carry no generated data). Only the training-operator cases are
mapped: generating them all takes ~10 s, one ~1 s.

usage: gen_node_test.py CASE OUTDIR
"""

import importlib
import os
import sys

from onnx import numpy_helper
import onnx.backend.test.case.node as node_cases

# case name -> module under onnx.backend.test.case.node defining it (its
# classes run their exporters when the module is imported)
CASES = {
    "test_adam": "adam",
    "test_adam_multiple": "adam",
    "test_momentum": "momentum",
    "test_momentum_multiple": "momentum",
    "test_nesterov_momentum": "momentum",
    "test_adagrad": "adagrad",
    "test_adagrad_multiple": "adagrad",
}


def main():
    name, out_dir = sys.argv[1], sys.argv[2]
    importlib.import_module("onnx.backend.test.case.node." + CASES[name])
    case = [c for c in node_cases._NodeTestCases if c.name == name][0]
    data_dir = os.path.join(out_dir, "test_data_set_0")
    os.makedirs(data_dir, exist_ok=True)
    with open(os.path.join(out_dir, "model.onnx"), "wb") as f:
        f.write(case.model.SerializeToString())
    inputs, outputs = case.data_sets[0]
    for kind, values, infos in (("input", inputs, case.model.graph.input),
                                ("output", outputs, case.model.graph.output)):
        for i, (value, info) in enumerate(zip(values, infos)):
            with open(os.path.join(data_dir, f"{kind}_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(value, info.name).SerializeToString())


if __name__ == "__main__":
    main()
