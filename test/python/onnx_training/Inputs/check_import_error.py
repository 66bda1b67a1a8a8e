import sys

import onnx
from onnx import TensorProto, helper

from muon_mlir import onnx_training

translate, path = sys.argv[1:]
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 2, 2])
node = helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2],
                        strides=[2, 2])
model = helper.make_model(helper.make_graph([node], "g", [x], [y]),
                          opset_imports=[helper.make_opsetid("", 17)])
onnx.save(model, path)
try:
    onnx_training.import_body(translate, path)
except onnx_training.OnnxImportError as e:
    print(f"OnnxImportError: {e}")
