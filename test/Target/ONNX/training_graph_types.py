from onnx import TensorProto, helper

from muon_mlir import onnx_training

for args in [("ids", TensorProto.INT32, [2, 3]), ("lr", TensorProto.BFLOAT16, []),
             ("x", TensorProto.FLOAT, ["N", 3]), ("s", TensorProto.STRING, [2])]:
    try:
        print(onnx_training._tensor_type(helper.make_tensor_value_info(*args)))
    except ValueError as error:
        print(f"ValueError: {error}")
