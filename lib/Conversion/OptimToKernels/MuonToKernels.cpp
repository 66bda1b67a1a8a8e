//===- MuonToKernels.cpp - optim.muon/muon2 to fused kernels + GEMMs ------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// One Muon update of a bucket (N matrices A×B) becomes three kernels and
// 3 × steps GEMM calls, whatever N is:
//   K1  M' = βM + (1−β)G, U = Nesterov blend (Muon²: V', U/(sqrt V'+ε)),
//       and per-matrix Σ U² partials (atomics into kReductionSlots slots);
//   K2 + GEMMs  Newton–Schulz (NewtonSchulzToKernels.cpp);
//   K3  W' = W·(1 − lr·wd) − lr·adjust·X.
// lr stays a device buffer that K3 loads. A bucket packed by optim-bucket
// is read and written in its parameters' own buffers (BucketBuffers.h).
// Muon²-F is not fused: it
// decomposes (optim-decompose's patterns) into moment generics, which run
// as generic kernels, around an `optim.newton_schulz`.
//
//===----------------------------------------------------------------------===//

#include "BucketBuffers.h"
#include "KernelBuilders.h"
#include "PatternsImpl.h"

#include "muon/Conversion/NewtonSchulzGemms.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"
#include "muon/Dialect/Optim/Utils/UpdateMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace muon::optim;

namespace {
/// Lowers `optim.muon` and `optim.muon2` (full second moment) to K1, K2, the
/// Newton–Schulz GEMM calls and K3 on the buffers of their operands.
template <typename OpTy>
struct MuonToKernels : public OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  using OpAdaptor = typename OpConversionPattern<OpTy>::OpAdaptor;
  static constexpr bool kIsMuon2 = std::is_same_v<OpTy, Muon2Op>;

  LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkSupportedOperandTypes(rewriter, op)))
      return failure();
    if constexpr (kIsMuon2) {
      if (op.isFactored())
        return rewriter.notifyMatchFailure(op, "factored second moment");
    }
    // An unsupported compute type is reported by the Newton–Schulz pattern
    // once the op has decomposed.
    Type computeType = op.getComputeElementType();
    if (!muon::hasRuntimeGemm(computeType))
      return rewriter.notifyMatchFailure(op, "GEMM compute type");

    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getParam().getType());
    Type elementType = type.getElementType();
    Type arithType = getArithmeticType(elementType);
    MatrixShape matrix = getMatrixShape(type, op.getView());
    int64_t numMatrices = matrix.getBatchSize();
    int64_t elements = matrix.rows * matrix.cols;
    int64_t total = numMatrices * elements;

    // Per-parameter buffers where optim-bucket packed them (BucketBuffers.h);
    // only the Newton–Schulz input is a packed temporary.
    // (K1 takes up to five per-row buffers.)
    BucketLayout layout = BucketLayout::get(adaptor.getParam());
    if (layout.getNumRows() != numMatrices ||
        numMatrices * 5 > kMaxRowBuffersPerKernel)
      layout = BucketLayout::whole(total);
    auto operand = [&](Value tensor) {
      return BucketBuffer::forOperand(rewriter, loc, tensor, layout);
    };
    auto result = [&](Value tensor) {
      return BucketBuffer::forResult(rewriter, loc, tensor, layout);
    };
    BucketBuffer param = operand(adaptor.getParam());
    BucketBuffer grad = operand(adaptor.getGrad());
    BucketBuffer momentum = operand(adaptor.getMomentumBuffer());
    Value lr = toFlatBuffer(rewriter, loc, adaptor.getLr());
    std::optional<BucketBuffer> secondMoment, newSecondMoment;
    Value secondMomentResult;
    if constexpr (kIsMuon2) {
      secondMomentResult = op.getNewSecondMoment()[0];
      secondMoment.emplace(operand(adaptor.getSecondMoment()[0]));
      newSecondMoment.emplace(result(secondMomentResult));
    }
    BucketBuffer newParam = result(op.getNewParam());
    BucketBuffer newMomentum = result(op.getNewMomentumBuffer());
    // U as Newton–Schulz reads it (a bf16 one reads half the bytes).
    Type updateType = getNSInputType(elementType, computeType);
    Value update = allocBuffer(rewriter, loc, {total}, updateType);
    Value slots = createSlots(rewriter, loc, numMatrices);

    // K1: moments, NS input and its per-matrix Σ x² partials.
    MuonUpdateMath math(rewriter, loc, op);
    Value zero = createFloatConstant(rewriter, loc, rewriter.getF64Type(), 0.0);
    // The row's buffers of G, M, M' (and V, V'), chosen once per thread.
    SmallVector<const BucketBuffer *> k1Buckets = {&grad, &momentum,
                                                   &newMomentum};
    if (secondMoment)
      k1Buckets.append({&*secondMoment, &*newSecondMoment});
    SmallVector<RowBuffer> k1Rows;
    buildKernel(
        rewriter, loc, numMatrices, elements, {zero},
        [&](OpBuilder &b, Location kloc, Value row) {
          k1Rows = BucketBuffer::selectRow(b, kloc, k1Buckets, row);
        },
        [&](OpBuilder &b, Location kloc, Value, Value flat, ValueRange accs) {
          Value g = BucketBuffer::load(b, kloc, k1Rows[0], flat, arithType);
          Value m = BucketBuffer::load(b, kloc, k1Rows[1], flat, arithType);
          Value v;
          if (secondMoment)
            v = BucketBuffer::load(b, kloc, k1Rows[3], flat, arithType);
          MuonMoments moments = math.buildMoments(b, kloc, g, m, v);
          BucketBuffer::store(b, kloc, k1Rows[2], moments.newMomentum, flat);
          if (secondMoment)
            BucketBuffer::store(b, kloc, k1Rows[4], moments.newSecondMoment,
                                flat);
          Value u = moments.update;
          // The norm sees U as stored.
          u = convertScalar(b, kloc, convertScalar(b, kloc, u, updateType),
                            b.getF32Type());
          storeConverted(b, kloc, u, update, flat);
          return SmallVector<Value>{accumulateSquare(b, kloc, accs[0], u)};
        },
        [&](OpBuilder &b, Location kloc, Value row, Value thread,
            ValueRange accs) {
          buildSlotAccumulate(b, kloc, slots, row, thread, accs[0]);
        });

    Value ortho =
        buildNewtonSchulz(rewriter, loc, update, slots, matrix, numMatrices,
                          op.getScheduleOrDefault(),
                          static_cast<int64_t>(op.getNsSteps()), computeType);

    // K3: decoupled weight decay and the adjusted step.
    std::optional<ParamUpdateScalars> scalars;
    SmallVector<RowBuffer> k3Rows;
    buildKernel(
        rewriter, loc, numMatrices, elements, {},
        [&](OpBuilder &b, Location kloc, Value row) {
          Value rate = loadAs(b, kloc, lr, {}, arithType);
          scalars.emplace(math.buildParamScalars(b, kloc, rate));
          k3Rows = BucketBuffer::selectRow(b, kloc, {&param, &newParam}, row);
        },
        [&](OpBuilder &b, Location kloc, Value, Value flat, ValueRange) {
          Value w = BucketBuffer::load(b, kloc, k3Rows[0], flat, arithType);
          // O rounded to the parameter type, as the op's result is.
          Value o = convertScalar(
              b, kloc, loadAs(b, kloc, ortho, flat, elementType), arithType);
          BucketBuffer::store(b, kloc, k3Rows[1], scalars->build(b, kloc, w, o),
                              flat);
          return SmallVector<Value>{};
        },
        [](OpBuilder &, Location, Value, Value, ValueRange) {});

    SmallVector<Value> results = {
        newParam.replaceResult(rewriter, loc, op.getNewParam()),
        newMomentum.replaceResult(rewriter, loc, op.getNewMomentumBuffer())};
    if (newSecondMoment)
      results.push_back(
          newSecondMoment->replaceResult(rewriter, loc, secondMomentResult));
    rewriter.replaceOp(op, results);
    return success();
  }
};
} // namespace

void muon::optim::populateMuonToKernelsPatterns(RewritePatternSet &patterns) {
  // Above the decomposition patterns the pass also holds.
  patterns.add<MuonToKernels<MuonOp>, MuonToKernels<Muon2Op>>(
      patterns.getContext(), /*benefit=*/2);
}
