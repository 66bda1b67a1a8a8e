"""GPU benchmark: one whole training step (forward, backward, optimizer) of
a GPT-2-small-sized transformer — the char transformer of
examples/char_transformer at GPT-2 small's dimensions (12 layers, d_model
768, 12 heads, context 1024, vocabulary 50257, learned positions, GELU MLP
4x; an untied head) — as muon-mlir compiles it from ONNX Runtime training
artifacts, against the same torch model trained eagerly and under
torch.compile (default and `reduce-overhead`), with AdamW and with Muon on
the hidden matrices (bf16 Newton–Schulz, as torch.optim.Muon), in one run on
one device, fp32 GEMMs on both sides (TF32 off). `build --model llama-350m`
takes a LLaMA-style model instead (RMSNorm, rotary embeddings, SwiGLU, no
biases; d_model 1024, 24 layers, 16 heads, vocabulary 32000, batch 4x1024:
369M parameters); any size can be overridden (--d-model, --layers, ...).

The GPU machine has no MLIR: `build` (here) exports the model, compiles both
steps for CUDA and writes them with the CUDA runtime and manifest.json into
one directory (the ONNX files, with the weights, stay in --work); `run`
(there) builds the same torch model from a seed, hands its initial weights to
every implementation, checks the compiled step's first loss against torch
eager's (1e-4 relative) and times each: the median step of --steps after
--warmup, --runs times (their spread), tokens/s, kernels per step and the
GEMM / other-kernel split of one step under torch.profiler, and peak memory.

    .venv/bin/python bench/train_step_gpu.py build --out gpu-artifacts/train
    python3 bench/train_step_gpu.py run --artifacts gpu-artifacts/train \\
        --json $OUT/train_step_gpu.json                      # on the GPU machine

`build --target emulated` and `run --device cpu` run the same code paths on
the host (test/Integration/bench/train-step-gpu-harness.test, tiny sizes).
"""

import argparse
import ctypes
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples", "char_transformer"))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compiled_step  # noqa: E402
import gpu_step  # noqa: E402
import model  # noqa: E402
import train_step_cpu  # noqa: E402

MODELS = {
    "gpt2-small": {"vocab": 50257, "batch": 8, "seq": 1024, "d_model": 768, "heads": 12,
                   "layers": 12, "arch": "gpt"},
    # LLaMA-style (RMSNorm, RoPE, SwiGLU of 2752, no biases): 24 x 12.6M in
    # the blocks + 2 x 32.8M embedding and head = 368M parameters.
    "llama-350m": {"vocab": 32000, "batch": 4, "seq": 1024, "d_model": 1024, "heads": 16,
                   "layers": 24, "arch": "llama"},
}
SIZES = ("vocab", "batch", "seq", "d_model", "heads", "layers")
OPTIMIZERS = {"adamw": None, "muon": train_step_cpu.MUON_ASSIGN + " ns-compute=bf16"}
PEERS = ["eager", "compile", "compile-ro"]
LOSS_RTOL = 1e-4


# --------------------------------------------------------------------------
# build (here)
# --------------------------------------------------------------------------

def build(args):
    start = time.perf_counter()
    sizes = dict(MODELS[args.model])
    sizes.update({k: getattr(args, k) for k in SIZES if getattr(args, k) is not None})
    c = model.Config(**sizes)
    os.makedirs(args.out, exist_ok=True)
    # The artifacts and modules of a GPT-2-sized step take 1.6 GB: a
    # temporary directory is removed at the end (--work keeps them).
    work = args.work or tempfile.mkdtemp(prefix="train-step-gpu-")
    try:
        build_in(args, c, sizes, work, start)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


def build_in(args, c, sizes, work, start):
    model.make_artifacts(c, work)
    manifest = {"target": args.target, "config": sizes, "steps": {}, "runtime": None}
    for label, assign in OPTIMIZERS.items():
        library, graph = compiled_step.compile_step(work, assign, bin_dir=args.bin,
                                                    gpu=args.target, in_place=True)
        name = os.path.basename(library)
        for suffix in ("", ".json"):
            shutil.copyfile(library + suffix, os.path.join(args.out, name + suffix))
        # The module compile_step compiled: lib<name>.so from <name>.mlir.
        inlined = os.path.join(work, name[len("lib"):-len(".so")] + ".mlir")
        manifest["steps"][label] = {
            "file": name, "params": graph.params,
            "static": gpu_step.static_launches(inlined, os.path.join(args.bin, "muon-opt"))}
    if args.target == "cuda":
        runtime = os.path.join(args.bin, "..", "lib", "libmuon_cuda_runtime.so")
        shutil.copyfile(runtime, os.path.join(args.out, "libmuon_cuda_runtime.so"))
        manifest["runtime"] = "libmuon_cuda_runtime.so"
    manifest["build_seconds"] = round(time.perf_counter() - start, 1)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    size = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    params = sum(int(np.prod(p.shape)) for p in model.CharLM(c).parameters())
    print(f"built in {manifest['build_seconds']} s ({params / 1e6:.1f}M parameters): "
          f"{args.out} holds {size / 2**20:.1f} MiB")
    for label, entry in manifest["steps"].items():
        print(f"{label}: static launches per step: {gpu_step.describe_static(entry['static'])}")
    if size > gpu_step.MAX_ARTIFACT_BYTES:
        sys.exit(f"error: {args.out} holds {size / 2**20:.1f} MiB, over the "
                 f"{gpu_step.MAX_ARTIFACT_BYTES >> 20} MiB the device tool carries")


# --------------------------------------------------------------------------
# run (there)
# --------------------------------------------------------------------------

def initial_weights(c, names):
    """The seeded torch model's parameters by their ONNX names (the export
    keeps torch's), as numpy arrays: every implementation starts from them."""
    import torch
    torch.manual_seed(0)
    state = model.CharLM(c).state_dict()
    missing = [n for n in names if n not in state]
    if missing:
        sys.exit(f"error: the compiled step's parameters {missing} are not the torch "
                 "model's: build and run use different model definitions")
    return [state[n].numpy() for n in names]


def timed(step, batches, args):
    """Median ms per step of each run (every step ends with its loss on the
    host, which waits for the device)."""
    runs = []
    for _ in range(args.runs):
        for idx, labels in batches[:args.warmup]:
            step(idx, labels)
        times = []
        for idx, labels in batches[args.warmup:]:
            begin = time.perf_counter()
            step(idx, labels)
            times.append(1e3 * (time.perf_counter() - begin))
        runs.append(statistics.median(times))
    return runs


def measure(name, make_step, batches, args, runtime=None):
    """One implementation's row: times, and on CUDA memory and launches."""
    import torch
    row = {}
    try:
        if args.device == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
            free_before = torch.cuda.mem_get_info()[0]
            reserved_before = torch.cuda.memory_reserved()
            if runtime is not None:
                runtime.muon_gpu_reset_peak_temporary_bytes()
        step = make_step()
        row["losses"] = [step(idx, labels) for idx, labels in batches[:args.check_steps]]
        row["runs_ms"] = timed(step, batches, args)
        if args.device == "cuda":
            row["torch_peak_gib"] = torch.cuda.max_memory_allocated() / 2**30
            if runtime is not None:
                held = (free_before - torch.cuda.mem_get_info()[0]) - (
                    torch.cuda.memory_reserved() - reserved_before)
                row["outside_torch_gib"] = held / 2**30
                row["temporaries_gib"] = runtime.muon_gpu_peak_temporary_bytes() / 2**30
            idx, labels = batches[0]
            row.update(gpu_step.profile_launches(lambda: step(idx, labels)))
    except Exception as error:  # a peer that fails costs its row only
        row["error"] = f"{type(error).__name__}: {error}".splitlines()[0][:200]
    row["ms"] = statistics.median(row["runs_ms"]) if row.get("runs_ms") else None
    print(describe(name, row, args), flush=True)
    return row


def describe(name, row, args):
    if row.get("error"):
        return f"  {name:28} FAILED: {row['error']}"
    spread = f"{min(row['runs_ms']):.2f}–{max(row['runs_ms']):.2f}"
    tokens = args.tokens / (row["ms"] / 1e3)
    text = f"  {name:28} {row['ms']:9.2f} {spread:>15} {tokens:12.0f}"
    if "kernels" in row:
        memory = row["torch_peak_gib"] + row.get("temporaries_gib", 0.0)
        text += (f" {row['kernels']:8d} {row['gemm_ms']:8.2f} {row['other_kernel_ms']:8.2f}"
                 f" {memory:8.2f}")
    return text


def run(args):
    import torch
    with open(os.path.join(args.artifacts, "manifest.json")) as f:
        manifest = json.load(f)
    gpu_step.check_target(args, manifest)
    # fp32 GEMMs on both sides: the compiled step's default precision.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    runtime = None
    if manifest["runtime"]:
        runtime = ctypes.CDLL(os.path.join(args.artifacts, manifest["runtime"]),
                              mode=ctypes.RTLD_GLOBAL)
        runtime.muon_gpu_peak_temporary_bytes.restype = ctypes.c_uint64
    c = model.Config(**manifest["config"])
    args.tokens = c.batch * c.seq
    rng = np.random.default_rng(1)
    count = max(args.warmup + args.steps, args.check_steps)
    batches = [(rng.integers(0, c.vocab, (c.batch, c.seq)),
                rng.integers(0, c.vocab, c.batch * c.seq)) for _ in range(count)]
    device = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
    print(f"{device}, torch {torch.__version__}: {c.arch} blocks, d_model {c.d_model}, "
          f"{c.layers} layers, "
          f"{c.heads} heads, vocab {c.vocab}, batch {c.batch}x{c.seq}; median of {args.runs} "
          f"runs of the median of {args.steps} steps after {args.warmup} (runs: their spread); "
          "kernels, GEMM and other ms: one step under torch.profiler; GiB: peak of torch's "
          "allocator + the compiled step's temporaries")
    results = {"device": device, "torch": torch.__version__, "manifest": manifest, "steps": {}}
    failed = False
    for label, entry in manifest["steps"].items():
        muon = label == "muon"
        print(f"\n== {label}: {'Muon (bf16 NS) on the hidden matrices, AdamW on the rest' if muon else 'AdamW'}")
        print(f"  {'implementation':28} {'ms/step':>9} {'runs':>15} {'tokens/s':>12}"
              + (f" {'kernels':>8} {'GEMM ms':>8} {'other ms':>8} {'GiB':>8}"
                 if args.device == "cuda" else ""))

        def ours():
            weights = initial_weights(c, entry["params"])
            trainer = compiled_step.CompiledTrainer(
                os.path.join(args.artifacts, entry["file"]), None, weights, args.device)
            return lambda idx, labels: trainer.step(idx, labels, train_step_cpu.LR)

        rows = {"muon-mlir": measure("muon-mlir (compiled step)", ours, batches, args,
                                     runtime)}
        for peer in args.peers.split(","):
            mode = {"eager": None, "compile": "default", "compile-ro": "reduce-overhead"}[peer]
            rows[peer] = measure(
                f"torch {peer}", lambda: train_step_cpu.torch_step(c, muon, mode, args.device),
                batches, args)
        mine, eager = rows["muon-mlir"], rows.get("eager", {})
        if mine.get("losses") and eager.get("losses"):
            err = abs(mine["losses"][0] - eager["losses"][0]) / abs(eager["losses"][0])
            later = max(abs(a - b) / abs(b) for a, b in zip(mine["losses"], eager["losses"]))
            ok = bool(np.isfinite(err)) and err <= LOSS_RTOL
            mine["numerics"] = {"first_loss_rel_err": err, "max_loss_rel_err": later, "ok": ok}
            print(f"  first loss vs torch eager: rel err {err:.2e} (budget {LOSS_RTOL:.0e}): "
                  f"{'ok' if ok else 'FAILED'}; over {len(mine['losses'])} steps at most "
                  f"{later:.2e} (the optimizers' roundings differ)")
            failed |= not ok
        failed |= "error" in mine
        results["steps"][label] = rows
        if args.json:  # after each optimizer: a run stopped at its time limit keeps the rest
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)
    if failed:
        sys.exit("error: the compiled step failed or missed the loss budget")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="export and compile here")
    b.add_argument("--out", required=True, metavar="DIR")
    b.add_argument("--work", metavar="DIR",
                   help="ONNX artifacts and modules, kept (default: a temporary dir, removed)")
    b.add_argument("--target", choices=["cuda", "emulated"], default="cuda")
    b.add_argument("--bin", default=compiled_step.BIN)
    b.add_argument("--model", choices=sorted(MODELS), default="gpt2-small",
                   help="the model's sizes and blocks (model.Config)")
    for key in SIZES:
        b.add_argument("--" + key.replace("_", "-"), type=int,
                       help="override the --model's value")
    r = sub.add_parser("run", help="time on the GPU machine (or --device cpu)")
    r.add_argument("--artifacts", required=True, metavar="DIR")
    r.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    r.add_argument("--steps", type=int, default=20)
    r.add_argument("--warmup", type=int, default=3)
    r.add_argument("--runs", type=int, default=3)
    r.add_argument("--check-steps", type=int, default=5,
                   help="steps whose losses are compared with torch eager's")
    r.add_argument("--peers", default=",".join(PEERS), help=f"of {', '.join(PEERS)}")
    r.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    return build(args) if args.command == "build" else run(args)


if __name__ == "__main__":
    main()
