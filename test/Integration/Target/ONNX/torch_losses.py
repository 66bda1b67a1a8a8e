"""torch.nn.functional's losses as users write them inside a model, exported
by torch's TorchScript (opset 17) and dynamo (opset 18) exporters, imported
and run by muon-run on both pipelines against torch's own value (relative
error <= 1e-5).

usage: torch_losses.py --work DIR --bin BIN_DIR
prints one line per exporter and loss: `ok`, `not exported: ...` (the
exporter's own limit), `wrong file: ...` (an exporter writes a model ONNX
forbids or that computes another loss; the importer must reject it or
match ONNX Runtime on it) or `FAIL: ...`."""

import argparse
import os
import subprocess

import numpy as np
import onnxruntime as ort
import torch
import torch.nn.functional as F

N, C = 6, 5


def losses():
    """name -> (loss function, inputs)."""
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(N, C, generator=g), torch.randn(N, C, generator=g)
    labels = torch.randint(0, C, (N,), generator=g)
    p = torch.rand(N, C, generator=g)
    sign = torch.where(torch.rand(N, generator=g) > 0.5, 1.0, -1.0)
    return {
        "mse": (lambda a, b: F.mse_loss(a, b), [x, y]),
        "l1": (lambda a, b: F.l1_loss(a, b), [x, y]),
        "smooth_l1": (lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), [x, y]),
        "huber": (lambda a, b: F.huber_loss(a, b, delta=0.7), [x, y]),
        "cross_entropy": (lambda a, b: F.cross_entropy(a, b), [x, labels]),
        "nll": (lambda a, b: F.nll_loss(F.log_softmax(a, 1), b), [x, labels]),
        "nll_weighted": (lambda a, b: F.nll_loss(F.log_softmax(a, 1), b,
                                                 weight=torch.arange(1.0, C + 1)),
                         [x, labels]),
        "bce": (lambda a, b: F.binary_cross_entropy(torch.sigmoid(a), b), [x, p]),
        "bce_logits": (lambda a, b: F.binary_cross_entropy_with_logits(a, b), [x, p]),
        "kl_div": (lambda a, b: F.kl_div(F.log_softmax(a, 1), b, reduction="batchmean"),
                   [x, p.softmax(1)]),
        "poisson_nll": (lambda a, b: F.poisson_nll_loss(a, b), [x, p]),
        "gaussian_nll": (lambda a, b, v: F.gaussian_nll_loss(a, b, v), [x, y, p + 0.1]),
        "soft_margin": (lambda a, b: F.soft_margin_loss(a, b), [x, torch.sign(y)]),
        "multilabel_soft_margin": (lambda a, b: F.multilabel_soft_margin_loss(a, b),
                                   [x, (p > 0.5).float()]),
        "multi_margin": (lambda a, b: F.multi_margin_loss(a, b), [x, labels]),
        "cosine_embedding": (lambda a, b, c: F.cosine_embedding_loss(a, b, c), [x, y, sign]),
        "margin_ranking": (lambda a, b, c: F.margin_ranking_loss(a, b, c),
                           [x[:, 0].contiguous(), y[:, 0].contiguous(), sign]),
        "hinge_embedding": (lambda a, b: F.hinge_embedding_loss(a, b), [x, torch.sign(y)]),
        "triplet_margin": (lambda a, b, c: F.triplet_margin_loss(a, b, c),
                           [x, y, torch.randn(N, C, generator=g)]),
        # Soft targets: both exporters write SoftmaxCrossEntropyLoss with
        # float labels, which ONNX does not allow.
        "cross_entropy_probs": (lambda a, b: F.cross_entropy(a, b), [x, p.softmax(1)]),
        # The dynamo exporter drops label_smoothing (a plain cross-entropy).
        "cross_entropy_smoothing": (lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1),
                                    [x, labels]),
    }


class Loss(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *inputs):
        return self.fn(*inputs)


def check(name, fn, inputs, exporter, work, bin_dir):
    path = os.path.join(work, f"{name}-{exporter}")
    try:
        torch.onnx.export(Loss(fn), tuple(inputs), path + ".onnx",
                          opset_version=17 if exporter == "torchscript" else 18,
                          dynamo=exporter == "dynamo")
    except Exception as error:  # the exporter's own limit
        return "not exported: " + str(error).strip().splitlines()[0][:80]
    feeds = []
    for i, value in enumerate(inputs):
        feeds.append(f"{path}-in{i}.npy")
        np.save(feeds[-1], value.numpy())
    want = fn(*inputs).numpy()
    try:
        session = ort.InferenceSession(path + ".onnx", providers=["CPUExecutionProvider"])
        ort_value = session.run(None, {i.name: v.numpy() for i, v in
                                       zip(session.get_inputs(), inputs)})[0]
    except Exception:
        ort_value = None
    imported = subprocess.run([os.path.join(bin_dir, "muon-translate"), "--import-onnx",
                               path + ".onnx", "-o", path + ".mlir"],
                              capture_output=True, text=True)
    faithful = ort_value is not None and np.allclose(ort_value, want, rtol=1e-5, atol=0)
    if not faithful:
        # ONNX Runtime rejects the file or computes another loss: the file,
        # not the import, is wrong. Ours must reject it or agree with ORT.
        if imported.returncode != 0:
            return "wrong file: rejected: " + imported.stderr.strip().splitlines()[0][-90:]
        want = ort_value
        if want is None:
            return "FAIL: imported a file ONNX Runtime rejects"
    elif imported.returncode != 0:
        return "FAIL: " + imported.stderr.strip()
    np.save(path + "-want.npy", want)
    for pipeline in ("cpu", "gpu-emulation"):
        run = subprocess.run([os.path.join(bin_dir, "muon-run"), path + ".mlir",
                              f"--pipeline={pipeline}", "--expected_f32_threshold=1e-5",
                              f"--expected_output=@{path}-want.npy"]
                             + [f"--input=@{f}" for f in feeds],
                             capture_output=True, text=True)
        if run.returncode != 0:
            return f"FAIL: {pipeline}: " + run.stderr.strip()
    return "ok" if faithful else "wrong file: matches ONNX Runtime"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    for exporter in ("torchscript", "dynamo"):
        for name, (fn, inputs) in losses().items():
            result = check(name, fn, inputs, exporter, args.work, args.bin)
            print(f"{exporter} {name}: {result}", flush=True)


if __name__ == "__main__":
    main()
