//===- NewtonSchulzToKernels.cpp - Newton–Schulz as cuBLASLt GEMM calls ---===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Newton–Schulz of a bucket (N matrices A×B): a normalization kernel, then
// per iteration three GEMM calls with the (a, b, c) coefficients folded into
// alpha/beta:
//   S = X·Xᵀ ; T = c·S·S + b·S ; X' = T·X + a·X
// (tall matrices iterate on Xᵀ through the transpose flags: S = Xᵀ·X,
// X' = X·Tᵀ + a·X, so no transpose is materialized). Muon's K1 provides the
// per-matrix Σ x²; a standalone `optim.newton_schulz` (and so Muon²-F, which
// decomposes into one) gets its own reduction kernel.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilders.h"
#include "PatternsImpl.h"

#include "muon/Conversion/RuntimeCalls.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace muon::optim;

Value muon::optim::buildNewtonSchulz(OpBuilder &b, Location loc, Value input,
                                     Value slots, const MatrixShape &matrix,
                                     int64_t numMatrices,
                                     NSScheduleAttr schedule, int64_t steps,
                                     Type computeType) {
  int64_t rows = matrix.rows, cols = matrix.cols;
  Value iterates[2] = {
      allocBuffer(b, loc, {numMatrices, rows, cols}, computeType),
      allocBuffer(b, loc, {numMatrices, rows, cols}, computeType)};

  // K2: X = U / (‖U‖_F·scale + eps), rounded to the compute type. In f64,
  // like the norm: U near f32's range has a norm beyond it.
  Value first = flatten(b, loc, iterates[0]);
  Type f64 = b.getF64Type();
  Value scale = createFloatConstant(b, loc, f64, schedule.getNormScale());
  Value eps = createFloatConstant(b, loc, f64, schedule.getNormEps());
  Value inverse;
  buildKernel(
      b, loc, numMatrices, rows * cols, {},
      [&](OpBuilder &pb, Location ploc, Value row) {
        Value norm =
            math::SqrtOp::create(pb, ploc, buildSlotSum(pb, ploc, slots, row));
        Value denom = arith::AddFOp::create(
            pb, ploc, arith::MulFOp::create(pb, ploc, norm, scale), eps);
        inverse = arith::DivFOp::create(
            pb, ploc, createFloatConstant(pb, ploc, f64, 1.0), denom);
      },
      [&](OpBuilder &kb, Location kloc, Value, Value flat, ValueRange) {
        // Through f32: hosts have no f64 → bf16 conversion outside
        // compiler-rt (the emulated program runs there).
        Value x = loadAs(kb, kloc, input, flat, f64);
        Value scaled = arith::MulFOp::create(kb, kloc, x, inverse);
        storeConverted(kb, kloc,
                       convertScalar(kb, kloc, scaled, kb.getF32Type()), first,
                       flat);
        return SmallVector<Value>{};
      },
      [](OpBuilder &, Location, Value, Value, ValueRange) {});

  // Work on the wide orientation: the Gram matrix is m×m, m = min(A, B).
  bool tall = rows > cols;
  int64_t gramSize = std::min(rows, cols);
  Value gram =
      allocBuffer(b, loc, {numMatrices, gramSize, gramSize}, computeType);
  Value poly =
      allocBuffer(b, loc, {numMatrices, gramSize, gramSize}, computeType);
  for (auto [step, coefficients] : llvm::enumerate(schedule.getTuples(steps))) {
    auto [a, bCoeff, c] = coefficients;
    Value x = iterates[step % 2], next = iterates[(step + 1) % 2];
    // S = X·Xᵀ (tall: Xᵀ·X); beta 0 ignores the contents of S. Both S and
    // T are symmetric: the runtime may compute half of each.
    muon::createGPUSymmetricRankKCall(b, loc, x, gram, gram, 1.0, 0.0,
                                      /*transposeLhs=*/tall);
    // T = c·S·S + b·S, with S·S = S·Sᵀ.
    muon::createGPUSymmetricRankKCall(b, loc, gram, gram, poly, c, bCoeff,
                                      /*transposeLhs=*/false);
    // X' = T·X + a·X (tall: X·Tᵀ + a·X, the transpose of T·Xᵀ + a·Xᵀ).
    if (tall)
      muon::createGPUGemmCall(b, loc, x, poly, x, next, 1.0, a, false, true);
    else
      muon::createGPUGemmCall(b, loc, poly, x, x, next, 1.0, a, false, false);
  }
  return flatten(b, loc, iterates[steps % 2]);
}

LogicalResult muon::optim::checkGemmComputeType(Operation *op,
                                                Type computeType) {
  if (computeType.isF32() || computeType.isBF16())
    return success();
  return op->emitOpError() << "cannot run Newton–Schulz in " << computeType
                           << " on the GPU: the GEMMs take f32 or bf16";
}

namespace {
/// A standalone `optim.newton_schulz`: Σ x² per matrix, then the kernel
/// chain above; the result is rounded back to the operand type if the GEMMs
/// ran in another.
struct NewtonSchulzToKernels : public OpConversionPattern<NewtonSchulzOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(NewtonSchulzOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type computeType = op.getComputeElementType();
    if (failed(checkGemmComputeType(op, computeType)))
      return failure();
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getInput().getType());
    MatrixShape matrix = getMatrixShape(type, op.getView());
    int64_t numMatrices = matrix.getBatchSize();
    int64_t elements = matrix.rows * matrix.cols;
    Type f32 = rewriter.getF32Type();

    Value input = toFlatBuffer(rewriter, loc, adaptor.getInput());
    Value slots = createSlots(rewriter, loc, numMatrices);
    Value zero = createFloatConstant(rewriter, loc, rewriter.getF64Type(), 0.0);
    buildKernel(
        rewriter, loc, numMatrices, elements, {zero},
        [](OpBuilder &, Location, Value) {},
        [&](OpBuilder &b, Location kloc, Value, Value flat, ValueRange accs) {
          Value x = loadAs(b, kloc, input, flat, f32);
          return SmallVector<Value>{accumulateSquare(b, kloc, accs[0], x)};
        },
        [&](OpBuilder &b, Location kloc, Value row, Value thread,
            ValueRange accs) {
          buildSlotAccumulate(b, kloc, slots, row, thread, accs[0]);
        });

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
    rewriter.replaceOp(op, toResultTensor(rewriter, loc, result, type));
    return success();
  }
};
} // namespace

void muon::optim::populateNewtonSchulzToKernelsPatterns(
    RewritePatternSet &patterns) {
  patterns.add<NewtonSchulzToKernels>(patterns.getContext());
}
