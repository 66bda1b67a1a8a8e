"""Parameters in layouts other than contiguous: a conv net converted to
channels_last (its conv kernels and their gradients are then permuted in
memory) trains like torch's pair on a contiguous twin, in place, through
the fast path, with state in the parameters' own layout; a gradient in
another layout than its parameter's is read through a copy; AdamW takes a
transposed view; checkpoints move between the layouts; and layouts the
step cannot update in place are errors naming the parameter."""

import copy

import torch

import models
from muon_mlir.optim import Muon

TOLERANCE = 1e-5
CHANNELS_LAST = torch.channels_last


def channels_last_batch(seed):
    x, y = models.conv_batch(seed)
    return x.to(memory_format=CHANNELS_LAST), y


# 1. channels_last against torch.optim.Muon + AdamW on a contiguous twin.
ours_model, ref_model = models.twins(models.ConvNet)
ours_model.to(memory_format=CHANNELS_LAST)
kernels = [ours_model.conv1.weight, ours_model.conv2.weight]
storage = [k.data_ptr() for k in kernels]
assert all(k.is_contiguous(memory_format=CHANNELS_LAST) and not k.is_contiguous()
           for k in kernels)
ours = Muon(ours_model.named_parameters(), lr=models.LR, adamw_lr=models.ADAMW_LR,
            verbose=False)
full_checks = []
prepare = ours._prepare
ours._prepare = lambda *args: full_checks.append(1) or prepare(*args)
reference = models.TorchPair(ref_model)
with models.fp32_newton_schulz():
    models.train(ours_model, ours, models.conv_loss, channels_last_batch, 10)
    models.train(ref_model, reference, models.conv_loss, models.conv_batch, 10)
worst, where = models.worst_relative(ours_model, ref_model)
assert worst <= TOLERANCE, f"{where} differs by {worst:.2e}"
assert [k.data_ptr() for k in kernels] == storage, "not updated in place"
momenta = [ours.state[k]["momentum_buffer"] for k in kernels]
assert all(m.stride() == k.stride() for m, k in zip(momenta, kernels)), \
    [m.stride() for m in momenta]
print(f"channels_last conv net: 10 steps, worst relative difference {worst:.1e} <= "
      f"{TOLERANCE:g}; in place; momenta in the kernels' layout; full checks "
      f"{len(full_checks)} of 10 steps")


# 2. A gradient in another layout than its parameter's (set by hand), and
#    AdamW on a transposed view, against contiguous twins.
def pair(shape, transform):
    torch.manual_seed(1)
    base = torch.randn(shape)
    return torch.nn.Parameter(transform(base.clone())), \
        torch.nn.Parameter(transform(base.clone()).contiguous())


kernel, kernel_twin = pair((16, 8, 3, 3), lambda t: t.to(memory_format=CHANNELS_LAST))
table, table_twin = pair((12, 20), lambda t: t.t())  # strides (1, 20)
bias, bias_twin = pair((6,), lambda t: t)
opt = Muon([{"params": [kernel, bias]}, {"params": [table], "use_muon": False}],
           lr=models.LR, verbose=False)
twin = Muon([{"params": [kernel_twin, bias_twin]}, {"params": [table_twin], "use_muon": False}],
            lr=models.LR, verbose=False)
for step in range(4):
    g = torch.Generator().manual_seed(50 + step)
    for p, q in ((kernel, kernel_twin), (table, table_twin), (bias, bias_twin)):
        grad = torch.randn(p.shape, generator=g)
        p.grad, q.grad = grad.clone(), grad.clone()  # contiguous for both
    with models.fp32_newton_schulz():
        opt.step()
        twin.step()
worst = max(float((p - q).abs().max() / q.abs().max())
            for p, q in ((kernel, kernel_twin), (table, table_twin), (bias, bias_twin))
            for p, q in [(p.detach(), q.detach())])
assert worst <= TOLERANCE, worst
assert kernel.is_contiguous(memory_format=CHANNELS_LAST) and table.stride() == (1, 20)
print(f"contiguous gradients of a channels_last kernel, AdamW on a transposed view: "
      f"4 steps, worst relative difference {worst:.1e} <= {TOLERANCE:g}")

# 3. Checkpoints across layouts: the channels_last optimizer's state into a
#    contiguous twin and back, then one more step each.
contiguous_model = models.ConvNet()
contiguous_model.load_state_dict(ours_model.state_dict())
contiguous_model.to(memory_format=torch.contiguous_format)
moved = Muon(contiguous_model.named_parameters(), lr=models.LR, adamw_lr=models.ADAMW_LR,
             verbose=False)
moved.load_state_dict(copy.deepcopy(ours.state_dict()))  # as saved and loaded
back = Muon(ours_model.named_parameters(), lr=models.LR, adamw_lr=models.ADAMW_LR,
            verbose=False)
back.load_state_dict(copy.deepcopy(moved.state_dict()))
with models.fp32_newton_schulz():
    models.train(contiguous_model, moved, models.conv_loss, models.conv_batch, 1, 10)
    models.train(ours_model, back, models.conv_loss, channels_last_batch, 1, 10)
worst, where = models.worst_relative(ours_model, contiguous_model)
assert worst <= TOLERANCE, f"{where} differs by {worst:.2e}"
print(f"checkpoint channels_last -> contiguous -> channels_last: one more step, worst "
      f"relative difference {worst:.1e} <= {TOLERANCE:g}")

# 4. Layouts the step cannot update in place.
for label, param, group in [
        ("Muon on a transposed matrix", torch.randn(8, 6).t(), {}),
        ("a strided slice", torch.randn(8, 12)[:, ::2], {}),
        ("AdamW on an expanded view", torch.randn(1, 6).expand(4, 6), {"use_muon": False}),
        ("stacked experts with transposed matrices", torch.randn(2, 6, 4).transpose(1, 2),
         {"view": "batch"})]:
    p = torch.nn.Parameter(param)
    p.grad = torch.ones(p.shape)
    before = p.detach().clone()
    try:
        Muon([dict(params=[p], **group)], lr=0.02, verbose=False).step()
        raise AssertionError(f"no error for {label}")
    except ValueError as e:
        assert torch.equal(p.detach(), before)
        print(f"{label}: {e}")
