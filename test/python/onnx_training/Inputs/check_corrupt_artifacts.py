"""Prints the error prepare_artifacts and initializers raise for artifacts
that are no ONNX models: check_corrupt_artifacts.py DIR."""
import os
import sys

from onnx import TensorProto, helper

from muon_mlir import onnx_training

directory = sys.argv[1]
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])
data = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                                           [x], [y])).SerializeToString()


def write(name, content):
    with open(os.path.join(directory, name), "wb") as f:
        f.write(content)


def report(call):
    try:
        call()
    except onnx_training.OnnxImportError as e:
        print(f"OnnxImportError: {e}")
    else:
        raise SystemExit("error: no OnnxImportError")


write("training_model.onnx", data[: len(data) // 2])  # truncated
write("optimizer_model.onnx", data)
report(lambda: onnx_training.prepare_artifacts(directory, directory))
write("training_model.onnx", data)
write("optimizer_model.onnx", b"\xff" * 16)  # garbage
report(lambda: onnx_training.prepare_artifacts(directory, directory))
write("forward.onnx", data[:-3])
report(lambda: onnx_training.initializers(os.path.join(directory, "forward.onnx")))
