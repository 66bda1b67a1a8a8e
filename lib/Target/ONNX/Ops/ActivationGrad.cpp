//===- ActivationGrad.cpp - ORT activation gradient importers -------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The com.microsoft gradients of element-wise activations (semantics of ORT's
// CPU kernels). Relu, Gelu and QuickGelu differentiate at the forward input
// X, Tanh and Sigmoid at the forward output Y:
//   ReluGrad(dY, X)              dX = X > 0 ? dY : 0
//   TanhGrad(dY, Y)              dX = dY * (1 - Y^2)
//   SigmoidGrad(dY, Y)           dX = dY * Y * (1 - Y)
//   GeluGrad(dY, X)              dX = dY * gelu'(X)
//   BiasGeluGrad_dX(dY, X, B)    dX = dY * gelu'(X + B)
//   FastGeluGrad(dY, X)          dX = dY * tanh_gelu'(X)
//   BiasFastGeluGrad_dX(dY, X, B)  dX = dY * tanh_gelu'(X + B)
//   QuickGeluGrad(dY, X; alpha)  dX = dY * quick_gelu'(X)
//   LeakyReluGrad(dY, Y; alpha)  dX = Y > 0 ? dY : alpha * dY
//
//===----------------------------------------------------------------------===//

#include "ActivationMath.h"
#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace muon::onnx_import;

/// dX from the scalars dY and (the forward input or output[, bias]).
using GradientFn =
    llvm::function_ref<Value(OpBuilder &, Location, Value dy, ValueRange args)>;

/// One element-wise generic over dY and the node's other inputs, which have
/// dY's type (an optional trailing bias broadcasts onto them).
static ImportResult importActivationGrad(NodeContext &ctx, bool hasBias,
                                         GradientFn gradient) {
  unsigned numInputs = hasBias ? 3 : 2;
  if (failed(checkNumOperands(ctx, numInputs, numInputs)))
    return failure();
  FailureOr<RankedTensorType> type = getSameFloatTypes(ctx, 0, 1);
  if (failed(type))
    return failure();
  if (hasBias) {
    FailureOr<FloatType> biasType = getFloatElementType(ctx, 2);
    if (failed(biasType))
      return failure();
    if (*biasType != type->getElementType())
      return ctx.emitError() << "expects B of the element type of X";
  }
  FailureOr<Value> result =
      buildElementwise(ctx, ctx.operands, type->getElementType(),
                       [&](OpBuilder &b, Location loc, ValueRange args) {
                         return gradient(b, loc, args[0], args.drop_front());
                       });
  if (failed(result))
    return failure();
  if (cast<RankedTensorType>(result->getType()) != *type)
    return ctx.emitError() << "B must broadcast to the shape of X";
  return SmallVector<Value>{*result};
}

static Value buildReluGrad(OpBuilder &b, Location loc, Value dy,
                           ValueRange args) {
  Value zero = buildScalar(b, loc, dy.getType(), 0.0);
  Value positive =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, args[0], zero);
  return arith::SelectOp::create(b, loc, positive, dy, zero);
}

static Value buildTanhGrad(OpBuilder &b, Location loc, Value dy,
                           ValueRange args) {
  return arith::MulFOp::create(b, loc, dy, buildTanhSlope(b, loc, args[0]));
}

static Value buildSigmoidGrad(OpBuilder &b, Location loc, Value dy,
                              ValueRange args) {
  return arith::MulFOp::create(b, loc, dy, buildSigmoidSlope(b, loc, args[0]));
}

/// dY * derivative(X [+ B]).
template <Value (*derivative)(OpBuilder &, Location, Value)>
static Value buildGeluGrad(OpBuilder &b, Location loc, Value dy,
                           ValueRange args) {
  Value x = args[0];
  if (args.size() > 1)
    x = arith::AddFOp::create(b, loc, x, args[1]);
  return arith::MulFOp::create(b, loc, dy, derivative(b, loc, x));
}

void muon::onnx_import::populateActivationGradImporters(
    OpImporterRegistry &registry) {
  using GradientPtr = Value (*)(OpBuilder &, Location, Value, ValueRange);
  auto add = [&](StringRef name, bool hasBias, GradientPtr gradient) {
    registry.add("com.microsoft", name, [=](NodeContext &ctx) {
      return importActivationGrad(ctx, hasBias, gradient);
    });
  };
  add("ReluGrad", /*hasBias=*/false, buildReluGrad);
  add("TanhGrad", /*hasBias=*/false, buildTanhGrad);
  add("SigmoidGrad", /*hasBias=*/false, buildSigmoidGrad);
  add("GeluGrad", /*hasBias=*/false, buildGeluGrad<buildGeluDerivative>);
  add("BiasGeluGrad_dX", /*hasBias=*/true, buildGeluGrad<buildGeluDerivative>);
  add("FastGeluGrad", /*hasBias=*/false,
      buildGeluGrad<buildTanhGeluDerivative>);
  add("BiasFastGeluGrad_dX", /*hasBias=*/true,
      buildGeluGrad<buildTanhGeluDerivative>);
  registry.add("com.microsoft", "LeakyReluGrad", [](NodeContext &ctx) {
    double alpha = ctx.getFloatAttr("alpha").value_or(0.01f);
    return importActivationGrad(
        ctx, /*hasBias=*/false,
        [alpha](OpBuilder &b, Location loc, Value dy, ValueRange args) {
          Value zero = buildScalar(b, loc, dy.getType(), 0.0);
          Value positive = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::OGT, args[0], zero);
          Value scaled = arith::MulFOp::create(
              b, loc, dy, buildScalar(b, loc, dy.getType(), alpha));
          return arith::SelectOp::create(b, loc, positive, dy, scaled)
              .getResult();
        });
  });
  registry.add("com.microsoft", "QuickGeluGrad", [](NodeContext &ctx) {
    double alpha = ctx.getFloatAttr("alpha").value_or(1.702f);
    return importActivationGrad(
        ctx, /*hasBias=*/false,
        [alpha](OpBuilder &b, Location loc, Value dy, ValueRange args) {
          return arith::MulFOp::create(
                     b, loc, dy,
                     buildQuickGeluDerivative(b, loc, args[0], alpha))
              .getResult();
        });
  });
}
