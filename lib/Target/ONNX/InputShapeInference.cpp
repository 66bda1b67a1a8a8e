//===- InputShapeInference.cpp - Graph input shapes from consumers --------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "InputShapeInference.h"

#include "onnx/onnx_pb.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace muon::onnx_import;

std::optional<SmallVector<int64_t>> muon::onnx_import::inferOperandShape(
    const onnx::NodeProto &node, unsigned position, int64_t rank,
    function_ref<RankedTensorType(unsigned)> getOperandType) {
  StringRef op = node.op_type();
  bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
  if (!defaultDomain)
    return std::nullopt;
  // The labels: the scores [N, C, d...] without C.
  if (op == "SoftmaxCrossEntropyLoss" && position == 1) {
    RankedTensorType scores = getOperandType(0);
    if (!scores || scores.getRank() != rank + 1)
      return std::nullopt;
    SmallVector<int64_t> shape(scores.getShape());
    shape.erase(shape.begin() + 1);
    return shape;
  }
  // generate_artifacts' MSELoss, L1Loss and BCEWithLogitsLoss read their
  // targets through a binary element-wise op: each dimension is the other
  // operand's where that one does not broadcast (size 1).
  static constexpr StringLiteral kElementwise[] = {"Add", "Sub", "Mul", "Div"};
  if (!llvm::is_contained(kElementwise, op) || node.input_size() != 2 ||
      position > 1)
    return std::nullopt;
  RankedTensorType other = getOperandType(1 - position);
  if (!other || other.getRank() != rank)
    return std::nullopt;
  SmallVector<int64_t> shape;
  for (int64_t size : other.getShape())
    shape.push_back(size == 1 ? ShapedType::kDynamic : size);
  return shape;
}
