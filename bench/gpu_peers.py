"""GPU peer baselines for the optimizer-step benchmark (issue: GPU
performance): one full step — Muon for the hidden matrices, AdamW for the
rest — with torch.optim.Muon + AdamW eager (AdamW also fused), the same
under torch.compile (default and reduce-overhead, CUDA graphs), and
optax.contrib.muon under jax.jit (as published and with bf16 matmuls); plus the bf16 GEMM ceiling and the copy
bandwidth measured on the same device. bench/gpu_step.py times muon-mlir's
compiled step against these peers in one run, through the helpers here.

    python bench/gpu_peers.py [--sets gpt2,llama1b,ns4096] [--repetitions 20]
"""

import argparse
import functools
import json
import math
import os
import statistics
import subprocess
import sys
import time


def gpt2_small():
    d, muon, adamw = 768, [], [(50257, 768), (1024, 768)]
    for _ in range(12):
        muon += [(d, 3 * d), (d, d), (d, 4 * d), (4 * d, d)]
        adamw += [(d,), (d,), (3 * d,), (d,), (d,), (d,), (4 * d,), (d,)]
    return muon, adamw + [(d,), (d,)]


def llama_1b(layers=16):
    d, ff, kv = 2048, 8192, 512  # 32 query heads, 8 key/value heads of 64
    muon, adamw = [], [(128256, d)]
    for _ in range(layers):
        muon += [(d, d), (kv, d), (kv, d), (d, d), (ff, d), (ff, d), (d, ff)]
        adamw += [(d,), (d,)]
    return muon, adamw + [(d,)]


SETS = {"gpt2": gpt2_small, "llama1b": llama_1b,
        # The LLaMA-1B class's shapes and buckets with 2 of its 16 layers: its
        # GPU program emulated fits a 24 GiB machine (the whole set does not).
        "llama1b-2l": lambda: llama_1b(layers=2),
        "ns4096": lambda: ([(4096, 4096), (4096, 14336)], []),
        # bench/gpu_step.py's own test set, small enough for a CPU.
        "tiny": lambda: ([(64, 192), (64, 192), (64, 64), (128, 64)], [(100, 64), (64,), (192,)])}

# The step every peer (and muon-mlir in gpu_step.py) runs.
MUON_LR, ADAMW_LR, WEIGHT_DECAY = 0.02, 6e-4, 0.1
# torch.optim.Muon's Newton–Schulz coefficients (a, b, c), used by every peer.
QUINTIC = (3.4445, -4.7750, 2.0315)


def synchronize(device):
    import torch
    if device == "cuda":
        torch.cuda.synchronize()


def median_ms(fn, repetitions, device="cuda"):
    """Median wall time of `fn` to completion on `device`, after one warm-up."""
    fn()
    synchronize(device)
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        fn()
        synchronize(device)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def measure(fn, repetitions, device="cuda"):
    """(median ms, peak GiB torch allocated meanwhile; None off CUDA)."""
    import torch
    if device != "cuda":
        return median_ms(fn, repetitions, device), None
    torch.cuda.reset_peak_memory_stats()
    ms = median_ms(fn, repetitions, device)
    return ms, torch.cuda.max_memory_allocated() / 2**30


def torch_optimizers(muon, adamw, fused=False):
    """torch.optim.Muon (bf16 Newton–Schulz, as shipped) on `muon`, AdamW on
    `adamw` (its single fused kernel per step with `fused`)."""
    import torch
    opts = [torch.optim.Muon(muon, lr=MUON_LR, weight_decay=WEIGHT_DECAY)]
    if adamw:
        opts.append(torch.optim.AdamW(adamw, lr=ADAMW_LR, weight_decay=WEIGHT_DECAY,
                                      fused=fused or None))
    return opts


class BatchedMuon:
    """Muon as users batch it by hand (modded-nanogpt / dion style): the
    matrices of one shape stacked, one batched bf16 Newton–Schulz per shape,
    momentum kept stacked; torch.optim.Muon's formulas and defaults
    (momentum 0.95, Nesterov, lr scaled by max(1, A/B)^½, decoupled decay)."""

    def __init__(self, params, lr, weight_decay, momentum=0.95, steps=5, eps=1e-7):
        import torch
        self.lr, self.weight_decay, self.momentum, self.steps, self.eps = (
            lr, weight_decay, momentum, steps, eps)
        groups = {}
        for p in params:
            groups.setdefault(tuple(p.shape), []).append(p)
        self.groups = [(ps, torch.zeros((len(ps), *shape), device=ps[0].device))
                       for shape, ps in groups.items()]

    def newton_schulz(self, g):
        import torch
        a, b, c = QUINTIC
        x = g.to(torch.bfloat16)
        tall = x.size(-2) > x.size(-1)
        if tall:
            x = x.mT
        x = x / x.norm(dim=(-2, -1), keepdim=True).clamp(min=self.eps)
        for _ in range(self.steps):  # torch.optim.Muon's iteration, batched
            gram = x @ x.mT
            x = torch.baddbmm(x, torch.baddbmm(gram, gram, gram, beta=b, alpha=c), x, beta=a)
        return x.mT if tall else x

    def step(self):
        import torch
        with torch.no_grad():
            self._step()

    def _step(self):
        import torch
        for params, buf in self.groups:
            grads = torch.stack([p.grad for p in params])
            buf.lerp_(grads, 1 - self.momentum)
            update = self.newton_schulz(grads.lerp(buf, self.momentum))
            rows, cols = params[0].shape
            scale = -self.lr * math.sqrt(max(1, rows / cols))
            torch._foreach_mul_(params, 1 - self.lr * self.weight_decay)
            torch._foreach_add_(params, list(update.to(params[0].dtype).unbind()), alpha=scale)


def add_wheels(directory):
    """Makes the peers' wheels in `directory` importable: the GPU machine has
    no network, so they are downloaded here (bench/gpu_step.py build:
    heavyball; bench/peer_wheels.py: gram-newton-schulz and its binary
    dependencies) and travel with the artifacts."""
    import peer_wheels
    peer_wheels.install(directory)


# The torch peers, each configured as a user would at its best: eager (with
# AdamW's fused kernel too), torch.compile (default, and with CUDA graphs),
# Muon batched by hand under torch.compile, and heavyball's Muon (a
# compile-first library; AdamW stays torch's fused one for the rest).
TORCH_PEERS = {"eager": {}, "eager-fused": {"fused": True},
               "compile": {"compile_mode": "default"},
               "compile-ro": {"compile_mode": "reduce-overhead"},
               "batched": {"compile_mode": "default", "batched": True},
               "heavyball": {"fused": True, "muon_library": "heavyball"},
               "gram": {"fused": True, "muon_library": "gram"}}


def gram_muon(params):
    """Dao-AILab's gram-newton-schulz Muon (its symmetric CuTe-DSL GEMM
    kernels on Hopper and later; restart positions autotuned when built)
    with torch.optim.Muon's quintic coefficients, 5 steps and learning-rate
    adjustment: the work of the other rows, Gram Newton–Schulz as published."""
    import gram_newton_schulz
    return gram_newton_schulz.Muon(
        params, lr=MUON_LR, weight_decay=WEIGHT_DECAY, momentum=0.95, nesterov=True,
        adjust_lr=lambda lr, shape: lr * math.sqrt(max(1, shape[-2] / shape[-1])),
        ns_coefficients=[QUINTIC] * 5, ns_algorithm="gram_newton_schulz",
        ns_use_kernels=params[0].is_cuda)


def torch_step(muon_shapes, adamw_shapes, compile_mode=None, device="cuda", fused=False,
               batched=False, muon_library=None):
    """One step of torch_optimizers (the Muon part BatchedMuon's with
    `batched`, heavyball.Muon's with `muon_library="heavyball"`) over random
    parameters and gradients, as a function of no arguments (through
    torch.compile in `compile_mode`)."""
    import torch
    torch.manual_seed(0)
    make = lambda s: torch.nn.Parameter(torch.randn(s, device=device))
    muon = [make(s) for s in muon_shapes]
    adamw = [make(s) for s in adamw_shapes]
    for p in muon + adamw:
        p.grad = torch.randn_like(p)
    opts = torch_optimizers(muon, adamw, fused)
    if batched:
        opts[0] = BatchedMuon(muon, MUON_LR, WEIGHT_DECAY)
    elif muon_library == "heavyball":
        import heavyball
        opts[0] = heavyball.Muon(muon, lr=MUON_LR, weight_decay=WEIGHT_DECAY)
    elif muon_library == "gram":
        opts[0] = gram_muon(muon)

    def step():
        for opt in opts:
            opt.step()

    return torch.compile(step, mode=compile_mode) if compile_mode else step


def torch_step_ms(muon_shapes, adamw_shapes, repetitions, peer, device="cuda"):
    step = torch_step(muon_shapes, adamw_shapes, device=device, **TORCH_PEERS[peer])
    return measure(step, repetitions, device)


def ceilings():
    """(bf16 GEMM TFLOP/s, copy GB/s counting the bytes read and written)."""
    import torch
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    ms = median_ms(lambda: a @ a, 20)
    x = torch.empty(2**28, device="cuda")  # 1 GiB
    copy_ms = median_ms(lambda: x.clone(), 20)
    return 2 * 8192**3 / ms / 1e9, 2 * x.numel() * 4 / copy_ms / 1e6


def optax_step_ms(muon_shapes, adamw_shapes, repetitions, precision=None):
    """optax.contrib.muon routes 2-D params to Muon and others to AdamW.
    Gradients are arguments of the jitted step, as a training loop passes
    them (closed over, they would be GBs of constants to compile), and
    params and state are donated, so XLA updates them in place. optax's
    Newton-Schulz multiplies in f32; `precision="bfloat16"` runs it (the
    step's only matmuls) at JAX's bf16 matmul precision instead: inputs
    rounded to bf16, f32 accumulation, as the other peers' bf16 NS."""
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import jax
    import optax
    key = jax.random.PRNGKey(0)
    shapes = muon_shapes + adamw_shapes
    params = [jax.random.normal(jax.random.fold_in(key, i), s) for i, s in enumerate(shapes)]
    grads = [jax.random.normal(jax.random.fold_in(key, 1000 + i), s) for i, s in enumerate(shapes)]
    # Embeddings are 2-D but belong to AdamW, as in the torch setup.
    labels = ["muon"] * len(muon_shapes) + ["adam"] * len(adamw_shapes)
    opt = optax.multi_transform(
        {"muon": optax.contrib.muon(MUON_LR, weight_decay=WEIGHT_DECAY),
         "adam": optax.adamw(ADAMW_LR, weight_decay=WEIGHT_DECAY)}, labels)
    state = opt.init(params)

    @functools.partial(jax.jit, donate_argnums=(0, 1))
    def step(params, state, grads):
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    with jax.default_matmul_precision(precision or "float32"):
        params, state = step(params, state, grads)
        jax.block_until_ready(params)
        times = []
        for _ in range(repetitions):
            start = time.perf_counter()
            params, state = step(params, state, grads)
            jax.block_until_ready(params)
            times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def optax_in_child(name, repetitions, timeout=None, precision=None):
    """optax_step_ms of set `name` in a child process, as JAX and torch do not
    share the GPU well: (median ms, None) or (None, the child's last error
    line). A child past `timeout` seconds is killed (before gradients were
    arguments, optax did not finish compiling the LLaMA-1B set within a
    10-minute device call)."""
    extra = ["--optax-precision", precision] if precision else []
    try:
        child = subprocess.run([sys.executable, __file__, "--optax-only", name,
                                "--repetitions", str(repetitions), *extra],
                               capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:g} s"
    if child.returncode == 0:
        return float(child.stdout.strip().splitlines()[-1]), None
    return None, (child.stderr.strip().splitlines() or ["?"])[-1][:80]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sets", default="gpt2,llama1b,ns4096")
    p.add_argument("--repetitions", type=int, default=20)
    p.add_argument("--optax-timeout", type=float, default=300, help="seconds per set")
    p.add_argument("--optax-only", help=argparse.SUPPRESS)
    p.add_argument("--optax-precision", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.optax_only:  # child process: JAX and torch do not share the GPU well
        muon, adamw = SETS[args.optax_only]()
        print(json.dumps(optax_step_ms(muon, adamw, args.repetitions, args.optax_precision)))
        return

    import torch
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    tflops, gbps = ceilings()
    print(f"bf16 GEMM ceiling (8192^3, torch.matmul/cuBLAS): {tflops:.0f} TFLOP/s; "
          f"copy bandwidth (1 GiB clone): {gbps:.0f} GB/s")
    print(f"{'set':8} {'peer':34} {'median ms':>10} {'peak GiB':>9}")
    for name in args.sets.split(","):
        muon, adamw = SETS[name]()
        for peer in TORCH_PEERS:
            ms, gib = torch_step_ms(muon, adamw, args.repetitions, peer)
            print(f"{name:8} {'torch.optim.Muon+AdamW ' + peer:34} {ms:10.2f} {gib:9.2f}",
                  flush=True)
            torch.cuda.empty_cache()
        for label, precision in [("optax.contrib.muon+adamw jax.jit", None),
                                 ("optax, NS matmuls at bf16", "bfloat16")]:
            ms, error = optax_in_child(name, args.repetitions, args.optax_timeout, precision)
            result = f"{ms:10.2f}" if error is None else "failed: " + error
            print(f"{name:8} {label:34} {result}", flush=True)


if __name__ == "__main__":
    main()
