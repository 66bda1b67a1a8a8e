from onnx import TensorProto, helper

from muon_mlir import onnx_training

for args in [("ids", TensorProto.INT32, [2, 3]), ("lr", TensorProto.BFLOAT16, []),
             ("x", TensorProto.FLOAT, ["N", 3]), ("y", TensorProto.FLOAT, [None, 3]),
             ("s", TensorProto.STRING, [2])]:
    try:
        print(onnx_training._tensor_type(helper.make_tensor_value_info(*args)))
    except ValueError as error:
        print(f"ValueError: {error}")

# set_dims binds the symbolic dimensions of inputs and outputs alike.
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", "M"])
model = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])],
                                            "g", [x], [y]))
onnx_training.set_dims(model, {"N": 4, "M": 3})
print(*(onnx_training._tensor_type(v) for v in (model.graph.input[0], model.graph.output[0])))
try:
    onnx_training.set_dims(model, {"batch": 4})
except ValueError as error:
    print(f"ValueError: {error}")
