//===- ORTOptimizers.cpp - ONNX Runtime training optimizer ops ------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// com.microsoft AdamWOptimizer and SGDOptimizerV2 (opset 1), the optimizer
// nodes of ONNX Runtime's `optimizer_model.onnx` training artifacts. Their
// parameter lists are sequences (`seq(tensor)`), whose elements the importer
// has expanded to one value each; a node becomes one optim op per element.
//
// - AdamWOptimizer is optim.adamw: adam_mode = 0 (PyTorch) its `torch`
//   variant, adam_mode = 1 (Hugging Face: bias correction on the learning
//   rate, decay after the update) its `huggingface` one, correct_bias its
//   `bias_correction`.
// - SGDOptimizerV2 (W − lr·G) is optim.momentum with alpha = 0, beta = 1 and
//   a zero velocity, whose new velocity is dropped.
//
// AdamWOptimizer's update_signal input (a 0-d bool, false in mixed-precision
// training when a gradient overflowed) becomes the updates' `skip` operand
// (its negation), and its updated flag output is that signal; without it,
// or for SGDOptimizerV2 (which rejects it), every update is applied and the
// flag is a constant true.
//
//===----------------------------------------------------------------------===//

#include "OptimizerCommon.h"

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Target/ONNX/OpImporters.h"
#include "muon/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace muon::onnx_import;
namespace optim = muon::optim;

static constexpr StringLiteral kMicrosoftDomain = "com.microsoft";

/// The tensors of list input `index`: a sequence's elements, or a single
/// tensor.
static FailureOr<SmallVector<Value>>
getTensorList(NodeContext &ctx, unsigned index, StringRef what) {
  if (std::optional<ArrayRef<Value>> elements = ctx.getSequenceOperand(index))
    return SmallVector<Value>(*elements);
  if (Value value = ctx.getOperand(index))
    return SmallVector<Value>{value};
  return ctx.emitError() << "input " << index << " (" << what << ") is missing";
}

/// Gets the lists at `indices` and checks that they pair up element by
/// element (same count, same types).
static FailureOr<SmallVector<SmallVector<Value>>>
getMatchingLists(NodeContext &ctx, ArrayRef<unsigned> indices,
                 ArrayRef<StringRef> names) {
  SmallVector<SmallVector<Value>> lists;
  for (auto [index, name] : llvm::zip(indices, names)) {
    FailureOr<SmallVector<Value>> list = getTensorList(ctx, index, name);
    if (failed(list))
      return failure();
    if (!lists.empty() && list->size() != lists.front().size())
      return ctx.emitError()
             << "'" << name << "' has " << list->size() << " tensors but '"
             << names.front() << "' has " << lists.front().size();
    for (auto [i, value] : llvm::enumerate(*list))
      if (!lists.empty() && value.getType() != lists.front()[i].getType())
        return ctx.emitError()
               << "element " << i << " of '" << name << "' has type "
               << value.getType() << " but element " << i << " of '"
               << names.front() << "' has " << lists.front()[i].getType();
    lists.push_back(std::move(*list));
  }
  return lists;
}

/// Rejects the optional update_signal input at `index`.
static LogicalResult checkNoUpdateSignal(NodeContext &ctx, unsigned index) {
  if (index < static_cast<unsigned>(ctx.node.input_size()) &&
      !ctx.node.input(index).empty())
    return ctx.emitError()
           << "the update_signal input (conditional updates) is not supported";
  return success();
}

/// The optional update_signal input at `index` and the `skip` flag it
/// gives the updates (its negation, computed on the device); nulls if it is
/// absent.
static FailureOr<std::pair<Value, Value>> getUpdateSignal(NodeContext &ctx,
                                                          unsigned index) {
  if (index >= static_cast<unsigned>(ctx.node.input_size()) ||
      ctx.node.input(index).empty())
    return std::pair<Value, Value>();
  Value signal = ctx.getOperand(index);
  auto type = signal ? dyn_cast<RankedTensorType>(signal.getType())
                     : RankedTensorType();
  if (!type || type.getRank() != 0 || !type.getElementType().isInteger(1))
    return ctx.emitError() << "input " << index
                           << " (update_signal) must be a 0-d bool tensor, got "
                           << (signal ? signal.getType() : Type());
  Value skip =
      muon::buildElementwise(ctx.builder, ctx.loc, signal, {}, type, Type(),
                             [](OpBuilder &b, Location loc, ValueRange args) {
                               Value one = arith::ConstantIntOp::create(
                                   b, loc, b.getI1Type(), 1);
                               return SmallVector<Value>{
                                   arith::XOrIOp::create(b, loc, args[0], one)};
                             })
          .front();
  return std::make_pair(signal, skip);
}

/// The updated-flag output: always true, since every update is applied.
static Value createUpdatedFlag(NodeContext &ctx) {
  auto type = RankedTensorType::get({}, ctx.builder.getI1Type());
  return arith::ConstantOp::create(ctx.builder, ctx.loc,
                                   DenseElementsAttr::get(type, true));
}

static FailureOr<SmallVector<Value>> importAdamWOptimizer(NodeContext &ctx) {
  FailureOr<double> alpha = getFloatAttr(ctx, "alpha", 0.9);
  FailureOr<double> beta = getFloatAttr(ctx, "beta", 0.999);
  FailureOr<double> epsilon = getFloatAttr(ctx, "epsilon", 1e-8);
  // ORT's schema default (its kernel reads 1e-2 when the node omits it).
  FailureOr<double> weightDecay = getFloatAttr(ctx, "weight_decay", 1e-2);
  FailureOr<int64_t> mode = getIntAttr(ctx, "adam_mode", 0);
  FailureOr<int64_t> correctBias = getIntAttr(ctx, "correct_bias", 1);
  if (failed(alpha) || failed(beta) || failed(epsilon) || failed(weightDecay) ||
      failed(mode) || failed(correctBias))
    return failure();
  if (*mode != 0 && *mode != 1)
    return ctx.emitError() << "unsupported adam_mode " << *mode
                           << " (0: PyTorch's AdamW, 1: Hugging Face's)";
  if (*correctBias != 0 && *correctBias != 1)
    return ctx.emitError() << "unsupported correct_bias " << *correctBias
                           << " (expects 0 or 1)";
  auto variant = optim::AdamWVariantAttr::get(
      ctx.builder.getContext(), *mode == 1 ? optim::AdamWVariant::huggingface
                                           : optim::AdamWVariant::torch);
  FailureOr<Value> lr = getScalarOperand(ctx, 0, "lr", /*allowInteger=*/false);
  FailureOr<Value> step =
      getScalarOperand(ctx, 1, "step", /*allowInteger=*/true);
  FailureOr<SmallVector<SmallVector<Value>>> lists =
      getMatchingLists(ctx, {2, 3, 4, 5},
                       {"weights", "gradients", "momentums_1", "momentums_2"});
  FailureOr<std::pair<Value, Value>> signal = getUpdateSignal(ctx, 6);
  if (failed(lr) || failed(step) || failed(lists) || failed(signal))
    return failure();

  OpBuilder &b = ctx.builder;
  SmallVector<Value> weights, moments1, moments2;
  for (size_t i = 0; i < (*lists)[0].size(); ++i) {
    Value param = (*lists)[0][i];
    auto op = optim::AdamWOp::create(
        b, ctx.loc, param.getType(), param.getType(), param.getType(), param,
        (*lists)[1][i], (*lists)[2][i], (*lists)[3][i], *lr, *step,
        /*skip=*/signal->second, /*dynamic_beta1=*/Value(),
        b.getF64FloatAttr(*alpha), b.getF64FloatAttr(*beta),
        b.getF64FloatAttr(*epsilon), b.getF64FloatAttr(*weightDecay),
        b.getBoolAttr(*correctBias == 1), variant);
    if (failed(verifyCreated(op)))
      return failure();
    weights.push_back(op.getNewParams().front());
    moments1.push_back(op.getNewExpAvgs().front());
    moments2.push_back(op.getNewExpAvgSqs().front());
  }
  SmallVector<Value> results{signal->first ? signal->first
                                           : createUpdatedFlag(ctx)};
  SmallVector<Value> *sequences[] = {&weights, &moments1, &moments2};
  for (int64_t output = 1; output < ctx.getNumResults() && output < 4;
       ++output) {
    ctx.sequenceResults[output] = *sequences[output - 1];
    results.push_back(Value());
  }
  if (ctx.getNumResults() > 4)
    return ctx.emitError() << "expects at most 4 outputs, got "
                           << ctx.getNumResults();
  return results;
}

static FailureOr<SmallVector<Value>> importSGDOptimizerV2(NodeContext &ctx) {
  if (failed(checkNoUpdateSignal(ctx, 3)))
    return failure();
  if (ctx.getNumResults() > 2)
    return ctx.emitError() << "expects at most 2 outputs, got "
                           << ctx.getNumResults();
  FailureOr<Value> lr = getScalarOperand(ctx, 0, "lr", /*allowInteger=*/false);
  FailureOr<SmallVector<SmallVector<Value>>> lists =
      getMatchingLists(ctx, {1, 2}, {"weights", "gradients"});
  if (failed(lr) || failed(lists))
    return failure();

  OpBuilder &b = ctx.builder;
  // alpha = 0 and beta = 1 reduce ONNX momentum to V' = G, X' = X − lr·G at
  // every step, whatever T is.
  Value step = arith::ConstantOp::create(
      b, ctx.loc,
      DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                             int64_t(1)));
  SmallVector<Value> weights;
  for (auto [param, grad] : llvm::zip((*lists)[0], (*lists)[1])) {
    auto type = cast<RankedTensorType>(param.getType());
    Value zero = arith::ConstantOp::create(b, ctx.loc, b.getZeroAttr(type));
    auto op = optim::MomentumOp::create(
        b, ctx.loc, type, type, param, grad, zero, *lr, step,
        b.getF64FloatAttr(0.0), b.getF64FloatAttr(1.0), b.getF64FloatAttr(0.0),
        b.getBoolAttr(false));
    if (failed(verifyCreated(op)))
      return failure();
    weights.push_back(op.getNewParam());
  }
  SmallVector<Value> results{createUpdatedFlag(ctx)};
  if (ctx.getNumResults() == 2) {
    ctx.sequenceResults[1] = std::move(weights);
    results.push_back(Value());
  }
  return results;
}

void muon::onnx_import::populateORTOptimizerImporters(
    OpImporterRegistry &registry) {
  registry.add(kMicrosoftDomain, "AdamWOptimizer", importAdamWOptimizer);
  registry.add(kMicrosoftDomain, "SGDOptimizerV2", importSGDOptimizerV2);
}
