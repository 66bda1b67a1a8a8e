"""muon_mlir.training on models whose batch is more than (ids, labels):
exports a model with training.export_artifacts, trains it with
Trainer.from_artifacts (initial weights from the artifacts' checkpoint) and
with ONNX Runtime's training API on the same batches, and compares every
loss and parameter; then checks what a wrong batch does (ValueError naming
the input, parameters and moments untouched) and the state_dict round trip.

    check_training.py MODEL WORK_DIR [--device cpu|emulated] [--optimizer muon|muon2]
                      [--freeze NAME]...
    check_training.py errors WORK_DIR   (after `image WORK_DIR`: its artifacts)

ORT cannot run Muon: with --optimizer, the reference is the same optimizer's
step compiled for the CPU (whose Muon is checked against torch elsewhere),
and --device emulated compares the GPU program with it.

Models: "bert" (Hugging Face BertForSequenceClassification: input_ids,
attention_mask with padding, token_type_ids, labels), "image" (a CNN on
float images: Conv2d, BatchNorm2d, MaxPool2d, AdaptiveAvgPool2d, labels),
"causal" (a causal Conv1d language model whose exported labels have a
symbolic dimension).
"""

import argparse
import copy
import os
import pickle
import sys

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "python"))

from muon_mlir.testing.training_parity import compare  # noqa: E402
from muon_mlir.training import Trainer, export_artifacts  # noqa: E402

BATCH, SEQ, VOCAB, CLASSES = 4, 12, 50, 3


class Bert(nn.Module):
    def __init__(self):
        super().__init__()
        import transformers
        config = transformers.BertConfig(
            vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            intermediate_size=64, max_position_embeddings=SEQ, type_vocab_size=2,
            num_labels=CLASSES, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
            attn_implementation="eager")
        self.m = transformers.BertForSequenceClassification(config)

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.m(input_ids=input_ids, attention_mask=attention_mask,
                      token_type_ids=token_type_ids, return_dict=False)[0]


class Causal(nn.Module):
    """A causal convolution (F.pad on the left) whose logits torch exports
    reshaped to (-1, V): the labels' dimension stays symbolic in the export,
    and from_artifacts infers it from the logits."""

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, 16)
        self.conv = nn.Conv1d(16, 16, 3)
        self.out = nn.Linear(16, VOCAB)

    def forward(self, idx):
        h = self.tok(idx).transpose(1, 2)
        h = torch.relu(self.conv(nn.functional.pad(h, (2, 0)))).transpose(1, 2)
        return self.out(h).reshape(-1, VOCAB)


class Image(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            # No bias before BatchNorm: its gradient is zero in exact arithmetic.
            nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Linear(16, CLASSES)

    def forward(self, pixels):
        return self.head(self.features(pixels).flatten(1))


def batches(model, rng, steps):
    """`steps` batches {input name: array} with the labels last."""
    out = []
    for _ in range(steps):
        if model == "causal":
            batch = {"idx": rng.integers(0, VOCAB, (BATCH, SEQ))}
            batch["labels"] = rng.integers(0, VOCAB, BATCH * SEQ)
            out.append(batch)
            continue
        if model == "bert":
            mask = np.ones((BATCH, SEQ), np.int64)
            mask[1, -4:] = 0  # padding
            batch = {"input_ids": rng.integers(0, VOCAB, (BATCH, SEQ)),
                     "attention_mask": mask,
                     "token_type_ids": (np.arange(SEQ) >= SEQ // 2).astype(np.int64)
                     .repeat(BATCH).reshape(SEQ, BATCH).T.copy()}
        else:
            batch = {"pixels": rng.standard_normal((BATCH, 3, 16, 16)).astype(np.float32)}
        batch["labels"] = rng.integers(0, CLASSES, BATCH)
        out.append(batch)
    return out


def ort_run(directory, data, lr):
    from onnxruntime.training import api
    state = api.CheckpointState.load_checkpoint(os.path.join(directory, "checkpoint"))
    module = api.Module(os.path.join(directory, "training_model.onnx"), state)
    optimizer = api.Optimizer(os.path.join(directory, "optimizer_model.onnx"), module)
    optimizer.set_learning_rate(lr)
    module.train()
    losses = []
    for batch in data:
        losses.append(float(module(*batch.values())))
        optimizer.step()
        module.lazy_reset_grad()
    return losses, {name: p.data for name, p in state.parameters}


def check_bad_batches(trainer, batch):
    """Each wrong batch raises ValueError naming the input; nothing moves."""
    before = trainer.state_dict()
    name, shape, dtype = trainer.inputs[0]
    wrong = {
        "missing": {k: v for k, v in batch.items() if k != name},
        "unknown": {**batch, "extra": batch[name]},
        "shape": {**batch, name: np.zeros(shape[:-1] + (shape[-1] + 1,), batch[name].dtype)},
        "dtype": {**batch, name: batch[name].astype(np.int32 if dtype == "i64" else np.float64)},
        "count": list(batch.values())[:-1],
    }
    if name in ("input_ids", "idx"):
        wrong["token id"] = {**batch, name: np.full(shape, VOCAB, np.int64)}
    for what, bad in wrong.items():
        try:
            trainer.step(bad, lr=1e-2)
        except ValueError as e:
            print(f"bad batch ({what}): ValueError: {e}")
        else:
            print(f"bad batch ({what}): no error")
            return 1
    for lr in (float("nan"), -1e-2, np.full(2, 1e-2), 1e39):  # 1e39: inf as float32
        try:
            trainer.step(batch, lr=lr)
        except ValueError as e:
            print(f"bad lr: ValueError: {e}")
        else:
            print(f"bad lr ({lr!r}): no error")
            return 1
    after = trainer.state_dict()
    moved = [n for n in before["params"] if not all(
        np.array_equal(before[k][n], after[k][n]) for k in ("params", "exp_avg", "exp_avg_sq"))]
    print(f"after the bad batches: step {after['step']}, moved parameters: {moved or 'none'}")
    return 1 if moved or after["step"] != before["step"] else 0


def check_errors(work):
    """What from_artifacts says about artifacts and options it cannot take."""
    import shutil

    import onnx
    from onnxruntime.training import artifacts
    from onnxruntime.training.onnxblock.optim import SGD, AdamW
    from muon_mlir.onnx_training import OnnxImportError, initializers
    image = os.path.join(os.path.dirname(os.path.abspath(work)), "image")
    os.makedirs(work, exist_ok=True)
    weights = initializers(os.path.join(image, "forward.onnx"))
    sgd = os.path.join(work, "sgd")
    os.makedirs(sgd, exist_ok=True)
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    extra = os.path.join(work, "extra")
    os.makedirs(extra, exist_ok=True)
    forward = onnx.load(os.path.join(image, "forward.onnx"))
    try:
        artifacts.generate_artifacts(
            forward, requires_grad=["head.weight"],
            loss=artifacts.LossType.CrossEntropyLoss, optimizer=SGD(), artifact_directory=sgd)
        # The logits as an output of the training graph besides the loss.
        artifacts.generate_artifacts(
            forward, requires_grad=["head.weight"], loss=artifacts.LossType.CrossEntropyLoss,
            optimizer=AdamW(), artifact_directory=extra,
            additional_output_names=[forward.graph.output[0].name])
    finally:
        os.dup2(saved, 2)
    unsupported = os.path.join(work, "unsupported")
    shutil.copytree(image, unsupported)
    model = onnx.load(os.path.join(unsupported, "training_model.onnx"))
    next(n for n in model.graph.node if n.op_type == "Relu").op_type = "MadeUpOp"
    onnx.save(model, os.path.join(unsupported, "training_model.onnx"))
    symbolic = os.path.join(work, "symbolic")
    shutil.copytree(image, symbolic)
    model = onnx.load(os.path.join(symbolic, "training_model.onnx"))
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "batch"
    onnx.save(model, os.path.join(symbolic, "training_model.onnx"))
    wrong_shape = dict(weights, **{"head.weight": np.zeros((2, 2), np.float32)})
    cases = {
        "no artifacts": dict(directory=os.path.join(work, "missing")),
        "optimizer": dict(directory=image, optimizer="sgd"),
        "device": dict(directory=image, device="tpu"),
        "gemm precision on the CPU": dict(directory=image, gemm_precision="bf16"),
        "SGD artifacts": dict(directory=sgd),
        "unsupported op": dict(directory=unsupported),
        "symbolic batch": dict(directory=symbolic),
        "weights missing": dict(directory=image, parameters={}),
        "weight shape": dict(directory=image, parameters=wrong_shape),
        "additional outputs": dict(directory=extra),
    }
    failed = 0
    for what, kwargs in cases.items():
        try:
            Trainer.from_artifacts(verbose=False, **kwargs)
        except (ValueError, FileNotFoundError, OnnxImportError) as e:
            lines = str(e).splitlines()
            # The importer's located diagnostic follows its first line.
            print(f"{what}: {type(e).__name__}: {lines[-1] if len(lines) > 1 else lines[0]}")
        else:
            print(f"{what}: no error")
            failed = 1
    try:
        export_artifacts(TwoOutputs(), {"idx": torch.zeros(BATCH, SEQ, dtype=torch.int64)},
                         os.path.join(work, "two"), loss="MSELoss")
        print("two outputs: no error")
        failed = 1
    except ValueError as e:
        print(f"two outputs: ValueError: {e}")
    return failed | check_quoted_name(os.path.join(work, "quoted"))


class TwoOutputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok, self.out = nn.Embedding(VOCAB, 8), nn.Linear(8, VOCAB)

    def forward(self, idx):
        h = self.tok(idx)
        return self.out(h), h.mean()


class Quoted(nn.Module):
    """A parameter whose name holds a quote and a backslash (ONNX and torch
    names may hold any character but '.')."""

    NAME = 'w"\\41'

    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, 8)
        self.register_parameter(self.NAME, nn.Parameter(torch.randn(8, VOCAB)))

    def forward(self, idx):
        return (self.tok(idx) @ getattr(self, self.NAME)).reshape(-1, VOCAB)


def check_quoted_name(work):
    """The step module names parameters in MLIR string literals; Muon's
    routing (optim-assign) reads them back."""
    torch.manual_seed(0)
    export_artifacts(Quoted(), {"idx": torch.zeros(BATCH, SEQ, dtype=torch.int64)}, work)
    trainer = Trainer.from_artifacts(work, optimizer="muon", verbose=False)
    rng = np.random.default_rng(0)
    loss = trainer.step((rng.integers(0, VOCAB, (BATCH, SEQ)),
                         rng.integers(0, VOCAB, BATCH * SEQ)), lr=1e-2)
    names = sorted(trainer.parameters())
    print(f"quoted parameter name: parameters {names}, loss {'finite' if np.isfinite(loss) else loss}")
    return 0 if Quoted.NAME in names and np.isfinite(loss) else 1


def main():
    if sys.argv[1] == "errors":
        return check_errors(sys.argv[2])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=["bert", "causal", "image"])
    parser.add_argument("work")
    parser.add_argument("--device", default="cpu", choices=["cpu", "emulated"])
    parser.add_argument("--optimizer", default="adamw", choices=["adamw", "muon", "muon2"])
    parser.add_argument("--freeze", action="append", default=[],
                        help="a parameter generate_artifacts keeps frozen (its weight "
                             "comes from the checkpoint, once)")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--rtol", type=float, default=1e-5)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = {"bert": Bert, "causal": Causal, "image": Image}[args.model]()
    rng = np.random.default_rng(1)
    data = batches(args.model, rng, args.steps + 1)
    example = {k: torch.from_numpy(v) for k, v in data[0].items() if k != "labels"}
    export_artifacts(model, example, args.work, frozen=args.freeze)

    trainer = Trainer.from_artifacts(args.work, device=args.device, optimizer=args.optimizer,
                                     verbose=False)
    print("inputs:", ", ".join(f"{n} {dtype}{list(shape)}" for n, shape, dtype in trainer.inputs))
    initial = trainer.state_dict()["params"]
    ours = [trainer.step(batch, lr=args.lr) for batch in data[:args.steps]]
    if args.optimizer == "adamw":
        theirs, reference = ort_run(args.work, data[:args.steps], args.lr)
        reference_name = "ort"
    else:
        cpu = Trainer.from_artifacts(args.work, optimizer=args.optimizer, verbose=False)
        theirs = [cpu.step(batch, lr=args.lr) for batch in data[:args.steps]]
        reference, reference_name = cpu.parameters(), "cpu"
    # Softmax is invariant to the key bias (it adds q.b_k to a whole row of
    # scores): its gradient is rounding noise, checked to stay small.
    zero_gradient = {n: slice(0, v.shape[0]) for n, v in initial.items()
                     if n.endswith("attention.self.key.bias")}
    worst = compare(ours, theirs, trainer.parameters(), reference, reference_name, initial,
                    zero_gradient)
    print(f"{args.model} ({args.optimizer}, {args.device}): {args.steps} steps, "
          f"{len(initial)} parameters, max rel err {worst:.2e} against {reference_name} "
          f"(tolerance {args.rtol:.0e})")
    failed = worst > args.rtol

    failed |= check_bad_batches(trainer, data[args.steps])
    # The state round trip: a step from a restored state_dict repeats the
    # step taken from it, exactly.
    saved = trainer.state_dict()
    first = trainer.step(data[args.steps], lr=args.lr)
    stepped = trainer.state_dict()
    trainer.load_state_dict(saved)
    again = trainer.step(data[args.steps], lr=args.lr)
    same = first == again and all(np.array_equal(stepped["params"][n], p)
                                  for n, p in trainer.parameters().items())
    print(f"state_dict round trip: step {saved['step']} -> {trainer.state_dict()['step']}, "
          f"repeated step {'identical' if same else 'DIFFERS'}")
    failed |= not same
    # A state dict bad in its last entry changes nothing (checked whole first).
    before = trainer.state_dict()
    bad = {**before, "exp_avg_sq": {**before["exp_avg_sq"]}}
    last = trainer.names[-1]
    bad["exp_avg_sq"][last] = np.zeros(before["exp_avg_sq"][last].shape + (2,), np.float32)
    try:
        trainer.load_state_dict(bad)
        print("bad state_dict: no error")
        failed = True
    except ValueError as e:
        after = trainer.state_dict()
        kept = after["step"] == before["step"] and all(
            np.array_equal(before[k][n], after[k][n])
            for k in ("params", "exp_avg", "exp_avg_sq") for n in trainer.names)
        print(f"bad state_dict: ValueError: {e} [state {'unchanged' if kept else 'CHANGED'}]")
        failed |= not kept
    failed |= check_copies(trainer, data[args.steps], args.lr)
    return 1 if failed else 0


def check_copies(trainer, batch, lr):
    """Copies and pickles step as the original does, in their own buffers;
    a Fortran-ordered first batch and parameters replaced between steps are
    taken; a replacement of the wrong shape raises naming the parameter."""
    twin = copy.deepcopy(trainer)
    thawed = pickle.loads(pickle.dumps(trainer))
    # Fortran order (a transposed array's layout) in the copy's first batch.
    fortran = {n: np.asfortranarray(v) for n, v in batch.items()}
    losses = [trainer.step(batch, lr=lr), twin.step(fortran, lr=lr), thawed.step(batch, lr=lr)]
    same = lambda a, b: all(np.array_equal(a.parameters()[n], b.parameters()[n])
                            for n in a.names)
    copied = len(set(losses)) == 1 and same(trainer, twin) and same(trainer, thawed)
    print(f"copies: losses {'identical' if len(set(losses)) == 1 else losses}, parameters "
          f"{'identical' if copied else 'DIFFER'}")
    twin.params[0] = twin.params[0].copy()
    twin.step(batch, lr=lr)
    trainer.step(batch, lr=lr)
    replaced = same(trainer, twin)
    print(f"replaced parameter: {'stepped' if replaced else 'NOT STEPPED'}")
    twin.params[0] = np.zeros(twin.params[0].shape + (1,), np.float32)
    try:
        twin.step(batch, lr=lr)
        print("replaced parameter of another shape: no error")
        return True
    except ValueError as e:
        print(f"replaced parameter of another shape: ValueError: {e}")
    return not (copied and replaced)


if __name__ == "__main__":
    sys.exit(main())
