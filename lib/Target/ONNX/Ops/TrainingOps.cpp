//===- TrainingOps.cpp - ai.onnx.preview.training optimizers --------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Momentum, Adagrad and Adam (opset 1) to optim.momentum / optim.adagrad /
// optim.adam, whose formulas are ONNX's own (they are not torch's SGD, Adagrad
// or AdamW). Each node takes R, T and then N tensors per group (X..., G...,
// then each state); it becomes one optim op per tensor, and its outputs are
// the new X..., then each new state....
//
//===----------------------------------------------------------------------===//

#include "OptimizerCommon.h"

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "onnx/onnx_pb.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace muon::onnx_import;
namespace optim = muon::optim;

static constexpr StringLiteral kTrainingDomain = "ai.onnx.preview.training";

namespace {
/// The operands of one training-operator node.
struct TrainingOperands {
  Value lr, step;
  /// groups[g][i]: tensor i of group g (X, G, then the states).
  SmallVector<SmallVector<Value>> groups;
  int64_t getNumTensors() const { return groups.front().size(); }
};
} // namespace

/// Splits the node's inputs into R, T and `numGroups` groups of equally many
/// same-typed tensors, and checks the node declares `numGroups - 1` outputs
/// per tensor (the new X and each new state).
static FailureOr<TrainingOperands>
getTrainingOperands(NodeContext &ctx, unsigned numGroups,
                    ArrayRef<StringRef> groupNames) {
  int64_t numInputs = ctx.node.input_size();
  if (numInputs < 2 + static_cast<int64_t>(numGroups) ||
      (numInputs - 2) % numGroups != 0)
    return ctx.emitError() << "expects inputs R, T and " << numGroups
                           << " groups of N tensors ("
                           << llvm::join(groupNames, ", ") << "), got "
                           << numInputs << " inputs";
  int64_t count = (numInputs - 2) / numGroups;
  if (ctx.getNumResults() != count * (numGroups - 1))
    return ctx.emitError() << "expects " << count * (numGroups - 1)
                           << " outputs for " << count << " tensor"
                           << (count == 1 ? "" : "s") << ", got "
                           << ctx.getNumResults();
  TrainingOperands operands;
  FailureOr<Value> lr = getScalarOperand(ctx, 0, "R", /*allowInteger=*/false);
  FailureOr<Value> step = getScalarOperand(ctx, 1, "T", /*allowInteger=*/true);
  if (failed(lr) || failed(step))
    return failure();
  operands.lr = *lr;
  operands.step = *step;
  operands.groups.resize(numGroups);
  for (unsigned group = 0; group < numGroups; ++group) {
    for (int64_t i = 0; i < count; ++i) {
      unsigned index = 2 + group * count + i;
      Value value = ctx.getOperand(index);
      if (!value)
        return ctx.emitError() << "input " << index << " (" << groupNames[group]
                               << " " << i << ") is missing or not a tensor";
      Type expected =
          group == 0 ? value.getType() : operands.groups[0][i].getType();
      if (value.getType() != expected)
        return ctx.emitError()
               << "input " << index << " (" << groupNames[group] << " " << i
               << ") has type " << value.getType() << " but " << groupNames[0]
               << " " << i << " has " << expected;
      operands.groups[group].push_back(value);
    }
  }
  return operands;
}

/// Builds one optim op per tensor with `build(i)` and returns the node's
/// outputs: result 0 of every op, then result 1 of every op, and so on.
static FailureOr<SmallVector<Value>>
collectResults(int64_t count, function_ref<Operation *(int64_t)> build) {
  SmallVector<Operation *> ops;
  for (int64_t i = 0; i < count; ++i) {
    Operation *op = build(i);
    if (failed(verifyCreated(op)))
      return failure();
    ops.push_back(op);
  }
  SmallVector<Value> results;
  for (unsigned result = 0; result < ops.front()->getNumResults(); ++result)
    for (Operation *op : ops)
      results.push_back(op->getResult(result));
  return results;
}

static FailureOr<SmallVector<Value>> importMomentum(NodeContext &ctx) {
  FailureOr<double> alpha = getFloatAttr(ctx, "alpha", std::nullopt);
  FailureOr<double> beta = getFloatAttr(ctx, "beta", std::nullopt);
  FailureOr<double> norm = getFloatAttr(ctx, "norm_coefficient", std::nullopt);
  if (failed(alpha) || failed(beta) || failed(norm))
    return failure();
  std::optional<std::string> mode = ctx.getStringAttr("mode");
  if (!mode) {
    if (!ctx.hadAttributeError)
      ctx.emitError() << "missing required attribute 'mode'";
    return failure();
  }
  if (*mode != "standard" && *mode != "nesterov")
    return ctx.emitError() << "attribute 'mode' must be \"standard\" or "
                              "\"nesterov\", got \""
                           << *mode << "\"";
  FailureOr<TrainingOperands> operands =
      getTrainingOperands(ctx, 3, {"X", "G", "V"});
  if (failed(operands))
    return failure();
  OpBuilder &b = ctx.builder;
  return collectResults(operands->getNumTensors(), [&](int64_t i) {
    return optim::MomentumOp::create(
               b, ctx.loc, operands->groups[0][i].getType(),
               operands->groups[0][i].getType(), operands->groups[0][i],
               operands->groups[1][i], operands->groups[2][i], operands->lr,
               operands->step, b.getF64FloatAttr(*alpha),
               b.getF64FloatAttr(*beta), b.getF64FloatAttr(*norm),
               b.getBoolAttr(*mode == "nesterov"))
        .getOperation();
  });
}

static FailureOr<SmallVector<Value>> importAdagrad(NodeContext &ctx) {
  FailureOr<double> decay = getFloatAttr(ctx, "decay_factor", 0.0);
  FailureOr<double> epsilon = getFloatAttr(ctx, "epsilon", 1e-6);
  FailureOr<double> norm = getFloatAttr(ctx, "norm_coefficient", 0.0);
  if (failed(decay) || failed(epsilon) || failed(norm))
    return failure();
  FailureOr<TrainingOperands> operands =
      getTrainingOperands(ctx, 3, {"X", "G", "H"});
  if (failed(operands))
    return failure();
  OpBuilder &b = ctx.builder;
  return collectResults(operands->getNumTensors(), [&](int64_t i) {
    return optim::AdagradOp::create(
               b, ctx.loc, operands->groups[0][i].getType(),
               operands->groups[0][i].getType(), operands->groups[0][i],
               operands->groups[1][i], operands->groups[2][i], operands->lr,
               operands->step, b.getF64FloatAttr(*decay),
               b.getF64FloatAttr(*epsilon), b.getF64FloatAttr(*norm))
        .getOperation();
  });
}

static FailureOr<SmallVector<Value>> importAdam(NodeContext &ctx) {
  FailureOr<double> alpha = getFloatAttr(ctx, "alpha", 0.9);
  FailureOr<double> beta = getFloatAttr(ctx, "beta", 0.999);
  FailureOr<double> epsilon = getFloatAttr(ctx, "epsilon", 1e-6);
  FailureOr<double> norm = getFloatAttr(ctx, "norm_coefficient", 0.0);
  FailureOr<double> normPost = getFloatAttr(ctx, "norm_coefficient_post", 0.0);
  if (failed(alpha) || failed(beta) || failed(epsilon) || failed(norm) ||
      failed(normPost))
    return failure();
  FailureOr<TrainingOperands> operands =
      getTrainingOperands(ctx, 4, {"X", "G", "V", "H"});
  if (failed(operands))
    return failure();
  OpBuilder &b = ctx.builder;
  return collectResults(operands->getNumTensors(), [&](int64_t i) {
    Type type = operands->groups[0][i].getType();
    return optim::AdamOp::create(
               b, ctx.loc, type, type, type, operands->groups[0][i],
               operands->groups[1][i], operands->groups[2][i],
               operands->groups[3][i], operands->lr, operands->step,
               b.getF64FloatAttr(*alpha), b.getF64FloatAttr(*beta),
               b.getF64FloatAttr(*epsilon), b.getF64FloatAttr(*norm),
               b.getF64FloatAttr(*normPost))
        .getOperation();
  });
}

void muon::onnx_import::populateTrainingOpImporters(
    OpImporterRegistry &registry) {
  registry.add(kTrainingDomain, "Momentum", importMomentum);
  registry.add(kTrainingDomain, "Adagrad", importAdagrad);
  registry.add(kTrainingDomain, "Adam", importAdam);
}
