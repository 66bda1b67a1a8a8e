//===- AdamWToLinalg.cpp - optim.adamw to one linalg.generic --------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The bias corrections and step sizes are scalars computed once, in f64 as
// torch computes them in Python floats: in f32, rounding β₂ = 0.999 alone moves
// 1 − β₂ᵗ by ~1e-5 relative at small t. The element-wise update follows
// torch.optim.AdamW's operation order:
// W·(1 − lr·wd) − (lr / (1 − β₁ᵗ)) · M' / (sqrt(V') / sqrt(1 − β₂ᵗ) + ε).
//
//===----------------------------------------------------------------------===//

#include "PatternsImpl.h"

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"
#include "muon/Dialect/Optim/Utils/UpdateMath.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace muon::optim;

namespace {
/// Lowers `optim.adamw` to one `linalg.generic` computing W', M' and V'.
struct AdamWToLinalg : public OpConversionPattern<AdamWOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AdamWOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkSupportedOperandTypes(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    Type arithType =
        getArithmeticType(getElementTypeOrSelf(adaptor.getParams().front()));
    // The step scalars once per step count (buildScalarGeneric), taken as
    // inputs by one generic per member: a bucket's members are updated as by
    // their own ops.
    auto buildStepValues = [&](Value step) {
      SmallVector<Value> inputs = {adaptor.getLr(), step};
      if (Value beta1 = adaptor.getDynamicBeta1())
        inputs.push_back(beta1);
      return buildScalarGeneric(
          rewriter, loc, inputs,
          [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
            StepScalars scalars(b, bodyLoc, arithType, args[0], args[1]);
            return AdamWScalars::buildStepValues(
                op, scalars, args.size() > 2 ? args[2] : Value());
          });
    };
    Value steps = adaptor.getStep();
    auto stepsType = cast<RankedTensorType>(steps.getType());
    SmallVector<Value> sharedStepValues;
    if (stepsType.getRank() == 0)
      sharedStepValues = buildStepValues(steps);
    // A member's own count: a 0-d slice of the 1-d counts.
    auto memberStep = [&](int64_t member) -> Value {
      return tensor::ExtractSliceOp::create(
          rewriter, loc, RankedTensorType::get({}, stepsType.getElementType()),
          steps, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(member)},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)});
    };
    SmallVector<Value> newParams, newExpAvgs, newExpAvgSqs;
    for (auto [index, param, grad, expAvg, expAvgSq] :
         llvm::enumerate(adaptor.getParams(), adaptor.getGrads(),
                         adaptor.getExpAvgs(), adaptor.getExpAvgSqs())) {
      Type type = param.getType();
      SmallVector<Value> inputs = {param, grad, expAvg, expAvgSq};
      llvm::append_range(inputs, stepsType.getRank() == 0
                                     ? sharedStepValues
                                     : buildStepValues(memberStep(index)));
      SmallVector<Value> member = buildElementwise(
          rewriter, loc, inputs, {}, {type, type, type}, arithType,
          [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
            AdamWScalars scalars(op, b, bodyLoc, arithType, args.drop_front(4));
            return scalars.build(b, bodyLoc, args[0], args[1], args[2],
                                 args[3]);
          });
      newParams.push_back(member[0]);
      newExpAvgs.push_back(member[1]);
      newExpAvgSqs.push_back(member[2]);
    }
    SmallVector<Value> results = llvm::to_vector(
        llvm::concat<Value>(newParams, newExpAvgs, newExpAvgSqs));
    applySkip(rewriter, op, adaptor.getOperands(), results);
    rewriter.replaceOp(op, results);
    return success();
  }
};
} // namespace

void muon::optim::populateAdamWToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<AdamWToLinalg>(patterns.getContext());
}
