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

/// `optim.newton_schulz` of `input` configured like the Muon op `op`, on a
/// packing of its members' matrices (`view`: batch) where it has several.
template <typename OpTy>
static Value createNewtonSchulz(OpBuilder &b, OpTy op, Value input) {
  MatrixViewAttr view = op.getViewAttr();
  if (op.getParams().size() > 1)
    view = MatrixViewAttr::get(b.getContext(), MatrixView::batch);
  return NewtonSchulzOp::create(b, op.getLoc(), input.getType(), input,
                                op.getNsStepsAttr(), op.getScheduleAttr(),
                                op.getComputeTypeAttr(), view);
}

//===----------------------------------------------------------------------===//
// Muon² preconditioning
//===----------------------------------------------------------------------===//

static Value add(OpBuilder &b, Location loc, Value acc, Value element) {
  return arith::AddFOp::create(b, loc, acc, element);
}

/// Muon²-F of one member (its gradient and factors): V_r' and V_c' from the
/// row and column sums of G ⊙ G, then
/// P = U / (sqrt(V_r' V_c' / max(Σ V_c', ε)) + ε). The work happens on the
/// matrix form [batch?, A, B], with the factors as [batch?, A] and
/// [batch?, B]. Returns {V_r', V_c', P}.
static SmallVector<Value>
buildFactoredPrecondition(OpBuilder &b, Muon2Op op, const MuonUpdateMath &math,
                          Value gradTensor, Value rowFactor, Value colFactor,
                          Value update) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(gradTensor.getType());
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

  Value grad = reshape(b, loc, gradTensor, matrixShape, matrixAssoc);
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
  Value newRows = decayFactor(rowFactor, rowSums, rowShape);
  Value newCols = decayFactor(colFactor, colSums, colShape);
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

  auto rowType = cast<RankedTensorType>(rowFactor.getType());
  auto colType = cast<RankedTensorType>(colFactor.getType());
  return {reshape(b, loc, newRows, rowType.getShape(), factorAssoc),
          reshape(b, loc, newCols, colType.getShape(), factorAssoc),
          reshape(b, loc, preconditioned, type.getShape(), matrixAssoc)};
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

namespace {
/// Emits a Muon/Muon² update (buildMuonUpdate) as `linalg.generic`s on
/// tensors around one `optim.newton_schulz`: per member, the generics its
/// own op would get; for a bucket, one Newton–Schulz of the members'
/// matrices packed (packMatrices), the only tensor that is.
template <typename OpTy> class TensorMuonEmitter {
public:
  /// Per member M' and V' (or V_r', V_c'), and the Newton–Schulz input.
  struct Moments {
    SmallVector<Value> momenta, secondMoments;
    Value update;
  };

  explicit TensorMuonEmitter(OpTy op) : op(op) {}

  /// Per member, one generic over G, M (and a full V) computing M' (and V')
  /// and U, U only where it is not M'; Muon²-F then preconditions U by its
  /// factors.
  Moments emitMoments(OpBuilder &b, const MuonUpdateMath &math) {
    Moments moments;
    SmallVector<Value> updates;
    // A run-time β: β and 1 − β once, as 0-d tensors the generics take.
    SmallVector<Value> runtime;
    if (Value beta = op.getDynamicMomentum())
      runtime = buildScalarGeneric(
          b, op.getLoc(), beta,
          [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
            return buildRuntimeDecay(nested, nestedLoc, args[0],
                                     math.getArithType());
          });
    for (auto [i, param] : llvm::enumerate(op.getParams())) {
      SmallVector<Value> second;
      if constexpr (std::is_same_v<OpTy, Muon2Op>) {
        unsigned perParam = op.isFactored() ? 2 : 1;
        second = llvm::to_vector(
            op.getSecondMoments().slice(i * perParam, perParam));
      }
      updates.push_back(emitMemberMoments(
          b, math, param.getType(), op.getGrads()[i],
          op.getMomentumBuffers()[i], second, runtime, moments));
    }
    moments.update = updates.size() == 1
                         ? updates.front()
                         : packMatrices(b, op.getLoc(), updates, op.getView());
    return moments;
  }

  Value emitOrthogonalize(OpBuilder &b, const Moments &moments) {
    return createNewtonSchulz(b, op, moments.update);
  }

  /// Per member W' = W·(1 − lr·wd) − lr·adjust(A, B)·O; lr·adjust and
  /// 1 − lr·wd are computed once per member orientation (A×B or B×A) from
  /// lr's 0-d tensor (buildScalarGeneric) and taken as inputs.
  SmallVector<Value> emitParamUpdate(OpBuilder &b, const MuonUpdateMath &math,
                                     Value ortho) {
    Location loc = op.getLoc();
    Type arithType = math.getArithType();
    OperandRange params = op.getParams();
    SmallVector<MatrixShape> orientations;
    SmallVector<size_t> memberOrientation;
    for (Value param : params) {
      MatrixShape matrix =
          getMatrixShape(cast<ShapedType>(param.getType()), op.getView());
      auto *it = llvm::find_if(orientations, [&](const MatrixShape &known) {
        return known.rows == matrix.rows && known.cols == matrix.cols;
      });
      memberOrientation.push_back(it - orientations.begin());
      if (it == orientations.end())
        orientations.push_back(matrix);
    }
    SmallVector<Value> scalars = buildScalarGeneric(
        b, loc, op.getLr(),
        [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
          Value lr = convertScalar(nested, nestedLoc, args[0], arithType);
          SmallVector<Value> values;
          for (const MatrixShape &matrix : orientations)
            llvm::append_range(
                values, math.buildParamScalars(
                                nested, nestedLoc, lr,
                                math.buildAdjust(nested, nestedLoc, matrix))
                            .getValues());
          return values;
        });
    size_t perOrientation = scalars.size() / orientations.size();
    SmallVector<Value> orthos = {ortho};
    if (params.size() > 1)
      orthos = unpackMatrices(b, loc, ortho, params.getTypes(), op.getView());
    SmallVector<Value> newParams;
    for (auto [param, memberOrtho, orientation] :
         llvm::zip_equal(params, orthos, memberOrientation)) {
      SmallVector<Value> inputs = {param, memberOrtho};
      llvm::append_range(inputs,
                         ArrayRef(scalars).slice(orientation * perOrientation,
                                                 perOrientation));
      newParams.push_back(
          buildElementwise(
              b, loc, inputs, {}, param.getType(), arithType,
              [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
                return SmallVector<Value>{
                    ParamUpdateScalars(args.drop_front(2))
                        .build(nested, nestedLoc, args[0], args[1])};
              })
              .front());
    }
    return newParams;
  }

  SmallVector<Value> results(OpBuilder &, ArrayRef<Value> newParams,
                             const Moments &moments) {
    return llvm::to_vector(llvm::concat<const Value>(newParams, moments.momenta,
                                                     moments.secondMoments));
  }

private:
  /// One member's moments generic (and Muon²-F preconditioning): appends
  /// its new state to `moments` and returns its Newton–Schulz input.
  /// `runtime` holds a run-time β and 1 − β (0-d tensors), if any.
  Value emitMemberMoments(OpBuilder &b, const MuonUpdateMath &math,
                          Type paramType, Value grad, Value momentum,
                          ArrayRef<Value> second, ArrayRef<Value> runtime,
                          Moments &moments) {
    bool full = math.hasFullSecondMoment();
    bool separateUpdate = full || op.getNesterov();
    SmallVector<Value> inputs = {grad, momentum};
    if (full)
      inputs.push_back(second.front());
    llvm::append_range(inputs, runtime);
    SmallVector<Type> resultTypes(1 + full + separateUpdate, paramType);
    SmallVector<Value> results = buildElementwise(
        b, op.getLoc(), inputs, {}, resultTypes, math.getArithType(),
        [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
          std::optional<MomentumCoefficients> coefficients;
          if (!runtime.empty())
            coefficients.emplace(args[inputs.size() - 2],
                                 args[inputs.size() - 1], op.getNesterov());
          MuonMoments values = math.buildMoments(
              nested, nestedLoc, args[0], args[1], full ? args[2] : Value(),
              coefficients ? &*coefficients : nullptr);
          SmallVector<Value> out = {values.newMomentum};
          if (full)
            out.push_back(values.newSecondMoment);
          if (separateUpdate)
            out.push_back(values.update);
          return out;
        });
    moments.momenta.push_back(results.front());
    if (full)
      moments.secondMoments.push_back(results[1]);
    Value update = results.back();
    if constexpr (std::is_same_v<OpTy, Muon2Op>) {
      if (op.isFactored()) {
        SmallVector<Value> factored = buildFactoredPrecondition(
            b, op, math, grad, second[0], second[1], update);
        moments.secondMoments.append({factored[0], factored[1]});
        return factored[2];
      }
    }
    return update;
  }

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
    SmallVector<Value> results = buildMuonUpdate(rewriter, op, emitter);
    applySkip(rewriter, op, op->getOperands(), results);
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct OptimDecomposePass
    : public muon::optim::impl::OptimDecomposePassBase<OptimDecomposePass> {
  using Base::Base;

  void runOnOperation() override {
    // A conversion (not a greedy rewrite) so that an op no pattern can
    // decompose fails the pass once, with its diagnostic. With
    // keep-fusable, what bufferizes to fused kernels stays.
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
