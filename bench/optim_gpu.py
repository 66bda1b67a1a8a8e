"""muon_mlir.optim.Muon on a GPU, in one run on one device: its `step()`
(Newton–Schulz in float32 and with `ns_dtype=torch.bfloat16`) against
torch.optim.Muon + torch.optim.AdamW (foreach and fused) and against its own
bare compiled calls, on GPT-2 small's and the LLaMA-1B class's parameter sets
(bench/gpu_peers.py's SETS, the same hyper-parameters), all in float32:

- parity, 3 steps on fixed gradients, every parameter: float32 Newton–Schulz
  against torch.optim.Muon with float32 Newton–Schulz (TF32 off) to 1e-5
  relative (parameters) and 1e-4 (updates W − W0); bf16 Newton–Schulz's
  update error against that reference at most 2× torch.optim.Muon's own
  (bf16, as shipped);
- time: median GPU ms per step over `--steps`, three repetitions with their
  spread; host µs per step() (the call alone, the GPU idle when it starts)
  and step() − bare calls: the Python dispatch overhead;
- peak memory: torch's allocator peak during the steps (parameters,
  gradients, state, temporaries), plus for ours the runtime's peak
  temporaries (muon_gpu_peak_temporary_bytes), against torch.optim.Muon's;
- `cuda_graph=True` (step() capturing and replaying its own CUDA graphs):
  parity with the eager bf16 step (1e-5) and its time beside it;
- `deterministic=True` (norms summed in a fixed order, no atomics): its
  replayed CUDA-graph steps bitwise equal to its eager ones (two runs of
  the same step), and its time beside the default's (the cost);
- CUDA graphs: step() captured once with `torch.cuda.graph` and replayed
  against the same steps run eagerly; a learning rate given as a device
  tensor, set to 0 between replays, leaves the parameters bitwise unchanged
  while the momenta move (no recompilation, no host work in the replay).

The GPU machine has no compiler: `build` fills a step cache with
`Muon.precompile` (parameters on the meta device) and copies the CUDA
runtime; `run` steps from that cache alone (MUON_COMPILE names no compiler).

    .venv/bin/python bench/optim_gpu.py build --out gpu-artifacts/optim   # here
    python3 bench/optim_gpu.py run --artifacts gpu-artifacts/optim --json $OUT/optim_gpu.json

`build --device cpu --sets tiny` and `run` on it exercise the same code on
the CPU (CUDA graphs and the runtime's memory figures are CUDA-only).
"""

import argparse
import contextlib
import ctypes
import gc
import json
import os
import shutil
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gpu_peers  # noqa: E402

NS_DTYPES = {"f32": None, "bf16": "bfloat16"}
PARITY_STEPS = 3
RUNTIME = "libmuon_cuda_runtime.so"


def ns_dtype(name):
    import torch
    return None if NS_DTYPES[name] is None else getattr(torch, NS_DTYPES[name])


def ours(muon, adamw, variant, lr=gpu_peers.MUON_LR, adamw_lr=gpu_peers.ADAMW_LR,
         cuda_graph=False, deterministic=False):
    """muon_mlir.optim.Muon with the peers' hyper-parameters: a Muon group
    and an AdamW group (use_muon=False: torch.optim.AdamW's meaning)."""
    from muon_mlir.optim import Muon
    groups = [{"params": muon, "use_muon": True, "lr": lr}]
    if adamw:
        groups.append({"params": adamw, "use_muon": False, "lr": adamw_lr,
                       "weight_decay": gpu_peers.WEIGHT_DECAY})
    return Muon(groups, weight_decay=gpu_peers.WEIGHT_DECAY, ns_dtype=ns_dtype(variant),
                verbose=False, cuda_graph=cuda_graph, deterministic=deterministic)


def build(args):
    import torch
    os.makedirs(args.out, exist_ok=True)
    os.environ["MUON_MLIR_CACHE"] = os.path.join(args.out, "cache")
    start = time.perf_counter()
    for name in args.sets.split(","):
        muon, adamw = gpu_peers.SETS[name]()
        with torch.device("meta"):
            muon = [torch.empty(s, requires_grad=True) for s in muon]
            adamw = [torch.empty(s, requires_grad=True) for s in adamw]
        for variant, deterministic in [(v, False) for v in NS_DTYPES] + [("bf16", True)]:
            set_start = time.perf_counter()
            ours(muon, adamw, variant, deterministic=deterministic).precompile(args.device)
            print(f"{name}, {variant} Newton–Schulz{', deterministic' * deterministic}: "
                  f"compiled in "
                  f"{time.perf_counter() - set_start:.1f} s", flush=True)
    if args.device == "cuda":
        from muon_mlir.optim._compiler import find_muon_compile
        runtime = os.path.join(os.path.dirname(find_muon_compile()), "..", "lib", RUNTIME)
        shutil.copyfile(runtime, os.path.join(args.out, RUNTIME))
    manifest = {"sets": args.sets.split(","), "device": args.device,
                "build_seconds": round(time.perf_counter() - start, 1)}
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(args.out) for f in fs)
    print(f"built {args.sets} for {args.device} in {manifest['build_seconds']} s: {args.out} "
          f"holds {size / 2**20:.1f} MiB")


# --------------------------------------------------------------------------
# run (there)
# --------------------------------------------------------------------------

class Setup:
    """One set's initial parameters and fixed gradients on the device."""

    def __init__(self, name, device):
        import torch
        generator = torch.Generator(device).manual_seed(0)
        muon, adamw = gpu_peers.SETS[name]()
        self.shapes = [muon, adamw]
        self.w0 = [[torch.randn(s, generator=generator, device=device) * 0.02 for s in shapes]
                   for shapes in self.shapes]
        self.grads = [[torch.randn(s, generator=generator, device=device) * 0.01
                       for s in shapes] for shapes in self.shapes]
        # Held for the copies only: not part of any optimizer's footprint.
        self.copy_bytes = sum(w.numel() * w.element_size() for group in self.w0 for w in group)

    def params(self):
        """Fresh copies of the initial parameters, gradients attached."""
        import torch
        out = []
        for w0, grads in zip(self.w0, self.grads):
            group = [torch.nn.Parameter(w.clone()) for w in w0]
            for p, g in zip(group, grads):
                p.grad = g
            out.append(group)
        return out


def make(row, muon, adamw):
    if row.startswith("torch"):
        return gpu_peers.torch_optimizers(muon, adamw, fused=row.endswith("fused"))
    return [ours(muon, adamw, row.split("-")[1], cuda_graph=row.endswith("-graph"),
                 deterministic="-det" in row)]


def step(opts):
    for opt in opts:
        opt.step()


def parity(setup, device):
    """Update errors of our two variants and torch.optim.Muon (bf16) against
    torch.optim.Muon with float32 Newton–Schulz, after PARITY_STEPS steps."""
    import torch
    from muon_mlir.testing.torch_reference import fp32_newton_schulz
    finals = {}
    for row in ("reference", "torch-foreach", "ours-f32", "ours-bf16", "ours-bf16-graph",
                "ours-bf16-det", "ours-bf16-det-graph"):
        muon, adamw = setup.params()
        opts = make("torch-foreach" if row == "reference" else row, muon, adamw)
        with fp32_newton_schulz() if row == "reference" else contextlib.nullcontext():
            for _ in range(PARITY_STEPS):
                step(opts)
        gpu_peers.synchronize(device)
        finals[row] = [p.detach() for p in muon + adamw]
        del opts
    w0 = setup.w0[0] + setup.w0[1]
    ref = finals.pop("reference")
    out = {}
    for row, got in finals.items():
        param = max(float((a - b).abs().max() / b.abs().max()) for a, b in zip(got, ref))
        update = max(float(((a - w) - (b - w)).abs().max() / (b - w).abs().max().clamp(min=1e-30))
                     for a, b, w in zip(got, ref, w0))
        out[row] = {"param_rel": param, "update_rel": update}
    out["f32_ok"] = out["ours-f32"]["param_rel"] <= 1e-5 and out["ours-f32"]["update_rel"] <= 1e-4
    out["bf16_ok"] = out["ours-bf16"]["update_rel"] <= 2 * out["torch-foreach"]["update_rel"]
    # Replayed from CUDA graphs (steps 2 and 3; the first is eager): the
    # same kernels on the same data, up to the norms' atomic summation order.
    out["graph_vs_eager_rel"] = max(
        float((a - b).abs().max() / b.abs().max().clamp(min=1e-30))
        for a, b in zip(finals["ours-bf16-graph"], finals["ours-bf16"]))
    # Deterministic: the same bits, eager or replayed.
    out["det_bitwise"] = all(torch.equal(a, b) for a, b in zip(finals["ours-bf16-det-graph"],
                                                              finals["ours-bf16-det"]))
    out["graph_ok"] = out["graph_vs_eager_rel"] <= 1e-5 and out["det_bitwise"]
    return out


def bare_run(opt, device):
    """Our optimizer's compiled calls on the pointers its last step() passed,
    prepared here: what step() adds to them is its dispatch."""
    import torch
    stream = [torch.cuda.current_stream().cuda_stream] if device == "cuda" else []
    calls = []
    for bindings in opt._bound.values():
        bound = bindings[0]  # the one the last step ran
        bound.pointer_view[bound.grad_slots] = [p.grad.data_ptr() for p in bound.with_grad]
        calls.append((bound.function._packed, (bound.arguments, *stream)))

    def run():
        for entry, pointers in calls:
            entry(*pointers)
    return run


def host_us(fn, steps, device):
    """Median host time of fn() alone, the device idle when it starts."""
    times = []
    for _ in range(steps):
        gpu_peers.synchronize(device)
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e6)
    gpu_peers.synchronize(device)
    return statistics.median(times)


def timing(setup, args, runtime):
    import torch
    rows = ["torch-foreach", "torch-fused", "ours-f32", "ours-bf16", "ours-bf16-graph",
            "ours-bf16-det", "ours-bf16-bare"]
    runs = {row: [] for row in rows}
    for _ in range(args.repetitions):
        for row in rows[:-1]:
            muon, adamw = setup.params()
            opts = make(row, muon, adamw)
            step(opts)  # state, compilation or cache
            resident = torch.cuda.memory_allocated() if args.device == "cuda" else 0
            if args.device == "cuda":
                torch.cuda.reset_peak_memory_stats()
                runtime.muon_gpu_reset_peak_temporary_bytes()
            record = {"ms": gpu_peers.median_ms(lambda: step(opts), args.steps, args.device),
                      "host_us": host_us(lambda: step(opts), args.steps, args.device)}
            if args.device == "cuda":
                record["peak_gib"] = (torch.cuda.max_memory_allocated() - setup.copy_bytes +
                                      runtime.muon_gpu_peak_temporary_bytes()) / 2**30
                record["resident_gib"] = (resident - setup.copy_bytes) / 2**30
            runs[row].append(record)
            if row == "ours-bf16":
                bare = bare_run(opts[0], args.device)
                runs["ours-bf16-bare"].append({
                    "ms": gpu_peers.median_ms(bare, args.steps, args.device),
                    "host_us": host_us(bare, args.steps, args.device)})
            del opts, muon, adamw
            gc.collect()
    table = {}
    for row, records in runs.items():
        table[row] = {key: {"median": statistics.median(r[key] for r in records),
                            "min": min(r[key] for r in records),
                            "max": max(r[key] for r in records), "runs": [r[key] for r in records]}
                      for key in records[0]}
    overhead = [a["host_us"] - b["host_us"] for a, b in zip(runs["ours-bf16"],
                                                           runs["ours-bf16-bare"])]
    table["dispatch_overhead_us"] = {"median": statistics.median(overhead), "min": min(overhead),
                                     "max": max(overhead), "runs": overhead}
    return table


def graphs(setup, args):
    """step() captured in a CUDA graph and replayed, against eager steps."""
    import torch
    lrs = [torch.tensor(gpu_peers.MUON_LR, device="cuda"),
           torch.tensor(gpu_peers.ADAMW_LR, device="cuda")]
    eager_params = setup.params()
    eager = ours(*eager_params, "bf16", *lrs)
    graphed_params = setup.params()
    graphed = ours(*graphed_params, "bf16", *lrs)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # warm-up off the default stream, as torch asks
        for _ in range(3):
            graphed.step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        graphed.step()
    for _ in range(3):
        eager.step()
    for _ in range(3):  # the capture itself ran nothing: 3 + 3 steps each
        eager.step()
        graph.replay()
    torch.cuda.synchronize()
    flat = lambda groups: [p.detach() for group in groups for p in group]  # noqa: E731
    worst = max(float((a - b).abs().max() / b.abs().max())
                for a, b in zip(flat(graphed_params), flat(eager_params)))
    steps = {float(graphed.state[p]["step"]) for p in graphed_params[1]}
    before = [p.detach().clone() for p in flat(graphed_params)]
    momenta = [graphed.state[p]["momentum_buffer"].clone() for p in graphed_params[0]]
    for lr in lrs:
        lr.fill_(0.0)
    graph.replay()
    torch.cuda.synchronize()
    unchanged = all(torch.equal(a, b) for a, b in zip(before, flat(graphed_params)))
    moved = all(not torch.equal(m, graphed.state[p]["momentum_buffer"])
                for m, p in zip(momenta, graphed_params[0]))
    for lr, value in zip(lrs, (gpu_peers.MUON_LR, gpu_peers.ADAMW_LR)):
        lr.fill_(value)
    replay_ms = gpu_peers.median_ms(graph.replay, args.steps)
    eager_ms = gpu_peers.median_ms(eager.step, args.steps)
    return {"replay_vs_eager_rel": worst, "adamw_steps_after_6": sorted(steps),
            "lr_zero_params_unchanged": unchanged, "lr_zero_momenta_moved": moved,
            "replay_ms": replay_ms, "eager_ms": eager_ms,
            "ok": worst <= 1e-5 and steps == {6.0} and unchanged and moved}


def run(args):
    import torch
    with open(os.path.join(args.artifacts, "manifest.json")) as f:
        manifest = json.load(f)
    if manifest["device"] != args.device:
        sys.exit(f"error: {args.artifacts} was built for {manifest['device']}, not {args.device}")
    os.environ["MUON_MLIR_CACHE"] = os.path.join(args.artifacts, "cache")
    os.environ["MUON_COMPILE"] = os.path.join(args.artifacts, "no-compiler")
    runtime = None
    if args.device == "cuda":
        # Step libraries load it by name: preloaded, no LD_LIBRARY_PATH needed.
        runtime = ctypes.CDLL(os.path.join(args.artifacts, RUNTIME), mode=ctypes.RTLD_GLOBAL)
        runtime.muon_gpu_peak_temporary_bytes.restype = ctypes.c_uint64
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    results = {"device": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
               "torch": torch.__version__, "command": " ".join(sys.argv), "sets": {}}
    ok = True
    for name in (args.sets or ",".join(manifest["sets"])).split(","):
        setup = Setup(name, args.device)
        out = results["sets"][name] = {"parity": parity(setup, args.device)}
        out["timing"] = timing(setup, args, runtime)
        if args.device == "cuda":
            out["cuda_graph"] = graphs(setup, args)
        report(name, out)
        ok &= out["parity"]["f32_ok"] and out["parity"]["bf16_ok"] and \
            out["parity"]["graph_ok"] and out.get("cuda_graph", {"ok": True})["ok"]
        del setup
        gc.collect()
        if args.json:  # after each set: a later one that fails keeps these
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)
    if not ok:
        sys.exit("error: a parity or CUDA-graph check failed (see above)")


LABELS = {"torch-foreach": "torch.optim.Muon + AdamW(foreach)",
          "torch-fused": "torch.optim.Muon + AdamW(fused)",
          "ours-f32": "muon_mlir.optim.Muon, f32 NS",
          "ours-bf16": "muon_mlir.optim.Muon, bf16 NS",
          "ours-bf16-graph": "  with cuda_graph=True",
          "ours-bf16-det": "  with deterministic=True",
          "ours-bf16-bare": "  its bare compiled calls"}


def report(name, out):
    p = out["parity"]
    print(f"{name}: parity after {PARITY_STEPS} steps against torch.optim.Muon with f32 NS: "
          f"ours f32 NS parameters {p['ours-f32']['param_rel']:.1e} (<= 1e-5), updates "
          f"{p['ours-f32']['update_rel']:.1e} (<= 1e-4): {'ok' if p['f32_ok'] else 'FAILED'}; "
          f"bf16 NS updates: ours {p['ours-bf16']['update_rel']:.1e}, torch.optim.Muon "
          f"{p['torch-foreach']['update_rel']:.1e} (ours <= 2x): "
          f"{'ok' if p['bf16_ok'] else 'FAILED'}; cuda_graph=True against eager "
          f"{p['graph_vs_eager_rel']:.1e} (<= 1e-5), deterministic=True graph vs eager "
          f"bitwise {'equal' if p['det_bitwise'] else 'DIFFERENT'}: "
          f"{'ok' if p['graph_ok'] else 'FAILED'}")
    t = out["timing"]
    print(f"{'':36s} {'ms/step (spread)':26s} {'host µs/step() (spread)':26s} peak GiB")
    for row, label in LABELS.items():
        ms, host = t[row]["ms"], t[row]["host_us"]
        peak = f"{t[row]['peak_gib']['median']:.2f}" if "peak_gib" in t[row] else "-"
        spread = f"{ms['median']:.3f} ({ms['min']:.3f}..{ms['max']:.3f})"
        host_spread = f"{host['median']:.1f} ({host['min']:.0f}..{host['max']:.0f})"
        print(f"{label:36s} {spread:26s} {host_spread:26s} {peak}")
    o = t["dispatch_overhead_us"]
    print(f"dispatch overhead step() - bare (bf16): {o['median']:.1f} µs "
          f"({o['min']:.1f}..{o['max']:.1f}; target <= 50)")
    if "peak_gib" in t["ours-bf16"]:
        torch_peak = min(t[r]["peak_gib"]["median"] for r in ("torch-foreach", "torch-fused"))
        print(f"peak memory ours (bf16 NS) / torch.optim.Muon's lower: "
              f"{t['ours-bf16']['peak_gib']['median'] / torch_peak:.3f} (target <= 1.05)")
    if "cuda_graph" in out:
        g = out["cuda_graph"]
        print(f"CUDA graph: replay vs eager after 6 steps {g['replay_vs_eager_rel']:.1e}, AdamW "
              f"steps {g['adamw_steps_after_6']}, lr 0 leaves parameters unchanged: "
              f"{g['lr_zero_params_unchanged']}, momenta moved: {g['lr_zero_momenta_moved']}; "
              f"replay {g['replay_ms']:.3f} ms vs eager {g['eager_ms']:.3f} ms: "
              f"{'ok' if g['ok'] else 'FAILED'}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("--out", required=True)
    b.add_argument("--sets", default="gpt2,llama1b")
    b.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    r = sub.add_parser("run")
    r.add_argument("--artifacts", required=True)
    r.add_argument("--sets", default=None, help="default: every set built")
    r.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    r.add_argument("--steps", type=int, default=20)
    r.add_argument("--repetitions", type=int, default=3)
    r.add_argument("--json")
    args = p.parse_args()
    build(args) if args.command == "build" else run(args)


if __name__ == "__main__":
    main()
