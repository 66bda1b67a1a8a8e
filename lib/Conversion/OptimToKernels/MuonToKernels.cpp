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
//   K2  X = U / (‖U‖·s + e), rounded to the compute type;
//   GEMMs per iteration, with the (a, b, c) folded into alpha/beta:
//       S = X·Xᵀ ; T = c·S·S + b·S ; X' = T·X + a·X
//       (tall matrices iterate on Xᵀ through the transpose flags:
//        S = Xᵀ·X, X' = X·Tᵀ + a·X, so no transpose is materialized);
//   K3  W' = W·(1 − lr·wd) − lr·adjust·X.
// lr stays a device buffer that K3 loads.
//
//===----------------------------------------------------------------------===//

#include "KernelBuilders.h"
#include "PatternsImpl.h"

#include "muon/Conversion/RuntimeCalls.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Transforms/LinalgBuilders.h"
#include "muon/Dialect/Optim/Transforms/UpdateMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace muon::optim;

static Value load(OpBuilder &b, Location loc, Value buffer, ValueRange index,
                  Type type) {
  return convertScalar(b, loc, memref::LoadOp::create(b, loc, buffer, index),
                       type);
}

static void store(OpBuilder &b, Location loc, Value value, Value buffer,
                  ValueRange index) {
  Type type = cast<MemRefType>(buffer.getType()).getElementType();
  memref::StoreOp::create(b, loc, convertScalar(b, loc, value, type), buffer,
                          index);
}

/// D = alpha·op(A)·op(B) + beta·C per matrix of N×rows×cols buffers, through
/// the runtime GEMM for their element type (cuBLASLt on GPU).
static void createGemm(OpBuilder &b, Location loc, Value lhs, Value rhs,
                       Value addend, Value result, double alpha, double beta,
                       bool transposeLhs, bool transposeRhs) {
  Type type = cast<MemRefType>(lhs.getType()).getElementType();
  StringRef callee =
      type.isBF16() ? "muon_gpu_gemm_bf16" : "muon_gpu_gemm_f32";
  SmallVector<Value> args;
  for (Value buffer : {lhs, rhs, addend, result})
    args.push_back(muon::castToDynamicStrided(b, loc, buffer));
  args.push_back(createFloatConstant(b, loc, b.getF32Type(), alpha));
  args.push_back(createFloatConstant(b, loc, b.getF32Type(), beta));
  args.push_back(arith::ConstantIntOp::create(b, loc, transposeLhs, 1));
  args.push_back(arith::ConstantIntOp::create(b, loc, transposeRhs, 1));
  muon::createRuntimeCall(b, loc, callee, args);
}

/// Newton–Schulz of the flat N·A·B buffer `input`, whose per-matrix Σ x² is
/// in `slots`: K2 and the GEMM chain. Returns the flat result in
/// `computeType`.
static Value buildNewtonSchulz(OpBuilder &b, Location loc, Value input,
                               Value slots, const MatrixShape &matrix,
                               int64_t numMatrices, NSScheduleAttr schedule,
                               int64_t steps, Type computeType) {
  int64_t rows = matrix.rows, cols = matrix.cols;
  Value iterates[2] = {
      allocBuffer(b, loc, {numMatrices, rows, cols}, computeType),
      allocBuffer(b, loc, {numMatrices, rows, cols}, computeType)};

  // K2: X = U / (‖U‖_F·scale + eps), rounded to the compute type.
  Value first = flatten(b, loc, iterates[0]);
  Type f32 = b.getF32Type();
  Value scale = createFloatConstant(b, loc, f32, schedule.getNormScale());
  Value eps = createFloatConstant(b, loc, f32, schedule.getNormEps());
  Value denom;
  buildKernel(
      b, loc, numMatrices, rows * cols, {},
      [&](OpBuilder &pb, Location ploc, Value row) {
        Value norm =
            math::SqrtOp::create(pb, ploc, buildSlotSum(pb, ploc, slots, row));
        denom = arith::AddFOp::create(
            pb, ploc, arith::MulFOp::create(pb, ploc, norm, scale), eps);
      },
      [&](OpBuilder &kb, Location kloc, Value, Value flat, ValueRange) {
        Value x = load(kb, kloc, input, flat, f32);
        store(kb, kloc, arith::DivFOp::create(kb, kloc, x, denom), first, flat);
        return SmallVector<Value>{};
      },
      [](OpBuilder &, Location, Value, Value, ValueRange) {});

  // Work on the wide orientation: the Gram matrix is m×m, m = min(A, B).
  bool tall = rows > cols;
  int64_t gramSize = std::min(rows, cols);
  Value gram = allocBuffer(b, loc, {numMatrices, gramSize, gramSize},
                           computeType);
  Value poly = allocBuffer(b, loc, {numMatrices, gramSize, gramSize},
                           computeType);
  for (auto [step, coefficients] :
       llvm::enumerate(schedule.getTuples(steps))) {
    auto [a, bCoeff, c] = coefficients;
    Value x = iterates[step % 2], next = iterates[(step + 1) % 2];
    // S = X·Xᵀ (tall: Xᵀ·X); beta 0 ignores the contents of S.
    createGemm(b, loc, x, x, gram, gram, 1.0, 0.0, /*transposeLhs=*/tall,
               /*transposeRhs=*/!tall);
    // T = c·S·S + b·S.
    createGemm(b, loc, gram, gram, gram, poly, c, bCoeff, false, false);
    // X' = T·X + a·X (tall: X·Tᵀ + a·X, the transpose of T·Xᵀ + a·Xᵀ).
    if (tall)
      createGemm(b, loc, x, poly, x, next, 1.0, a, false, true);
    else
      createGemm(b, loc, poly, x, x, next, 1.0, a, false, false);
  }
  return flatten(b, loc, iterates[steps % 2]);
}

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
      if (op.isFactored()) {
        op.emitOpError("with a factored second moment (Muon²-F) is not "
                       "supported by the GPU kernels yet");
        return rewriter.notifyMatchFailure(op, "factored second moment");
      }
    }
    Type computeType = op.getComputeElementType();
    if (!computeType.isF32() && !computeType.isBF16()) {
      op.emitOpError() << "cannot run Newton–Schulz in " << computeType
                       << " on the GPU: the GEMMs take f32 or bf16";
      return rewriter.notifyMatchFailure(op, "unsupported compute type");
    }

    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getParam().getType());
    Type elementType = type.getElementType();
    Type arithType = getArithmeticType(elementType);
    MatrixShape matrix = getMatrixShape(type, op.getView());
    int64_t numMatrices = matrix.getBatchSize();
    int64_t elements = matrix.rows * matrix.cols;
    int64_t total = numMatrices * elements;

    Value param = toFlatBuffer(rewriter, loc, adaptor.getParam());
    Value grad = toFlatBuffer(rewriter, loc, adaptor.getGrad());
    Value momentum = toFlatBuffer(rewriter, loc, adaptor.getMomentumBuffer());
    Value lr = toFlatBuffer(rewriter, loc, adaptor.getLr());
    Value secondMoment;
    if constexpr (kIsMuon2)
      secondMoment = toFlatBuffer(rewriter, loc, adaptor.getSecondMoment()[0]);
    Value newParam = allocBuffer(rewriter, loc, {total}, elementType);
    Value newMomentum = allocBuffer(rewriter, loc, {total}, elementType);
    Value newSecondMoment =
        secondMoment ? allocBuffer(rewriter, loc, {total}, elementType)
                     : Value();
    Value update = allocBuffer(rewriter, loc, {total}, elementType);
    Value slots = createSlots(rewriter, loc, numMatrices);

    // K1: moments, NS input and its per-matrix Σ x² partials.
    MomentumCoefficients coefficients(rewriter, loc, arithType,
                                      op.getMomentum().convertToDouble(),
                                      op.getNesterov());
    std::optional<SecondMomentCoefficients> second;
    if constexpr (kIsMuon2)
      second.emplace(rewriter, loc, arithType, op);
    Value zero = createFloatConstant(rewriter, loc, rewriter.getF32Type(), 0.0);
    buildKernel(
        rewriter, loc, numMatrices, elements, {zero},
        [](OpBuilder &, Location, Value) {},
        [&](OpBuilder &b, Location kloc, Value, Value flat, ValueRange accs) {
          Value g = load(b, kloc, grad, flat, arithType);
          Value m = load(b, kloc, momentum, flat, arithType);
          auto [newM, u] = coefficients.build(b, kloc, g, m);
          store(b, kloc, newM, newMomentum, flat);
          if (second) {
            Value v = load(b, kloc, secondMoment, flat, arithType);
            Value square = arith::MulFOp::create(b, kloc, g, g);
            Value newV = buildMovingAverage(b, kloc, second->beta2,
                                            second->oneMinusBeta2, v, square);
            store(b, kloc, newV, newSecondMoment, flat);
            u = buildPrecondition(b, kloc, u, newV, second->eps);
          }
          // The norm sees U as stored (rounded to the parameter type), as
          // the Newton–Schulz input of the reference lowering does.
          u = convertScalar(b, kloc, convertScalar(b, kloc, u, elementType),
                            b.getF32Type());
          store(b, kloc, u, update, flat);
          Value square = arith::MulFOp::create(b, kloc, u, u);
          return SmallVector<Value>{
              arith::AddFOp::create(b, kloc, accs[0], square)};
        },
        [&](OpBuilder &b, Location kloc, Value row, Value thread,
            ValueRange accs) {
          buildSlotAccumulate(b, kloc, slots, row, thread, accs[0]);
        });

    Value ortho = buildNewtonSchulz(
        rewriter, loc, update, slots, matrix, numMatrices,
        op.getScheduleOrDefault(), static_cast<int64_t>(op.getNsSteps()),
        computeType);

    // K3: decoupled weight decay and the adjusted step.
    double adjust = getLrAdjustFactor(op.getLrAdjust(), matrix);
    double weightDecay = op.getWeightDecay().convertToDouble();
    std::optional<ParamUpdateScalars> scalars;
    buildKernel(
        rewriter, loc, numMatrices, elements, {},
        [&](OpBuilder &b, Location kloc, Value) {
          Value rate = load(b, kloc, lr, {}, arithType);
          scalars.emplace(b, kloc, rate, adjust, weightDecay);
        },
        [&](OpBuilder &b, Location kloc, Value, Value flat, ValueRange) {
          Value w = load(b, kloc, param, flat, arithType);
          Value o = load(b, kloc, ortho, flat, arithType);
          store(b, kloc, scalars->build(b, kloc, w, o), newParam, flat);
          return SmallVector<Value>{};
        },
        [](OpBuilder &, Location, Value, Value, ValueRange) {});

    SmallVector<Value> results = {
        toResultTensor(rewriter, loc, newParam, type),
        toResultTensor(rewriter, loc, newMomentum, type)};
    if (newSecondMoment)
      results.push_back(toResultTensor(rewriter, loc, newSecondMoment, type));
    rewriter.replaceOp(op, results);
    return success();
  }
};
} // namespace

void muon::optim::populateMuonToKernelsPatterns(RewritePatternSet &patterns) {
  patterns.add<MuonToKernels<MuonOp>, MuonToKernels<Muon2Op>>(
      patterns.getContext());
}
