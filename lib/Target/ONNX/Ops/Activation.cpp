//===- Activation.cpp - Softmax and GELU importers ------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Softmax/LogSoftmax subtract the maximum before exponentiating (stable for
// any logits). From opset 13 they normalize over the single dimension
// `axis` (default -1); earlier opsets flatten to 2-D at `axis` (default 1)
// and normalize over the trailing block. Gelu (opset 20, erf or tanh),
// com.microsoft BiasGelu (gelu(X + B), erf), FastGelu (the same with the tanh
// approximation, which ORT fuses GPT-2's GELU into; B optional) and QuickGelu
// (X sigmoid(alpha X), which ORT fuses SiLU into) are element-wise.
//
//===----------------------------------------------------------------------===//

#include "ActivationMath.h"
#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace muon::onnx_import;

static ImportResult importSoftmax(NodeContext &ctx, bool logSoftmax) {
  if (failed(checkNumOperands(ctx, 1, 1)))
    return failure();
  FailureOr<FloatType> elementType = getFloatElementType(ctx, 0);
  if (failed(elementType))
    return failure();
  auto type = cast<RankedTensorType>(ctx.getOperand(0).getType());
  bool coerce = ctx.opsetVersion < 13;
  FailureOr<int64_t> axis = normalizeAxis(
      ctx, ctx.getIntAttr("axis").value_or(coerce ? 1 : -1), type.getRank());
  if (failed(axis))
    return failure();
  OpBuilder &b = ctx.builder;
  if (!coerce)
    return SmallVector<Value>{
        buildSoftmax(b, ctx.loc, ctx.getOperand(0), *axis, logSoftmax)};
  Value flat = buildReshape(b, ctx.loc, ctx.getOperand(0),
                            getCoercedShape(type.getShape(), *axis));
  Value result = buildSoftmax(b, ctx.loc, flat, 1, logSoftmax);
  return SmallVector<Value>{buildReshape(b, ctx.loc, result, type.getShape())};
}

static ImportResult importGelu(NodeContext &ctx) {
  std::string approximate = ctx.getStringAttr("approximate").value_or("none");
  if (approximate != "none" && approximate != "tanh")
    return emitUnsupportedAttr(ctx, "approximate")
           << ": '" << approximate << "' (expects 'none' or 'tanh')";
  return importUnaryFloat(ctx,
                          approximate == "tanh" ? buildTanhGelu : buildGelu);
}

/// BiasGelu (erf) and com.microsoft FastGelu (tanh approximation, bias
/// optional): gelu(A + B), B broadcast onto A.
static ImportResult importBiasGelu(NodeContext &ctx, bool tanh) {
  if (failed(checkNumOperands(ctx, tanh ? 1 : 2, 2)))
    return failure();
  if (!ctx.getOperand(1))
    return importUnaryFloat(ctx, buildTanhGelu);
  FailureOr<FloatType> elementType = getFloatElementType(ctx, 0);
  FailureOr<FloatType> biasType = getFloatElementType(ctx, 1);
  if (failed(elementType) || failed(biasType))
    return failure();
  if (*elementType != *biasType)
    return ctx.emitError() << "expects A and B of one element type";
  FailureOr<Value> result = buildElementwise(
      ctx, ctx.operands, *elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value sum = arith::AddFOp::create(b, loc, args[0], args[1]);
        return tanh ? buildTanhGelu(b, loc, sum) : buildGelu(b, loc, sum);
      });
  if (failed(result))
    return failure();
  return SmallVector<Value>{*result};
}

static ImportResult importQuickGelu(NodeContext &ctx) {
  double alpha = ctx.getFloatAttr("alpha").value_or(1.702f);
  return importUnaryFloat(ctx, [alpha](OpBuilder &b, Location loc, Value x) {
    return buildQuickGelu(b, loc, x, alpha);
  });
}

void muon::onnx_import::populateActivationImporters(
    OpImporterRegistry &registry) {
  registry.add("", "Softmax", [](NodeContext &ctx) {
    return importSoftmax(ctx, /*logSoftmax=*/false);
  });
  registry.add("", "LogSoftmax", [](NodeContext &ctx) {
    return importSoftmax(ctx, /*logSoftmax=*/true);
  });
  registry.add("", "Gelu", importGelu, {/*since=*/20});
  registry.add("com.microsoft", "Gelu", importGelu);
  registry.add("com.microsoft", "BiasGelu", [](NodeContext &ctx) {
    return importBiasGelu(ctx, /*tanh=*/false);
  });
  registry.add("com.microsoft", "FastGelu", [](NodeContext &ctx) {
    return importBiasGelu(ctx, /*tanh=*/true);
  });
  registry.add("com.microsoft", "QuickGelu", importQuickGelu);
}
