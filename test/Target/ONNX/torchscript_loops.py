"""TorchScript-exported loops (torch.jit.script, torch.onnx.export with the
TorchScript exporter), for torchscript-loops.test: Python lists built in a
loop (`outs.append(h)`, exported as SequenceEmpty, a Loop carrying the
sequence and ConcatFromSequence, stacking or concatenating), a plain
recurrence (a Loop carrying tensors only) and one over windows sliced at
the iteration number.

  torchscript_loops.py TRANSLATE RUN DIR [NAMES]
      each model exported, imported and run with RUN against ONNX Runtime,
      as control_flow.py checks
"""

import io
import sys
import warnings

import numpy as np
import onnx
import torch

from control_flow import check

torch.manual_seed(0)
# The TorchScript exporter is deprecated (and warns so); it is still how
# scripted loops over lists reach ONNX.
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=FutureWarning)


class StackedRNN(torch.nn.Module):
    """h_t = tanh(W x_t + b + h_{t-1}) over x.size(0) steps, every h_t
    appended to a list and stacked."""

    def __init__(self):
        super().__init__()
        self.cell = torch.nn.Linear(8, 8)

    def forward(self, x):
        h = torch.zeros(8)
        outs = []
        for t in range(x.size(0)):
            h = torch.tanh(self.cell(x[t]) + h)
            outs.append(h)
        return torch.stack(outs)


class RunningSums(torch.nn.Module):
    """Weighted running sums of x's rows, listed and concatenated along the
    feature axis (ConcatFromSequence without a new axis), and the final
    sum."""

    def forward(self, x):
        acc = torch.zeros(x.size(1))
        parts = []
        for i in range(x.size(0)):
            acc = acc + x[i] * float(i + 1)
            parts.append(acc.unsqueeze(0))
        return torch.cat(parts, dim=1), acc


class Recurrence(torch.nn.Module):
    """A recurrence without lists (a Loop carrying tensors only: scf.for)."""

    def __init__(self):
        super().__init__()
        self.cell = torch.nn.Linear(4, 4)

    def forward(self, x):
        h = torch.zeros(4)
        for t in range(x.size(0)):
            h = torch.tanh(self.cell(x[t]) + h)
        return h


class SlidingWindows(torch.nn.Module):
    """A recurrence over the windows x[t:t+2] (a Slice at the run-time
    offset t in the Loop body), a hand-written 1-D convolution."""

    def __init__(self):
        super().__init__()
        self.cell = torch.nn.Linear(8, 4)

    def forward(self, x):
        h = torch.zeros(4)
        for t in range(x.size(0) - 1):
            h = torch.tanh(self.cell(x[t:t + 2].reshape(-1)) + h)
        return h


def exported(module, x):
    def build():
        buffer = io.BytesIO()
        torch.onnx.export(torch.jit.script(module), (x,), buffer, dynamo=False,
                          opset_version=17, input_names=["x"])
        return onnx.load_from_string(buffer.getvalue()), {"x": x.numpy()}
    return build


MODELS = {
    "stacked_rnn": exported(StackedRNN(), torch.randn(5, 8)),
    "running_sums": exported(RunningSums(), torch.randn(3, 6)),
    "recurrence": exported(Recurrence(), torch.randn(6, 4)),
    "sliding_windows": exported(SlidingWindows(), torch.randn(6, 4)),
}


if __name__ == "__main__":
    sys.exit(check(*sys.argv[1:5], models=MODELS, label="torchscript loops"))
