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
    Type type = op.getParam().getType();
    // On CPU the scalars are computed once, outside the element loop.
    StepScalars step = StepScalars::fromTensors(
        rewriter, loc, adaptor.getParam(), adaptor.getLr(), adaptor.getStep());
    AdamWScalars scalars(op, step);
    SmallVector<Value> results = buildElementwise(
        rewriter, loc,
        {adaptor.getParam(), adaptor.getGrad(), adaptor.getExpAvg(),
         adaptor.getExpAvgSq()},
        {}, {type, type, type}, step.arithType,
        [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
          return scalars.build(b, bodyLoc, args[0], args[1], args[2], args[3]);
        });
    rewriter.replaceOp(op, results);
    return success();
  }
};
} // namespace

void muon::optim::populateAdamWToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<AdamWToLinalg>(patterns.getContext());
}
