"""The training model ONNX Runtime runs as the reference of a compiled step,
where ORT cannot run the artifacts as they are.

- Training-mode Dropout: ORT draws masks from its own generator, the
  compiled step from a hash of the node's seed, the step count and the
  element (lib/Target/ONNX/Ops/Dropout.cpp). `pin_dropouts` gives each such
  Dropout of training_model.onnx a seed (the import reads it); ORT's copy
  multiplies by a scale and takes the mask as inputs, which `mask_inputs`
  computes with muon_mlir.testing.dropout_masks (an independent numpy
  implementation of the generator). RandomUniform(Like) (drop path's
  torch.rand) alike: seeded, and ORT's copy takes its values as an input.
- com.microsoft ConvTransposeGrad exists in ORT for CUDA only: ORT's copy
  spells it with its CPU kernels as its definition reads (dX = Conv(dY, W),
  dW = ConvGrad's with X and dY in each other's roles, dB = ReduceSum(dY);
  test/Target/ONNX/Ops checks the op itself against torch).

- com.microsoft ResizeGrad exists in ORT for CUDA only too (and for no
  device in modes nearest and cubic): ORT's copy spells each ResizeGrad(dY, X) as dY
  contracted with each spatial axis' map (A_hᵀ · dY · A_w in 2-D; 1-D and
  3-D alike), the maps of torch's 1-D interpolation of the identity
  (bilinear: upsample_bilinear2d's backward, which ORT's kernel follows;
  nearest: asymmetric floor, as torch exports it; bicubic: torch's, with
  cubic_coeff_a -0.75 and taps past the edge read at it, as torch exports
  it; the ratio in/out, which is 1/scale for integer scales).

- ORT's ConvGrad kernel ignores auto_pad (computing the gradient of the
  unpadded convolution) where its Conv honours it: torch's
  padding="same" exports auto_pad SAME_UPPER. ORT's copy spells those pads
  out, as the importer reads auto_pad.

`write_model` writes that copy (training_model_ort.onnx) when one is needed
and returns the file name ORT's training API loads.
"""

import os

import numpy as np
import onnx
from onnx import helper

from muon_mlir.testing.dropout_masks import dropout_mask, uniform

RANDOM_UNIFORM = ("RandomUniform", "RandomUniformLike")


def _constants(model):
    values = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            values[node.output[0]] = onnx.numpy_helper.to_array(node.attribute[0].t)
    return values


def pin_dropouts(directory, first_seed=1000):
    """Seeds the training-mode Dropouts and the RandomUniform(Like)s of
    training_model.onnx. Returns [(name, output shape, seed, draw)] per node,
    draw being a Dropout's ratio or a RandomUniform's (low, high)."""
    path = os.path.join(directory, "training_model.onnx")
    model = onnx.load(path)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in onnx.shape_inference.infer_shapes(model, data_prop=True).graph.value_info}
    constants, dropouts = _constants(model), []
    for node in model.graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type in RANDOM_UNIFORM:
            draw = (attrs.get("low", 0.0), attrs.get("high", 1.0))
            seed = float(first_seed + len(dropouts))
        elif node.op_type == "Dropout" and bool(constants[node.input[2]]):
            draw, seed = float(constants[node.input[1]]), first_seed + len(dropouts)
        else:
            continue
        del node.attribute[:]
        attrs["seed"] = seed
        node.attribute.extend(helper.make_attribute(k, v) for k, v in attrs.items())
        dropouts.append((node.name, shapes[node.output[0]], int(seed), draw))
    if dropouts:
        onnx.save(model, path)
    return dropouts


def mask_inputs(dropouts):
    """The inputs ORT's copy takes at a step (from 1, the compiled step's
    count): per Dropout, its scale (mask / (1 - ratio)) and mask; per
    RandomUniform(Like), its values."""
    def inputs(step):
        feeds = []
        for _, shape, seed, draw in dropouts:
            if isinstance(draw, tuple):
                feeds.append(uniform(shape, seed, step, *draw))
                continue
            mask = dropout_mask(shape, seed, step, draw)
            feeds += [mask * np.float32(1.0 / (1.0 - draw)), mask]
        return feeds
    return inputs


def _dropout_as_inputs(model, node, dropouts):
    (shape,) = [shape for name, shape, _, _ in dropouts if name == node.name]
    if node.op_type in RANDOM_UNIFORM:
        values = f"{node.name}.values"
        model.graph.input.append(
            helper.make_tensor_value_info(values, onnx.TensorProto.FLOAT, shape))
        return [helper.make_node("Identity", [values], [node.output[0]])]
    scale, mask = f"{node.name}.scale", f"{node.name}.mask"
    model.graph.input.append(helper.make_tensor_value_info(scale, onnx.TensorProto.FLOAT, shape))
    model.graph.input.append(helper.make_tensor_value_info(mask, onnx.TensorProto.BOOL, shape))
    return [helper.make_node("Mul", [node.input[0], scale], [node.output[0]]),
            helper.make_node("Identity", [mask], [node.output[1]])]


def _conv_transpose_grad(model, node):
    dy, x, w = node.input
    dx, dw, db = list(node.output) + [""] * (3 - len(node.output))
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute
             if a.name not in ("output_padding", "output_shape")}
    nodes = []
    if dx:
        nodes.append(helper.make_node("Conv", [dy, w], [dx], **attrs))
    if dw:
        nodes.append(helper.make_node("ConvGrad", [x, dy, w], ["", dw], domain="com.microsoft",
                                      **attrs))
    if db:
        axes = dy + "_bias_axes"
        rank = len(attrs["kernel_shape"])
        model.graph.initializer.append(onnx.numpy_helper.from_array(
            np.array([0] + list(range(2, 2 + rank)), np.int64), axes))
        nodes.append(helper.make_node("ReduceSum", [dy, axes], [db], keepdims=0))
    return nodes


def _resize_shapes(directory):
    """Each Resize's input and output shapes, by running forward.onnx (its
    scales are computed, which shape inference does not fold), by input."""
    import onnxruntime as ort
    forward = onnx.load(os.path.join(directory, "forward.onnx"))
    resizes = {n.input[0]: n.output[0] for n in forward.graph.node if n.op_type == "Resize"}
    names = [name for pair in resizes.items() for name in pair]
    forward.graph.output.extend(helper.make_empty_tensor_value_info(n) for n in names)
    # Zeros of each input's own type (token ids, or a float image).
    feeds = {i.name: np.zeros([d.dim_value for d in i.type.tensor_type.shape.dim],
                              helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type))
             for i in forward.graph.input}
    values = ort.InferenceSession(forward.SerializeToString(),
                                  providers=["CPUExecutionProvider"]).run(names, feeds)
    shapes = dict(zip(names, (v.shape for v in values)))
    result = {x: (shapes[x], shapes[y]) for x, y in resizes.items()}
    # ORT's training graph drops a Cast to X's own type (DINOv2's
    # .to(float32)) before the Resize: its ResizeGrad names the Cast's input.
    for node in forward.graph.node:
        if node.op_type == "Cast" and node.output[0] in result:
            result[node.input[0]] = result[node.output[0]]
    return result


def _transposed_map(size_in, size_out, mode, corners):
    """[in, out]: torch's 1-D interpolation of the identity (nearest: ONNX's
    asymmetric floor, as torch exports it; bicubic, 2-D only in torch: along
    a height with a width of 1)."""
    import torch
    from torch.nn import functional as F
    eye = torch.eye(size_in).unsqueeze(0)
    if mode == "bicubic":
        return F.interpolate(eye.unsqueeze(-1), size=(size_out, 1), mode=mode,
                             align_corners=corners)[0, ..., 0].numpy()
    return F.interpolate(eye, size=size_out, mode=mode, align_corners=corners)[0].numpy()


def _resize_grad(node, shapes):
    """dY contracted with each spatial axis' transposed map in turn (the
    axis moved last, a MatMul by map [out, in], moved back): any rank."""
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    corners = attrs.get("coordinate_transformation_mode") == b"align_corners"
    mode = {b"nearest": "nearest", b"linear": "linear", b"cubic": "bicubic"}[
        attrs.get("mode", b"nearest")]
    corners = None if mode == "nearest" else corners
    x_shape, y_shape = shapes[node.input[1]]
    rank, name = len(x_shape), node.output[0]
    nodes, value = [], node.input[0]
    for axis in range(2, rank):
        perm = [d for d in range(rank) if d != axis] + [axis]
        back = [perm.index(d) for d in range(rank)]
        grad_map = _transposed_map(x_shape[axis], y_shape[axis], mode, corners).T.copy()
        step = f"{name}_axis{axis}"
        out = name if axis == rank - 1 else step
        nodes += [helper.make_node("Constant", [], [step + "_map"],
                                   value=onnx.numpy_helper.from_array(grad_map)),
                  helper.make_node("Transpose", [value], [step + "_last"], perm=perm),
                  helper.make_node("MatMul", [step + "_last", step + "_map"], [step + "_in"]),
                  helper.make_node("Transpose", [step + "_in"], [out], perm=back)]
        value = out
    return nodes


def _explicit_pads(node, shapes):
    """ConvGrad with auto_pad VALID/SAME_UPPER/SAME_LOWER as explicit pads
    (ONNX's definition) for X's spatial shape."""
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    mode = attrs.pop("auto_pad").decode()
    spatial, kernel = shapes[node.input[1]][2:], attrs["kernel_shape"]
    begin, end = [], []
    for i, (size, k) in enumerate(zip(spatial, kernel)):
        stride = attrs.get("strides", [1] * len(spatial))[i]
        extent = (k - 1) * attrs.get("dilations", [1] * len(spatial))[i] + 1
        total = 0 if mode == "VALID" else max(0, (-(-size // stride) - 1) * stride
                                               + extent - size)
        begin.append(total // 2 if mode != "SAME_LOWER" else total - total // 2)
        end.append(total - begin[-1])
    return [helper.make_node("ConvGrad", node.input, node.output, name=node.name,
                             domain=node.domain, pads=begin + end, **attrs)]


def _auto_pad(node):
    return any(a.name == "auto_pad" and a.s not in (b"", b"NOTSET") for a in node.attribute)


def write_model(directory, dropouts):
    """Writes ORT's copy of training_model.onnx if it needs one; returns
    the file name to load."""
    model = onnx.load(os.path.join(directory, "training_model.onnx"))
    pinned = {name for name, _, _, _ in dropouts}
    resizes = (_resize_shapes(directory)
               if any(n.op_type == "ResizeGrad" for n in model.graph.node) else {})
    shapes = {}
    if any(n.op_type == "ConvGrad" and _auto_pad(n) for n in model.graph.node):
        inferred = onnx.shape_inference.infer_shapes(model).graph
        shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
                  for v in list(inferred.value_info) + list(inferred.input)}
    nodes, changed = [], False
    for node in model.graph.node:
        if node.op_type in ("Dropout",) + RANDOM_UNIFORM and node.name in pinned:
            nodes += _dropout_as_inputs(model, node, dropouts)
        elif node.op_type == "ConvTransposeGrad":
            nodes += _conv_transpose_grad(model, node)
        elif node.op_type == "ResizeGrad":
            nodes += _resize_grad(node, resizes)
        elif node.op_type == "ConvGrad" and _auto_pad(node):
            nodes += _explicit_pads(node, shapes)
        else:
            nodes.append(node)
            continue
        changed = True
    if not changed:
        return "training_model.onnx"
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    onnx.save(model, os.path.join(directory, "training_model_ort.onnx"))
    return "training_model_ort.onnx"
