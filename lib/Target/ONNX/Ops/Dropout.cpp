//===- Dropout.cpp - Dropout and its ORT gradient
//--------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Dropout(data, ratio = 0.5, training_mode = false) -> output, mask. Outside
// training mode (and before opset 12, where Dropout is inference-only) and at
// ratio 0 it is the identity with an all-true mask. A positive ratio in
// training mode draws a fresh random mask every step; a compiled step has no
// random state to draw it from, so that case is a located error rather than
// a mask frozen across steps.
//
// com.microsoft DropoutGrad(dY, mask, ratio = 0.5, training_mode) follows
// ORT's CPU kernel, which ignores training_mode:
//   dX = mask ? dY / (1 - ratio) : 0
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace muon::onnx_import;

static constexpr double kDefaultRatio = 0.5;

/// The single element of input `index`, which must be a constant of one
/// element; `what` names it in the error.
static FailureOr<Attribute> getConstantScalar(NodeContext &ctx, unsigned index,
                                              StringRef what) {
  DenseElementsAttr attr;
  if (!matchPattern(ctx.getOperand(index), m_Constant(&attr)) ||
      attr.getNumElements() != 1)
    return ctx.emitError() << "expects " << what
                           << " to be a constant of one element (an "
                              "initializer or Constant node)";
  return *attr.value_begin<Attribute>();
}

/// Succeeds when the node drops nothing (inference mode or ratio 0); errors
/// otherwise.
static LogicalResult checkDropsNothing(NodeContext &ctx) {
  if (ctx.opsetVersion < 12 || !ctx.getOperand(2))
    return success();
  FailureOr<Attribute> training = getConstantScalar(ctx, 2, "training_mode");
  if (failed(training))
    return failure();
  auto trainingAttr = dyn_cast<BoolAttr>(*training);
  if (!trainingAttr)
    return ctx.emitError() << "expects a bool training_mode";
  if (!trainingAttr.getValue())
    return success();
  double ratio = kDefaultRatio;
  if (ctx.getOperand(1)) {
    FailureOr<Attribute> ratioAttr = getConstantScalar(ctx, 1, "ratio");
    if (failed(ratioAttr))
      return failure();
    auto floatAttr = dyn_cast<FloatAttr>(*ratioAttr);
    if (!floatAttr)
      return ctx.emitError() << "expects a float ratio";
    ratio = floatAttr.getValueAsDouble();
  }
  if (ratio == 0.0)
    return success();
  std::string ratioText;
  llvm::raw_string_ostream(ratioText) << llvm::format("%g", ratio);
  return ctx.emitError()
         << "ratio " << ratioText
         << " in training mode needs a fresh random mask every step, which "
            "a compiled step cannot draw; export the model with dropout "
            "probability 0 (or in eval mode)";
}

static ImportResult importDropout(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 3);
  if (failed(type) || failed(getFloatElementType(ctx, 0)))
    return failure();
  if (failed(checkDropsNothing(ctx)))
    return failure();
  SmallVector<Value> results = {ctx.getOperand(0)};
  if (ctx.getNumResults() > 1)
    results.push_back(buildFilled(ctx.builder, ctx.loc, type->getShape(),
                                  ctx.builder.getBoolAttr(true)));
  return results;
}

static ImportResult importDropoutGrad(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 4);
  FailureOr<RankedTensorType> maskType = getOperandType(ctx, 1);
  if (failed(type) || failed(maskType) || failed(getFloatElementType(ctx, 0)))
    return failure();
  if (maskType->getShape() != type->getShape() ||
      !maskType->getElementType().isInteger(1))
    return ctx.emitError() << "expects a bool mask of the shape of dY, got "
                           << *maskType;
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Type elementType = type->getElementType();
  Value ratio;
  if (ctx.getOperand(2)) {
    FailureOr<RankedTensorType> ratioType = getOperandType(ctx, 2);
    if (failed(ratioType))
      return failure();
    if (ratioType->getNumElements() != 1 ||
        ratioType->getElementType() != elementType)
      return ctx.emitError() << "expects a one-element ratio of dY's element "
                                "type, got "
                             << *ratioType;
    ratio = buildReshape(b, loc, ctx.getOperand(2), {});
  } else {
    ratio = buildFilled(b, loc, {}, b.getFloatAttr(elementType, kDefaultRatio));
  }
  // 1 / (1 − ratio) once (on a GPU, in the kernel: the ratio is device data).
  Value scale =
      buildScalarGeneric(
          b, loc, ratio,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value one = buildScalar(nb, nl, elementType, 1.0);
            return SmallVector<Value>{arith::DivFOp::create(
                nb, nl, one, arith::SubFOp::create(nb, nl, one, args[0]))};
          })
          .front();
  return SmallVector<Value>{buildBroadcastMap(
      b, loc, {ctx.getOperand(0), ctx.getOperand(1), scale}, type->getShape(),
      elementType, [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value kept = arith::MulFOp::create(nb, nl, args[0], args[2]);
        Value zero = buildScalar(nb, nl, elementType, 0.0);
        return arith::SelectOp::create(nb, nl, args[1], kept, zero);
      })};
}

void muon::onnx_import::populateDropoutImporters(OpImporterRegistry &registry) {
  // Dropout-1 and 6 drop unless `is_test`.
  registry.add("", "Dropout", importDropout, {/*since=*/7});
  registry.add("com.microsoft", "DropoutGrad", importDropoutGrad);
}
