//===- NewtonSchulzToKernels.cpp - Newton–Schulz as cuBLASLt GEMM calls ---===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Newton–Schulz of a bucket (N matrices A×B): a normalization kernel, then
// the GEMM calls of the shared lowering (NewtonSchulzGemms.h). Muon's K1
// provides the per-matrix Σ x²; a standalone `optim.newton_schulz` (and so
// Muon²-F, which decomposes into one) gets its own reduction kernel.
//===----------------------------------------------------------------------===//

#include "BucketBuffers.h"
#include "KernelBuilders.h"
#include "KernelLowerings.h"

#include "muon/Conversion/NewtonSchulzGemms/NewtonSchulzGemms.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"
#include "muon/Dialect/Optim/Utils/UpdateMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace muon::optim;

Value muon::optim::buildNewtonSchulz(OpBuilder &b, Location loc, Value input,
                                     Value slots, const MatrixShape &matrix,
                                     int64_t numMatrices,
                                     NSScheduleAttr schedule, int64_t steps,
                                     Type computeType,
                                     const BucketRows *bucketRows) {
  int64_t rows = matrix.rows, cols = matrix.cols;
  Value x0 = allocBuffer(b, loc, {numMatrices, rows, cols}, computeType);

  // K2: X₀ = U / (‖U‖_F·s + e) in the compute type; each thread computes its
  // matrix's denominator once.
  Value first = flatten(b, loc, x0);
  Type inputType = cast<MemRefType>(input.getType()).getElementType();
  NSNormalization normalization(b, loc, schedule);
  Value denominator;
  buildKernel(
      b, loc, numMatrices, rows * cols, {},
      [&](OpBuilder &pb, Location ploc, Value row) {
        denominator = normalization.buildDenominator(
            pb, ploc, buildSlotSum(pb, ploc, slots, row));
      },
      [&](OpBuilder &kb, Location kloc, Value row, Value flat, ValueRange) {
        Value u = loadAs(kb, kloc, input, flat,
                         getNSInputType(inputType, computeType));
        storeConverted(
            kb, kloc,
            normalization.buildElement(kb, kloc, u, denominator, computeType),
            first,
            bucketRows ? bucketRows->buildPackedIndex(kb, kloc, row, flat)
                       : flat);
        return SmallVector<Value>{};
      },
      [](OpBuilder &, Location, Value, Value, ValueRange) {});

  return flatten(b, loc,
                 muon::createNewtonSchulzGemmCalls(b, loc, x0,
                                                   /*x0IsScratch=*/true, matrix,
                                                   schedule, steps));
}

/// A standalone `optim.newton_schulz`: Σ x² per matrix, then the kernel
/// chain above; the result is rounded back to the operand type if the GEMMs
/// ran in another.
FailureOr<SmallVector<Value>> muon::optim::buildKernels(RewriterBase &rewriter,
                                                        NewtonSchulzOp op,
                                                        ValueRange operands,
                                                        ArrayRef<Value>) {
  Type computeType = op.getComputeElementType();
  if (failed(muon::checkRuntimeGemmType(op, computeType)))
    return failure();
  Location loc = op.getLoc();
  auto type = cast<RankedTensorType>(op.getInput().getType());
  MatrixShape matrix = getMatrixShape(type, op.getView());
  int64_t numMatrices = matrix.getBatchSize();
  int64_t elements = matrix.rows * matrix.cols;
  Type f32 = rewriter.getF32Type();

  Value input = toFlatBuffer(rewriter, loc, operands.front());
  // The norm sees U as K2 reads it.
  Type inputType = getNSInputType(type.getElementType(), computeType);
  RowSums norms(rewriter, loc, numMatrices, elements,
                OptimDialect::isDeterministic(op));
  Value zero = createFloatConstant(rewriter, loc, rewriter.getF64Type(), 0.0);
  buildKernel(
      rewriter, loc, numMatrices, elements, {zero},
      [](OpBuilder &, Location, Value) {},
      [&](OpBuilder &b, Location kloc, Value, Value flat, ValueRange accs) {
        Value x = loadAs(b, kloc, input, flat, inputType);
        return SmallVector<Value>{accumulateSquare(b, kloc, accs[0], x)};
      },
      [&](OpBuilder &b, Location kloc, Value row, Value thread,
          ValueRange accs) {
        norms.accumulate(b, kloc, row, thread, accs[0]);
      });
  Value slots = norms.finish(rewriter, loc);

  Value result =
      buildNewtonSchulz(rewriter, loc, input, slots, matrix, numMatrices,
                        op.getScheduleOrDefault(),
                        static_cast<int64_t>(op.getSteps()), computeType);
  if (computeType != type.getElementType()) {
    // In the result's shape, so that a returned result is the caller's
    // out-param rather than a copy into it.
    Value roundedResult =
        allocBuffer(rewriter, loc, type.getShape(), type.getElementType());
    Value rounded = flatten(rewriter, loc, roundedResult);
    buildKernel(
        rewriter, loc, numMatrices, elements, {},
        [](OpBuilder &, Location, Value) {},
        [&](OpBuilder &b, Location kloc, Value, Value flat, ValueRange) {
          storeConverted(b, kloc, loadAs(b, kloc, result, flat, f32), rounded,
                         flat);
          return SmallVector<Value>{};
        },
        [](OpBuilder &, Location, Value, Value, ValueRange) {});
    result = roundedResult;
  }
  return SmallVector<Value>{
      muon::buildReshape(rewriter, loc, result, type.getShape())};
}
