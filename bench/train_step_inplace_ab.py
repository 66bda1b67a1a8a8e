"""The char transformer's compiled step out of place vs in place
(optim.aliasing_output), AdamW and Muon, timed alternately in one process:
6 rounds x median of 50 steps each.

    .venv/bin/python bench/train_step_inplace_ab.py [--work DIR]
"""
import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples", "char_transformer"))
sys.path.insert(0, os.path.join(ROOT, "python"))
import compiled_step  # noqa: E402
import model  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--work", default=os.path.join(ROOT, "build", "bench_inplace"))
work = parser.parse_args().work
c, batches = model.training_data(60)
model.make_artifacts(c, work)
trainers = {}
for assign, label in ((None, "adamw"), (r"exclude=^tok\.weight$,^pos$", "muon")):
    for in_place in (False, True):
        lib, graph = compiled_step.compile_step(work, assign, in_place=in_place)
        trainers[(label, in_place)] = compiled_step.CompiledTrainer(
            lib, graph, compiled_step.initial_parameters(work, graph))
rounds = {key: [] for key in trainers}
for _ in range(6):
    for key, trainer in trainers.items():
        times = []
        for step in range(50):
            idx, labels = batches[step % len(batches)]
            start = time.perf_counter()
            trainer.step(idx, labels, 1e-3)
            times.append(time.perf_counter() - start)
        rounds[key].append(1000 * statistics.median(times))
for (label, in_place), values in rounds.items():
    form = "in place" if in_place else "out of place"
    print(f"{label:5s} {form:12s} median of rounds {statistics.median(values):.2f} ms, rounds "
          + " ".join(f"{v:.2f}" for v in values))
