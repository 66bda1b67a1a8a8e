//===- Optional.cpp - Optional op importers -------------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// ONNX optionals (`optional(T)`) are decided at import: a value is there or
// it is not (an omitted input), so an optional is its contents, and
// OptionalHasElement is a constant. An empty optional as a value (Optional
// without an input) has no type to import and is a located error.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace muon::onnx_import;

static bool hasElement(NodeContext &ctx) {
  return ctx.getOperand(0) || ctx.getSequenceOperand(0);
}

static ImportResult importOptional(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 0, 1)))
    return failure();
  // The type attribute only types an empty optional.
  ctx.ignoreAttr("type");
  if (!hasElement(ctx))
    return ctx.emitError() << "an empty optional (no input) is not "
                              "supported: the importer has no value without "
                              "a type";
  return forwardOperand(ctx, 0);
}

static ImportResult importOptionalHasElement(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 0, 1)))
    return failure();
  auto type = RankedTensorType::get({}, ctx.builder.getI1Type());
  return SmallVector<Value>{arith::ConstantOp::create(
      ctx.builder, ctx.loc, DenseElementsAttr::get(type, hasElement(ctx)))};
}

static ImportResult importOptionalGetElement(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 0, 1)))
    return failure();
  if (!hasElement(ctx))
    return ctx.emitError() << "reads an empty optional";
  return forwardOperand(ctx, 0);
}

void muon::onnx_import::populateOptionalImporters(
    OpImporterRegistry &registry) {
  registry.add("", "Optional", importOptional, {15});
  registry.add("", "OptionalHasElement", importOptionalHasElement, {15});
  registry.add("", "OptionalGetElement", importOptionalGetElement, {15});
  static constexpr llvm::StringRef kForwarding[] = {"Optional",
                                                    "OptionalGetElement"};
  registry.acceptUnsigned("", kForwarding);
  registry.acceptMinifloats("", kForwarding);
}
