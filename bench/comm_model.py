"""Bytes moved and Newton–Schulz FLOPs per rank per step of distributed Muon.

    .venv/bin/python bench/comm_model.py [--dtype-bytes 2] [--markdown]

For GPT-2 small and LLaMA-1B/8B/70B parameter shapes at N = 8 … 1024 data-
parallel ranks: the bytes one rank sends per optimizer step (gradient
reduction + parameter distribution; ring collectives: (N-1)/N of the
gathered or reduced size) and the Newton–Schulz FLOPs of the busiest rank,
for the schemes of docs/distributed.md. P: all parameters, M: the Muon
matrices (in bytes of the gradient dtype).

    ours       reduce_scatter + all_gather of per-rank chunks C_b per bucket:
               2(N-1)·ΣC_b, = 2(N-1)/N·P plus the padding the matrix
               partition leaves (ShardPlan, the optimizer's own partition);
               NS: each matrix once, LPT-balanced by FLOPs
    moonlight  ZeRO-1 reduce_scatter + all_gather of P, plus an all_gather of
               every Muon gradient to run NS on whole matrices:
               2(N-1)/N·P + (N-1)/N·M; NS: every matrix on every rank
    keller     DDP all-reduce of P, then all_gather of the round-robin Muon
               updates: 2(N-1)/N·P + (N-1)/N·M (≈ 3(N-1)/N·P); NS: matrix i
               on rank i mod N
    dion       FSDP2 (all_gather of P in forward and again in backward,
               reduce_scatter of gradients: 3(N-1)/N·P) plus two all-to-alls
               of the Muon shards to and from the owners: 2(N-1)/N²·M;
               NS: round-robin owners
    owner      owner-based ideal (DMuon-style): 2(N-1)/N·P, no padding; NS:
               round-robin owners
    ours-fsdp  muon_mlir.optim.Muon over FSDP2: FSDP2's 3(N-1)/N·P plus its
               all_to_alls (gradient and parameter rows to the owner, rows
               back: ≈ 3(N-1)/N²·M, the busiest rank's exact count); NS:
               as ours

The figures are per rank per step; the model of `ours` is what
test/python/optim/distributed.test checks against the bytes counted at the
collectives of a gloo run.
"""

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "python"))

from muon_mlir.optim._distributed import ShardPlan, ns_flops  # noqa: E402
from muon_mlir.testing.ir import gpt2_block_params  # noqa: E402

NS_STEPS = 5
BUCKET_BYTES = 256 << 20  # muon_mlir.optim.Muon's default


def gpt2_small():
    return [((1024, 768), "adamw")] + gpt2_block_params(768, 12, 50257) + [
        ((768,), "adamw"), ((768,), "adamw")]


def llama(d, layers, kv, ff, vocab, tied):
    """LLaMA-style shapes in model order: embedding, per layer attention
    norm, q, k, v, o, MLP norm, gate, up, down; final norm; head if untied."""
    params = [((vocab, d), "adamw")]
    for _ in range(layers):
        params += [((d,), "adamw"), ((d, d), "muon"), ((kv, d), "muon"), ((kv, d), "muon"),
                   ((d, d), "muon"), ((d,), "adamw"), ((ff, d), "muon"), ((ff, d), "muon"),
                   ((d, ff), "muon")]
    params.append(((d,), "adamw"))
    return params if tied else params + [((vocab, d), "adamw")]


MODELS = {
    "GPT-2 small": gpt2_small,
    "LLaMA-1B": lambda: llama(2048, 16, 512, 8192, 128256, tied=True),
    "LLaMA-8B": lambda: llama(4096, 32, 1024, 14336, 128256, tied=False),
    "LLaMA-70B": lambda: llama(8192, 80, 1024, 28672, 128256, tied=False),
}


def routed(names, shapes):
    """[(shape, kind)] of named parameters under muon_mlir.optim.Muon's
    automatic routing."""
    import torch

    from muon_mlir.optim import _plan
    return [(shape, _plan.route(torch.empty(shape, device="meta"), name, None, "muon", name))
            for name, shape in zip(names, shapes)]


def _plan_of(params, world, element_size, bucket_bytes):
    sizes = [math.prod(shape) for shape, _ in params]
    flops = [None if kind == "adamw" else ns_flops(shape, "flatten", NS_STEPS)
             for shape, kind in params]
    return ShardPlan(sizes, flops, world,
                     max(1, bucket_bytes // element_size) if bucket_bytes else None)


def ours_bytes(params, world, element_size, bucket_bytes=BUCKET_BYTES):
    """Bytes a rank sends per step in muon_mlir.optim.Muon(process_group=...)."""
    return _plan_of(params, world, element_size, bucket_bytes).bytes_per_rank(element_size)


def ours_fsdp_bytes(params, world, element_size):
    """Bytes each rank sends per step in muon_mlir.optim.Muon's own
    all_to_alls over FSDP2 (on top of FSDP2's traffic): the rows it holds of
    the matrices others own, gradient and parameter, then the rows of its
    own matrices that the others hold (Shard(0): torch.chunk's rows)."""
    from muon_mlir.optim._fsdp import _rows

    matrices = [shape for shape, kind in params if kind != "adamw"]
    plan = ShardPlan([math.prod(s) for s in matrices],
                     [ns_flops(s, "flatten", NS_STEPS) for s in matrices], world)
    owner = {i: rank for rank in range(world) for i, *_ in plan.segments[rank]}
    sent = [0] * world
    for i, shape in enumerate(matrices):
        width = math.prod(shape[1:])
        for rank, (begin, end) in enumerate(_rows(shape[0], world)):
            if rank != owner[i]:
                sent[rank] += 2 * (end - begin) * width  # to the owner
                sent[owner[i]] += (end - begin) * width  # and back
    return [b * element_size for b in sent]


def schemes(params, world, element_size, bucket_bytes=BUCKET_BYTES):
    """{scheme: (bytes per rank per step, NS FLOPs of the busiest rank)}."""
    n = world
    p_bytes = sum(math.prod(s) for s, _ in params) * element_size
    m_bytes = sum(math.prod(s) for s, k in params if k != "adamw") * element_size
    flops = [ns_flops(s, "flatten", NS_STEPS) for s, k in params if k != "adamw"]
    round_robin = [sum(flops[i::n]) for i in range(n)]
    plan = _plan_of(params, world, element_size, bucket_bytes)
    ring = 2 * (n - 1) * p_bytes / n
    return {
        "ours": (plan.bytes_per_rank(element_size), max(plan.rank_flops)),
        "moonlight": (ring + (n - 1) * m_bytes / n, sum(flops)),
        "keller": (ring + (n - 1) * m_bytes / n, max(round_robin)),
        "dion": (3 * (n - 1) * p_bytes / n + 2 * (n - 1) * m_bytes / n ** 2, max(round_robin)),
        "ours-fsdp": (3 * (n - 1) * p_bytes / n + max(ours_fsdp_bytes(params, world,
                                                                       element_size)),
                      max(plan.rank_flops)),
        "owner": (ring, max(round_robin)),
    }, plan


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dtype-bytes", type=int, default=2,
                        help="bytes per gradient/parameter element (2: bf16)")
    parser.add_argument("--bucket-bytes", type=int, default=BUCKET_BYTES)
    args = parser.parse_args()
    names = ["ours", "owner", "keller", "moonlight", "dion", "ours-fsdp"]
    rows = [(model, world, *schemes(build(), world, args.dtype_bytes, args.bucket_bytes))
            for model, build in MODELS.items() for world in (8, 32, 128, 1024)]
    print(f"GB sent per rank per step ({args.dtype_bytes}-byte elements); ours: padding "
          "N·C/P - 1\n")
    print("| model | N | " + " | ".join(names) + " | padding |")
    print("|" + " --- |" * (3 + len(names)))
    for model, world, table, plan in rows:
        print(f"| {model} | {world} | " + " | ".join(f"{table[s][0] / 1e9:.3g}" for s in names)
              + f" | {plan.padding / plan.elements:.1%} |")
    print("\nNewton–Schulz TFLOP of the busiest rank (ns_steps = 5); ours: imbalance "
          "max/mean - 1 of per-rank FLOPs\n")
    print("| model | N | ours (LPT) | round-robin (keller, dion, owner) | moonlight (all) "
          "| imbalance |")
    print("|" + " --- |" * 6)
    for model, world, table, plan in rows:
        print(f"| {model} | {world} | {table['ours'][1] / 1e12:.3g} | "
              f"{table['keller'][1] / 1e12:.3g} | {table['moonlight'][1] / 1e12:.3g} | "
              f"{plan.imbalance():.1%} |")


if __name__ == "__main__":
    main()
