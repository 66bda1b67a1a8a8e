//===- Decompose.cpp - optim.muon/muon2 to moment math + NS ---------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Expands the Muon updates into element-wise `linalg.generic`s (momentum,
// Nesterov blend, second-moment preconditioning, decoupled weight decay)
// around one `optim.newton_schulz`, which later passes see as a unit. The
// order of the steps is buildMuonUpdate's (MuonUpdate.h), which the fused
// kernels share; this pass is the only one that decomposes.
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Transforms/Passes.h"
#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"
#include "muon/Dialect/Optim/Utils/MuonUpdate.h"
#include "muon/Dialect/Optim/Utils/UpdateMath.h"

#include "mlir/Transforms/DialectConversion.h"

namespace muon::optim {
#define GEN_PASS_DEF_OPTIMDECOMPOSEPASS
#include "muon/Dialect/Optim/Transforms/Passes.h.inc"
} // namespace muon::optim

using namespace mlir;
using namespace muon::optim;

//===----------------------------------------------------------------------===//
// Pieces of the Muon updates on tensors
//===----------------------------------------------------------------------===//

/// `optim.newton_schulz` of `input` configured like the Muon op `op`.
template <typename OpTy>
static Value createNewtonSchulz(OpBuilder &b, OpTy op, Value input) {
  return NewtonSchulzOp::create(b, op.getLoc(), input.getType(), input,
                                op.getNsStepsAttr(), op.getScheduleAttr(),
                                op.getComputeTypeAttr(), op.getViewAttr());
}

/// W' = W·(1 − lr·wd) − lr·adjust(A, B)·O, with lr read from its 0-d tensor.
template <typename OpTy>
static Value buildParamUpdate(OpBuilder &b, OpTy op, const MuonUpdateMath &math,
                              Value ortho) {
  Location loc = op.getLoc();
  Type arithType = math.getArithType();
  Value lr = extractScalar(b, loc, op.getLr(), arithType);
  ParamUpdateScalars scalars = math.buildParamScalars(b, loc, lr);
  return buildElementwise(
             b, loc, {op.getParam(), ortho}, {}, op.getParam().getType(),
             arithType,
             [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
               return SmallVector<Value>{
                   scalars.build(nested, nestedLoc, args[0], args[1])};
             })
      .front();
}

//===----------------------------------------------------------------------===//
// Muon² preconditioning
//===----------------------------------------------------------------------===//

static Value add(OpBuilder &b, Location loc, Value acc, Value element) {
  return arith::AddFOp::create(b, loc, acc, element);
}

/// Muon²-F: V_r' and V_c' from the row and column sums of G ⊙ G, then
/// P = U / (sqrt(V_r' V_c' / max(Σ V_c', ε)) + ε). The work happens on the
/// matrix form [batch?, A, B], with the factors as [batch?, A] and
/// [batch?, B]. Returns {V_r', V_c', P}.
static SmallVector<Value> buildFactoredPrecondition(OpBuilder &b, Muon2Op op,
                                                    const MuonUpdateMath &math,
                                                    Value update) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(op.getParam().getType());
  Type elementType = type.getElementType();
  Type arithType = math.getArithType();
  const SecondMomentCoefficients &second = math.getSecondMoment();

  MatrixShape matrix = getMatrixShape(type, op.getView());
  SmallVector<int64_t> matrixShape = getMatrixFormShape(matrix);
  auto matrixAssoc = getMatrixFormReassociation(type.getRank(), matrix);
  auto rank = static_cast<int64_t>(matrixShape.size());
  int64_t rowDim = rank - 2, colDim = rank - 1;
  SmallVector<int64_t> batchDims = llvm::to_vector(llvm::seq<int64_t>(rowDim));

  // Factors …×A×1 / …×1×B become [batch?, A] / [batch?, B].
  auto factorAssoc =
      matrix.batch.empty()
          ? groupDims({2})
          : groupDims({static_cast<int64_t>(matrix.batch.size()), 2});
  auto vectorShape = [&](int64_t extent) {
    SmallVector<int64_t> shape(ArrayRef<int64_t>(matrixShape).drop_back(2));
    shape.push_back(extent);
    return shape;
  };
  SmallVector<int64_t> rowShape = vectorShape(matrix.rows);
  SmallVector<int64_t> colShape = vectorShape(matrix.cols);

  Value grad = reshape(b, loc, op.getGrad(), matrixShape, matrixAssoc);
  Value rowSums = buildSumOfSquares(b, loc, grad, {colDim}, arithType);
  Value colSums = buildSumOfSquares(b, loc, grad, {rowDim}, arithType);

  auto decayFactor = [&](Value factor, Value sums,
                         ArrayRef<int64_t> shape) -> Value {
    Value vector = reshape(b, loc, factor, shape, factorAssoc);
    return buildElementwise(
               b, loc, {vector, sums}, {},
               RankedTensorType::get(shape, elementType), arithType,
               [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
                 return SmallVector<Value>{buildMovingAverage(
                     nested, nestedLoc, second.beta2, second.oneMinusBeta2,
                     args[0], args[1])};
               })
        .front();
  };
  Value newRows = decayFactor(op.getSecondMoment()[0], rowSums, rowShape);
  Value newCols = decayFactor(op.getSecondMoment()[1], colSums, colShape);
  // Σ V_c' per matrix: reduce the last dim of [batch?, B], which is dim
  // `rowDim` of that lower-rank tensor.
  Value colTotals =
      buildReduction(b, loc, newCols, {rowDim}, arithType, 0.0, add);

  SmallVector<int64_t> rowDims(batchDims), colDims(batchDims);
  rowDims.push_back(rowDim);
  colDims.push_back(colDim);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 getProjectionMap(ctx, rank, rowDims),
                                 getProjectionMap(ctx, rank, colDims),
                                 getProjectionMap(ctx, rank, batchDims)};
  Value matrixUpdate = reshape(b, loc, update, matrixShape, matrixAssoc);
  Value preconditioned =
      buildElementwise(
          b, loc, {matrixUpdate, newRows, newCols, colTotals}, maps,
          RankedTensorType::get(matrixShape, elementType), arithType,
          [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
            Value outer =
                arith::MulFOp::create(nested, nestedLoc, args[1], args[2]);
            Value total = arith::MaximumFOp::create(nested, nestedLoc, args[3],
                                                    second.eps);
            Value moment =
                arith::DivFOp::create(nested, nestedLoc, outer, total);
            return SmallVector<Value>{buildPrecondition(
                nested, nestedLoc, args[0], moment, second.eps)};
          })
          .front();

  auto rowType = cast<RankedTensorType>(op.getSecondMoment()[0].getType());
  auto colType = cast<RankedTensorType>(op.getSecondMoment()[1].getType());
  return {reshape(b, loc, newRows, rowType.getShape(), factorAssoc),
          reshape(b, loc, newCols, colType.getShape(), factorAssoc),
          reshape(b, loc, preconditioned, type.getShape(), matrixAssoc)};
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

namespace {
/// Emits a Muon/Muon² update (buildMuonUpdate) as `linalg.generic`s on
/// tensors around one `optim.newton_schulz`.
template <typename OpTy> class TensorMuonEmitter {
public:
  /// The new state in the op's result order (M', then V' or V_r', V_c') and
  /// the Newton–Schulz input.
  struct Moments {
    SmallVector<Value> state;
    Value update;
  };

  explicit TensorMuonEmitter(OpTy op) : op(op) {}

  /// One generic over G, M (and a full V) computing M' (and V') and U, U
  /// only where it is not M'; Muon²-F then preconditions U by its factors.
  Moments emitMoments(OpBuilder &b, const MuonUpdateMath &math) {
    bool full = math.hasFullSecondMoment();
    bool separateUpdate = full || op.getNesterov();
    SmallVector<Value> inputs = {op.getGrad(), op.getMomentumBuffer()};
    if constexpr (std::is_same_v<OpTy, Muon2Op>) {
      if (full)
        inputs.push_back(op.getSecondMoment()[0]);
    }
    SmallVector<Type> resultTypes(1 + full + separateUpdate,
                                  op.getParam().getType());
    SmallVector<Value> results = buildElementwise(
        b, op.getLoc(), inputs, {}, resultTypes, math.getArithType(),
        [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
          MuonMoments moments = math.buildMoments(
              nested, nestedLoc, args[0], args[1], full ? args[2] : Value());
          SmallVector<Value> values = {moments.newMomentum};
          if (full)
            values.push_back(moments.newSecondMoment);
          if (separateUpdate)
            values.push_back(moments.update);
          return values;
        });
    Moments moments = {{results.front()}, results.back()};
    if (full)
      moments.state.push_back(results[1]);
    if constexpr (std::is_same_v<OpTy, Muon2Op>) {
      if (op.isFactored()) {
        SmallVector<Value> factored =
            buildFactoredPrecondition(b, op, math, moments.update);
        moments.state.append({factored[0], factored[1]});
        moments.update = factored[2];
      }
    }
    return moments;
  }

  Value emitOrthogonalize(OpBuilder &b, const Moments &moments) {
    return createNewtonSchulz(b, op, moments.update);
  }

  Value emitParamUpdate(OpBuilder &b, const MuonUpdateMath &math, Value ortho) {
    return buildParamUpdate(b, op, math, ortho);
  }

  SmallVector<Value> results(OpBuilder &, Value newParam,
                             const Moments &moments) {
    SmallVector<Value> values = {newParam};
    values.append(moments.state);
    return values;
  }

private:
  OpTy op;
};

/// Rewrites `optim.muon` / `optim.muon2` (full or factored second moment)
/// into moment generics, `optim.newton_schulz` of the (preconditioned)
/// update and the weight update generic.
template <typename OpTy>
struct DecomposeMuonUpdate : public OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkSupportedOperandTypes(rewriter, op)))
      return failure();
    TensorMuonEmitter<OpTy> emitter(op);
    rewriter.replaceOp(op, buildMuonUpdate(rewriter, op, emitter));
    return success();
  }
};

struct OptimDecomposePass
    : public muon::optim::impl::OptimDecomposePassBase<OptimDecomposePass> {
  using Base::Base;

  void runOnOperation() override {
    // A conversion (not a greedy rewrite) so that an op no pattern can
    // decompose fails the pass once, with its diagnostic. With
    // keep-fusable, what convert-optim-to-kernels fuses stays.
    ConversionTarget target(getContext());
    bool keep = keepFusable;
    target.addDynamicallyLegalOp<MuonOp>([keep](MuonOp) { return keep; });
    target.addDynamicallyLegalOp<Muon2Op>(
        [keep](Muon2Op op) { return keep && !op.isFactored(); });
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeMuonUpdate<MuonOp>, DecomposeMuonUpdate<Muon2Op>>(
        &getContext());
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
