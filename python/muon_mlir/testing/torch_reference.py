"""References from torch's own optimizers (torch.optim.Muon, AdamW)."""

import contextlib

import numpy as np
import torch
import torch.optim._muon as torch_muon


@contextlib.contextmanager
def fp32_newton_schulz():
    """torch.optim.Muon runs Newton–Schulz in bf16; for fp32 comparisons swap
    in the same iteration in fp32 (only the cast differs from torch's code)."""
    original = torch_muon._zeropower_via_newtonschulz

    def fp32(grad, ns_coefficients, ns_steps, eps):
        a, b, c = ns_coefficients
        x = grad.to(dtype=torch.float32, copy=True)
        if grad.size(0) > grad.size(1):
            x = x.T
        x.div_(x.norm().clamp(min=eps))
        for _ in range(ns_steps):
            gram = x @ x.T
            update = torch.addmm(gram, gram, gram, beta=b, alpha=c)
            x = torch.addmm(x, update, x, beta=a)
        if grad.size(0) > grad.size(1):
            x = x.T
        return x

    torch_muon._zeropower_via_newtonschulz = fp32
    try:
        yield
    finally:
        torch_muon._zeropower_via_newtonschulz = original


def muon_steps(w, grads, m, lrs, momentum=0.95, nesterov=True, weight_decay=0.0,
               ns_steps=5, lr_adjust="original", view="flatten"):
    """Runs torch.optim.Muon over `grads` (one per step) from state (w, m);
    N-D parameters are updated per matrix of the view. Returns (w, m)."""
    w, m = np.asarray(w, np.float32), np.asarray(m, np.float32)
    shape = w.shape
    mats = (lambda x: x.reshape((-1,) + shape[-2:])) if view == "batch" else (
        lambda x: x.reshape(1, shape[0], -1))
    params = [torch.nn.Parameter(torch.from_numpy(x.copy())) for x in mats(w)]
    opt = torch.optim.Muon(params, lr=lrs[0], weight_decay=weight_decay,
                           momentum=momentum, nesterov=nesterov, ns_steps=ns_steps,
                           adjust_lr_fn=lr_adjust)
    for p, buf in zip(params, mats(m)):
        opt.state[p]["momentum_buffer"] = torch.from_numpy(buf.copy())
    for g, lr in zip(grads, lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        for p, gi in zip(params, mats(np.asarray(g, np.float32))):
            p.grad = torch.from_numpy(gi.copy())
        opt.step()
    new_w = np.stack([p.detach().numpy() for p in params]).reshape(shape)
    new_m = np.stack([opt.state[p]["momentum_buffer"].numpy() for p in params]).reshape(shape)
    return new_w, new_m


def adamw_steps(w, grads, m, v, lrs, start_step, betas=(0.9, 0.999), eps=1e-8,
                weight_decay=0.01):
    """torch.optim.AdamW from state (w, m, v) at step count `start_step` − 1."""
    p = torch.nn.Parameter(torch.from_numpy(np.asarray(w, np.float32).copy()))
    opt = torch.optim.AdamW([p], lr=lrs[0], betas=betas, eps=eps, weight_decay=weight_decay)
    opt.state[p]["step"] = torch.tensor(float(start_step - 1))
    opt.state[p]["exp_avg"] = torch.from_numpy(np.asarray(m, np.float32).copy())
    opt.state[p]["exp_avg_sq"] = torch.from_numpy(np.asarray(v, np.float32).copy())
    for g, lr in zip(grads, lrs):
        opt.param_groups[0]["lr"] = lr
        p.grad = torch.from_numpy(np.asarray(g, np.float32).copy())
        opt.step()
    state = opt.state[p]
    return p.detach().numpy(), state["exp_avg"].numpy(), state["exp_avg_sq"].numpy()
