//===- AdamWToKernels.cpp - optim.adamw to one fused kernel ---------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// AdamW is element-wise: one kernel over the (bucketed, concatenated)
// parameter. lr and the step count stay device buffers: every thread loads
// them and computes the bias corrections once, before its elements.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilders.h"
#include "PatternsImpl.h"

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Transforms/LinalgBuilders.h"
#include "muon/Dialect/Optim/Transforms/UpdateMath.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace muon::optim;

namespace {
/// Lowers `optim.adamw` to one kernel computing W', M' and V'.
struct AdamWToKernels : public OpConversionPattern<AdamWOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AdamWOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkSupportedOperandTypes(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getParam().getType());
    Type elementType = type.getElementType();
    Type arithType = getArithmeticType(elementType);

    SmallVector<Value> inputs;
    for (Value operand : {adaptor.getParam(), adaptor.getGrad(),
                          adaptor.getExpAvg(), adaptor.getExpAvgSq()})
      inputs.push_back(toFlatBuffer(rewriter, loc, operand));
    Value lr = toFlatBuffer(rewriter, loc, adaptor.getLr());
    Value step = toFlatBuffer(rewriter, loc, adaptor.getStep());
    SmallVector<Value> outputs;
    for (int i = 0; i < 3; ++i)
      outputs.push_back(
          allocBuffer(rewriter, loc, {type.getNumElements()}, elementType));

    std::optional<AdamWScalars> scalars;
    buildKernel(
        rewriter, loc, /*rows=*/1, type.getNumElements(), {},
        [&](OpBuilder &b, Location kloc, Value) {
          Value rate = memref::LoadOp::create(b, kloc, lr, ValueRange());
          Value count = memref::LoadOp::create(b, kloc, step, ValueRange());
          scalars.emplace(b, kloc, op, rate, count, arithType);
        },
        [&](OpBuilder &b, Location kloc, Value, Value flat, ValueRange) {
          SmallVector<Value> args;
          for (Value input : inputs)
            args.push_back(convertScalar(
                b, kloc, memref::LoadOp::create(b, kloc, input, flat),
                arithType));
          SmallVector<Value> results =
              scalars->build(b, kloc, args[0], args[1], args[2], args[3]);
          for (auto [result, output] : llvm::zip_equal(results, outputs))
            memref::StoreOp::create(b, kloc,
                                    convertScalar(b, kloc, result, elementType),
                                    output, flat);
          return SmallVector<Value>{};
        },
        [](OpBuilder &, Location, Value, Value, ValueRange) {});

    SmallVector<Value> results;
    for (Value output : outputs)
      results.push_back(toResultTensor(rewriter, loc, output, type));
    rewriter.replaceOp(op, results);
    return success();
  }
};
} // namespace

void muon::optim::populateAdamWToKernelsPatterns(RewritePatternSet &patterns) {
  patterns.add<AdamWToKernels>(patterns.getContext());
}
