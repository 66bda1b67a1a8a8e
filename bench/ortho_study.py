"""Muon²-3 against Muon-k at matched orthogonality, on real training gradients.

The GPU benchmark's study (gpu_step.py) feeds a synthetic gradient with
uniform coordinate scales, where Muon²'s preconditioning cannot help. This
one trains the example's char transformer (widened: --d-model, --layers) with
torch.optim.Muon on the block matrices and AdamW on the rest, and tracks for
every block matrix Muon's momentum M and Muon²'s second moment V of the raw
gradient (β = β₂ = 0.95). At each checkpoint it orthogonalizes Muon's input
U = (1 − β)G + βM and Muon²'s P = U/(√V + ε) with the project's compiled
`optim.newton_schulz` (bf16, run by muon-run on the CPU pipeline; the GPU
program does the same bf16 arithmetic) for k = 1..--max-steps iterations and
prints, per matrix shape, the median over layers of ‖XXᵀ − I‖_F/√m (X = O on
its wide side, m its rows) and of σ_min/σ_max of O. The verdict names, per
metric, the fewest Muon iterations that match Muon²-3 on every shape:
Muon²-3's NS does 3/k of that work. --json writes the tables and the
verdict over every checkpoint of the quintic schedule (the one the GPU
benchmark's steps use), which `gpu_step.py build --ortho-matched` takes to
time Muon²-3 against the Muon-k that matches it.

    .venv/bin/python bench/ortho_study.py --d-model 256 --layers 4 --steps 200
"""

import argparse
import collections
import json
import operator
import os
import statistics
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "examples", "char_transformer"))
from muon_mlir import runner  # noqa: E402
from muon_mlir.testing import reference  # noqa: E402

BETA = BETA2 = 0.95
EPS = 1e-8
MUON2_STEPS = 3
# bf16 NS against the float64 reference, relative Frobenius error. X, S and
# T are stored in bf16 between the GEMMs, as on the GPU (the CPU lowers
# Newton–Schulz to the same runtime GEMM calls): on the test's small
# gradients k = 4 reaches 5.9e-2 (quintic) and 9.8e-2 (polar express, whose
# unfinished intermediate steps amplify the rounding), as a numpy emulation
# of that storage does; a broken lowering is off by O(1).
NS_TOL = {"quintic": 8e-2, "polar_express": 1.2e-1}
# (key, label, whether Muon-k's value is at least as orthogonal as Muon²-3's)
METRICS = [("gram", "‖XXᵀ−I‖/√m", operator.le), ("spread", "σmin/σmax", operator.ge)]


def orthogonality(o):
    """{"gram": ‖XXᵀ − I‖_F/√m, "spread": σ_min/σ_max} of O, X = O on its wide side."""
    x = o.astype(np.float64)
    x = x if x.shape[0] <= x.shape[1] else x.T
    sigma = np.linalg.svd(x, compute_uv=False)
    gram = np.linalg.norm(x @ x.T - np.eye(x.shape[0])) / np.sqrt(x.shape[0])
    return {"gram": gram, "spread": sigma.min() / sigma.max()}


def ns_module(shape, count, max_steps, schedule):
    """@study(U, P): NS_k(U) and NS_k(P) for k = 1..max_steps, as batches."""
    t = f"tensor<{count}x{shape[0]}x{shape[1]}xf32>"
    lines, results = [], []
    for arg in ("u", "p"):
        for k in range(1, max_steps + 1):
            lines.append(f"  %{arg}{k} = optim.newton_schulz %{arg} {{steps = {k} : i64, "
                         f"compute_type = bf16, schedule = #optim.ns_schedule<{schedule}>, "
                         f"view = #optim.matrix_view<batch>}} : {t}")
            results.append(f"%{arg}{k}")
    return (f"func.func @study(%u: {t}, %p: {t}) -> ({', '.join([t] * len(results))}) {{\n"
            + "\n".join(lines) + f"\n  return {', '.join(results)} : "
            + ", ".join([t] * len(results)) + "\n}\n")


def study(inputs, max_steps, schedule, muon_run):
    """{shape: {"muon"|"muon2": [{metric: median over the shape's matrices}] per k}}."""
    out = {}
    for shape, pairs in inputs.items():
        u = np.stack([p[0] for p in pairs])
        p = np.stack([p[1] for p in pairs])
        results = runner.run(ns_module(shape, len(pairs), max_steps, schedule), "study",
                             [u, p], 2 * max_steps, runner=muon_run)
        check_against_reference(shape, u[0], p[0], results, max_steps, schedule)
        out[shape] = {}
        for i, method in enumerate(("muon", "muon2")):
            per_k = results[i * max_steps:(i + 1) * max_steps]
            out[shape][method] = []
            for batch in per_k:
                measured = [orthogonality(o) for o in batch]
                out[shape][method].append({name: statistics.median(m[name] for m in measured)
                                           for name, _, _ in METRICS})
    return out


def check_against_reference(shape, u, p, results, max_steps, schedule):
    """Exits if the compiled NS of the shape's first U and P is off the float64
    reference by more than NS_TOL for some k, so a broken lowering cannot pass
    as a finding."""
    for i, x in enumerate((u, p)):
        for k in range(1, max_steps + 1):
            error = reference.relative_error(results[i * max_steps + k - 1][0],
                                             reference.newton_schulz(x, k, schedule))
            if not error <= NS_TOL[schedule]:
                sys.exit(f"error: optim.newton_schulz of a {shape[0]}x{shape[1]} "
                         f"{'UP'[i]} at {k} steps ({schedule}) is {error:.2e} off the "
                         f"float64 reference (budget {NS_TOL[schedule]:g})")


def matched_steps(result, metric, as_good):
    """The fewest Muon iterations at least as orthogonal as Muon²-3 on every
    shape, or None if --max-steps are not enough."""
    needed = 0
    for per_method in result.values():
        target = per_method["muon2"][MUON2_STEPS - 1][metric]
        ks = [k for k, r in enumerate(per_method["muon"], 1)
              if as_good(r[metric], target)]
        if not ks:
            return None
        needed = max(needed, ks[0])
    return needed


def overall_verdict(records, max_steps):
    """{metric: the fewest Muon iterations matching Muon²-3 at every quintic
    checkpoint, or None if Muon-max_steps does not}."""
    verdict = {}
    for metric, _, _ in METRICS:
        ks = [r["matched"][metric] for r in records if r["schedule"] == "quintic"]
        verdict[metric] = None if None in ks else max(ks)
    return {"muon2_steps": MUON2_STEPS, "max_steps": max_steps, "matched": verdict}


def report(step, loss, schedule, result, max_steps):
    print(f"\n== step {step} (loss {loss:.3f}), schedule {schedule}: median over the "
          f"matrices of each shape ==")
    ks = " ".join(f"{k:>6}" for k in range(1, max_steps + 1))
    print(f"{'shape':>10} {'metric':>12} | Muon k = {ks} | Muon² k = {ks}")
    for shape, r in result.items():
        for metric, label, _ in METRICS:
            row = [" ".join(f"{x[metric]:6.3f}" for x in r[m]) for m in ("muon", "muon2")]
            print(f"{'x'.join(map(str, shape)):>10} {label:>12} |          {row[0]} |"
                  f"           {row[1]}")
    matched = {}
    for metric, label, as_good in METRICS:
        k = matched[metric] = matched_steps(result, metric, as_good)
        print(f"verdict ({label}): " + (
            f"Muon²-{MUON2_STEPS} is matched by Muon-{k}, whose NS does "
            f"{k / MUON2_STEPS:.2f}x Muon²-{MUON2_STEPS}'s work" if k else
            f"Muon²-{MUON2_STEPS} is more orthogonal than Muon-{max_steps} on some shape"))
    return matched


def train(args):
    """Yields (step, loss, {shape: [(U, P)]}) at each checkpoint."""
    import torch
    import model
    torch.manual_seed(args.seed)
    data, chars = model.load_text()
    c = model.Config(vocab=len(chars), batch=args.batch, seq=args.seq, d_model=args.d_model,
                     heads=args.heads, layers=args.layers)
    net = model.CharLM(c)
    hidden = [p for name, p in net.named_parameters() if name.startswith("blocks.") and p.ndim == 2]
    rest = [p for p in net.parameters() if all(p is not h for h in hidden)]
    optimizers = [torch.optim.Muon(hidden, lr=args.muon_lr, adjust_lr_fn="match_rms_adamw"),
                  torch.optim.AdamW(rest, lr=args.adamw_lr)]
    m = [torch.zeros_like(p) for p in hidden]
    v = [torch.zeros_like(p) for p in hidden]
    stream = model.batches(data, c, seed=args.seed + 1)
    for step in range(max(args.checkpoints) + 1):
        idx, labels = next(stream)
        loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(idx)),
                                                 torch.from_numpy(labels))
        for opt in optimizers:
            opt.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p, mi, vi in zip(hidden, m, v):
                mi.mul_(BETA).add_(p.grad, alpha=1 - BETA)
                vi.mul_(BETA2).add_(p.grad * p.grad, alpha=1 - BETA2)
            if step in args.checkpoints:
                inputs = collections.defaultdict(list)
                for p, mi, vi in zip(hidden, m, v):
                    u = (1 - BETA) * p.grad + BETA * mi
                    inputs[tuple(p.shape)].append((u.numpy().copy(),
                                                   (u / (vi.sqrt() + EPS)).numpy()))
                yield step, loss.item(), dict(inputs)
        for opt in optimizers:
            opt.step()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seq", type=int, default=64)
    parser.add_argument("--steps", type=int, default=200, help="training steps")
    parser.add_argument("--checkpoints", default="",
                        help="steps to study, comma separated (default: --steps)")
    parser.add_argument("--max-steps", type=int, default=7, help="NS iterations tried")
    parser.add_argument("--schedules", default="quintic",
                        help="comma separated; polar_express is tuned for exactly 5 steps")
    parser.add_argument("--muon-lr", type=float, default=0.02)
    parser.add_argument("--adamw-lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--muon-run", default=os.path.join(ROOT, "build", "bin", "muon-run"),
                        help="muon-run, with options if any (shell words)")
    parser.add_argument("--json", metavar="FILE",
                        help="write the tables and the overall verdict here")
    args = parser.parse_args()
    if any(s not in NS_TOL for s in args.schedules.split(",")):
        parser.error(f"--schedules takes {', '.join(NS_TOL)}")
    if args.json and "quintic" not in args.schedules.split(","):
        parser.error("--json's verdict is the quintic schedule's: add it to --schedules")
    args.checkpoints = sorted({int(s) for s in args.checkpoints.split(",") if s} or {args.steps})
    if args.max_steps < MUON2_STEPS or args.checkpoints[0] < 0:
        parser.error(f"--max-steps must be at least {MUON2_STEPS}, checkpoints non-negative")
    print(f"char transformer d_model {args.d_model}, {args.layers} layers, batch "
          f"{args.batch}x{args.seq}; NS by optim.newton_schulz (bf16) through {args.muon_run}")
    records = []
    for step, loss, inputs in train(args):
        for schedule in args.schedules.split(","):
            result = study(inputs, args.max_steps, schedule, args.muon_run)
            matched = report(step, loss, schedule, result, args.max_steps)
            records.append({"step": step, "loss": loss, "schedule": schedule,
                            "matched": matched, "shapes": [
                                {"shape": list(shape), **per_method}
                                for shape, per_method in result.items()]})
    if args.json:
        config = {k: getattr(args, k) for k in ("d_model", "layers", "heads", "batch", "seq",
                                                "checkpoints", "seed")}
        with open(args.json, "w") as f:
            json.dump({"config": config, "checkpoints": records,
                       **overall_verdict(records, args.max_steps)}, f, indent=1)


if __name__ == "__main__":
    main()
