"""ONNX Runtime as the reference of a compiled step with training-mode
Dropout, on the compiled step's own masks.

ORT draws Dropout masks from its own generator, so the compiled step (whose
masks are a hash of the node's seed, the step count and the element: see
lib/Target/ONNX/Ops/Dropout.cpp) cannot match it as is. `pin_dropouts` gives
every training-mode Dropout of training_model.onnx a seed (the import reads
it) and writes training_model_ort.onnx, where each Dropout is replaced by a
multiplication with a scale and a mask fed as inputs; `mask_inputs` computes
them with muon_mlir.testing.dropout_masks, an independent numpy
implementation of the importer's generator.
"""

import os

import numpy as np
import onnx
from onnx import helper

from muon_mlir.testing.dropout_masks import dropout_mask

def pin_dropouts(directory, first_seed=1000):
    """Seeds the training-mode Dropouts of training_model.onnx and writes
    ORT's copy with their masks as inputs. Returns [(input shape, seed,
    ratio)] per Dropout, in the copy's input order."""
    path = os.path.join(directory, "training_model.onnx")
    model = onnx.load(path)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in onnx.shape_inference.infer_shapes(model).graph.value_info}
    constants = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            constants[node.output[0]] = onnx.numpy_helper.to_array(node.attribute[0].t)
    ort = onnx.ModelProto()
    ort.CopyFrom(model)
    dropouts, replaced = [], []
    for node, twin in zip(model.graph.node, ort.graph.node):
        if node.op_type != "Dropout" or not bool(constants[node.input[2]]):
            continue
        seed = first_seed + len(dropouts)
        node.attribute.append(helper.make_attribute("seed", seed))
        ratio = float(constants[node.input[1]])
        dropouts.append((shapes[node.input[0]], seed, ratio))
        scale, mask = f"{node.name}.scale", f"{node.name}.mask"
        ort.graph.input.append(helper.make_tensor_value_info(
            scale, onnx.TensorProto.FLOAT, dropouts[-1][0]))
        ort.graph.input.append(helper.make_tensor_value_info(
            mask, onnx.TensorProto.BOOL, dropouts[-1][0]))
        replaced.append((twin, [helper.make_node("Mul", [node.input[0], scale], [node.output[0]]),
                                helper.make_node("Identity", [mask], [node.output[1]])]))
    for twin, nodes in replaced:
        position = list(ort.graph.node).index(twin)
        ort.graph.node.remove(twin)
        for offset, new in enumerate(nodes):
            ort.graph.node.insert(position + offset, new)
    onnx.save(model, path)
    onnx.save(ort, os.path.join(directory, "training_model_ort.onnx"))
    return dropouts


def mask_inputs(dropouts):
    """The inputs training_model_ort.onnx takes at a step (from 1, the
    compiled step's count): the masks the compiled step draws."""
    def inputs(step):
        feeds = []
        for shape, seed, ratio in dropouts:
            mask = dropout_mask(shape, seed, step, ratio)
            feeds += [mask * np.float32(1.0 / (1.0 - ratio)), mask]
        return feeds
    return inputs
