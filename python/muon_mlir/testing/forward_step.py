"""A training-step-shaped module around a forward-only ONNX model.

Passes such as optim-insert-qk-clip need a forward pass and the optimizer
updates of its parameters in one function. For a module exported with
torch.onnx.export (no ORT training artifacts), `build_step` makes

    func.func @step(inputs..., params..., grads..., m..., v..., lr, t)
        -> (outputs..., params'...)

that calls the imported forward graph (parameters as named arguments) and
updates every parameter with optim.adamw on the given gradients. With
lr = 0 and zero gradients and moments the update is the identity, exactly,
so the step's parameter results show what later passes add.
"""

import onnx
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from .. import onnx_training

def prepare(model, params):
    """Copy of `model` with the initializers `params` as graph inputs, and
    Constant nodes and the nodes computed from constants only (torch's shape
    arithmetic) folded into initializers, which the importer needs."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    opset = {o.domain or "": o.version for o in model.opset_import}
    for init in [i for i in graph.initializer if i.name in params]:
        graph.input.append(helper.make_tensor_value_info(init.name, init.data_type,
                                                         list(init.dims)))
        graph.initializer.remove(init)
    constants = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    kept = []
    for node in graph.node:
        if node.domain not in ("", "ai.onnx") or not all(
                name in constants for name in node.input if name):
            kept.append(node)
            continue
        results = ReferenceEvaluator(node, opsets=opset).run(
            None, {name: constants[name] for name in node.input if name})
        for name, value in zip(node.output, results):
            constants[name] = value
            graph.initializer.append(numpy_helper.from_array(value, name))
    del graph.node[:]
    graph.node.extend(kept)
    used = {name for node in kept for name in node.input} | {o.name for o in graph.output}
    for init in [i for i in graph.initializer if i.name not in used]:
        graph.initializer.remove(init)
    return model


def build_step(translate, model_path, params):
    """Imports the prepared model at `model_path` and returns the text of a
    module with @forward and @step (see the module docstring). `params`:
    names of the graph inputs that are parameters."""
    graph = onnx.load(model_path).graph
    forward = onnx_training.import_body(translate, model_path)
    types, outputs = onnx_training.signature_types(forward)
    forward = onnx_training.rename_function(forward, "forward")
    data = [i.name for i in graph.input if i.name not in params]

    args = [f'%d{i}: {types[n]} {{onnx.name = "{n}"}}' for i, n in enumerate(data)]
    for prefix, suffix in (("p", ""), ("g", ".grad"), ("m", ".m"), ("v", ".v")):
        args += [f'%{prefix}{i}: {types[n]} {{onnx.name = "{n}{suffix}"}}'
                 for i, n in enumerate(params)]
    args += ["%lr: tensor<f32>", "%t: tensor<i64>"]
    forward_args = [f"%d{data.index(i.name)}" if i.name in data
                    else f"%p{params.index(i.name)}" for i in graph.input]
    lines = [f"    %y:{len(outputs)} = call @forward({', '.join(forward_args)}) : "
             f"({', '.join(types[i.name] for i in graph.input)}) -> ({', '.join(outputs)})"]
    for i, name in enumerate(params):
        lines.append(f"    %p{i}_new, %m{i}_new, %v{i}_new = optim.adamw %p{i}, %g{i}, %m{i}, "
                     f"%v{i}, %lr, %t : {types[name]}, tensor<f32>, tensor<i64>")
    results = [f"%y#{i}" for i in range(len(outputs))] + [f"%p{i}_new" for i in
                                                           range(len(params))]
    result_types = outputs + [types[n] for n in params]
    step = (f"  func.func @step({', '.join(args)}) -> ({', '.join(result_types)}) {{\n"
            + "\n".join(lines)
            + f"\n    return {', '.join(results)} : {', '.join(result_types)}\n  }}\n")
    return "module {\n" + forward + step + "}\n"
