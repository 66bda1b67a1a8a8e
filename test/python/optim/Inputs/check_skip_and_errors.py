"""Parameters without gradients are skipped as torch skips them (compiled
once per set of parameters with gradients, not per step), and every bad
input raises a Python exception naming the parameter, leaving all
parameters as they were."""

import torch

import models
from muon_mlir.optim import Muon

# Skipping: on odd steps the head and one hidden matrix get no gradient.
skipped = {"head.weight", "blocks.layers.0.linear1.weight"}


def skip(step):
    return skipped if step % 2 else set()


with models.fp32_newton_schulz():
    model, reference = models.twins(models.TinyGPT)
    ours = Muon(model.named_parameters(), lr=models.LR, adamw_lr=models.ADAMW_LR,
                verbose=False)
    pair = models.TorchPair(reference)
    models.train(model, ours, models.gpt_loss, models.gpt_batch, 6, skip=skip)
    models.train(reference, pair, models.gpt_loss, models.gpt_batch, 6, skip=skip)
worst, where = models.worst_relative(model, reference)
assert worst <= 1e-5, f"{where}: {worst}"
head = dict(model.named_parameters())["head.weight"]
print(f"grads None on odd steps: worst relative difference {worst:.1e} <= 1e-05, "
      f"head AdamW step {int(ours.state[head]['step'])}, "
      f"{len(ours._compiled)} compiled steps for 6 steps")


def expect_error(label, opt, params):
    saved = [p.detach().clone() for p in params]
    try:
        opt.step()
    except (TypeError, ValueError, RuntimeError, OSError) as e:
        untouched = all(torch.equal(p.detach(), s) for p, s in zip(params, saved))
        print(f"{label}: {type(e).__name__}: {e} [parameters "
              f"{'untouched' if untouched else 'MODIFIED'}]")
        return
    raise AssertionError(f"{label}: no error")


def fresh(*shapes, dtype=torch.float32):
    params = [torch.nn.Parameter(torch.randn(s, dtype=dtype)) for s in shapes]
    for p in params:
        p.grad = torch.randn_like(p)
    return params


# A good parameter first in every case: its update must not happen either.
good, bad = fresh((8, 4), (8, 4))
bad.grad = torch.randn(8, 4).to_sparse()
expect_error("sparse", Muon([("good", good), ("bad", bad)], verbose=False), [good, bad])

good, bad = fresh((8, 4), (8, 4), dtype=torch.complex64)[0], fresh((8, 4), dtype=torch.complex64)[0]
good = fresh((8, 4))[0]
expect_error("complex", Muon([("good", good), ("bad", bad)], verbose=False), [good, bad])

good, bad = fresh((8, 4), (8, 4))
bad.grad.data = bad.grad.data.double()
expect_error("grad dtype", Muon([("good", good), ("bad", bad)], verbose=False), [good, bad])

good = fresh((8, 4))[0]
bad = torch.nn.Parameter(torch.empty(8, 4, device="meta"))
bad.grad = torch.empty(8, 4, device="meta")
expect_error("mixed devices", Muon([("good", good), ("moved", bad)], verbose=False), [good])

good, bad = fresh((8, 4), (8, 4))
opt = Muon([("good", good), ("resized", bad)], verbose=False)
opt.step()
bad.data = torch.randn(8, 6)
bad.grad = torch.randn(8, 6)
expect_error("shape changed", opt, [good, bad])

good, bias = fresh((8, 4), (8,))
expect_error("Muon on a vector", Muon([{"params": [good, bias], "use_muon": True}],
                                      verbose=False), [good, bias])

good, twice = fresh((8, 4), (8, 4))
opt = Muon([good, twice], verbose=False)
opt.state[twice]["momentum_buffer"] = torch.zeros(8, 5)
expect_error("bad checkpoint state", opt, [good, twice])

# Loaded, with as many elements: only a flattened state (a distributed
# checkpoint's) takes its parameter's shape.
good, turned = fresh((8, 4), (6, 8))
saved = Muon([torch.nn.Parameter(torch.zeros(8, 4)), torch.nn.Parameter(torch.zeros(8, 6))],
             verbose=False)
for p in saved.param_groups[0]["params"]:
    p.grad = torch.ones_like(p)
saved.step()
opt = Muon([good, turned], verbose=False)
opt.load_state_dict(saved.state_dict())
expect_error("transposed checkpoint state", opt, [good, turned])

try:  # checked when the group is added, before any step
    Muon(fresh((8, 4)), ns_dtype=torch.int32, verbose=False)
except ValueError as e:
    print(f"ns_dtype: ValueError: {e}")

# Hyper-parameters out of the ops' ranges fail when the group is added, as
# torch.optim's do, not as a compile error at the first step.
for options in [{"deterministic": 1}, {"momentum": 1.0}, {"ns_steps": 2.5},
                {"weight_decay": -1.0}, {"betas": (1.5, 0.9)}, {"adamw_eps": 0.0},
                {"algorithm": "muon2", "beta2": 1.0}, {"ns_coefficients": (1.0, 2.0)}]:
    try:
        Muon(fresh((8, 4)), verbose=False, **options)
        raise AssertionError(f"{options}: no error")
    except ValueError as e:
        print(f"{', '.join(options)}: ValueError: {e}")

# Set in param_groups after a step (bypassing add_param_group): checked
# at the next step, parameters untouched.
for key, value in [("ns_steps", 0), ("eps", 1e-3), ("lr_adjust", "sqrt"), ("view", "rows")]:
    good = fresh((8, 4))[0]
    opt = Muon([good], verbose=False)
    opt.step()
    opt.param_groups[0][key] = value
    expect_error(f"{key} set after a step", opt, [good])

# torch.optim.AdamW's options that change the update (a loaded AdamW
# checkpoint may carry them): rejected, not ignored.
for flag in ("maximize", "amsgrad"):
    good, bias = fresh((8, 4), (8,))
    opt = Muon([{"params": [good]}, {"params": [bias], "use_muon": False}], verbose=False)
    opt.step()
    opt.param_groups[1][flag] = True
    expect_error(flag, opt, [good, bias])

good, bias = fresh((8, 4), (8,))
bias.grad = bias.detach()
expect_error("gradient aliasing its parameter", Muon([good, bias], verbose=False), [good, bias])

# A parameter removed from a named group's params but not from its names.
good, bias = fresh((8, 4), (8,))
emb, = fresh((16, 4))
opt = Muon([("embed_tokens", emb), ("layer.weight", good), ("layer.bias", bias)], verbose=False)
opt.param_groups[0]["params"] = [p for p in opt.param_groups[0]["params"] if p is not bias]
expect_error("param_names out of step", opt, [emb, good, bias])

# Two parameters over one storage (a tie made by sharing data, not by one
# Parameter): both named.
good, = fresh((8, 4))
shared = torch.randn(16, 4)
emb, head = torch.nn.Parameter(shared), torch.nn.Parameter(shared)
emb.grad, head.grad = torch.randn(16, 4), torch.randn(16, 4)
expect_error("parameters sharing storage",
             Muon([("good", good), ("emb", emb), ("head", head)], verbose=False),
             [good, emb, head])

good, bias = fresh((8, 4), (8,))
opt = Muon([good, bias], verbose=False)
opt.state[bias].update(step=torch.tensor([1.0, 2.0]), exp_avg=torch.zeros(8),
                       exp_avg_sq=torch.zeros(8))
expect_error("bad checkpoint step", opt, [good, bias])

# Empty parameters step as torch's do: an empty vector through AdamW (its
# step counted), an empty matrix has a momentum buffer and nothing to
# orthogonalize; they share no storage with anything (their pointers are 0).
params = fresh((8, 4), (0,), (0, 4))
twins = [torch.nn.Parameter(p.detach().clone()) for p in params]
for p, twin in zip(params, twins):
    twin.grad = p.grad.clone()
opt = Muon([("w", params[0]), ("empty_vector", params[1]), ("empty_matrix", params[2])],
           lr=0.02, verbose=False)
torch_muon = torch.optim.Muon([twins[0], twins[2]], lr=0.02)
torch_adamw = torch.optim.AdamW([twins[1]], lr=0.02)
with models.fp32_newton_schulz():
    for _ in range(2):
        opt.step()
        torch_muon.step()
        torch_adamw.step()
difference = float((params[0] - twins[0]).detach().abs().max() / twins[0].detach().abs().max())
states = " | ".join(" ".join(sorted(opt.state[p])) for p in params[1:])
print(f"empty parameters, 2 steps: state {states}, "
      f"AdamW step {int(opt.state[params[1]]['step'])}, the matrix beside them within "
      f"{'1e-5' if difference <= 1e-5 else f'{difference:.1e} (TOO FAR)'} of torch's")

# Copies and pickles step like the original (torch's pickling keeps only
# defaults, state and param_groups; the optimizer's own settings too).
import copy  # noqa: E402
import pickle  # noqa: E402

params = fresh((8, 4), (8,))
opt = Muon(params, lr=0.02, verbose=False, ns_memory=1 << 20)
opt.step()
copies = [copy.deepcopy(opt), pickle.loads(pickle.dumps(opt))]
for c in copies:  # parameters included, without their gradients
    for p, twin in zip(params, c.param_groups[0]["params"]):
        twin.grad = p.grad.clone()
    c.step()
opt.step()
same = all(torch.equal(c.param_groups[0]["params"][i].detach(), params[i].detach())
           for c in copies for i in range(2))
print(f"deepcopy, pickle: a step equals the original's: {same}; ns_memory "
      f"{copies[1].ns_memory}; state of plain dicts in state_dict(): "
      f"{all(type(v) is dict for v in opt.state_dict()['state'].values())}")

# A compile cache that cannot be written (its path runs through a file): an
# error naming the directory and the variable that moves it.
import os  # noqa: E402
import tempfile  # noqa: E402

cache = os.environ.get("MUON_MLIR_CACHE")
with tempfile.NamedTemporaryFile() as blocker:
    os.environ["MUON_MLIR_CACHE"] = os.path.join(blocker.name, "cache")
    good, = fresh((8, 5))
    expect_error("unwritable cache", Muon([good], verbose=False), [good])
if cache is None:
    del os.environ["MUON_MLIR_CACHE"]
else:
    os.environ["MUON_MLIR_CACHE"] = cache

# The step modifies parameters in place as torch's optimizers do: a backward
# through a graph that saved them before the step raises (autograd's
# version check) instead of differentiating with the new weights.
w, b = fresh((8, 8), (8,))
opt = Muon([w, b], verbose=False)
before = (w * w).sum() + (b * b).sum()
opt.step()
opt.step()  # the fast path too
try:
    before.backward()
    print("backward after a step: no error")
except RuntimeError as e:
    print(f"backward after a step: RuntimeError: {str(e).split(':')[0]}; versions "
          f"{w._version}, {b._version}")

# adamw_lr follows lr in proportion to the group's first lr: from 0 it
# cannot, and says so.
import warnings  # noqa: E402

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    Muon(fresh((8, 4), (8,)), lr=0.0, adamw_lr=3e-3, verbose=False)
    Muon(fresh((8, 4), (8,)), lr=0.02, adamw_lr=3e-3, verbose=False)
print(f"lr=0 with adamw_lr: {len(caught)} warning: {caught[0].message}")

# A bucket size is bytes (below one element: buckets of one element).
for bad in (0, -1, 1.5, True):
    try:
        Muon(fresh((8, 4)), bucket_bytes=bad, verbose=False)
    except ValueError as error:
        print(f"bucket_bytes={bad!r}: ValueError: {error}")
