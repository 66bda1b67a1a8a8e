//===- MuonToKernels.cpp - optim.muon/muon2 to fused kernels + GEMMs ------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// One Muon update of a bucket (N matrices, transposed and zero-padded to one
// R×C as BucketRows says)
// becomes three kernels and 3 × steps GEMM calls, whatever N is:
//   K1  M' = βM + (1−β)G, U = Nesterov blend (Muon²: V', U/(sqrt V'+ε)),
//       and per-matrix Σ U² partials (RowSums: atomics into kReductionSlots
//       slots, or per-thread slots summed in a fixed order by a few small
//       kernels in a module marked optim.deterministic);
//   K2 + GEMMs  Newton–Schulz (NewtonSchulzToKernels.cpp);
//   K3  W' = W·(1 − lr·wd) − lr·adjust·X.
// lr stays a device buffer that K3 loads (a run-time β one that K1 loads). A
// bucket's parameters are read and written in their own buffers
// (BucketBuffers.h). The order of the steps is buildMuonUpdate's
// (MuonUpdate.h), which optim-decompose shares. Muon²-F is not fused:
// optim-decompose (keep-fusable) decomposes it into moment generics, which run
// as generic kernels, around an `optim.newton_schulz`.
//
//===----------------------------------------------------------------------===//

#include "BucketBuffers.h"
#include "KernelBuilders.h"
#include "KernelLowerings.h"

#include "muon/Conversion/NewtonSchulzGemms/NewtonSchulzGemms.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"
#include "muon/Dialect/Optim/Utils/MuonUpdate.h"
#include "muon/Dialect/Optim/Utils/UpdateMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace muon::optim;

namespace {
/// Emits a Muon/Muon² update (buildMuonUpdate) as K1, K2 + the Newton–Schulz
/// GEMM calls and K3 on the buffers of the op's operands and results.
template <typename OpTy> class KernelMuonEmitter {
public:
  using OpAdaptor = typename OpTy::Adaptor;
  static constexpr bool kIsMuon2 = std::is_same_v<OpTy, Muon2Op>;

  /// U as Newton–Schulz reads it and its per-matrix Σ x² slots.
  struct Moments {
    Value update, slots;
  };

  KernelMuonEmitter(RewriterBase &rewriter, OpTy op, OpAdaptor adaptor,
                    ArrayRef<Value> destinations)
      : rewriter(rewriter), op(op), loc(op.getLoc()),
        destinations(destinations),
        type(cast<RankedTensorType>(op.getParams().front().getType())),
        elementType(type.getElementType()),
        computeType(op.getComputeElementType()),
        bucketRows(op.getParams().getTypes(), op.getView()),
        matrix(bucketRows.getMatrix()), elements(matrix.rows * matrix.cols),
        // One row per matrix of the members, read and written in the
        // members' own buffers (BucketBuffers.h); only the Newton–Schulz
        // input is a packed temporary. K1 takes up to five buffers per
        // member: beyond the kernel parameter space, the members are packed.
        layout(getMatrixLayout(op.getParams().getTypes(), op.getView())),
        numMatrices(layout.getNumRows()),
        packed(isPackedMuonBucket(op.getParams().size())),
        param(operands(adaptor.getParams())),
        grad(operands(adaptor.getGrads())),
        momentum(operands(adaptor.getMomentumBuffers())),
        lr(toFlatBuffer(rewriter, loc, adaptor.getLr())),
        beta(adaptor.getDynamicMomentum()
                 ? toFlatBuffer(rewriter, loc, adaptor.getDynamicMomentum())
                 : Value()),
        skip(rewriter, loc, adaptor.getSkip()) {
    if constexpr (kIsMuon2) {
      secondMoment.emplace(operands(adaptor.getSecondMoments()));
      newSecondMoment.emplace(results(op.getNewSecondMoments()));
    }
    newParam.emplace(results(op.getNewParams()));
    newMomentum.emplace(results(op.getNewMomentumBuffers()));
  }

  /// K1: M' (and V'), U in getNSInputType, and U's per-matrix Σ x²
  /// partials.
  Moments emitMoments(OpBuilder &builder, const MuonUpdateMath &math) {
    // U as Newton–Schulz reads it (a bf16 one reads half the bytes).
    Type updateType = getNSInputType(elementType, computeType);
    Value update =
        allocBuffer(builder, loc, {numMatrices * elements}, updateType);
    RowSums norms(builder, loc, numMatrices, elements,
                  OptimDialect::isDeterministic(op));
    Value zero = createFloatConstant(builder, loc, builder.getF64Type(), 0.0);
    // The row's buffers of G, M, M' (and V, V'), chosen once per thread.
    SmallVector<const BucketBuffer *> buckets = {&grad, &momentum,
                                                 &*newMomentum};
    if (secondMoment)
      buckets.append({&*secondMoment, &*newSecondMoment});
    SmallVector<RowBuffer> rows;
    std::optional<BucketRows::RowShape> shape;
    std::optional<MomentumCoefficients> runtime;
    buildKernel(
        builder, loc, numMatrices, elements, {zero},
        [&](OpBuilder &b, Location kloc, Value row) {
          rows = BucketBuffer::selectRow(b, kloc, buckets, row);
          skip.load(b, kloc);
          if (beta) {
            SmallVector<Value> values = buildRuntimeDecay(
                b, kloc, memref::LoadOp::create(b, kloc, beta, ValueRange()),
                math.getArithType());
            runtime.emplace(values[0], values[1], op.getNesterov());
          }
          if (bucketRows.isPadded())
            shape = bucketRows.buildRowShape(b, kloc, row);
        },
        [&](OpBuilder &b, Location kloc, Value row, Value flat,
            ValueRange accs) {
          const MomentumCoefficients *coefficients =
              runtime ? &*runtime : nullptr;
          if (!shape)
            return emitMomentsAt(b, kloc, math, coefficients, rows, flat, flat,
                                 update, accs[0]);
          // Outside the member's matrix: U = 0, nothing else read or written.
          auto [inside, member] =
              bucketRows.buildMemberIndex(b, kloc, row, flat, *shape);
          auto branch = scf::IfOp::create(b, kloc, accs[0].getType(), inside,
                                          /*withElseRegion=*/true);
          OpBuilder then = branch.getThenBodyBuilder();
          scf::YieldOp::create(then, kloc,
                               emitMomentsAt(then, kloc, math, coefficients,
                                             rows, member, flat, update,
                                             accs[0]));
          OpBuilder otherwise = branch.getElseBodyBuilder();
          storeConverted(
              otherwise, kloc,
              createFloatConstant(otherwise, kloc, otherwise.getF32Type(), 0.0),
              update, flat);
          scf::YieldOp::create(otherwise, kloc, accs[0]);
          return SmallVector<Value>{branch.getResult(0)};
        },
        [&](OpBuilder &b, Location kloc, Value row, Value thread,
            ValueRange accs) {
          norms.accumulate(b, kloc, row, thread, accs[0]);
        });
    return {update, norms.finish(builder, loc)};
  }

  /// K1's element: M' (and V') at `member` in the members' buffers, U at
  /// `flat` of the Newton–Schulz input; returns the updated Σ U².
  SmallVector<Value> emitMomentsAt(OpBuilder &b, Location kloc,
                                   const MuonUpdateMath &math,
                                   const MomentumCoefficients *runtime,
                                   ArrayRef<RowBuffer> rows, Value member,
                                   Value flat, Value update, Value acc) {
    Type arithType = math.getArithType();
    Type updateType = getNSInputType(elementType, computeType);
    Value g = BucketBuffer::load(b, kloc, rows[0], member, arithType);
    Value m = BucketBuffer::load(b, kloc, rows[1], member, arithType);
    Value v;
    if (secondMoment)
      v = BucketBuffer::load(b, kloc, rows[3], member, arithType);
    MuonMoments values = math.buildMoments(b, kloc, g, m, v, runtime);
    BucketBuffer::store(b, kloc, rows[2],
                        skip.select(b, kloc, values.newMomentum, m), member);
    if (secondMoment)
      BucketBuffer::store(b, kloc, rows[4],
                          skip.select(b, kloc, values.newSecondMoment, v),
                          member);
    // The norm sees U as stored.
    Value u = convertScalar(b, kloc,
                            convertScalar(b, kloc, values.update, updateType),
                            b.getF32Type());
    storeConverted(b, kloc, u, update, flat);
    return {accumulateSquare(b, kloc, acc, u)};
  }

  /// K2 and the GEMM calls.
  Value emitOrthogonalize(OpBuilder &b, const Moments &moments) {
    return buildNewtonSchulz(b, loc, moments.update, moments.slots, matrix,
                             numMatrices, op.getScheduleOrDefault(),
                             static_cast<int64_t>(op.getNsSteps()), computeType,
                             &bucketRows);
  }

  /// K3: decoupled weight decay and the adjusted step (adjust of the row's
  /// own matrix shape); lr is loaded on the device.
  SmallVector<Value> emitParamUpdate(OpBuilder &builder,
                                     const MuonUpdateMath &math, Value ortho) {
    Type arithType = math.getArithType();
    std::optional<ParamUpdateScalars> scalars;
    SmallVector<RowBuffer> rows;
    std::optional<BucketRows::RowShape> shape;
    buildKernel(
        builder, loc, numMatrices, elements, {},
        [&](OpBuilder &b, Location kloc, Value row) {
          Value rate = loadAs(b, kloc, lr, {}, arithType);
          Value adjust;
          if (bucketRows.isPadded()) {
            adjust = bucketRows.buildPerRow(
                b, kloc, row, [&](const MatrixShape &member) {
                  return math.buildAdjust(b, kloc, member);
                });
            shape = bucketRows.buildRowShape(b, kloc, row);
          } else {
            adjust = math.buildAdjust(b, kloc, matrix);
            if (bucketRows.hasTransposed())
              adjust = arith::SelectOp::create(
                  b, kloc, bucketRows.buildIsTransposed(b, kloc, row),
                  math.buildAdjust(b, kloc, {{}, matrix.cols, matrix.rows}),
                  adjust);
          }
          scalars.emplace(math.buildParamScalars(b, kloc, rate, adjust));
          rows = BucketBuffer::selectRow(b, kloc, {&param, &*newParam}, row);
          skip.load(b, kloc);
        },
        [&](OpBuilder &b, Location kloc, Value row, Value flat, ValueRange) {
          Value member = flat;
          std::optional<OpBuilder::InsertionGuard> guard;
          if (shape) {
            // Elements outside the member's matrix are padding: skipped.
            auto [inside, index] =
                bucketRows.buildMemberIndex(b, kloc, row, flat, *shape);
            auto branch = scf::IfOp::create(b, kloc, inside);
            guard.emplace(b);
            b.setInsertionPoint(branch.thenBlock()->getTerminator());
            member = index;
          }
          Value w = BucketBuffer::load(b, kloc, rows[0], member, arithType);
          // O rounded to the parameter type, as the op's result is.
          Value o = convertScalar(
              b, kloc,
              loadAs(b, kloc, ortho,
                     bucketRows.buildPackedIndex(b, kloc, row, flat),
                     elementType),
              arithType);
          BucketBuffer::store(
              b, kloc, rows[1],
              skip.select(b, kloc, scalars->build(b, kloc, w, o), w), member);
          return SmallVector<Value>{};
        },
        [](OpBuilder &, Location, Value, Value, ValueRange) {});
    return newParam->getResults(rewriter, loc);
  }

  SmallVector<Value> results(OpBuilder &b, ArrayRef<Value> newParams,
                             const Moments &) {
    SmallVector<Value> values(newParams);
    llvm::append_range(values, newMomentum->getResults(b, loc));
    if constexpr (kIsMuon2)
      llvm::append_range(values, newSecondMoment->getResults(b, loc));
    return values;
  }

private:
  BucketBuffer operands(ValueRange members) {
    return BucketBuffer::forOperands(rewriter, loc, members, layout, packed);
  }
  BucketBuffer results(ResultRange members) {
    return BucketBuffer::forResults(rewriter, loc, members, layout, packed,
                                    destinations);
  }

  RewriterBase &rewriter;
  OpTy op;
  Location loc;
  ArrayRef<Value> destinations;
  RankedTensorType type;
  Type elementType, computeType;
  BucketRows bucketRows;
  MatrixShape matrix;
  int64_t elements;
  BucketLayout layout;
  int64_t numMatrices;
  bool packed;
  BucketBuffer param, grad, momentum;
  Value lr, beta;
  SkipFlag skip;
  // Results are created after the operands (BucketBuffer has no default).
  std::optional<BucketBuffer> newParam, newMomentum, secondMoment,
      newSecondMoment;
};

/// buildKernels of `optim.muon` and `optim.muon2`.
template <typename OpTy>
FailureOr<SmallVector<Value>> buildMuonKernels(RewriterBase &rewriter, OpTy op,
                                               ValueRange operands,
                                               ArrayRef<Value> destinations) {
  if (failed(checkSupportedOperandTypes(rewriter, op)))
    return failure();
  if constexpr (std::is_same_v<OpTy, Muon2Op>) {
    if (op.isFactored()) {
      op.emitOpError() << "with a factored second moment has no fused "
                          "kernels: decompose it first (optim-decompose)";
      return failure();
    }
  }
  if (failed(muon::checkRuntimeGemmType(op, op.getComputeElementType())))
    return failure();
  KernelMuonEmitter<OpTy> emitter(
      rewriter, op, typename OpTy::Adaptor(operands, op), destinations);
  return buildMuonUpdate(rewriter, op, emitter);
}
} // namespace

FailureOr<SmallVector<Value>>
muon::optim::buildKernels(RewriterBase &rewriter, MuonOp op,
                          ValueRange operands, ArrayRef<Value> destinations) {
  return buildMuonKernels(rewriter, op, operands, destinations);
}

FailureOr<SmallVector<Value>>
muon::optim::buildKernels(RewriterBase &rewriter, Muon2Op op,
                          ValueRange operands, ArrayRef<Value> destinations) {
  return buildMuonKernels(rewriter, op, operands, destinations);
}
