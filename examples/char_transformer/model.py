"""The char-level transformer LM of the example and its ORT training artifacts.

Two pre-LayerNorm blocks (d_model 64, 4 heads, GELU MLP 4x), learned
positions, trained on the characters of sonnets.txt. Batch and sequence
length are fixed at export, so every shape in the ONNX graphs is static.
`arch="llama"` makes the blocks LLaMA's instead: RMSNorm, rotary position
embeddings on Q and K, a SwiGLU MLP (hidden 8/3·d_model, rounded up to 64),
no biases and no learned positions.
"""

import math
import os
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


class Config:
    def __init__(self, vocab, batch=8, seq=32, d_model=64, heads=4, layers=2, arch="gpt"):
        if arch not in ("gpt", "llama"):
            raise ValueError(f"arch must be 'gpt' or 'llama', got {arch!r}")
        self.vocab, self.batch, self.seq = vocab, batch, seq
        self.d_model, self.heads, self.layers, self.arch = d_model, heads, layers, arch
        self.hidden = 4 * d_model if arch == "gpt" else 64 * math.ceil(8 * d_model / 3 / 64)

    def sizes(self):
        """The keyword arguments that rebuild this config (with `vocab`)."""
        return dict(vocab=self.vocab, batch=self.batch, seq=self.seq, d_model=self.d_model,
                    heads=self.heads, layers=self.layers, arch=self.arch)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.ln1, self.ln2 = nn.LayerNorm(c.d_model), nn.LayerNorm(c.d_model)
        self.qkv = nn.Linear(c.d_model, 3 * c.d_model)
        self.proj = nn.Linear(c.d_model, c.d_model)
        self.fc = nn.Linear(c.d_model, 4 * c.d_model)
        self.out = nn.Linear(4 * c.d_model, c.d_model)
        self.register_buffer("mask", torch.triu(torch.full((c.seq, c.seq), -1e9), 1))

    def heads(self, x):
        """Q, K, V of the block input x, as [batch, heads, seq, head_dim]."""
        c = self.c
        split = lambda t: t.view(c.batch, c.seq, c.heads, -1).transpose(1, 2)
        return map(split, self.qkv(self.ln1(x)).split(c.d_model, -1))

    def scores(self, q, k):
        """The pre-softmax attention scores: scaled, causally masked."""
        return q @ k.transpose(-2, -1) / math.sqrt(self.c.d_model // self.c.heads) + self.mask

    def forward(self, x):
        q, k, v = self.heads(x)
        y = (torch.softmax(self.scores(q, k), -1) @ v).transpose(1, 2).reshape(x.shape)
        x = x + self.proj(y)
        return x + self.out(nn.functional.gelu(self.fc(self.ln2(x))))


class RMSNorm(nn.Module):
    """x / sqrt(mean(x²) + eps) · weight (written out: opset 17 has no
    RMSNormalization)."""

    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.eps, self.weight = eps, nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class LlamaBlock(Block):
    """LLaMA's block: RMSNorm, rotary embeddings on Q and K (the half-split
    form), SwiGLU, no biases. Shares Block's attention."""

    def __init__(self, c):
        nn.Module.__init__(self)
        self.c = c
        d, head_dim = c.d_model, c.d_model // c.heads
        self.ln1, self.ln2 = RMSNorm(d), RMSNorm(d)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.proj = nn.Linear(d, d, bias=False)
        self.gate = nn.Linear(d, c.hidden, bias=False)
        self.up = nn.Linear(d, c.hidden, bias=False)
        self.down = nn.Linear(c.hidden, d, bias=False)
        self.register_buffer("mask", torch.triu(torch.full((c.seq, c.seq), -1e9), 1))
        inverse = 1.0 / 10000 ** (torch.arange(0, head_dim, 2).float() / head_dim)
        angles = torch.outer(torch.arange(c.seq).float(), inverse).repeat(1, 2)
        self.register_buffer("rope_cos", angles.cos())
        self.register_buffer("rope_sin", angles.sin())

    def heads(self, x):
        q, k, v = super().heads(x)
        half = q.shape[-1] // 2

        def rotate(t):
            rotated = torch.cat([-t[..., half:], t[..., :half]], -1)
            return t * self.rope_cos + rotated * self.rope_sin
        return rotate(q), rotate(k), v

    def forward(self, x):
        q, k, v = self.heads(x)
        y = (torch.softmax(self.scores(q, k), -1) @ v).transpose(1, 2).reshape(x.shape)
        x = x + self.proj(y)
        h = self.ln2(x)
        return x + self.down(nn.functional.silu(self.gate(h)) * self.up(h))


class CharLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        llama = c.arch == "llama"
        self.tok = nn.Embedding(c.vocab, c.d_model)
        if not llama:
            self.pos = nn.Parameter(torch.randn(c.seq, c.d_model) * 0.02)
        self.blocks = nn.Sequential(*[(LlamaBlock if llama else Block)(c)
                                      for _ in range(c.layers)])
        self.lnf = RMSNorm(c.d_model) if llama else nn.LayerNorm(c.d_model)
        self.head = nn.Linear(c.d_model, c.vocab, bias=not llama)

    def embed(self, idx):
        x = self.tok(torch.as_tensor(idx))
        return x if self.c.arch == "llama" else x + self.pos

    def forward(self, idx):
        x = self.blocks(self.embed(idx))
        return self.head(self.lnf(x)).reshape(-1, self.c.vocab)


def max_logits(c, names, values, idx):
    """Per block and head, the max pre-softmax score over batch, query and key
    positions (masked positions excluded) of the model with parameters
    `values` (ONNX names = torch names) on the batch `idx`: [layers, heads]."""
    model = CharLM(c)
    model.load_state_dict({n: torch.tensor(v) for n, v in zip(names, values)},
                          strict=False)
    result = []
    with torch.no_grad():
        x = model.embed(idx)
        for block in model.blocks:
            result.append(block.scores(*list(block.heads(x))[:2]).amax(dim=(0, 2, 3)))
            x = block(x)
    return torch.stack(result).numpy()


def load_text(path=os.path.join(HERE, "sonnets.txt")):
    text = open(path).read()
    chars = sorted(set(text))
    return np.array([chars.index(ch) for ch in text], dtype=np.int64), chars


def batches(data, c, seed):
    """Endless (idx [B, T], labels [B*T]) pairs at random offsets."""
    rng = np.random.default_rng(seed)
    while True:
        starts = rng.integers(0, len(data) - c.seq - 1, size=c.batch)
        idx = np.stack([data[s:s + c.seq] for s in starts])
        labels = np.stack([data[s + 1:s + c.seq + 1] for s in starts]).reshape(-1)
        yield idx, labels


def training_data(count, seed=1, **sizes):
    """The model config for sonnets.txt and its first `count` batches (the
    same ones in every script, so runs are comparable). `sizes`: Config's
    batch, seq, d_model, heads, layers (default: the example's)."""
    data, chars = load_text()
    c = Config(vocab=len(chars), **sizes)
    stream = batches(data, c, seed=seed)
    return c, [next(stream) for _ in range(count)]


def make_artifacts(c, directory, seed=0, weight_decay=0.01):
    """Exports the model (fixed shapes, legacy exporter) and writes ORT's
    training artifacts: cross-entropy loss, AdamW. Returns the directory."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                    "python"))
    from muon_mlir.training import export_artifacts
    torch.manual_seed(seed)
    model = CharLM(c)
    export_artifacts(model, {"idx": torch.zeros(c.batch, c.seq, dtype=torch.int64)}, directory,
                     weight_decay=weight_decay)
    return directory
