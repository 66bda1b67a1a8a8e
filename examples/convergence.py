"""Loss curves of a small GPT on the bundled sonnets with AdamW, Muon, Muon²
(3 Newton–Schulz steps) and Muon + QK-clip, every one through
muon_mlir.optim (compiled, in-place steps), plotted against steps and
against wall-clock time.

    .venv/bin/python examples/convergence.py [--steps 300] [--out examples/convergence.png]

Runs on CUDA when torch sees a GPU (--device to choose), else on the CPU.
Prints the final smoothed loss and time of each run; writes the PNG.
"""

import argparse
import math
import os
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
from muon_mlir.optim import Muon, QKClip  # noqa: E402


class Attention(torch.nn.Module):
    """Causal self-attention that records each head's largest logit (for QK-clip)."""

    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.q, self.k, self.v, self.proj = (torch.nn.Linear(d, d, bias=False) for _ in range(4))
        self.max_logits = torch.zeros(heads)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = (m(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
                   for m in (self.q, self.k, self.v))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim)
        mask = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
        scores = scores.masked_fill(mask, float("-inf"))
        self.max_logits = scores.detach().amax(dim=(0, 2, 3))
        out = torch.softmax(scores, -1) @ v
        return self.proj(out.transpose(1, 2).reshape(b, t, d))


class Block(torch.nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.norm1, self.norm2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)
        self.attn = Attention(d, heads)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(d, 4 * d), torch.nn.GELU(),
                                       torch.nn.Linear(4 * d, d))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class GPT(torch.nn.Module):
    def __init__(self, vocab, d, heads, layers, context):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, d)
        self.pos_embed = torch.nn.Embedding(context, d)
        self.blocks = torch.nn.ModuleList(Block(d, heads) for _ in range(layers))
        self.norm = torch.nn.LayerNorm(d)
        self.head = torch.nn.Linear(d, vocab)

    def forward(self, tokens):
        x = self.embed(tokens) + self.pos_embed(torch.arange(tokens.shape[1],
                                                             device=tokens.device))
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


def make_optimizer(name, model, args):
    """The four runs, all through muon_mlir.optim; None or a QKClip second."""
    named = list(model.named_parameters())
    if name == "AdamW":
        return Muon([{"params": [p for _, p in named], "use_muon": False,
                      "lr": args.adamw_lr}], verbose=False), None
    options = dict(lr=args.muon_lr, adamw_lr=args.adamw_lr, weight_decay=0.01, verbose=False)
    if name.startswith("Muon²"):
        options.update(algorithm="muon2", ns_steps=3)
    optimizer = Muon(named, **options)
    if "QK-clip" not in name:
        return optimizer, None
    pairs = [(block.attn.q.weight, block.attn.k.weight) for block in model.blocks]
    return optimizer, QKClip(pairs, num_heads=args.heads, head_dim=args.d // args.heads,
                             tau=args.qk_clip_tau, verbose=False)


def progress(iterable, label, total):
    try:
        from tqdm import tqdm
        return tqdm(iterable, desc=label, total=total, leave=False, mininterval=1.0)
    except ImportError:
        return iterable


def train(name, data, vocab, args, device):
    torch.manual_seed(args.seed)
    model = GPT(vocab, args.d, args.heads, args.layers, args.context).to(device)
    optimizer, clip = make_optimizer(name, model, args)
    generator = torch.Generator().manual_seed(args.seed)
    losses, times, smoothed = [], [], None
    bar = progress(range(args.steps), name, args.steps)
    start = time.perf_counter()
    for step in bar:
        starts = torch.randint(0, len(data) - args.context - 1, (args.batch,),
                               generator=generator)
        batch = torch.stack([data[s:s + args.context + 1] for s in starts]).to(device)
        logits = model(batch[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab),
                                                 batch[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if clip is not None:
            clip.step([block.attn.max_logits for block in model.blocks])
        value = loss.item()  # synchronizes: the times below are honest on CUDA too
        smoothed = value if smoothed is None else 0.95 * smoothed + 0.05 * value
        losses.append(smoothed)
        times.append(time.perf_counter() - start)
        if hasattr(bar, "set_postfix") and step % 10 == 0:
            top = max(float(b.attn.max_logits.max()) for b in model.blocks)
            bar.set_postfix(loss=f"{smoothed:.3f}", max_logit=f"{top:.1f}")
    top = max(float(b.attn.max_logits.max()) for b in model.blocks)
    print(f"{name:22s} loss {losses[-1]:.3f} after {args.steps} steps, {times[-1]:6.1f} s, "
          f"largest attention logit {top:.1f}", flush=True)
    return losses, times


def plot(runs, path, args, device):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (by_step, by_time) = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for name, (losses, times) in runs.items():
        by_step.plot(range(1, len(losses) + 1), losses, label=name)
        by_time.plot(times, losses, label=name)
    by_step.set_xlabel("step")
    by_time.set_xlabel("wall-clock seconds")
    by_step.set_ylabel("training loss (EMA 0.95)")
    for axis in (by_step, by_time):
        axis.grid(alpha=0.3)
    by_step.legend()
    fig.suptitle(f"char GPT ({args.layers} layers, d={args.d}) on sonnets.txt, "
                 f"batch {args.batch}×{args.context}, {device.type.upper()}: muon_mlir.optim")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def _positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=_positive, default=300)
    p.add_argument("--batch", type=_positive, default=16)
    p.add_argument("--context", type=_positive, default=64)
    p.add_argument("--d", type=_positive, default=128)
    p.add_argument("--heads", type=_positive, default=4)
    p.add_argument("--layers", type=_positive, default=2)
    p.add_argument("--muon-lr", type=float, default=0.02)
    p.add_argument("--adamw-lr", type=float, default=3e-3)
    p.add_argument("--qk-clip-tau", type=float, default=5.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--out", default=os.path.join(ROOT, "examples", "convergence.png"))
    args = p.parse_args()

    with open(os.path.join(ROOT, "examples", "char_transformer", "sonnets.txt")) as f:
        text = f.read()
    chars = sorted(set(text))
    data = torch.tensor([chars.index(c) for c in text])
    device = torch.device(args.device)
    runs = {}
    for name in ("AdamW", "Muon", "Muon² (3 NS steps)", f"Muon + QK-clip (τ={args.qk_clip_tau:g})"):
        runs[name] = train(name, data, len(chars), args, device)
    plot(runs, args.out, args, device)


if __name__ == "__main__":
    main()
