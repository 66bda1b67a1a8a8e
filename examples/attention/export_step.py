"""Writes the step module (forward + identity AdamW updates, see
muon_mlir.testing.forward_step) of one module of modules.py exported by torch:

  python examples/attention/export_step.py mla WORK_DIR [--translate PATH]

prints the path of WORK_DIR/step.mlir, ready for `muon-opt --inline
--optim-insert-qk-clip`.
"""

import argparse
import os
import sys

import onnx
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))

import modules  # noqa: E402
from muon_mlir.testing import forward_step  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", choices=sorted(modules.MODULES))
    parser.add_argument("work")
    parser.add_argument("--translate", default=os.path.join(ROOT, "build", "bin",
                                                            "muon-translate"))
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    torch.manual_seed(0)
    module = modules.MODULES[args.module]()
    model = onnx.load(modules.export(module, os.path.join(args.work, "model.onnx")))
    names = {name for name, _ in module.named_parameters()}
    # The exporter shares identical initial tensors, so take the parameters
    # the graph actually holds.
    params = [i.name for i in model.graph.initializer if i.name in names]
    prepared = os.path.join(args.work, "prepared.onnx")
    onnx.save(forward_step.prepare(model, params), prepared)
    path = os.path.join(args.work, "step.mlir")
    with open(path, "w") as f:
        f.write(forward_step.build_step(args.translate, prepared, params))
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
