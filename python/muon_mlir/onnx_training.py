"""One compiled training step from ONNX Runtime training artifacts.

`onnxruntime.training.artifacts.generate_artifacts` writes training_model.onnx
(forward + backward; each gradient is accumulated into a buffer by
InPlaceAccumulatorV2) and optimizer_model.onnx (one AdamWOptimizer over
sequences of parameters, gradients and moments). Both update their buffers in
place and output only "updated" flags. The importer works on values, so
`declare_inplace_outputs` declares the optional outputs those ops define for
the updated tensors (InPlaceAccumulatorV2's accumulation_buffer_out,
AdamWOptimizer's updated weights and moments) as graph outputs. The math is
unchanged: ONNX Runtime runs the same nodes.

`build_step` imports both graphs with muon-translate and adds

    func.func @step(idx, labels, params..., m..., v..., lr, t)
        -> (loss, params'..., m'..., v'...)

which calls the training graph (gradient buffers reset; the step count t
as the draw of its training-mode Dropouts, whose masks are thus fresh every
step and the same when a step is replayed) and feeds its gradients to the
optimizer graph: forward, backward and update in one module
for muon-compile or muon-run. Its parameter arguments carry their ONNX names,
so that after inlining `optim-assign` sees each AdamW update on a named
parameter (and the Gather that makes the embedding one).

`muon_mlir.training` compiles that step and trains with it (Trainer).
"""

import os
import re
import subprocess

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import helper


class OnnxImportError(RuntimeError):
    """A model could not be imported: muon-translate rejected it (the message
    has its diagnostics) or the file is no ONNX model (the message names it)."""


def load_model(path):
    """onnx.load, with a file protobuf cannot parse (truncated or corrupt)
    reported as an OnnxImportError naming it: protobuf's own error does not."""
    try:
        return onnx.load(path)
    except DecodeError as e:
        raise OnnxImportError(f"{path} is not a valid ONNX model "
                              f"(truncated or corrupt): {e}") from None

# An argument of the imported function: its type and ONNX name.
_ARGUMENT = re.compile(r'%[\w.$-]+: (tensor<[^>]*>) \{onnx\.name = "((?:[^"\\]|\\.)*)"')


def signature_types(body):
    """The types of the first function in the imported module `body`: its
    arguments {ONNX name: MLIR type} and its result types [MLIR type], the
    importer's static types (with the symbolic dimensions it bound)."""
    signature = body[body.index("func.func"):]
    signature = signature[:signature.index("{\n")]
    arguments, _, results = signature.partition(") -> ")
    return ({_unescape(name): type_ for type_, name in _ARGUMENT.findall(arguments)},
            re.findall(r"tensor<[^>]*>", results))


def _escape(text):
    """`text` as the contents of an MLIR string literal (_unescape's inverse):
    quotes, backslashes and control characters as \\XX."""
    return "".join("".join(f"\\{b:02X}" for b in c.encode())
                   if c in '"\\' or ord(c) < 0x20 or ord(c) == 0x7F else c for c in text)


def _unescape(text):
    """An MLIR string literal's contents as text: \\ and \\XX (hex bytes)."""
    return re.sub(rb"\\(\\|[0-9a-fA-F]{2})",
                  lambda m: b"\\" if m.group(1) == b"\\" else bytes([int(m.group(1), 16)]),
                  text.encode()).decode()


class TrainingGraph:
    """Names and types of the training graph's inputs and outputs."""

    def __init__(self, model, input_types):
        """`input_types`: {name: MLIR type} of the imported graph's inputs
        (signature_types)."""
        graph = model.graph
        self.inputs = {i.name: input_types[i.name] for i in graph.input}
        accumulators = [n for n in graph.node if n.op_type == "InPlaceAccumulatorV2"]
        # Parameter p's gradient accumulates into the buffer `<p>_grad.accumulation.buffer`.
        self.buffers = [n.input[0] for n in accumulators]
        self.params = [b[: -len("_grad.accumulation.buffer")] for b in self.buffers]
        self.data = [n for n in self.inputs
                     if n not in self.buffers and n not in self.params
                     and n != "lazy_reset_grad"]
        self.loss = graph.output[0].name


def set_dims(model, dims):
    """Gives the symbolic dimensions (dim_param names, such as a batch
    exported as dynamic) of `model`'s inputs, outputs and value_info the
    values in `dims`, in place: what muon-translate's --onnx-dim does, for
    the graphs this module reads. A name no dimension has is an error."""
    graph, unused = model.graph, set(dims)
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        for d in value.type.tensor_type.shape.dim:
            if d.HasField("dim_param") and d.dim_param in dims:
                unused.discard(d.dim_param)
                d.dim_value = dims[d.dim_param]  # clears dim_param (a oneof)
    if unused:
        raise ValueError(f"dims names {', '.join(sorted(unused))}, which no input, output "
                         "or value_info of the graph has")


def declare_inplace_outputs(training_model, optimizer_model):
    """Copies of the two artifacts with their in-place results as outputs."""
    training = onnx.ModelProto()
    training.CopyFrom(training_model)
    for node in training.graph.node:
        if node.op_type == "InPlaceAccumulatorV2" and len(node.output) < 2:
            name = node.input[0] + ".updated"
            node.output.append(name)
            training.graph.output.append(
                helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    optimizer = onnx.ModelProto()
    optimizer.CopyFrom(optimizer_model)
    nodes = [n for n in optimizer.graph.node if n.op_type == "AdamWOptimizer"]
    if len(nodes) != 1:
        raise ValueError(
            f"the optimizer model has {len(nodes)} AdamWOptimizer nodes (ops: "
            f"{', '.join(sorted({n.op_type for n in optimizer.graph.node}))}); the training "
            "step joins exactly one, as generate_artifacts makes it with optim.AdamW")
    (node,) = nodes
    sequence = helper.make_sequence_type_proto(
        helper.make_tensor_type_proto(onnx.TensorProto.FLOAT, None))
    for name in ["updated_params", "updated_first_order_moments",
                 "updated_second_order_moments"][len(node.output) - 1:]:
        node.output.append(name)
        optimizer.graph.output.append(helper.make_value_info(name, sequence))
    return training, optimizer


def set_adam_mode(optimizer_model, mode):
    """Sets adam_mode of the AdamWOptimizer nodes: generate_artifacts
    hard-codes 1 (Hugging Face AdamW: bias correction folded into the
    learning rate, epsilon outside it, decay after the update); 0 is
    torch.optim.AdamW. ONNX Runtime's kernel and the importer take both."""
    for node in optimizer_model.graph.node:
        for attr in node.attribute:
            if node.op_type == "AdamWOptimizer" and attr.name == "adam_mode":
                attr.i = mode


def scalarize_optimizer_io(optimizer_model):
    """The importer takes lr and step as 0-d tensors and makes the updated
    flag 0-d; ONNX Runtime declares all three with shape [1]."""
    graph = optimizer_model.graph
    for value in list(graph.input) + list(graph.output):
        if value.type.HasField("tensor_type"):
            dims = value.type.tensor_type.shape.dim
            if len(dims) == 1 and dims[0].dim_value == 1:
                del dims[:]


def prepare_artifacts(directory, work, adam_mode=None, dims=None):
    """Writes to `work` the copies of generate_artifacts' models in
    `directory` that build_step imports: in-place results declared,
    optimizer scalars 0-d; with `adam_mode`, set_adam_mode; with `dims`,
    set_dims. The artifacts themselves are not changed. Returns the
    (training, optimizer) paths."""
    paths = []
    for name in ("training_model.onnx", "optimizer_model.onnx"):
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path} does not exist: a directory of "
                                    "onnxruntime.training.artifacts.generate_artifacts "
                                    "holds training_model.onnx and optimizer_model.onnx")
        paths.append(path)
    training, optimizer = declare_inplace_outputs(load_model(paths[0]), load_model(paths[1]))
    if adam_mode is not None:
        set_adam_mode(optimizer, adam_mode)
    scalarize_optimizer_io(optimizer)
    if dims:
        set_dims(training, dims)
    prepared = (os.path.join(work, "training_import.onnx"),
                os.path.join(work, "optimizer_import.onnx"))
    onnx.save(training, prepared[0])
    onnx.save(optimizer, prepared[1])
    return prepared


def initializers(path):
    """{name: array} of the initializers of the ONNX model at `path` (the
    exported weights: the values generate_artifacts' checkpoint holds)."""
    from onnx import numpy_helper
    # np.array, not ascontiguousarray: that makes a 0-d weight 1-d.
    return {i.name: np.array(numpy_helper.to_array(i), order="C")
            for i in load_model(path).graph.initializer}


# The argument muon-translate adds to a graph with random ops (training-mode
# Dropout): the step counter their draws are a function of.
RANDOM_STEP = "muon.random_step"


def import_body(translate, path, extra_args=()):
    """The body of the imported module. Locations are kept: every op carries
    its ONNX node name, which diagnostics of later passes report."""
    proc = subprocess.run([translate, "--import-onnx", path, "--mlir-print-local-scope",
                           "--mlir-print-debuginfo", *extra_args],
                          capture_output=True, text=True)
    if proc.returncode != 0:  # the importer's located message, not only its status
        raise OnnxImportError(f"muon-translate could not import {path}:\n{proc.stderr.strip()}")
    text = proc.stdout
    body = re.sub(r"\s*loc\([^\n]*\)$", "", text.strip())
    assert body.startswith("module {") and body.endswith("}"), body[:200]
    return body[len("module {"):-1]


def rename_function(body, name):
    body, count = re.subn(r"func\.func @[\w.$-]+\(", f"func.func private @{name}(",
                          body, count=1)
    assert count == 1
    return body


def build_step(translate, training_path, optimizer_path, work_prefix, in_place=False):
    """Imports the (prepared) artifacts and returns the step module's text and
    the TrainingGraph describing its arguments. `in_place` marks the updated
    parameters and moments as results computed into their own arguments'
    buffers (`optim.aliasing_output`: muon-compile's in-place ABI), so the
    step returns only the loss."""
    training_model = load_model(training_path)
    train = import_body(translate, training_path)
    graph = TrainingGraph(training_model, signature_types(train)[0])
    train = rename_function(train, "train")
    param_types = [graph.inputs[p] for p in graph.params]
    shapes = ",".join(t[len("tensor<"):-1] for t in param_types)
    sequences = [f"--onnx-sequence={s}={shapes}" for s in
                 ("params", "gradients", "first_order_moments", "second_order_moments")]
    optim = rename_function(import_body(translate, optimizer_path, sequences), "optimizer")

    n = len(graph.params)
    args = [f"%{i}: {graph.inputs[d]}" for i, d in enumerate(graph.data)]
    data = [f"%{i}" for i in range(len(graph.data))]
    p = [f"%p{i}" for i in range(n)]
    m = [f"%m{i}" for i in range(n)]
    v = [f"%v{i}" for i in range(n)]
    # Parameters keep their ONNX names (optim-assign's routing reads them).
    for suffix, values in (("", p), (".m", m), (".v", v)):
        args += [f'{x}: {t} {{onnx.name = "{_escape(name + suffix)}"}}'
                 for x, t, name in zip(values, param_types, graph.params)]
    args += ["%lr: tensor<f32>", "%t: tensor<i64>"]

    lines = []
    zeros = []
    for i, t in enumerate(param_types):
        lines.append(f"    %z{i} = arith.constant dense<0.0> : {t}")
        zeros.append(f"%z{i}")
    lines.append("    %reset = arith.constant dense<true> : tensor<1xi1>")
    train_args = []
    for name in graph.inputs:
        if name in graph.data:
            train_args.append(data[graph.data.index(name)])
        elif name in graph.params:
            train_args.append(p[graph.params.index(name)])
        elif name in graph.buffers:
            train_args.append(zeros[graph.buffers.index(name)])
        else:
            train_args.append("%reset")
    train_types = list(graph.inputs.values())
    if f'onnx.name = "{RANDOM_STEP}"' in train:
        # Training-mode Dropout draws its masks from the step count.
        train_args.append("%t")
        train_types.append("tensor<i64>")
    outputs = [o.name for o in training_model.graph.output]
    if len(outputs) != 1 + 2 * n:
        extra = [o for o in outputs[1:] if "_grad.accumulation." not in o]
        raise OnnxImportError(
            f"{training_path}: the training graph has outputs besides the loss and the "
            f"gradient accumulators ({', '.join(extra)}; generate_artifacts' "
            "additional_output_names): the compiled step returns the loss only; make the "
            "artifacts without them")
    train_results = ["tensor<f32>"] + ["tensor<1xi1>"] * n + param_types
    lines.append(f"    %tr:{len(train_results)} = call @train({', '.join(train_args)}) : "
                 f"({', '.join(train_types)}) -> ({', '.join(train_results)})")
    grads = [f"%tr#{1 + n + i}" for i in range(n)]
    opt_args = ["%lr", "%t"] + p + grads + m + v
    opt_types = ["tensor<f32>", "tensor<i64>"] + param_types * 4
    opt_results = ["tensor<i1>"] + param_types * 3
    lines.append(f"    %op:{len(opt_results)} = call @optimizer({', '.join(opt_args)}) : "
                 f"({', '.join(opt_types)}) -> ({', '.join(opt_results)})")
    results = ["%tr#0"] + [f"%op#{1 + i}" for i in range(3 * n)]
    result_types = ["tensor<f32>"] + param_types * 3
    lines.append(f"    return {', '.join(results)} : {', '.join(result_types)}")
    if in_place:
        # Arguments: data, then p, m, v (the results' order), then lr, t.
        first = len(graph.data)
        args[first:first + 3 * n] = [
            f"{arg[:-1]}, optim.aliasing_output = {1 + i} : i64}}"
            for i, arg in enumerate(args[first:first + 3 * n])]
    step = (f"  func.func @step({', '.join(args)}) -> ({', '.join(result_types)}) {{\n"
            + "\n".join(lines) + "\n  }\n")
    return "module {\n" + train + optim + step + "}\n", graph
