"""Device memory of a bufferized GPU program, read from its IR: what the
`memref.alloc`s of a step hold at most at once, without a GPU."""

import re

BYTES = {"f64": 8, "i64": 8, "f32": 4, "i32": 4, "bf16": 2, "f16": 2, "i8": 1, "i1": 1}
_ALLOC = re.compile(r"(%[\w.]+) = memref\.alloc\(\)[^:]*: memref<((?:\d+x)*)(\w+)>")
_DEALLOC = re.compile(r"memref\.dealloc (%[\w.]+)")


def allocations(text):
    """(total bytes, count, peak bytes live) of the memref.alloc ops of
    `text` (static shapes), the peak in program order between each alloc
    and its dealloc (straight-line host code: a step has no host loops)."""
    total = count = live = peak = 0
    sizes = {}
    for line in text.splitlines():
        if m := _ALLOC.search(line):
            name, dims, element = m.groups()
            size = BYTES[element]
            for extent in dims.split("x")[:-1]:
                size *= int(extent)
            sizes[name] = size
            total, count, live = total + size, count + 1, live + size
            peak = max(peak, live)
        elif m := _DEALLOC.search(line):
            live -= sizes.pop(m.group(1), 0)
    return total, count, peak
