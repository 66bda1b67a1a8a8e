"""Inputs and torch references of ir.optimizer_step_module steps, shared by
the numeric tests of whole optimizer steps."""

import numpy as np

from . import torch_reference

LR, ADAM_LR, T = 0.02, 1e-3, 3


def random_inputs(params, seed):
    """Per parameter w, g, m (and v for AdamW), then lr, adam_lr and t, as
    @step takes them. Returns (inputs, states, num_results)."""
    rng = np.random.default_rng(seed)
    inputs, states = [], []
    for shape, kind in params:
        w = rng.standard_normal(shape).astype(np.float32)
        g = rng.standard_normal(shape).astype(np.float32)
        m = 0.1 * rng.standard_normal(shape).astype(np.float32)
        v = np.abs(0.01 * rng.standard_normal(shape)).astype(np.float32)
        state = [w, g, m] + ([v] if kind == "adamw" else [])
        inputs += state
        states.append(state)
    inputs += [np.float32(LR), np.float32(ADAM_LR), np.int64(T)]
    num_results = sum(3 if kind == "adamw" else 2 for _, kind in params)
    return inputs, states, num_results


def reference_pairs(params, states, results, muon_attrs, adamw_attrs, tol,
                    update_tol=None):
    """{label: (got, want, limit)} of every result against torch.optim.Muon
    (with the Newton–Schulz torch has patched in by the caller) and AdamW;
    with `update_tol`, also W' − W of the Muon parameters."""
    muon_attrs = {k: v for k, v in muon_attrs.items() if k != "compute_type"}
    pairs, results = {}, iter(results)
    for i, ((shape, kind), state) in enumerate(zip(params, states)):
        label = f"{kind}{i} {'x'.join(map(str, shape))}"
        if kind == "muon":
            w, g, m = state
            want = torch_reference.muon_steps(w, [g], m, [LR], **muon_attrs)
            names = ["W", "M"]
        else:
            w, g, m, v = state
            want = torch_reference.adamw_steps(w, [g], m, v, [ADAM_LR], T, **adamw_attrs)
            names = ["W", "M", "V"]
        for name, ref in zip(names, want):
            got = next(results)
            pairs[f"{label} {name}"] = (got, ref, tol)
            if name == "W" and kind == "muon" and update_tol is not None:
                pairs[f"{label} W'-W"] = (got - w, ref - w, update_tol)
    return pairs
