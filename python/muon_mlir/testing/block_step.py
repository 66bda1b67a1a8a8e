"""The bundled example examples/block_step.mlir: its inputs and an independent
reference of its results (torch.optim.Muon with fp32 Newton–Schulz,
torch.optim.AdamW, the numpy QK-clip)."""

import glob
import os

import numpy as np

RESULTS = ["wq", "mq", "wk", "mk", "wfc", "mfc", "wproj", "mproj", "ln", "mln", "vln"]


def load_inputs(root):
    """(names, arrays) of examples/block_step/NN_name.npy in argument order."""
    paths = sorted(glob.glob(os.path.join(root, "examples", "block_step", "*.npy")))
    return [os.path.basename(p)[3:-4] for p in paths], [np.load(p) for p in paths]


def reference(names, inputs):
    """The step's results in RESULTS order, computed by torch and numpy."""
    from . import reference as numpy_reference
    from . import torch_reference

    x = dict(zip(names, inputs))
    lr, adam_lr, t = float(x["lr"]), float(x["adam_lr"]), int(x["t"])
    want = {}
    with torch_reference.fp32_newton_schulz():
        for name, rule, nesterov in [("q", "original", True), ("k", "original", True),
                                     ("fc", "match_rms_adamw", True), ("proj", "original", False)]:
            want[f"w{name}"], want[f"m{name}"] = torch_reference.muon_steps(
                x[f"w{name}"], [x[f"g{name}"]], x[f"m{name}"], [lr], weight_decay=0.1,
                nesterov=nesterov, lr_adjust=rule)
    want["ln"], want["mln"], want["vln"] = torch_reference.adamw_steps(
        x["ln"], [x["gln"]], x["mln"], x["vln"], [adam_lr], t, weight_decay=0.0)
    want["wq"], want["wk"], _, _ = numpy_reference.qk_clip(
        want["wq"], want["wk"], x["max_logits"], num_heads=4, head_dim=16, head_axis=1)
    return [want[n] for n in RESULTS]
