import sys

import onnx
from onnx import TensorProto, helper

from muon_mlir import onnx_training

translate, path = sys.argv[1:]
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])
node = helper.make_node("Unique", ["x"], ["y"], name="unique")
model = helper.make_model(helper.make_graph([node], "g", [x], [y]),
                          opset_imports=[helper.make_opsetid("", 17)])
onnx.save(model, path)
try:
    onnx_training.import_body(translate, path)
except onnx_training.OnnxImportError as e:
    print(f"OnnxImportError: {e}")
else:
    raise SystemExit("error: the model imported; expected an OnnxImportError")
