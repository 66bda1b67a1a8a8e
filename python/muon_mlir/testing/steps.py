"""Inputs and torch references of ir.optimizer_step_module steps, shared by
the numeric tests of whole optimizer steps."""

import numpy as np

from . import torch_reference

LR, ADAM_LR, T = 0.02, 1e-3, 3


def random_inputs(params, seed):
    """Per parameter w, g, m (and v for AdamW and Muon²), then lr, adam_lr
    and t, as @step takes them. Returns (inputs, states, num_results)."""
    rng = np.random.default_rng(seed)
    inputs, states = [], []
    for shape, kind in params:
        w = rng.standard_normal(shape).astype(np.float32)
        g = rng.standard_normal(shape).astype(np.float32)
        m = 0.1 * rng.standard_normal(shape).astype(np.float32)
        v = np.abs(0.01 * rng.standard_normal(shape)).astype(np.float32)
        state = [w, g, m] + ([v] if kind != "muon" else [])
        inputs += state
        states.append(state)
    inputs += [np.float32(LR), np.float32(ADAM_LR), np.int64(T)]
    num_results = sum(2 if kind == "muon" else 3 for _, kind in params)
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


def compare_bucketed(params, bucketed, alone, transposed_tol, padded=()):
    """Checks a step run with optim-bucket against the same step unbucketed
    (results of ir.optimizer_step_module over `params`): bit for bit, except
    the W' of a Muon-family matrix whose transpose is updated by the same
    kind of op, or whose matrix shape is in `padded` (it shares a bucket of
    another shape: Newton–Schulz runs transposed or zero-padded, so the GEMMs
    sum in another order): those within `transposed_tol` of the largest
    entry. Prints both counts; returns whether both hold."""
    def matrix(shape):
        return (shape[0], int(np.prod(shape[1:])))

    kinds = {(kind, matrix(shape)) for shape, kind in params
             if kind != "adamw" and len(shape) >= 2}
    transposed, index = set(), 0
    for shape, kind in params:
        if kind != "adamw" and len(shape) >= 2:
            rows, cols = matrix(shape)
            if (rows != cols and (kind, (cols, rows)) in kinds) or (rows, cols) in padded:
                transposed.add(index)
        index += 2 if kind == "muon" else 3
    differ = [i for i, (a, b) in enumerate(zip(bucketed, alone))
              if i not in transposed and a.tobytes() != b.tobytes()]
    print(f"{len(bucketed) - len(transposed)} results, {len(differ)} differ "
          f"bitwise: {' '.join(map(str, differ))}")
    worst = max((float(np.max(np.abs(bucketed[i] - alone[i])) /
                       max(float(np.max(np.abs(alone[i]))), 1e-30))
                 for i in transposed), default=0.0)
    print(f"{len(transposed)} W' of transposed or padded bucket members, max rel diff "
          f"{worst:.1e} (limit {transposed_tol:g})")
    return not differ and worst <= transposed_tol
