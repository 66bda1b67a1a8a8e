"""A compiled training step against a reference (ONNX Runtime's training
API, or the same step compiled for CPU): every loss and every parameter
within a relative tolerance, reported line by line.

A *bundle* carries such a check to a machine that has a GPU but no
compiler and no ONNX Runtime: the step's library, the initial parameters,
the batches and the reference's losses and parameters, written here by
`save_bundle` and run there by `run_bundle` (numpy and torch only; the
library runs through muon_mlir.aot). bench/training_numerics.py drives
both ends.
"""

import json
import os

import numpy as np


def rel(a, b):
    """|a - b| / |b|, Frobenius for tensors."""
    return np.linalg.norm(np.asarray(a, np.float64) - b) / max(np.linalg.norm(b), 1e-30)


# Rows of a parameter whose gradient is exactly zero (a key bias under
# softmax) drift by float noise only: they are bounded apart.
NOISE_BOUND = 1e-3


def compare(losses, reference_losses, params, reference_params, reference_name,
            initial=None, zero_gradient=None):
    """Prints each loss's and parameter's relative error (dicts of name ->
    array for the parameters; `zero_gradient`: name -> row slice checked
    against NOISE_BOUND instead) and returns the worst (inf for NaN)."""
    worst = 0.0

    def update(err):
        nonlocal worst
        worst = max(worst, err) if np.isfinite(err) else float("inf")

    for step, (a, b) in enumerate(zip(losses, reference_losses)):
        # Equal losses (both 0 included) differ by 0; against a reference 0,
        # the difference itself.
        err = 0.0 if a == b else abs(a - b) / (abs(b) or 1.0)
        update(err)
        print(f"step {step}: loss muon {a:.7f} {reference_name} {b:.7f} rel err {err:.2e}")
    for name, value in params.items():
        reference = reference_params[name]
        noise = (zero_gradient or {}).get(name)
        if noise is not None:
            moved = max(np.abs(value[noise] - initial[name][noise]).max(),
                        np.abs(reference[noise] - initial[name][noise]).max())
            print(f"param {name}[{noise.start}:{noise.stop}]: zero gradient, "
                  f"moved {moved:.1e} (bound {NOISE_BOUND:.0e})")
            if moved > NOISE_BOUND:
                worst = float("inf")
            keep = np.ones(value.shape[0], bool)
            keep[noise] = False
            value, reference = value[keep], reference[keep]
        err = rel(value, reference)
        update(err)
        print(f"param {name}: rel err {err:.2e}")
    return worst


def check_bad_inputs(trainer, batch, vocab):
    """A token id and a label outside the vocabulary: the step raises
    ValueError with its check's message and changes no parameter, no moment
    and not the step count."""
    for what, position in (("token id", 0), ("label", 1)):
        bad = [np.array(x, copy=True) for x in batch]
        bad[position].flat[-1] = vocab
        before = trainer.numpy_state()
        try:
            trainer.step(*bad, 1e-3)
            print(f"bad {what}: no error")
        except ValueError as error:
            print(f"bad {what}: ValueError: {error}")
        unchanged = all(np.array_equal(a, b) for a, b in zip(before, trainer.numpy_state()))
        print(f"bad {what}: parameters and state {'unchanged' if unchanged else 'CHANGED'}")


def save_bundle(directory, library, names, initial, batches, lr, reference_losses,
                reference_params, reference_name, rtol, vocab=None, zero_gradient=None):
    """Writes a bundle: the library (and its aot description) copied in,
    the arrays in case.npz, the rest in case.json."""
    import shutil
    os.makedirs(directory, exist_ok=True)
    for path in (library, library + ".json"):
        shutil.copy(path, directory)
    arrays = {f"initial_{i}": p for i, p in enumerate(initial)}
    arrays.update({f"reference_{i}": reference_params[n] for i, n in enumerate(names)})
    arrays.update({f"idx_{i}": idx for i, (idx, _) in enumerate(batches)})
    arrays.update({f"labels_{i}": labels for i, (_, labels) in enumerate(batches)})
    np.savez(os.path.join(directory, "case.npz"), **arrays)
    meta = {"library": os.path.basename(library), "names": list(names), "lr": lr,
            "steps": len(batches), "reference_losses": list(map(float, reference_losses)),
            "reference": reference_name, "rtol": rtol, "vocab": vocab,
            "zero_gradient": {k: [s.start, s.stop] for k, s in (zero_gradient or {}).items()}}
    with open(os.path.join(directory, "case.json"), "w") as f:
        json.dump(meta, f, indent=1)


def run_bundle(directory, make_trainer):
    """Runs a bundle's steps with `make_trainer(library, names, initial)`
    (a CompiledTrainer), the bad-input checks where it has a vocabulary
    (after the steps, on the first batch), and compares. Returns (worst
    relative error, tolerance)."""
    with open(os.path.join(directory, "case.json")) as f:
        meta = json.load(f)
    arrays = np.load(os.path.join(directory, "case.npz"))
    names = meta["names"]
    initial = [arrays[f"initial_{i}"] for i in range(len(names))]
    batches = [(arrays[f"idx_{i}"], arrays[f"labels_{i}"]) for i in range(meta["steps"])]
    trainer = make_trainer(os.path.join(directory, meta["library"]), names, initial)
    losses = [trainer.step(idx, labels, meta["lr"]) for idx, labels in batches]
    if meta["vocab"] is not None:
        check_bad_inputs(trainer, batches[0], meta["vocab"])
    params = dict(zip(names, trainer.numpy_params()))
    reference = {n: arrays[f"reference_{i}"] for i, n in enumerate(names)}
    zero_gradient = {k: slice(*v) for k, v in meta["zero_gradient"].items()}
    worst = compare(losses, meta["reference_losses"], params, reference, meta["reference"],
                    dict(zip(names, initial)), zero_gradient)
    return worst, meta["rtol"]
