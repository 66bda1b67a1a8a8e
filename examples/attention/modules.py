"""Small attention modules in the forms optim-insert-qk-clip traces.

MHA (separate Q/K/V projections with biases, torch's Linear layout), GQA
(Llama's repeat_kv: key/value heads expanded in place across their query
heads; optionally with a rotary embedding in one of the forms models write:
Llama's rotate_half, interleaved even/odd pairs, partial rotary over half of
each head, or the real form of Meta LLaMA's complex multiply), MLA (DeepSeek-V3 / Kimi K2 multi-head latent attention: compressed
projections, per-head [q_C | q_R] and [k_C | V] up-projections, a rotary key
shared by all heads). Each module returns the attention output;
`max_logits` computes the reference per-query-head maximum of the
pre-softmax scores.
"""

import math

import numpy as np
import torch
from torch import nn


class Attention(nn.Module):
    """Causal attention with `heads` query heads over `kv_heads` key/value
    heads (kv_heads == heads: MHA)."""

    def __init__(self, d_model=32, heads=4, kv_heads=None, head_dim=8, seq=6, bias=True,
                 rotary=False, masked_fill=False):
        super().__init__()
        self.rotary, self.masked_fill = rotary, masked_fill
        # rotary: False, True or "half" (Llama's rotate_half), "interleaved"
        # (GPT-J's even/odd pairs), "partial" (rotate_half over the first
        # half of each head, the rest passed through), "complex" (Meta
        # LLaMA's view_as_complex product, written over (re, im) pairs:
        # torch.onnx cannot export complex tensors).
        self.rotary = "half" if rotary is True else rotary
        rotated = head_dim // 2 if self.rotary == "partial" else head_dim
        if self.rotary:
            angles = rotary_table(seq, rotated)
            self.register_buffer("cos", angles.cos())
            self.register_buffer("sin", angles.sin())
            self.register_buffer("cos_pairs", angles[:, : rotated // 2].cos())
            self.register_buffer("sin_pairs", angles[:, : rotated // 2].sin())
        self.d_model, self.heads, self.kv_heads = d_model, heads, kv_heads or heads
        self.head_dim, self.seq = head_dim, seq
        self.q = nn.Linear(d_model, heads * head_dim, bias=bias)
        self.k = nn.Linear(d_model, self.kv_heads * head_dim, bias=bias)
        self.v = nn.Linear(d_model, self.kv_heads * head_dim, bias=bias)
        self.o = nn.Linear(heads * head_dim, d_model, bias=bias)
        self.register_buffer("mask", torch.triu(torch.full((seq, seq), -1e9), 1))

    def split(self, t, heads):
        b, s, _ = t.shape
        return t.view(b, s, heads, self.head_dim).transpose(1, 2)

    def repeat_kv(self, t):
        rep = self.heads // self.kv_heads
        if rep == 1:
            return t
        b, h, s, d = t.shape
        return t[:, :, None, :, :].expand(b, h, rep, s, d).reshape(b, h * rep, s, d)

    def rope(self, t):
        if self.rotary == "half":
            return t * self.cos + rotate_half(t) * self.sin
        if self.rotary == "partial":
            r = self.cos.shape[-1]
            part = t[..., :r]
            return torch.cat((part * self.cos + rotate_half(part) * self.sin, t[..., r:]), -1)
        if self.rotary == "interleaved":
            even, odd = t[..., ::2], t[..., 1::2]
            c, s = self.cos_pairs, self.sin_pairs
            return torch.stack((even * c - odd * s, even * s + odd * c), -1).flatten(-2)
        if self.rotary == "complex":
            pairs = t.reshape(*t.shape[:-1], -1, 2)
            re, im = pairs[..., 0], pairs[..., 1]
            c, s = self.cos_pairs, self.sin_pairs
            return torch.stack((re * c - im * s, re * s + im * c), -1).reshape(t.shape)
        return t

    def scores(self, x):
        q = self.rope(self.split(self.q(x), self.heads))
        k = self.repeat_kv(self.rope(self.split(self.k(x), self.kv_heads)))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)
        if self.masked_fill:  # as many hand-written models mask: ONNX Where
            return scores.masked_fill(self.mask < 0, float("-inf"))
        return scores + self.mask

    def forward(self, x):
        v = self.repeat_kv(self.split(self.v(x), self.kv_heads))
        y = torch.softmax(self.scores(x), -1) @ v
        return self.o(y.transpose(1, 2).reshape(x.shape[0], x.shape[1], -1))


def rotary_table(seq, dim):
    """Rotary angles [seq, dim] (both halves of the features alike)."""
    angle = torch.arange(seq)[:, None] * 10000 ** (-torch.arange(0, dim, 2) / dim)
    return torch.cat([angle, angle], -1)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class LatentAttention(nn.Module):
    """MLA without KV cache: q = W_uq·norm(W_dq·x) per head [q_C | q_R],
    [c_KV | k_R] = W_dkv·x, [k_C | V] = W_ukv·norm(c_KV) per head; q_R and
    the shared k_R get rotary embeddings."""

    def __init__(self, d_model=32, heads=4, q_lora=12, kv_lora=16, nope=8, rope=4,
                 v_dim=8, seq=6):
        super().__init__()
        self.d_model, self.heads = d_model, heads
        self.nope, self.rope, self.v_dim = nope, rope, v_dim
        self.seq, self.kv_lora = seq, kv_lora
        self.wq_a = nn.Linear(d_model, q_lora, bias=False)
        self.q_norm = nn.LayerNorm(q_lora)
        self.wq_b = nn.Linear(q_lora, heads * (nope + rope), bias=False)
        self.wkv_a = nn.Linear(d_model, kv_lora + rope, bias=False)
        self.kv_norm = nn.LayerNorm(kv_lora)
        self.wkv_b = nn.Linear(kv_lora, heads * (nope + v_dim), bias=False)
        self.wo = nn.Linear(heads * v_dim, d_model, bias=False)
        self.register_buffer("cos", rotary_table(seq, rope).cos())
        self.register_buffer("sin", rotary_table(seq, rope).sin())
        self.register_buffer("mask", torch.triu(torch.full((seq, seq), -1e9), 1))

    def rotary(self, x):
        return x * self.cos + rotate_half(x) * self.sin

    def qkv(self, x):
        b, s, _ = x.shape
        q = self.wq_b(self.q_norm(self.wq_a(x))).view(b, s, self.heads, -1).transpose(1, 2)
        q_c, q_r = torch.split(q, [self.nope, self.rope], -1)
        c_kv, k_r = torch.split(self.wkv_a(x), [self.kv_lora, self.rope], -1)
        k_r = self.rotary(k_r.view(b, s, 1, self.rope).transpose(1, 2))
        kv = self.wkv_b(self.kv_norm(c_kv)).view(b, s, self.heads, -1).transpose(1, 2)
        k_c, v = torch.split(kv, [self.nope, self.v_dim], -1)
        q = torch.cat([q_c, self.rotary(q_r)], -1)
        k = torch.cat([k_c, k_r.expand(-1, self.heads, -1, -1)], -1)
        return q, k, v

    def scores(self, x):
        q, k, _ = self.qkv(x)
        return q @ k.transpose(-2, -1) / math.sqrt(self.nope + self.rope) + self.mask

    def forward(self, x):
        _, _, v = self.qkv(x)
        y = torch.softmax(self.scores(x), -1) @ v
        return self.wo(y.transpose(1, 2).reshape(x.shape[0], self.seq, -1))


def max_logits(module, x):
    """S_h: max over batch, query and key positions of the masked scores."""
    with torch.no_grad():
        s = module.scores(torch.as_tensor(x)).numpy()
    return s.max(axis=(0, 2, 3))


MODULES = {
    "mha": lambda: Attention(heads=4),
    "mha-masked-fill": lambda: Attention(heads=4, masked_fill=True),
    "gqa": lambda: Attention(heads=4, kv_heads=2, bias=False),
    "gqa-rope": lambda: Attention(heads=4, kv_heads=2, bias=False, rotary=True),
    "gqa-rope-interleaved": lambda: Attention(heads=4, kv_heads=2, bias=False,
                                              rotary="interleaved"),
    "gqa-rope-partial": lambda: Attention(heads=4, kv_heads=2, bias=False, rotary="partial"),
    "gqa-rope-complex": lambda: Attention(heads=4, kv_heads=2, bias=False, rotary="complex"),
    "mqa": lambda: Attention(heads=4, kv_heads=1, bias=False),
    "mla": LatentAttention,
}


def export(module, path, batch=2):
    """torch.onnx.export with static shapes (legacy exporter, no constant
    folding: parameters keep their names and torch's Linear layout)."""
    import warnings
    x = torch.zeros(batch, module.seq, module.d_model)
    with warnings.catch_warnings():  # the legacy exporter's deprecation notice
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), path, dynamo=False, input_names=["x"],
                          output_names=["y"], opset_version=17, do_constant_folding=False)
    return path


def fused_op_model(op, seed=0, batch=2, seq=6, d_model=16, heads=4, kv_heads=2, head_dim=8):
    """A one-attention ONNX model using a fused attention op, with its
    weights and the reference max logits per query head on input `x`:
    op "Attention" (opset 23): x·W_q, x·W_k, x·W_v (GQA: `kv_heads`) into
    Attention with is_causal; op "com.microsoft.Attention": one packed
    [d_model, 3·H·D] weight and bias, unidirectional (MHA).
    Returns (model, weights {name: array}, x, max_logits)."""
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, seq, d_model)).astype(np.float32)
    hidden = heads * head_dim

    def weight(*shape):
        return (rng.standard_normal(shape) * 1.5).astype(np.float32)

    if op == "Attention":
        weights = {"wq": weight(d_model, hidden), "wk": weight(d_model, kv_heads * head_dim),
                   "wv": weight(d_model, kv_heads * head_dim)}
        nodes = [helper.make_node("MatMul", ["x", w], [w + "_out"], name=f"/{w}/MatMul")
                 for w in ("wq", "wk", "wv")]
        nodes.append(helper.make_node("Attention", ["wq_out", "wk_out", "wv_out"], ["y"],
                                      name="/attn/Attention", is_causal=1,
                                      q_num_heads=heads, kv_num_heads=kv_heads))
        q = (x @ weights["wq"]).reshape(batch, seq, heads, head_dim)
        k = (x @ weights["wk"]).reshape(batch, seq, kv_heads, head_dim)
        k = np.repeat(k, heads // kv_heads, axis=2)
        opsets = [helper.make_opsetid("", 23)]
    elif op == "com.microsoft.Attention":
        kv_heads = heads
        weights = {"qkv.weight": weight(d_model, 3 * hidden), "qkv.bias": weight(3 * hidden)}
        nodes = [helper.make_node("Attention", ["x", "qkv.weight", "qkv.bias"], ["y"],
                                  name="/attn/Attention", domain="com.microsoft",
                                  num_heads=heads, unidirectional=1)]
        qkv = x @ weights["qkv.weight"] + weights["qkv.bias"]
        q = qkv[..., :hidden].reshape(batch, seq, heads, head_dim)
        k = qkv[..., hidden:2 * hidden].reshape(batch, seq, heads, head_dim)
        opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    else:
        raise ValueError(op)
    scores = np.einsum("bshd,bthd->bhst", q, k) / math.sqrt(head_dim)
    causal = np.triu(np.ones((seq, seq), dtype=bool), 1)
    max_logits = np.where(causal, -np.inf, scores).max(axis=(0, 2, 3))
    graph = helper.make_graph(
        nodes, op, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, seq, hidden])],
        [numpy_helper.from_array(w, n) for n, w in weights.items()])
    model = helper.make_model(graph, opset_imports=opsets, ir_version=8)
    return model, weights, x, max_logits
