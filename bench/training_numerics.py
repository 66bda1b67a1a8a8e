"""Issue 20's numerics on a GPU machine that has neither MLIR nor ONNX
Runtime: whole training steps (forward, backward, optimizer, imported from
ONNX Runtime training artifacts) compiled here with --target=cuda, run there
in place on torch CUDA tensors, against references computed here — ONNX
Runtime's training API on CPU (AdamW), or the same step compiled for CPU
(Muon after optim-assign, QK-clip, which ORT cannot run). 5 steps, fp32
budget 1e-4 relative on every loss and parameter, as the test/Integration/GPU
tests that run these programs where a GPU has the compiler; the char
transformer's bundles also check that a bad token id or label is rejected
with the device parameters untouched.

    .venv/bin/python bench/training_numerics.py build --out gpu-artifacts/numerics   # here
    python3 bench/training_numerics.py run --artifacts gpu-artifacts/numerics --json $OUT/numerics.json

`build` writes one bundle per case (muon_mlir.testing.training_parity) and
copies the CUDA runtime; `run` prints each case's report and a summary
line per case, and exits 1 if any exceeds its tolerance. `build --gpu
emulated` bundles the GPU program compiled for the host instead, which
`run` checks on the CPU (test/Integration/bench/training-numerics.test).
"""

import argparse
import ctypes
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "examples", "char_transformer"))

PARITY = os.path.join(ROOT, "examples", "char_transformer", "parity.py")
MODELS = os.path.join(ROOT, "test", "Integration", "Target", "ONNX", "ort_training_models.py")
COMMON = ["--steps", "5", "--rtol", "1e-4"]
# name -> the command that writes its bundle (given --work and --bundle).
CASES = {
    "char-gpt-adamw": [PARITY],
    "char-gpt-muon-qkclip": [PARITY, "--reference", "cpu", "--muon", "--qk-clip-tau", "5"],
    "char-llama-muon-qkclip": [PARITY, "--arch", "llama", "--reference", "cpu", "--muon",
                               "--qk-clip-tau", "5"],
    "llama-adamw": [MODELS, "llama"],
    "llama-muon": [MODELS, "llama", "--muon"],
    "gpt2-adamw": [MODELS, "gpt2"],
    "gpt2-muon": [MODELS, "gpt2", "--muon"],
    "hf-gpt2-adamw": [MODELS, "hf-gpt2"],
    "hf-gpt2-muon": [MODELS, "hf-gpt2", "--muon"],
    "hf-llama-adamw": [MODELS, "hf-llama"],
    "hf-llama-muon": [MODELS, "hf-llama", "--muon"],
}


def build(args):
    os.makedirs(args.out, exist_ok=True)
    work = os.path.join(args.out, "work")
    for name in args.cases:
        bundle = os.path.join(args.out, name)
        if os.path.exists(os.path.join(bundle, "case.json")):
            print(f"== {name}: already built")
            continue
        print(f"== {name}", flush=True)
        start = time.time()
        subprocess.run([sys.executable, *CASES[name], *COMMON, "--gpu", args.gpu, "--work",
                        os.path.join(work, name), "--bin", args.bin, "--bundle", bundle],
                       check=True)
        print(f"   {time.time() - start:.0f} s")
    shutil.rmtree(work, ignore_errors=True)
    if args.gpu == "cuda":
        shutil.copy(os.path.join(args.bin, "..", "lib", "libmuon_cuda_runtime.so"), args.out)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump({"cases": args.cases, "gpu": args.gpu}, f)


def run(args):
    import torch
    from muon_mlir.testing.training_parity import run_bundle
    from compiled_step import CompiledTrainer

    with open(os.path.join(args.artifacts, "manifest.json")) as f:
        manifest = json.load(f)
    target = "cuda" if manifest["gpu"] == "cuda" else "cpu"
    if target == "cuda":
        # The steps' libraries resolve the runtime's symbols from the process.
        ctypes.CDLL(os.path.join(args.artifacts, "libmuon_cuda_runtime.so"),
                    mode=ctypes.RTLD_GLOBAL)
        device = torch.cuda.get_device_name()
    else:
        device = "the host (emulated GPU program)"
    results, failed = {}, False
    for name in manifest["cases"]:
        print(f"== {name}", flush=True)
        try:
            worst, rtol = run_bundle(
                os.path.join(args.artifacts, name),
                lambda library, names, initial: CompiledTrainer(library, None, initial, target))
        except Exception as error:  # one case's failure must not hide the others
            print(f"{name}: failed: {type(error).__name__}: {error}")
            results[name], failed = {"error": str(error)}, True
            continue
        worst, ok = float(worst), bool(worst <= rtol)
        failed |= not ok
        results[name] = {"max_rel_err": worst, "rtol": rtol, "ok": ok}
        print(f"{name}: max rel err {worst:.2e} (tolerance {rtol:.0e}) {'ok' if ok else 'FAILED'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"device": device, "torch": torch.__version__, "cases": results}, f,
                      indent=1)
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="compile the steps and compute the references (here)")
    b.add_argument("--out", required=True)
    b.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    b.add_argument("--cases", nargs="+", choices=sorted(CASES), default=list(CASES))
    b.add_argument("--gpu", choices=["cuda", "emulated"], default="cuda",
                   help="emulated: the GPU program for the host, so that `run` "
                        "checks the bundles on the CPU (test/Integration/bench)")
    r = sub.add_parser("run", help="run the bundles on the GPU and compare")
    r.add_argument("--artifacts", required=True)
    r.add_argument("--json")
    args = parser.parse_args()
    return build(args) if args.command == "build" else run(args)


if __name__ == "__main__":
    sys.exit(main())
