"""The char transformer's compiled AdamW step built with several muon-compile
flag sets from one step.mlir, timed alternately in one process (rounds x
median of steps each), e.g. serial loops against threaded ones (the default) on
the widened model:

    .venv/bin/python bench/train_step_flags_ab.py --d-model 256 --layers 4 \
        --seq 128 --variant="--parallel-loops=false" --variant=""
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples", "char_transformer"))
import compiled_step  # noqa: E402
import model  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--variant", action="append", required=True,
                    help="muon-compile flags of one build (repeat; \"\": the defaults)")
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--steps", type=int, default=20)
for size in ("batch", "seq", "d_model", "heads", "layers"):
    parser.add_argument("--" + size.replace("_", "-"), type=int)
args = parser.parse_args()
sizes = {k: getattr(args, k) for k in ("batch", "seq", "d_model", "heads", "layers")
         if getattr(args, k) is not None}
c, batches = model.training_data(args.steps, **sizes)
with tempfile.TemporaryDirectory(prefix="bench-flags-") as work:
    model.make_artifacts(c, work)
    _, graph = compiled_step.compile_step(work, None, in_place=True)
    trainers = []
    for index, flags in enumerate(args.variant):
        library = os.path.join(work, f"libvariant{index}.so")
        subprocess.run([os.path.join(compiled_step.BIN, "muon-compile"),
                        os.path.join(work, "step.mlir"), "--target=cpu", "--function=step",
                        "-o", library, *flags.split()], check=True)
        trainers.append(compiled_step.CompiledTrainer(
            library, graph, compiled_step.initial_parameters(work, graph)))
    rounds = [[] for _ in trainers]
    for _ in range(args.rounds):
        for trainer, results in zip(trainers, rounds):
            for idx, labels in batches[:2]:  # warm-up: caches, thread team
                trainer.step(idx, labels, 1e-3)
            times = []
            for idx, labels in batches:
                start = time.perf_counter()
                trainer.step(idx, labels, 1e-3)
                times.append(time.perf_counter() - start)
            results.append(1000 * statistics.median(times))
print(f"char transformer {vars(c)}; ms per step, {args.rounds} rounds x median of "
      f"{args.steps} steps")
for flags, results in zip(args.variant, rounds):
    print(f"{flags or '(defaults)':32} " + " ".join(f"{r:8.2f}" for r in results))
