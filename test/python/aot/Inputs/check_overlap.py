"""aot's overlap check (one sweep by address) against the pairwise definition
on random layouts: a written buffer may touch no other non-empty buffer."""
import random
import sys

from muon_mlir import aot


class Buffer:
    def __init__(self, nbytes):
        self.nbytes = nbytes


aot._nbytes = lambda value: value.nbytes
rng = random.Random(0)
rejected = 0
for trial in range(20000):
    count = rng.randint(1, 7)
    arguments = [(rng.randint(0, 40), Buffer(rng.randint(0, 10))) for _ in range(count)]
    written = sorted(rng.sample(range(count), rng.randint(0, count)))

    def overlap(i, j):
        (p, a), (q, b) = arguments[i], arguments[j]
        return a.nbytes and b.nbytes and p < q + b.nbytes and q < p + a.nbytes
    expected = any(overlap(i, j) for i in written for j in range(count) if j != i)
    try:
        aot._check_no_overlap(arguments, written, [f"#{i}" for i in range(count)])
        got = False
    except ValueError:
        got = True
    if got != expected:
        sys.exit(f"mismatch on {[(p, b.nbytes) for p, b in arguments]}, written {written}")
    rejected += got
print(f"20000 layouts agree with the pairwise check ({rejected} rejected)")
