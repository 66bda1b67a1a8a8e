import os
import shutil
import sys
import tempfile

import onnx
from onnx import TensorProto, helper

from muon_mlir import onnx_training

translate = os.environ.get("MUON_TRANSLATE") or shutil.which("muon-translate")
work = tempfile.mkdtemp()


def imported_types(model):
    path = os.path.join(work, "model.onnx")
    onnx.save(model, path)
    return onnx_training.signature_types(onnx_training.import_body(translate, path))


# signature_types reads the importer's types: arguments by ONNX name (quotes
# escaped), results in order.
inputs = [helper.make_tensor_value_info(*args) for args in
          [("ids", TensorProto.INT32, [2, 3]), ("lr", TensorProto.BFLOAT16, []),
           ('say "hi"', TensorProto.FLOAT, [1])]]
model = helper.make_model(helper.make_graph([], "g", inputs, inputs),
                          opset_imports=[helper.make_opsetid("", 17)])
print(imported_types(model))

# set_dims binds the symbolic dimensions of inputs and outputs alike.
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", "M"])
model = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])],
                                            "g", [x], [y]),
                          opset_imports=[helper.make_opsetid("", 17)])
onnx_training.set_dims(model, {"N": 4, "M": 3})
print(imported_types(model), model.graph.output[0].type.tensor_type.shape.dim)
try:
    onnx_training.set_dims(model, {"batch": 4})
except ValueError as error:
    print(f"ValueError: {error}")
sys.stdout.flush()
