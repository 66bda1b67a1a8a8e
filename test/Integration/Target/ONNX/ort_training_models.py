"""Other model families through ORT training artifacts, against ORT.

Small torch models whose exported training graphs use what the example's
char transformer does not: LLaMA-style (RMSNorm, which ORT fuses into
SimplifiedLayerNormalization; SwiGLU, fused into QuickGelu; GQA through
repeat_interleave, a Tile whose gradient computes its shapes; causal
scaled_dot_product_attention; no biases; and a variant with rotary
embeddings, whose gradient has ORT's ConcatTraining/SplitTraining),
GPT-2-style (tied embedding, nn.MultiheadAttention, tanh GELU:
Tanh/TanhGrad), a hand-written block (mean/variance LayerNorm, masked_fill:
Where), MLP-Mixer's token mixing (a matrix times a stack of matrices),
an MLP (ReLU, a sigmoid gate, Dropout p = 0, which ORT removes,
or p = 0.1; and one selecting and masking: top-k masks, sort, scatter,
logsumexp, tril, tensor assignment, SDPA with a boolean mask), convolutional ones (Conv, pooling with and without ceil_mode,
batch normalization, ConvTranspose, F.pad, nn.Upsample, padding="same"), recurrent ones
(nn.LSTM, nn.GRU: ORT's LSTMTraining/LSTMGrad, GRUTraining/GRUGrad) and
Hugging Face's GPT-2 (Conv1D layout, FastGelu), LLaMA (rotary, GQA, SDPA),
RoBERTa (token types, a padding mask, CumSum position ids) and ViT (patch
Conv2d; images from the token ids through F.one_hot) definitions with
random weights, and thirty-odd further Hugging Face families (hf-<family>,
hf_families(): encoders, decoders, encoder-decoders, vision and audio
models; BEiT with drop path, whose torch.rand draws ORT is fed). Each is exported with static shapes (cnn-pad with a
dynamic batch, bound when compiling),
turned into ORT training artifacts (cross entropy, AdamW) and compiled into
one step (examples/char_transformer/compiled_step.py); N steps on random
batches must match ORT's training API on the same files: every loss and
every parameter within --rtol relative error (Frobenius).

With --loss, generate_artifacts appends MSELoss, L1Loss or BCEWithLogitsLoss
(float targets of the logits' shape) instead of cross entropy.

Where ORT cannot run the artifacts as they are (training-mode Dropout
draws its own masks; ConvTransposeGrad and ResizeGrad have no ORT CPU
kernel), ORT runs a copy that ort_reference.py writes: the compiled step's
masks as inputs, those gradients spelled with ORT's CPU kernels.

  ort_training_models.py MODEL --work DIR [--bin DIR] [--loss LOSS]
                         [--gpu emulated|cuda [--muon]]
"""

import argparse
import os
import re
import shutil
import sys
import warnings

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
sys.path.insert(0, os.path.join(ROOT, "examples", "char_transformer"))

import compiled_step  # noqa: E402
import ort_reference  # noqa: E402
from parity import ort_steps  # noqa: E402
from muon_mlir.testing.training_parity import compare, rel, save_bundle  # noqa: E402

BATCH, SEQ, VOCAB, D, HEADS = 4, 16, 40, 32, 4


class RMSNorm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(1.0 + 0.1 * torch.randn(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * self.weight


class Llama(nn.Module):
    """One pre-norm block: GQA (2 key/value heads for 4 query heads)."""

    def __init__(self):
        super().__init__()
        kv = D // 2
        self.tok = nn.Embedding(VOCAB, D)
        self.norm1, self.norm2, self.norm_f = RMSNorm(D), RMSNorm(D), RMSNorm(D)
        self.q, self.k, self.v = (nn.Linear(D, D, bias=False), nn.Linear(D, kv, bias=False),
                                  nn.Linear(D, kv, bias=False))
        self.o = nn.Linear(D, D, bias=False)
        self.gate, self.up = nn.Linear(D, 3 * D, bias=False), nn.Linear(D, 3 * D, bias=False)
        self.down = nn.Linear(3 * D, D, bias=False)
        self.head = nn.Linear(D, VOCAB, bias=False)

    def forward(self, idx):
        x = self.tok(idx)
        h = self.norm1(x)
        hd = D // HEADS
        split = lambda t, n: t.view(BATCH, SEQ, n, hd).transpose(1, 2)
        q = split(self.q(h), HEADS)
        k = split(self.k(h), HEADS // 2).repeat_interleave(2, dim=1)
        v = split(self.v(h), HEADS // 2).repeat_interleave(2, dim=1)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.o(a.transpose(1, 2).reshape(BATCH, SEQ, D))
        h = self.norm2(x)
        x = x + self.down(F.silu(self.gate(h)) * self.up(h))
        return self.head(self.norm_f(x)).reshape(-1, VOCAB)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class LlamaRope(Llama):
    """Rotary embeddings (Neg, Slice, Concat: ORT's ConcatTraining and
    SplitTraining in the gradient), GQA by expand + reshape, an additive
    causal mask instead of SDPA."""

    def __init__(self):
        super().__init__()
        hd = D // HEADS
        freqs = torch.outer(torch.arange(SEQ).float(),
                            1.0 / 10000 ** (torch.arange(0, hd, 2).float() / hd))
        angles = torch.cat((freqs, freqs), -1)
        self.register_buffer("cos", angles.cos())
        self.register_buffer("sin", angles.sin())
        self.register_buffer("causal", torch.triu(torch.full((SEQ, SEQ), float("-inf")), 1))
        self.register_buffer("cos_pairs", freqs.cos())
        self.register_buffer("sin_pairs", freqs.sin())

    def rotate(self, t):
        return t * self.cos + rotate_half(t) * self.sin

    def forward(self, idx):
        x = self.tok(idx)
        h = self.norm1(x)
        hd, kv = D // HEADS, HEADS // 2
        split = lambda t, n: t.view(BATCH, SEQ, n, hd).transpose(1, 2)
        rotate = self.rotate
        repeat = lambda t: t[:, :, None].expand(BATCH, kv, 2, SEQ, hd).reshape(
            BATCH, HEADS, SEQ, hd)
        q = rotate(split(self.q(h), HEADS))
        k = repeat(rotate(split(self.k(h), kv)))
        v = repeat(split(self.v(h), kv))
        scores = q @ k.transpose(-1, -2) / hd ** 0.5 + self.causal
        a = scores.softmax(-1) @ v
        x = x + self.o(a.transpose(1, 2).reshape(BATCH, SEQ, D))
        h = self.norm2(x)
        x = x + self.down(F.silu(self.gate(h)) * self.up(h))
        return self.head(self.norm_f(x)).reshape(-1, VOCAB)


class LlamaRopeInterleaved(LlamaRope):
    """Rotary embeddings on interleaved (even, odd) pairs, as GPT-J and
    Meta's LLaMA code write them: strided slices x[..., ::2] and x[..., 1::2]
    (whose gradient is ORT's SliceGrad), stacked and flattened back."""

    def rotate(self, t):
        even, odd = t[..., ::2], t[..., 1::2]
        return torch.stack((even * self.cos_pairs - odd * self.sin_pairs,
                            even * self.sin_pairs + odd * self.cos_pairs), -1).flatten(-2)


class CNN(nn.Module):
    """Convolutions over the embedded sequence: a 1-D one (dilation, padding,
    2 groups) with a residual, then a 2-D one (stride, padding) over
    (position, channel) planes."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D)
        self.conv1 = nn.Conv1d(D, D, 3, padding=2, dilation=2, groups=2)
        self.conv2 = nn.Conv2d(1, 4, (3, 3), stride=(1, 2), padding=1)
        self.head = nn.Linear(2 * D, VOCAB)

    def forward(self, idx):
        x = self.tok(idx)
        h = F.relu(self.conv1(x.transpose(1, 2))).transpose(1, 2) + x
        z = F.relu(self.conv2(h.unsqueeze(1)))
        return self.head(z.permute(0, 2, 1, 3).reshape(BATCH, SEQ, 2 * D)).reshape(-1, VOCAB)


class PoolCNN(nn.Module):
    """A Conv2d over (position, channel) planes, batch-normalized (ORT's
    BatchNormInternal, BatchNormalizationGrad), max and average pooled over
    channel pairs (MaxPool with its Indices, ORT's MaxPoolGrad; AveragePool,
    AveragePoolGrad) plus a global average (GlobalAveragePool)."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D)
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.norm = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d((1, 2))
        self.head = nn.Linear(2 * D, VOCAB)

    def forward(self, idx):
        z = F.relu(self.norm(self.conv(self.tok(idx).unsqueeze(1))))
        z = self.pool(z) + F.avg_pool2d(z, (1, 2)) + F.adaptive_avg_pool2d(z, 1)
        return self.head(z.permute(0, 2, 1, 3).reshape(BATCH, SEQ, 2 * D)).reshape(-1, VOCAB)


class PoolCeilCNN(nn.Module):
    """Pooling with ceil_mode: a MaxPool2d over 3 columns with stride 2 (32
    pool to 16, not 15: the last window reaches past X) and an average of 3
    padded columns of that (16 + 2 to 9, not 8; ORT divides the partial
    window by the kernel's size where torch clips it), both through ORT's
    MaxPoolGrad and AveragePoolGrad."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D)
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.pool = nn.MaxPool2d((1, 3), (1, 2), ceil_mode=True)
        self.head = nn.Linear(4 * (D // 2 + D // 4 + 1), VOCAB)

    def forward(self, idx):
        z = self.pool(F.relu(self.conv(self.tok(idx).unsqueeze(1))))
        a = F.avg_pool2d(z, (1, 3), (1, 2), (0, 1), ceil_mode=True)
        z = torch.cat((z, a), -1).permute(0, 2, 1, 3).reshape(BATCH, SEQ, -1)
        return self.head(z).reshape(-1, VOCAB)


class DynamicPoolCNN(nn.Module):
    """MaxPool2d and AvgPool2d over the positions (windows of 3 rows, padded,
    and column pairs; ORT's MaxPoolGrad, AveragePoolGrad) exported with a
    dynamic batch and sequence: ORT declares X, the pooled values and dX
    with dims its shape inference made up (unk__N), which no input names and
    the importer binds from the forward values."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D)
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.head = nn.Linear(2 * D, VOCAB)

    def forward(self, idx):
        z = F.relu(self.conv(self.tok(idx).unsqueeze(1)))
        window = ((3, 2), (1, 2), (1, 0))
        z = F.max_pool2d(z, *window) + F.avg_pool2d(z, *window, count_include_pad=False)
        return self.head(z.permute(0, 2, 1, 3).flatten(2)).flatten(0, 1)


class PadCNN(nn.Module):
    """Convolutions around F.pad (ONNX Pad; ORT differentiates it with a Pad
    by the negated pads, a crop), exported with a dynamic batch: the
    training graph's inputs carry symbolic dimensions that DIMS binds."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D)
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.mix = nn.Conv2d(4, 2, 3)
        self.head = nn.Linear(2 * D, VOCAB)

    def forward(self, idx):
        z = F.relu(self.conv(self.tok(idx).unsqueeze(1)))
        z = self.mix(F.pad(z, (1, 1, 2, 0)))[:, :, :SEQ]
        return self.head(z.permute(0, 2, 1, 3).reshape(BATCH, SEQ, 2 * D)).reshape(-1, VOCAB)


class SameCNN(nn.Module):
    """padding="same" convolutions (auto_pad SAME_UPPER in the export; ORT's
    reference spells the pads out, as its ConvGrad ignores auto_pad): a
    Conv1d with an even kernel (the odd pad at the end) and a grouped
    Conv2d with two output channels per group."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D)
        self.conv1 = nn.Conv1d(D, D, 4, padding="same")
        self.conv2 = nn.Conv2d(2, 4, 3, padding="same", groups=2)
        self.head = nn.Linear(2 * D, VOCAB)

    def forward(self, idx):
        h = F.relu(self.conv1(self.tok(idx).transpose(1, 2)))
        z = self.conv2(h.reshape(BATCH, 2, D // 2, SEQ))
        return self.head(z.reshape(BATCH, 2 * D, SEQ).transpose(1, 2)).reshape(-1, VOCAB)


class TransposeCNN(nn.Module):
    """A strided Conv2d over (position, channel) planes, then a
    ConvTranspose2d back to their size (stride 2, padding 1, output_padding
    1: ConvTranspose, ORT's ConvTransposeGrad)."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D)
        self.conv = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
        self.head = nn.Linear(2 * D, VOCAB)

    def forward(self, idx):
        z = self.up(F.relu(self.conv(self.tok(idx).unsqueeze(1))))
        return self.head(z.permute(0, 2, 1, 3).reshape(BATCH, SEQ, 2 * D)).reshape(-1, VOCAB)


class UpsampleCNN(nn.Module):
    """Conv2d over (position, channel) planes, upsampled by 2 twice
    (nn.Upsample: Resize and ORT's ResizeGrad; bilinear with half_pixel and
    with align_corners, the modes ORT's ResizeGrad takes, or nearest, whose
    gradient ORT has no kernel for), a strided Conv2d back."""

    def __init__(self, mode="bilinear"):
        super().__init__()
        corners = None if mode == "nearest" else True
        self.tok = nn.Embedding(VOCAB, D)
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.up = nn.Upsample(scale_factor=2, mode=mode)
        self.up_corners = nn.Upsample(scale_factor=2, mode=mode, align_corners=corners)
        self.down = nn.Conv2d(2, 2, 2, stride=2)
        self.head = nn.Linear(2 * D, VOCAB)

    def forward(self, idx):
        z = self.conv(self.tok(idx).unsqueeze(1))
        z = self.down(F.relu(self.up(z) + self.up_corners(torch.tanh(z))))
        return self.head(z.permute(0, 2, 1, 3).reshape(BATCH, SEQ, 2 * D)).reshape(-1, VOCAB)


# Models exported with symbolic dimensions (torch.onnx.export's dynamic_axes)
# and the values their compiled step binds them to.
DYNAMIC_AXES = {"cnn-pad": {"idx": {0: "batch"}, "logits": {0: "rows"}},
                "cnn-pool-dynamic": {"idx": {0: "batch", 1: "seq"}, "logits": {0: "rows"}}}
DIMS = {"cnn-pad": {"batch": BATCH, "rows": BATCH * SEQ},
        "cnn-pool-dynamic": {"batch": BATCH, "seq": SEQ, "rows": BATCH * SEQ}}
# Models ORT's training API cannot run as exported: its pooling gradients
# take dX's shape from the graph's declaration, and crash on unk__N dims.
# Its reference is the same model exported with static shapes.
STATIC_REFERENCE = {"cnn-pool-dynamic"}


class GPT2(nn.Module):
    """Learned positions, nn.MultiheadAttention with a causal mask, tanh GELU,
    output projection tied to the token embedding."""

    def __init__(self):
        super().__init__()
        self.tok, self.pos = nn.Embedding(VOCAB, D), nn.Embedding(SEQ, D)
        self.ln1, self.ln2, self.ln_f = nn.LayerNorm(D), nn.LayerNorm(D), nn.LayerNorm(D)
        self.attn = nn.MultiheadAttention(D, HEADS, batch_first=True)
        self.fc, self.proj = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)
        self.register_buffer("mask", torch.triu(torch.ones(SEQ, SEQ, dtype=torch.bool), 1))

    def forward(self, idx):
        x = self.tok(idx) + self.pos(torch.arange(SEQ))
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=self.mask, need_weights=False)[0]
        x = x + self.proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))
        return (self.ln_f(x) @ self.tok.weight.t()).reshape(-1, VOCAB)


class Masked(nn.Module):
    """Written out as in many hand-written models: LayerNorm from mean and
    variance (ORT fuses it into LayerNormalization), masked_fill of a causal
    mask (Where), a padding_idx embedding, erf GELU."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D, padding_idx=0)
        self.qkv, self.o = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.gain, self.bias = nn.Parameter(torch.ones(D)), nn.Parameter(torch.zeros(D))
        self.head = nn.Linear(D, VOCAB)

    def norm(self, x):
        mean = x.mean(-1, keepdim=True)
        var = ((x - mean) ** 2).mean(-1, keepdim=True)
        return (x - mean) / torch.sqrt(var + 1e-5) * self.gain + self.bias

    def forward(self, idx):
        x = self.tok(idx)
        q, k, v = (t.view(BATCH, SEQ, HEADS, -1).transpose(1, 2)
                   for t in self.qkv(self.norm(x)).split(D, -1))
        scores = q @ k.transpose(-1, -2) / (D // HEADS) ** 0.5
        causal = torch.tril(torch.ones(SEQ, SEQ)).view(1, 1, SEQ, SEQ)
        scores = scores.masked_fill(causal == 0, float("-inf"))
        y = (F.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(BATCH, SEQ, D)
        return self.head(F.gelu(x + self.o(y))).reshape(-1, VOCAB)


class MLP(nn.Module):
    def __init__(self, dropout):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D)
        self.fc, self.gate = nn.Linear(D, 2 * D), nn.Linear(D, 2 * D)
        self.out = nn.Linear(2 * D, VOCAB)
        self.drop = nn.Dropout(dropout)

    def forward(self, idx):
        x = self.tok(idx)
        h = F.relu(self.fc(x)) * torch.sigmoid(self.gate(x))
        return self.out(self.drop(h)).reshape(-1, VOCAB)


class Mixer(nn.Module):
    """MLP-Mixer's token mixing: a learned [SEQ, SEQ] matrix times each
    sequence's normalized [SEQ, D] activations, an ONNX MatMul of a matrix
    and a stack of them (as is the input's gradient, with the matrix
    transposed): one GEMM per batch index, its operand shared."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D)
        self.norm = nn.LayerNorm(D)
        self.mix = nn.Parameter(torch.randn(SEQ, SEQ) / SEQ ** 0.5)
        self.fc = nn.Linear(D, D)
        self.out = nn.Linear(D, VOCAB)

    def forward(self, idx):
        x = self.tok(idx)
        x = x + torch.matmul(self.mix, self.norm(x))
        x = x + F.gelu(self.fc(x))
        return self.out(x).reshape(-1, VOCAB)


class FrozenMLP(MLP):
    """The MLP with a frozen layer (generate_artifacts' frozen_params: its
    weights are inputs of the step, not trained) and a 0-d parameter."""

    def __init__(self):
        super().__init__(0.0)
        self.fc.requires_grad_(False)
        self.scale = nn.Parameter(torch.tensor(1.5))

    def forward(self, idx):
        return super().forward(idx) * self.scale


class FrozenStem(nn.Module):
    """A frozen feature extractor (generate_artifacts' frozen_params) built
    from ops ORT has no gradient for, and a trained head: nn.GroupNorm
    (InstanceNormalization of a [N, G, C/G·H·W] view), nn.PReLU,
    nn.PixelShuffle (DepthToSpace), nn.InstanceNorm2d, einsum attention,
    torch.prod (ReduceProd), the L1 norm (ReduceL1), torch.round of token ids
    halved (halves to even), atan, tan, asin and acos. Nothing differentiates
    through the stem, so ORT trains the head on its outputs."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D)
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.group_norm = nn.GroupNorm(2, 8)
        self.prelu = nn.PReLU(8, init=0.2)
        self.instance_norm = nn.InstanceNorm2d(2, affine=True)
        self.head = nn.Linear(D + 8, VOCAB)
        for module in (self.tok, self.conv, self.group_norm, self.prelu, self.instance_norm):
            module.requires_grad_(False)
        with torch.no_grad():  # frozen affine parameters away from 1 and 0
            self.group_norm.weight.uniform_(0.5, 1.5)
            self.instance_norm.bias.uniform_(-0.5, 0.5)

    def forward(self, idx):
        h = self.prelu(self.group_norm(self.conv(self.tok(idx).unsqueeze(1))))  # [B, 8, S, D]
        h = F.pixel_unshuffle(self.instance_norm(F.pixel_shuffle(h, 2)), 2)
        scores = torch.einsum("bhqd,bhkd->bhqk", h, h) / D ** 0.5
        h = torch.einsum("bhqk,bhkd->bhqd", scores.softmax(-1), h).mean(1)  # [B, S, D]
        unit = 0.9 * torch.tanh(h)
        trig = torch.atan(h) + torch.tan(unit) + torch.asin(unit) - torch.acos(unit)
        stats = torch.stack([torch.prod(torch.sigmoid(h), -1),
                             torch.linalg.vector_norm(h, 1, -1),
                             torch.round(idx.float() * 0.5),
                             torch.linalg.vector_norm(trig, 1, -1)], -1)  # [B, S, 4]
        stats = torch.cat([stats, torch.einsum("bsd,d->bs", trig, self.tok.weight[0])
                           .unsqueeze(-1).expand(-1, -1, 4)], -1)
        return self.head(torch.cat([trig, stats], -1)).reshape(-1, VOCAB)


class OpsMLP(nn.Module):
    """LeakyRelu, torch.clamp (Clip), F.normalize (ReduceL2, Clip), a
    division by a learned tensor (DivGrad) and torch.gather with repeated
    indices (GatherElements and its gradient)."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D)
        self.fc = nn.Linear(D, 2 * D)
        self.temperature = nn.Parameter(torch.full((2 * D,), 2.0))
        self.out = nn.Linear(2 * D, VOCAB)
        picks = torch.randint(0, 2 * D, (BATCH, SEQ, 2 * D),
                              generator=torch.Generator().manual_seed(1))
        self.register_buffer("picks", picks)

    def forward(self, idx):
        h = F.leaky_relu(self.fc(self.tok(idx)), 0.1)
        h = F.normalize(torch.clamp(h, -1.5, 2.0), dim=-1) / self.temperature
        h = h + torch.gather(h, -1, self.picks)
        return self.out(h).reshape(-1, VOCAB)


class SelectMLP(nn.Module):
    """Selection and masking as torch code writes them: a top-k mask
    (TopK, ScatterElements; ORT's gradient GatherElements and
    GatherElementsGrad), torch.sort (a TopK of the whole axis),
    scatter_add, torch.logsumexp (ReduceLogSumExp), torch.tril of
    activations (its gradient: com.microsoft's Trilu), a tensor assignment
    (h[:, :, 0] = ...: ScatterND, differentiated with GatherND and a
    ScatterND onto zeros; and of a boolean mask), a straight-through
    one-hot of an argmax (ArgMax) and scaled_dot_product_attention with a
    boolean mask (IsNaN, Where)."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D)
        self.fc, self.q = nn.Linear(D, D), nn.Linear(D, D)
        self.out = nn.Linear(2 * D + SEQ + 1, VOCAB)
        self.register_buffer("buckets", torch.arange(D).remainder(8).expand(BATCH, SEQ, D))

    def forward(self, idx):
        x = self.tok(idx)
        h = self.fc(x)
        values, picks = h.topk(4, -1)
        h = torch.zeros_like(h).scatter(-1, picks, values) + 0.1 * h.sort(-1).values
        h = h.clone()
        h[:, :, 0] = x[:, :, 1] * 2
        # A straight-through one-hot of the argmax (ArgMax, OneHot).
        soft = h.softmax(-1)
        h = h + F.one_hot(h.argmax(-1), D).float() - soft.detach() + soft
        # A padding mask from the ids, edited by assignment (a boolean
        # ScatterND).
        pad = (idx < 3).unsqueeze(-1).expand(BATCH, SEQ, 2).clone()
        pad[:, 0] = False
        h = h.masked_fill(pad.repeat(1, 1, D // 2), 0.0)
        pooled = torch.zeros(BATCH, SEQ, 8).scatter_add(-1, self.buckets, h)
        heads = lambda t: t.view(BATCH, SEQ, HEADS, -1).transpose(1, 2)
        causal = torch.ones(SEQ, SEQ, dtype=torch.bool).tril()
        a = F.scaled_dot_product_attention(heads(self.q(x)), heads(x), heads(h),
                                           attn_mask=causal)
        a = a.transpose(1, 2).reshape(BATCH, SEQ, D)
        lse = torch.logsumexp(h, -1, keepdim=True)
        mixed = torch.tril(a @ pooled.repeat(1, 1, 4).transpose(1, 2))
        z = torch.cat((a, h - lse, mixed, lse), -1)
        return self.out(z).reshape(-1, VOCAB)


# Entries whose gradient is zero in exact arithmetic: softmax is invariant
# to the key bias (it adds q.b_k to a whole row of scores), batch
# normalization to the bias of the convolution before it. Their rounding
# noise, which AdamW divides by its own root mean square, moves them by
# ~1e-5 in either implementation, so they are checked to stay that small
# instead of against each other.
ZERO_GRADIENT = {"gpt2": {"attn.in_proj_bias": slice(D, 2 * D)},
                 "hf-gpt2": {f"m.transformer.h.{i}.attn.c_attn.bias": slice(D, 2 * D)
                             for i in range(2)},
                 "masked": {"qkv.bias": slice(D, 2 * D)},
                 "hf-roberta": {f"m.roberta.encoder.layer.{i}.attention.self.key.bias":
                                slice(0, D) for i in range(2)},
                 "hf-vit": {f"m.vit.encoder.layer.{i}.attention.attention.key.bias":
                            slice(0, D) for i in range(2)},
                 # A bias before batch normalization: BN removes the shift.
                 "cnn-pool": {"conv.bias": slice(0, 4)}}

def hf_families():
    """Hugging Face families beyond GPT-2, LLaMA, RoBERTa and ViT: name ->
    (input form, model from tiny random configurations; dropout and drop
    path off unless named). Forms: "lm" takes the token ids and gives
    per-token logits; "seq2seq" also feeds them as decoder ids; "image" and
    "audio" turn each sequence's tokens into one example (pixels, mel
    features or a waveform of the given shape, through F.one_hot) whose
    prediction every token's label scores."""
    import transformers as T
    attention = dict(num_hidden_layers=2, num_attention_heads=HEADS, hidden_size=D,
                     intermediate_size=2 * D)
    bert = dict(vocab_size=VOCAB, max_position_embeddings=SEQ + 2, hidden_dropout_prob=0.0,
                attention_probs_dropout_prob=0.0, **attention)
    decoder = dict(vocab_size=VOCAB, max_position_embeddings=SEQ, num_key_value_heads=HEADS // 2,
                   **attention)
    bart = dict(vocab_size=VOCAB, d_model=D, encoder_layers=1, decoder_layers=1,
                encoder_attention_heads=HEADS, decoder_attention_heads=HEADS,
                encoder_ffn_dim=2 * D, decoder_ffn_dim=2 * D, max_position_embeddings=SEQ + 2,
                dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, pad_token_id=1,
                decoder_start_token_id=2)
    t5 = dict(vocab_size=VOCAB, d_model=D, d_kv=D // HEADS, d_ff=2 * D, num_layers=2,
              num_heads=HEADS, relative_attention_num_buckets=8, dropout_rate=0.0,
              decoder_start_token_id=0)
    vision = dict(image_size=16, patch_size=4, num_labels=VOCAB, hidden_dropout_prob=0.0,
                  attention_probs_dropout_prob=0.0, **attention)
    whisper = dict(vocab_size=VOCAB, num_mel_bins=8, d_model=D, encoder_attention_heads=HEADS,
                   decoder_attention_heads=HEADS, encoder_ffn_dim=2 * D, decoder_ffn_dim=2 * D,
                   max_source_positions=SEQ, max_target_positions=SEQ, dropout=0.0,
                   attention_dropout=0.0, activation_dropout=0.0, num_labels=VOCAB)
    lm = lambda config, model, **kw: ("lm", lambda: model(config(**kw)))
    return {
        # Encoders: absolute, factorized (ALBERT, ELECTRA), bottlenecked
        # (MobileBERT: NoNorm, 4 stacked FFNs), rotary (RoFormer) and
        # disentangled relative (DeBERTa: c2p) positions.
        "bert": lm(T.BertConfig, T.BertForMaskedLM, **bert),
        "distilbert": lm(T.DistilBertConfig, T.DistilBertForMaskedLM, vocab_size=VOCAB, dim=D,
                         hidden_dim=2 * D, n_layers=2, n_heads=HEADS, max_position_embeddings=SEQ,
                         dropout=0.0, attention_dropout=0.0),
        "albert": lm(T.AlbertConfig, T.AlbertForMaskedLM, embedding_size=16,
                     classifier_dropout_prob=0.0, **bert),
        "electra": lm(T.ElectraConfig, T.ElectraForMaskedLM, embedding_size=16, **bert),
        "mobilebert": lm(T.MobileBertConfig, T.MobileBertForMaskedLM, embedding_size=16,
                         true_hidden_size=16, intra_bottleneck_size=16,
                         num_feedforward_networks=2, **dict(bert, intermediate_size=D)),
        "roformer": lm(T.RoFormerConfig, T.RoFormerForMaskedLM, embedding_size=D, **bert),
        "deberta": lm(T.DebertaConfig, T.DebertaForMaskedLM, relative_attention=True,
                      max_relative_positions=SEQ, pos_att_type=["c2p"], **bert),
        "deberta-v2": lm(T.DebertaV2Config, T.DebertaV2ForMaskedLM, relative_attention=True,
                         position_buckets=8, pos_att_type=["c2p"], **bert),
        # Decoders: learned (OPT, BigCode's multi-query), ALiBi (BLOOM),
        # local (GPT-Neo), partial rotary (GPT-NeoX, CodeGen, Phi) positions;
        # Gemma 2's soft-capped logits and sliding windows.
        "gpt-neo": lm(T.GPTNeoConfig, T.GPTNeoForCausalLM, vocab_size=VOCAB, hidden_size=D,
                      num_layers=2, attention_types=[[["global", "local"], 1]], num_heads=HEADS,
                      window_size=4, max_position_embeddings=SEQ, embed_dropout=0.0,
                      attention_dropout=0.0, resid_dropout=0.0),
        "gpt-neox": lm(T.GPTNeoXConfig, T.GPTNeoXForCausalLM, **decoder),
        "gpt-bigcode": lm(T.GPTBigCodeConfig, T.GPTBigCodeForCausalLM, vocab_size=VOCAB,
                          n_embd=D, n_layer=2, n_head=HEADS, n_positions=SEQ, multi_query=True,
                          embd_pdrop=0.0, attn_pdrop=0.0, resid_pdrop=0.0),
        "codegen": lm(T.CodeGenConfig, T.CodeGenForCausalLM, vocab_size=VOCAB, n_embd=D,
                      n_layer=2, n_head=HEADS, rotary_dim=4, n_positions=SEQ, n_ctx=SEQ,
                      embd_pdrop=0.0, attn_pdrop=0.0, resid_pdrop=0.0),
        "opt": lm(T.OPTConfig, T.OPTForCausalLM, vocab_size=VOCAB, hidden_size=D, ffn_dim=2 * D,
                  num_hidden_layers=2, num_attention_heads=HEADS, max_position_embeddings=SEQ,
                  word_embed_proj_dim=D, dropout=0.0, attention_dropout=0.0),
        "bloom": lm(T.BloomConfig, T.BloomForCausalLM, vocab_size=VOCAB, hidden_size=D,
                    n_layer=2, n_head=HEADS, hidden_dropout=0.0, attention_dropout=0.0),
        "falcon": lm(T.FalconConfig, T.FalconForCausalLM, vocab_size=VOCAB, hidden_size=D,
                     num_hidden_layers=2, num_attention_heads=HEADS, max_position_embeddings=SEQ,
                     hidden_dropout=0.0, attention_dropout=0.0),
        "mistral": lm(T.MistralConfig, T.MistralForCausalLM, sliding_window=8, **decoder),
        "qwen2": lm(T.Qwen2Config, T.Qwen2ForCausalLM, **decoder),
        "gemma": lm(T.GemmaConfig, T.GemmaForCausalLM, head_dim=D // HEADS, **decoder),
        "gemma2": lm(T.Gemma2Config, T.Gemma2ForCausalLM, head_dim=D // HEADS, sliding_window=8,
                     attn_implementation="eager", **decoder),
        "phi": lm(T.PhiConfig, T.PhiForCausalLM, **decoder),
        "olmo": lm(T.OlmoConfig, T.OlmoForCausalLM, **decoder),
        "starcoder2": lm(T.Starcoder2Config, T.Starcoder2ForCausalLM, **decoder),
        # Encoder-decoders: T5's relative position buckets, BART's learned
        # positions.
        "t5": ("seq2seq", lambda: T.T5ForConditionalGeneration(T.T5Config(**t5))),
        "bart": ("seq2seq", lambda: T.BartForConditionalGeneration(T.BartConfig(**bart))),
        "marian": ("seq2seq", lambda: T.MarianMTModel(T.MarianConfig(**bart))),
        # Vision: DeiT's distillation token, BEiT's relative position bias
        # and drop path (RandomUniformLike, drawn afresh every step), Swin's
        # shifted windows, PVT's spatial reduction, convolutional stages.
        "deit": ("image", lambda: T.DeiTForImageClassification(T.DeiTConfig(**vision)),
                 (3, 16, 16)),
        # DINOv2 interpolates its position embeddings bicubically (Resize
        # cubic and its ResizeGrad) whenever traced, here to their own size.
        "dinov2": ("image", lambda: T.Dinov2ForImageClassification(T.Dinov2Config(
            mlp_ratio=2, **{k: v for k, v in vision.items() if k != "intermediate_size"})),
            (3, 16, 16)),
        "beit": ("image", lambda: T.BeitForImageClassification(T.BeitConfig(
            use_relative_position_bias=True, use_mean_pooling=True, drop_path_rate=0.1,
            **vision)), (3, 16, 16)),
        "swin": ("image", lambda: T.SwinForImageClassification(T.SwinConfig(
            image_size=32, patch_size=4, embed_dim=16, depths=[1, 1], num_heads=[2, 4],
            window_size=4, num_labels=VOCAB, hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0, drop_path_rate=0.0)), (3, 32, 32)),
        "pvt": ("image", lambda: T.PvtForImageClassification(T.PvtConfig(
            image_size=32, num_encoder_blocks=2, depths=[1, 1], sequence_reduction_ratios=[2, 1],
            hidden_sizes=[16, 32], num_attention_heads=[1, 2], patch_sizes=[4, 2], strides=[4, 2],
            mlp_ratios=[2, 2], num_labels=VOCAB, hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0, drop_path_rate=0.0)), (3, 32, 32)),
        "convnext": ("image", lambda: T.ConvNextForImageClassification(T.ConvNextConfig(
            hidden_sizes=[16, 32], depths=[1, 1], num_stages=2, num_labels=VOCAB,
            drop_path_rate=0.0)), (3, 32, 32)),
        "resnet": ("image", lambda: T.ResNetForImageClassification(T.ResNetConfig(
            embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], layer_type="basic",
            num_labels=VOCAB)), (3, 32, 32)),
        # MobileViT: inverted residuals and transformer blocks over unfolded
        # patches; its step takes more tensors than ctypes passes one by one.
        "mobilevit": ("image", lambda: T.MobileViTForImageClassification(T.MobileViTConfig(
            image_size=32, hidden_sizes=[16, 24, 32], neck_hidden_sizes=[8, 8, 16, 16, 24, 24, 32],
            num_attention_heads=2, hidden_dropout_prob=0.0, classifier_dropout_prob=0.0,
            num_labels=VOCAB)), (3, 32, 32)),
        # Audio: Whisper's convolutional stem over mel features, as an
        # encoder classifier and as the encoder-decoder; wav2vec 2.0's
        # feature encoder over a waveform.
        "whisper-encoder": ("audio", lambda: T.WhisperForAudioClassification(T.WhisperConfig(
            encoder_layers=2, decoder_layers=1, **whisper)), (8, 2 * SEQ)),
        "whisper": ("seq2seq-audio", lambda: T.WhisperForConditionalGeneration(T.WhisperConfig(
            encoder_layers=1, decoder_layers=1, pad_token_id=1, decoder_start_token_id=2,
            **whisper)), (8, 2 * SEQ)),
        "wav2vec2": ("wave", lambda: T.Wav2Vec2ForSequenceClassification(T.Wav2Vec2Config(
            vocab_size=VOCAB, conv_dim=(16, 16), conv_stride=(4, 2), conv_kernel=(8, 4),
            num_conv_pos_embeddings=4, num_conv_pos_embedding_groups=2,
            feat_extract_norm="layer", do_stable_layer_norm=True, hidden_dropout=0.0,
            attention_dropout=0.0, activation_dropout=0.0, feat_proj_dropout=0.0, layerdrop=0.0,
            mask_time_prob=0.0, num_labels=VOCAB, **attention)), (SEQ * 16,)),
    }


# Key biases and what acts as one (DeBERTa's relative key projection's):
# zero gradient in exact arithmetic (see above), unless rotary embeddings
# rotate the bias with the keys by position, as in these families.
HF_KEY_BIAS = r"(\.key|k_proj|k_lin|key_proj|\.k)\.bias$"
HF_ROTATED_KEY_BIAS = {"roformer", "qwen2", "starcoder2", "phi"}


class HuggingFace(nn.Module):
    """A Hugging Face model (random weights, dropout off) as logits
    [batch * seq, vocab]; parameter names keep the library's."""

    def __init__(self, kind):
        super().__init__()
        import transformers
        self.kind = kind
        common = dict(vocab_size=VOCAB, max_position_embeddings=SEQ)
        no_dropout = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
        self.form = "lm"
        if kind == "gpt2":  # Conv1D (x·W) layout, fused c_attn, tied head
            config = transformers.GPT2Config(
                n_positions=SEQ, n_embd=D, n_layer=2, n_head=HEADS, resid_pdrop=0.0,
                embd_pdrop=0.0, attn_pdrop=0.0, **common)
            self.m = transformers.GPT2LMHeadModel(config)
        elif kind == "roberta":  # positions from a CumSum of the padding mask
            config = transformers.RobertaConfig(
                vocab_size=VOCAB, max_position_embeddings=SEQ + 2, pad_token_id=1,
                type_vocab_size=2, hidden_size=D, intermediate_size=2 * D,
                num_hidden_layers=2, num_attention_heads=HEADS, **no_dropout)
            self.m = transformers.RobertaForMaskedLM(config)
            self.form = "roberta"
        elif kind == "vit":  # patch Conv2d, class token, a classifier
            config = transformers.ViTConfig(
                image_size=16, patch_size=4, num_channels=3, hidden_size=D,
                intermediate_size=2 * D, num_hidden_layers=2, num_attention_heads=HEADS,
                num_labels=VOCAB, **no_dropout)
            self.m = transformers.ViTForImageClassification(config)
            self.form, self.shape = "image", (3, 16, 16)
        elif kind == "llama":  # RMSNorm, rotary embeddings, GQA, SwiGLU, SDPA
            config = transformers.LlamaConfig(
                hidden_size=D, intermediate_size=2 * D, num_hidden_layers=2,
                num_attention_heads=HEADS, num_key_value_heads=HEADS // 2, **common)
            self.m = transformers.LlamaForCausalLM(config)
        else:
            self.form, build, *shape = hf_families()[kind]
            self.m = build()
            self.shape = shape[0] if shape else None
        if self.form in ("image", "audio", "seq2seq-audio", "wave"):
            # Each batch's tokens as one example: F.one_hot (ONNX OneHot)
            # through a fixed projection.
            self.register_buffer("pixels", torch.randn(
                VOCAB, int(np.prod(self.shape)) // SEQ,
                generator=torch.Generator().manual_seed(7)))

    def forward(self, idx):
        if self.form == "roberta":
            # Token types (second half 1) and a padding mask (the last 3
            # tokens of one sequence), fixed.
            types = (torch.arange(SEQ) >= SEQ // 2).long().expand(BATCH, SEQ)
            mask = torch.ones(BATCH, SEQ, dtype=torch.long)
            mask[1, -3:] = 0
            return self.m(input_ids=idx, token_type_ids=types, attention_mask=mask,
                          return_dict=False)[0].reshape(-1, VOCAB)
        if self.form == "lm":
            return self.m(input_ids=idx, return_dict=False)[0].reshape(-1, VOCAB)
        if self.form == "seq2seq":
            return self.m(input_ids=idx, decoder_input_ids=idx, use_cache=False,
                          return_dict=False)[0].reshape(-1, VOCAB)
        x = (F.one_hot(idx, VOCAB).float() @ self.pixels).reshape(BATCH, *self.shape)
        if self.form == "seq2seq-audio":
            return self.m(input_features=x, decoder_input_ids=idx, use_cache=False,
                          return_dict=False)[0].reshape(-1, VOCAB)
        key = {"image": "pixel_values", "audio": "input_features", "wave": "input_values"}
        # One prediction per example, repeated for each of its tokens' labels.
        return self.m(**{key[self.form]: x}, return_dict=False)[0].repeat_interleave(SEQ, 0)


class Recurrent(nn.Module):
    """An embedding through a 1-D convolution into an nn.LSTM or nn.GRU (ORT's
    LSTMTraining/LSTMGrad, GRUTraining/GRUGrad), whose every-step outputs
    and final states (broadcast over the steps) feed a linear head: the
    gradients of all hidden states and of the final ones both flow."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.tok = nn.Embedding(VOCAB, D)
        self.conv = nn.Conv1d(D, D, 3, padding=1)
        self.rnn = (nn.LSTM if kind == "lstm" else nn.GRU)(D, 24, batch_first=True)
        self.head = nn.Linear(24, VOCAB)

    def forward(self, idx):
        x = self.conv(self.tok(idx).transpose(1, 2)).transpose(1, 2)
        out, state = self.rnn(x)
        final = sum(state) if self.kind == "lstm" else state
        return self.head(out + final.transpose(0, 1)).reshape(-1, VOCAB)


MODELS = {"llama": Llama, "llama-rope": LlamaRope,
          "llama-rope-interleaved": LlamaRopeInterleaved, "cnn": CNN, "cnn-pool": PoolCNN,
          "cnn-pool-ceil": PoolCeilCNN, "cnn-pool-dynamic": DynamicPoolCNN, "cnn-pad": PadCNN, "cnn-same": SameCNN,
          "cnn-transpose": TransposeCNN, "cnn-upsample": UpsampleCNN,
          "cnn-upsample-nearest": lambda: UpsampleCNN("nearest"),
          "gpt2": GPT2, "masked": Masked, "mlp": lambda: MLP(0.0),
          "mlp-dropout": lambda: MLP(0.1), "mixer": Mixer, "mlp-frozen": FrozenMLP,
          "mlp-ops": OpsMLP, "frozen-stem": FrozenStem, "mlp-select": SelectMLP, "lstm": lambda: Recurrent("lstm"),
          "gru": lambda: Recurrent("gru"),
          "hf-gpt2": lambda: HuggingFace("gpt2"), "hf-llama": lambda: HuggingFace("llama"),
          "hf-roberta": lambda: HuggingFace("roberta"), "hf-vit": lambda: HuggingFace("vit")}
HF_FAMILIES = ["bert", "distilbert", "albert", "electra", "mobilebert", "roformer", "deberta",
               "deberta-v2", "gpt-neo", "gpt-neox", "gpt-bigcode", "codegen", "opt", "bloom",
               "falcon", "mistral", "qwen2", "gemma", "gemma2", "phi", "olmo", "starcoder2", "t5",
               "bart", "marian", "deit", "dinov2", "beit", "swin", "pvt", "convnext", "resnet",
               "mobilevit",
               "whisper-encoder", "whisper", "wav2vec2"]
MODELS.update({f"hf-{kind}": (lambda kind=kind: HuggingFace(kind)) for kind in HF_FAMILIES})


LOSSES = ["CrossEntropyLoss", "MSELoss", "L1Loss", "BCEWithLogitsLoss"]


def make_targets(loss, rng):
    """A batch's targets for `loss`: class ids, or floats of the logits' shape
    (probabilities for BCEWithLogitsLoss)."""
    if loss == "CrossEntropyLoss":
        return rng.integers(0, VOCAB, BATCH * SEQ)
    if loss == "BCEWithLogitsLoss":
        return rng.random((BATCH * SEQ, VOCAB)).astype(np.float32)
    return rng.standard_normal((BATCH * SEQ, VOCAB)).astype(np.float32)


# The newest opset torch.onnx.export(dynamo=False) writes; newer ones are
# exported at it and converted with onnx.version_converter.
TORCHSCRIPT_MAX_OPSET = 20


def export_dynamo(model, path, opset=None, optimize=True, dynamic_axes=None):
    """torch.onnx.export as torch's documentation has users call it (the
    dynamo exporter, torch's default opset, its graph optimizer, weights in
    an external data file); only the input and output are named."""
    torch.onnx.export(model, (torch.zeros(BATCH, SEQ, dtype=torch.int64),), path,
                      input_names=["idx"], output_names=["logits"], opset_version=opset,
                      optimize=optimize, verbose=False, dynamic_axes=dynamic_axes)


def parameter_initializers(model, forward, trainable):
    """The forward graph's initializers that are the parameters of `model`
    with requires_grad == `trainable`: by name, or, where the dynamo
    exporter's optimizer folded nn.Linear's weight transpose into a new
    initializer (val_N), by value."""
    import onnx.numpy_helper
    params = {name: p.detach().numpy() for name, p in model.named_parameters()
              if p.requires_grad == trainable}
    found = []
    for init in forward.graph.initializer:
        if init.name in params:
            found.append(init.name)
            continue
        value = onnx.numpy_helper.to_array(init)
        if value.ndim == 2 and any(p.shape == value.shape[::-1] and np.array_equal(p.T, value)
                                   for p in params.values()):
            found.append(init.name)
    return found


def make_artifacts(name, directory, seed=0, opset=17, loss="CrossEntropyLoss", dynamic=True,
                   exporter="torchscript"):
    """`exporter`: "torchscript" (opset `opset`), "dynamo" (torch's default
    exporter as users call it; opset None: its default) or
    "dynamo-unoptimized" (without its graph optimizer)."""
    from onnxruntime.training import artifacts
    from onnxruntime.training.onnxblock.optim import AdamW
    import onnx
    torch.manual_seed(seed)
    model = MODELS[name]()
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "forward.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exporter == "torchscript":
            torch.onnx.export(model, (torch.zeros(BATCH, SEQ, dtype=torch.int64),), path,
                              dynamo=False, input_names=["idx"], output_names=["logits"],
                              opset_version=min(opset, TORCHSCRIPT_MAX_OPSET),
                              do_constant_folding=False,
                              training=torch.onnx.TrainingMode.TRAINING,
                              dynamic_axes=DYNAMIC_AXES.get(name) if dynamic else None)
        else:
            export_dynamo(model, path, opset, optimize=exporter == "dynamo",
                          dynamic_axes=DYNAMIC_AXES.get(name) if dynamic else None)
    if exporter == "torchscript" and opset > TORCHSCRIPT_MAX_OPSET:
        from onnx import version_converter
        onnx.save(version_converter.convert_version(onnx.load(path), opset), path)
    forward = onnx.load(path)
    for node in forward.graph.node:  # ORT's LayerNormalizationGrad reads them
        if node.op_type == "LayerNormalization":
            while len(node.output) < 3:
                node.output.append(f"{node.name}_stat{len(node.output)}")
        # ORT's gradient of Dropout reads its mask, which the dynamo exporter
        # leaves undeclared.
        if node.op_type == "Dropout" and len(node.output) < 2:
            node.output.append(f"{node.name}_mask")
    params = parameter_initializers(model, forward, True)
    frozen = parameter_initializers(model, forward, False)
    saved = os.dup(2)  # ORT logs every graph transformer to stderr
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    try:
        artifacts.generate_artifacts(
            forward, requires_grad=params, frozen_params=frozen,
            loss=getattr(artifacts.LossType, loss),
            optimizer=AdamW(weight_decay=0.01), artifact_directory=directory)
    finally:
        os.dup2(saved, 2)


def step_dims(args):
    """DIMS of the model, those its training graph names: the dynamo exporter
    names the batch and sequence dims as asked, but an output's by its
    expression (seq*batch, not rows)."""
    import onnx
    dims = DIMS.get(args.model)
    if not dims or args.exporter == "torchscript":
        return dims
    graph = onnx.load(os.path.join(args.work, "training_model.onnx")).graph
    used = {d.dim_param for v in (*graph.input, *graph.output, *graph.value_info)
            for d in v.type.tensor_type.shape.dim}
    return {name: value for name, value in dims.items() if name in used}


def check_forward(args):
    """forward.onnx as exported (torch's Constant nodes and shape arithmetic
    included) through muon-translate and muon-run, against ORT inference."""
    import subprocess
    import onnxruntime as ort
    path = os.path.join(args.work, "forward.onnx")
    idx = np.random.default_rng(5).integers(0, VOCAB, (BATCH, SEQ))
    expected = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
        None, {"idx": idx})[0]
    mlir = os.path.join(args.work, "forward.mlir")
    dims = [f"--onnx-dim={name}={value}" for name, value in DIMS.get(args.model, {}).items()]
    subprocess.run([os.path.join(args.bin, "muon-translate"), "--import-onnx", path,
                    *dims, "-o", mlir], check=True)
    np.save(os.path.join(args.work, "idx.npy"), idx)
    out = os.path.join(args.work, "logits.npy")
    subprocess.run([os.path.join(args.bin, "muon-run"), mlir,
                    "--input=@" + os.path.join(args.work, "idx.npy"),
                    "--output=@" + out], check=True, stdout=subprocess.DEVNULL)
    err = rel(np.load(out), expected)
    print(f"{args.model} forward: logits rel err {err:.2e} (tolerance {args.rtol:.0e})")
    return 0 if err <= args.rtol else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=sorted(MODELS))
    parser.add_argument("--work", required=True)
    parser.add_argument("--bin", default=compiled_step.BIN)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--exporter", choices=["torchscript", "dynamo", "dynamo-unoptimized"],
                        default="torchscript",
                        help="torch.onnx.export's TorchScript exporter (dynamo=False), "
                             "or its default, the dynamo exporter, as users call it "
                             "(with or without its graph optimizer)")
    parser.add_argument("--opset", type=int,
                        help="the export's ONNX opset (TorchScript: 17 by default; above 20, the newest the "
                             "TorchScript exporter writes: exported at 20 and "
                             "converted by onnx.version_converter)")
    parser.add_argument("--loss", choices=LOSSES, default="CrossEntropyLoss",
                        help="the loss generate_artifacts appends (MSELoss, L1Loss "
                             "and BCEWithLogitsLoss: float targets of the logits' "
                             "shape; their gradients use Size and Scale)")
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--gpu", choices=["emulated", "cuda"],
                        help="compile the GPU pipeline's program, run on the host "
                             "(emulated) or on a CUDA GPU, in place on torch tensors (cuda)")
    parser.add_argument("--muon", action="store_true",
                        help="route the hidden matrices to Muon (optim-assign's "
                             "default policy) and compare the --gpu step with the "
                             "same step compiled for CPU, as ORT cannot run Muon")
    parser.add_argument("--forward", action="store_true",
                        help="instead: import the exported forward graph itself "
                             "(Constant nodes, shape arithmetic) and compare its "
                             "logits with ONNX Runtime inference")
    parser.add_argument("--bundle", metavar="DIR",
                        help="with --gpu: compile the step and compute the reference "
                             "here, and write both to DIR for bench/training_numerics.py "
                             "to run elsewhere (with cuda: on a GPU machine)")
    args = parser.parse_args()
    if args.opset is None and args.exporter == "torchscript":
        args.opset = 17
    if args.bundle and not args.gpu:
        parser.error("--bundle needs --gpu")
    if args.forward:
        make_artifacts(args.model, args.work, opset=args.opset, exporter=args.exporter)
        return check_forward(args)
    if args.muon and not args.gpu:
        parser.error("--muon compares the GPU program with the CPU step: give --gpu")
    make_artifacts(args.model, args.work, opset=args.opset, loss=args.loss,
                   exporter=args.exporter)
    # Training-mode Dropout: ORT on the compiled step's own masks.
    dropouts = ort_reference.pin_dropouts(args.work)
    rng = np.random.default_rng(3)
    batches = [(rng.integers(0, VOCAB, (BATCH, SEQ)), make_targets(args.loss, rng))
               for _ in range(args.steps)]
    assign = "report=true" if args.muon else None

    def compiled_run(gpu):
        library, graph = compiled_step.compile_step(args.work, bin_dir=args.bin, gpu=gpu,
                                                    assign=assign, in_place=gpu == "cuda",
                                                    dims=step_dims(args))
        trainer = compiled_step.CompiledTrainer(
            library, graph, compiled_step.initial_parameters(args.work, graph),
            "cuda" if gpu == "cuda" else "cpu",
            frozen=compiled_step.frozen_parameters(args.work, graph))
        losses = [trainer.step(idx, labels, args.lr) for idx, labels in batches]
        return losses, trainer.numpy_params(), graph

    if args.bundle:
        library, graph = compiled_step.compile_step(args.work, bin_dir=args.bin, gpu=args.gpu,
                                                    assign=assign, in_place=True,
                                                    dims=step_dims(args))
    else:
        ours, params, graph = compiled_run(args.gpu)
    if args.muon:
        theirs, cpu, _ = compiled_run(None)
        reference_params = dict(zip(graph.params, cpu))
    else:
        reference = args.work
        if args.model in STATIC_REFERENCE:
            reference = os.path.join(args.work, "static")
            make_artifacts(args.model, reference, opset=args.opset, loss=args.loss,
                           dynamic=False, exporter=args.exporter)
            # A second generate_artifacts in one process writes an optimizer
            # model of IR version 14, which ORT 1.19 rejects; it has no shapes.
            shutil.copy(os.path.join(args.work, "optimizer_model.onnx"), reference)
        theirs, state = ort_steps(reference, batches, args.lr,
                                  ort_reference.write_model(reference, dropouts),
                                  ort_reference.mask_inputs(dropouts))
        reference_params = {name: state.parameters[name].data for name in graph.params}
    initial = compiled_step.initial_parameters(args.work, graph)
    zero_gradient = ZERO_GRADIENT.get(args.model)
    family = args.model.removeprefix("hf-")
    if family in HF_FAMILIES and family not in HF_ROTATED_KEY_BIAS:
        zero_gradient = {name: slice(0, len(value)) for name, value in zip(graph.params, initial)
                         if re.search(HF_KEY_BIAS, name)}
    reference_name = "cpu" if args.muon else "ort"
    if args.bundle:
        save_bundle(args.bundle, library, graph.params, initial, batches, args.lr, theirs,
                    reference_params, reference_name, args.rtol, zero_gradient=zero_gradient)
        print(f"bundle written to {args.bundle}")
        return 0
    worst = compare(ours, theirs, dict(zip(graph.params, params)), reference_params,
                    reference_name, dict(zip(graph.params, initial)), zero_gradient)
    print(f"{args.model}: max rel err {worst:.2e} (tolerance {args.rtol:.0e})")
    return 0 if worst <= args.rtol else 1


if __name__ == "__main__":
    sys.exit(main())
