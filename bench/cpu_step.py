"""CPU benchmark: one full optimizer step over GPT-2 small's parameters —
Muon for the 48 hidden matrices, AdamW for embeddings and 1-D parameters —
compiled by muon-mlir and run by muon-run, against torch.optim.Muon + AdamW
on the same cores in the same run.

    .venv/bin/python bench/cpu_step.py [--repetitions 5] [--layers 12] [--bucket]

--bucket also times each muon-mlir variant with optim-bucket (one op per
group of same-shaped matrices, one batched Newton–Schulz per group).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
from muon_mlir.testing import ir, torch_reference  # noqa: E402

D, VOCAB, CONTEXT = 768, 50257, 1024


def gpt2_parameters(layers, d=D):
    """(name, shape, optimizer) of GPT-2 small (or its shape at width `d`),
    HF Conv1D layout (in × out)."""
    D = d  # noqa: N806 (the model's own name)
    params = [("wte", (VOCAB, D), "adamw"), ("wpe", (CONTEXT, D), "adamw")]
    for i in range(layers):
        params += [(f"h{i}.attn.c_attn", (D, 3 * D), "muon"),
                   (f"h{i}.attn.c_proj", (D, D), "muon"),
                   (f"h{i}.mlp.c_fc", (D, 4 * D), "muon"),
                   (f"h{i}.mlp.c_proj", (4 * D, D), "muon")]
        params += [(f"h{i}.{n}", (s,), "adamw") for n, s in
                   [("ln_1.weight", D), ("ln_1.bias", D), ("attn.c_attn.bias", 3 * D),
                    ("attn.c_proj.bias", D), ("ln_2.weight", D), ("ln_2.bias", D),
                    ("mlp.c_fc.bias", 4 * D), ("mlp.c_proj.bias", D)]]
    return params + [("ln_f.weight", (D,), "adamw"), ("ln_f.bias", (D,), "adamw")]


def step_module(params, compute, algorithm="auto"):
    """One function: every parameter's update, lr and step count as operands;
    `algorithm`: the Newton–Schulz algorithm ("auto": the compiler's choice)."""
    args, body, results = [], [], []
    attrs = {"weight_decay": 0.1, **({"compute_type": "bf16"} if compute == "bf16" else {})}
    if algorithm != "auto":
        attrs["schedule"] = f"#optim.ns_schedule<quintic, {algorithm}>"
    muon_attrs = ir.attr_dict(attrs)
    for i, (_, shape, opt) in enumerate(params):
        t = ir.tensor_type(shape)
        names = ["w", "g", "m"] + (["v"] if opt == "adamw" else [])
        args += [f"%{n}{i}: {t}" for n in names]
        if opt == "muon":
            body.append(f"%nw{i}, %nm{i} = optim.muon %w{i}, %g{i}, %m{i}, %lr {muon_attrs} : {t}, tensor<f32>")
            results += [(f"%nw{i}", t), (f"%nm{i}", t)]
        else:
            body.append(f"%nw{i}, %nm{i}, %nv{i} = optim.adamw %w{i}, %g{i}, %m{i}, %v{i}, %alr, %t "
                        f"{{weight_decay = 0.1}} : {t}, tensor<f32>, tensor<i64>")
            results += [(f"%nw{i}", t), (f"%nm{i}", t), (f"%nv{i}", t)]
    args += ["%lr: tensor<f32>", "%alr: tensor<f32>", "%t: tensor<i64>"]
    return (f"func.func @step({', '.join(args)}) -> ({', '.join(t for _, t in results)}) {{\n  "
            + "\n  ".join(body)
            + f"\n  return {', '.join(v for v, _ in results)} : {', '.join(t for _, t in results)}\n}}\n")


def time_muon_mlir(params, arrays, compute, repetitions, tmp, bucket=False, algorithm="auto"):
    module = os.path.join(tmp, f"step_{compute}_{algorithm}.mlir")
    with open(module, "w") as f:
        f.write(step_module(params, compute, algorithm))
    inputs = []
    for i, (_, _, opt) in enumerate(params):
        for n in ["w", "g", "m"] + (["v"] if opt == "adamw" else []):
            inputs.append(f"--input=@{arrays[(i, n)]}")
    inputs += ["--input=f32=0.02", "--input=f32=0.0006", "--input=i64=10"]
    # Results are discarded: only the timing line matters here.
    cmd = [os.path.join(ROOT, "build", "bin", "muon-run"), module, "--function=step",
           f"--benchmark_repetitions={repetitions}", "--print_max_element_count=0",
           f"--bucket={str(bucket).lower()}"] + inputs
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    total = time.perf_counter() - start
    match = re.search(r"benchmark: \d+ runs of @step: median ([\d.]+) ms, min ([\d.]+) ms", out)
    return float(match.group(1)), float(match.group(2)), total


def time_torch(params, arrays, repetitions, compile_step):
    tensors = {}
    muon, adamw = [], []
    for i, (_, shape, opt) in enumerate(params):
        p = torch.nn.Parameter(torch.from_numpy(np.load(arrays[(i, "w")])))
        p.grad = torch.from_numpy(np.load(arrays[(i, "g")]))
        (muon if opt == "muon" else adamw).append(p)
        tensors[i] = p
    opt_muon = torch.optim.Muon(muon, lr=0.02, weight_decay=0.1, adjust_lr_fn="original")
    opt_adamw = torch.optim.AdamW(adamw, lr=0.0006, weight_decay=0.1)

    def step():
        opt_muon.step()
        opt_adamw.step()

    if compile_step:
        step = torch.compile(step)
    step()  # warm-up (state allocation, compilation)
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), min(times)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--layers", type=int, default=12)
    p.add_argument("--d-model", type=int, default=D, help="width (GPT-2 small: 768)")
    p.add_argument("--repetitions", type=int, default=5)
    p.add_argument("--torch-compile", action="store_true", help="also time torch.compile")
    p.add_argument("--bucket", action="store_true", help="also time muon-mlir with optim-bucket")
    p.add_argument("--ns-algorithms", default="auto",
                   help="comma-separated Newton–Schulz algorithms to time muon-mlir with "
                        "(auto: Gram for bf16 matrices over twice as wide as tall; standard; gram)")
    args = p.parse_args()

    torch.set_num_threads(os.cpu_count())
    params = gpt2_parameters(args.layers, args.d_model)
    n_muon = sum(int(np.prod(s)) for _, s, o in params if o == "muon")
    n_adamw = sum(int(np.prod(s)) for _, s, o in params if o == "adamw")
    print(f"GPT-2 small, {args.layers} layers of width {args.d_model}: {n_muon / 1e6:.1f}M params through Muon "
          f"({sum(o == 'muon' for *_, o in params)} matrices), {n_adamw / 1e6:.1f}M through AdamW; "
          f"{os.cpu_count()} CPU threads, median of {args.repetitions}")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="muon-bench-") as tmp:
        arrays = {}
        for i, (_, shape, opt) in enumerate(params):
            for n in ["w", "g", "m"] + (["v"] if opt == "adamw" else []):
                value = rng.standard_normal(shape, dtype=np.float32)
                if n == "v":
                    value = np.abs(value) * 1e-4
                arrays[(i, n)] = os.path.join(tmp, f"{i}_{n}.npy")
                np.save(arrays[(i, n)], value)

        rows = []
        t_eager = time_torch(params, arrays, args.repetitions, False)
        rows.append(("torch.optim.Muon + AdamW, eager (bf16 NS)", *t_eager, None))
        with torch_reference.fp32_newton_schulz():
            rows.append(("torch.optim.Muon + AdamW, eager, fp32 NS", *time_torch(params, arrays, args.repetitions, False), None))
        if args.torch_compile:
            rows.append(("torch.optim.Muon + AdamW, torch.compile", *time_torch(params, arrays, args.repetitions, True), None))
        for compute in ["bf16", "f32"]:
            for algorithm in args.ns_algorithms.split(","):
                for bucket in [False, True] if args.bucket else [False]:
                    median, best, total = time_muon_mlir(params, arrays, compute, args.repetitions,
                                                         tmp, bucket, algorithm)
                    rows.append((f"muon-mlir, NS compute_type={compute}"
                                 + (f", {algorithm}" if algorithm != "auto" else "")
                                 + (", bucketed" if bucket else ""), median, best, total))

    print(f"{'step':48} {'median ms':>10} {'min ms':>10} {'vs torch eager':>15}")
    for name, median, best, total in rows:
        print(f"{name:48} {median:10.1f} {best:10.1f} {median / t_eager[0]:14.2f}x"
              + (f"   (muon-run wall time incl. JIT and I/O: {total:.1f} s)" if total else ""))


if __name__ == "__main__":
    main()
