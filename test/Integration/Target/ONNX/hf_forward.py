"""Forward graphs of Hugging Face families whose training graphs ORT cannot
build (no gradient for Einsum, GroupNorm/InstanceNormalization; LED's
Longformer attention is out: its NonZero has a data-dependent shape): tiny random
configurations in eval mode, exported by torch's TorchScript exporter (opset
17), imported, and run by muon-run against ONNX Runtime's inference with its
graph optimizations off (its optimized session rewrites BiT's weight
standardization less exactly) on both pipelines.

usage: hf_forward.py KIND --work DIR --bin BIN_DIR
prints `KIND: <pipeline> rel err E` per pipeline; exits 1 if one is over
the tolerance."""

import argparse
import os
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import torch

TOLERANCE = 1e-5
BATCH, SEQ, VOCAB, D, HEADS = 2, 16, 64, 32, 2


class Seq2Seq(torch.nn.Module):
    """An encoder-decoder fed the same ids on both sides, giving logits."""

    def __init__(self, model):
        super().__init__()
        self.m = model

    def forward(self, ids):
        return self.m(input_ids=ids, decoder_input_ids=ids, use_cache=False,
                      return_dict=False)[0]


def families():
    """KIND -> (model, example input)."""
    import transformers as T
    ids = torch.randint(0, VOCAB, (BATCH, SEQ), generator=torch.Generator().manual_seed(0))
    pixels = torch.randn(BATCH, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    return {
        # Relative positions computed in floats (Range bounds from float
        # shape arithmetic), pooled queries.
        "funnel": (lambda: T.FunnelModel(T.FunnelConfig(
            vocab_size=VOCAB, block_sizes=[1, 1], num_decoder_layers=1, d_model=D,
            n_head=HEADS, d_head=D // HEADS, d_inner=2 * D, max_position_embeddings=SEQ)), ids),
        # Two-stream relative attention written with Einsum.
        "xlnet": (lambda: T.XLNetModel(T.XLNetConfig(
            vocab_size=VOCAB, d_model=D, n_layer=2, n_head=HEADS, d_inner=2 * D)), ids),
        # Local attention blocks with transient global tokens.
        "longt5": (lambda: Seq2Seq(T.LongT5ForConditionalGeneration(T.LongT5Config(
            vocab_size=VOCAB, d_model=D, d_kv=D // HEADS, d_ff=2 * D, num_layers=1,
            num_heads=HEADS, local_radius=4, relative_attention_num_buckets=8,
            dropout_rate=0.0, decoder_start_token_id=0))), ids),
        # Pooling token mixers and GroupNorm (InstanceNormalization).
        "poolformer": (lambda: T.PoolFormerModel(T.PoolFormerConfig(
            num_channels=3, hidden_sizes=[16, 32], depths=[1, 1], patch_sizes=[7, 3],
            strides=[4, 2], padding=[2, 1], num_encoder_blocks=2, mlp_ratio=2.0)), pixels),
        # Weight-standardized convolutions and GroupNorm.
        "bit": (lambda: T.BitModel(T.BitConfig(
            embedding_size=16, hidden_sizes=[16, 32], depths=[1, 1], num_groups=4)), pixels),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("kind")
    parser.add_argument("--work", required=True)
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    torch.manual_seed(0)
    build, x = families()[args.kind]
    model = build().eval()
    path = lambda name: os.path.join(args.work, name)
    with torch.no_grad():
        torch.onnx.export(model, (x,), path("forward.onnx"), input_names=["x"],
                          output_names=["y"], opset_version=17, dynamo=False)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(path("forward.onnx"), options,
                                   providers=["CPUExecutionProvider"])
    np.save(path("x.npy"), x.numpy())
    expected = session.run(["y"], {"x": x.numpy()})[0]
    np.save(path("expected.npy"), expected)
    subprocess.run([os.path.join(args.bin, "muon-translate"), "--import-onnx",
                    path("forward.onnx"), "-o", path("forward.mlir")], check=True)
    failed = False
    for pipeline in ("cpu", "gpu-emulation"):
        out = path(f"y-{pipeline}.npy")
        subprocess.run([os.path.join(args.bin, "muon-run"), path("forward.mlir"),
                        f"--pipeline={pipeline}", "--input=@" + path("x.npy"),
                        "--output=@" + out], check=True, stdout=subprocess.DEVNULL)
        got = np.load(out)
        err = float(np.linalg.norm(got - expected) / np.linalg.norm(expected))
        print(f"{args.kind}: {pipeline} rel err {err:.3g}")
        failed |= not err <= TOLERANCE
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
