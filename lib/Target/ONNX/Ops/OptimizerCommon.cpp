//===- OptimizerCommon.cpp - Shared checks of optimizer importers ---------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "OptimizerCommon.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"
#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace muon::onnx_import;

FailureOr<double>
muon::onnx_import::getFloatAttr(NodeContext &ctx, StringRef name,
                                std::optional<double> defaultValue) {
  if (std::optional<float> value = ctx.getFloatAttr(name))
    return static_cast<double>(*value);
  if (ctx.hadAttributeError)
    return failure();
  if (!defaultValue)
    return ctx.emitError() << "missing required attribute '" << name << "'";
  return *defaultValue;
}

FailureOr<int64_t> muon::onnx_import::getIntAttr(NodeContext &ctx,
                                                 StringRef name,
                                                 int64_t defaultValue) {
  if (std::optional<int64_t> value = ctx.getIntAttr(name))
    return *value;
  if (ctx.hadAttributeError)
    return failure();
  return defaultValue;
}

FailureOr<Value> muon::onnx_import::getScalarOperand(NodeContext &ctx,
                                                     unsigned index,
                                                     StringRef what,
                                                     bool allowInteger) {
  Value value = ctx.getOperand(index);
  if (!value)
    return ctx.emitError() << "input " << index << " (" << what
                           << ") is missing or not a tensor";
  auto type = dyn_cast<RankedTensorType>(value.getType());
  Type element = type ? type.getElementType() : Type();
  bool ok = type && type.getRank() == 0 &&
            (isa<FloatType>(element) ||
             (allowInteger && element.isSignlessInteger()));
  if (!ok)
    return ctx.emitError() << "input " << index << " (" << what
                           << ") must be a 0-d "
                           << (allowInteger ? "integer or float" : "float")
                           << " tensor, got " << value.getType();
  return value;
}

LogicalResult muon::onnx_import::verifyCreated(Operation *op) {
  return verify(op);
}
