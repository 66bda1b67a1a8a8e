//===- NewtonSchulzToLinalg.cpp - optim.newton_schulz to linalg + scf -----===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// X₀ = U / (‖U‖_F·s + e) (NSNormalization, on U rounded to
// getNSInputType), then the iterations: with `ns-gemm=runtime` and an f32 or
// bf16 compute type, the runtime GEMM calls the GPU pipeline makes
// (NewtonSchulzGemms.h) on the buffer of X₀; otherwise the wide orientation
// (a transpose for tall matrices) and one `scf.for` over the schedule's
// (a, b, c) table with three `linalg.matmul`s per iteration. Either way X, S
// and T are stored in `compute_type` and the products accumulate in f32
// (f64 when computing in f64).
//===----------------------------------------------------------------------===//

#include "PatternsImpl.h"

#include "muon/Conversion/NewtonSchulzGemms/NewtonSchulzGemms.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"
#include "muon/Dialect/Optim/Utils/NSCostModel.h"
#include "muon/Dialect/Optim/Utils/UpdateMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace muon::optim;

/// Dims of a matrix-form tensor [batch?, rows, cols] without the matrix dims.
static SmallVector<int64_t> getBatchDims(RankedTensorType type) {
  return llvm::to_vector(llvm::seq<int64_t>(type.getRank() - 2));
}

/// X₀ per matrix of the matrix-form `input`, as an `iterateType` tensor.
static Value buildNormalize(OpBuilder &b, Location loc, Value input,
                            Type iterateType, NSScheduleAttr schedule) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  Type f64 = b.getF64Type();
  Value sumOfSquares =
      buildSumOfSquares(b, loc, input, {rank - 2, rank - 1}, f64);
  NSNormalization normalization(b, loc, schedule);
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(rank),
      getProjectionMap(b.getContext(), rank, getBatchDims(type))};
  return buildElementwise(
             b, loc, {input, sumOfSquares}, maps, type.clone(iterateType), f64,
             [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
               Value denominator =
                   normalization.buildDenominator(nested, nestedLoc, args[1]);
               return SmallVector<Value>{normalization.buildElement(
                   nested, nestedLoc, args[0], denominator, iterateType)};
             })
      .front();
}

/// A `linalg.matmul`-like op with explicit `maps` accumulating into `init`.
template <typename MatmulTy>
static Value createMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                          Value init, ArrayAttr maps) {
  auto matmul =
      MatmulTy::create(b, loc, init.getType(), ValueRange{lhs, rhs}, init);
  matmul.setIndexingMapsAttr(maps);
  return matmul.getResult(0);
}

/// lhs · rhs (lhs · rhsᵀ when `transposeRhs`) per matrix of matrix-form
/// tensors, accumulated in `accType` from a zero fill.
static Value buildMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                         bool transposeRhs, Type accType) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  int64_t rank = lhsType.getRank();
  bool batched = rank == 3;
  SmallVector<int64_t> shape(lhsType.getShape().drop_back());
  shape.push_back(rhsType.getDimSize(transposeRhs ? rank - 2 : rank - 1));
  Value init = muon::buildFilled(b, loc, shape, b.getFloatAttr(accType, 0.0));

  // Loops (batch?, i, j, k): C[i, j] += A[i, k] · B[k, j] (or B[j, k]).
  MLIRContext *ctx = b.getContext();
  unsigned numLoops = rank + 1;
  int64_t i = rank - 2, j = rank - 1, k = rank;
  SmallVector<int64_t> batch =
      batched ? SmallVector<int64_t>{0} : SmallVector<int64_t>{};
  auto map = [&](int64_t row, int64_t col) {
    SmallVector<int64_t> dims(batch);
    dims.append({row, col});
    return AffineMapAttr::get(getProjectionMap(ctx, numLoops, dims));
  };
  ArrayAttr maps = b.getArrayAttr(
      {map(i, k), transposeRhs ? map(j, k) : map(k, j), map(i, j)});
  if (batched)
    return createMatmul<linalg::BatchMatmulOp>(b, loc, lhs, rhs, init, maps);
  return createMatmul<linalg::MatmulOp>(b, loc, lhs, rhs, init, maps);
}

/// The (a, b, c) of every iteration as a tensor<steps x 3 x accType>.
static Value buildCoefficientTable(OpBuilder &b, Location loc,
                                   NSScheduleAttr schedule, int64_t steps,
                                   Type accType) {
  SmallVector<Attribute> values;
  for (const std::array<double, 3> &tuple : schedule.getTuples(steps))
    for (double coefficient : tuple)
      values.push_back(b.getFloatAttr(accType, coefficient));
  auto type = RankedTensorType::get({steps, 3}, accType);
  return arith::ConstantOp::create(b, loc,
                                   DenseElementsAttr::get(type, values));
}

/// The `steps` iterations X = a·X + (b·S + c·S·S)·X, S = X·Xᵀ, as one
/// `scf.for` over the coefficient table. X, S and T = b·S + c·S·S are stored
/// in X's element type (the compute type), as the runtime GEMMs store them;
/// products accumulate in `accType`.
static Value buildIterations(OpBuilder &b, Location loc, Value input,
                             NSScheduleAttr schedule, int64_t steps,
                             Type accType) {
  Type iterateType = cast<RankedTensorType>(input.getType()).getElementType();
  Value table = buildCoefficientTable(b, loc, schedule, steps, accType);
  Value lower = arith::ConstantIndexOp::create(b, loc, 0);
  Value upper = arith::ConstantIndexOp::create(b, loc, steps);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value columns[3] = {lower, one, arith::ConstantIndexOp::create(b, loc, 2)};

  auto loop = scf::ForOp::create(
      b, loc, lower, upper, one, ValueRange{input},
      [&](OpBuilder &nested, Location nestedLoc, Value iv,
          ValueRange iterArgs) {
        Value coefficients[3];
        for (auto [coefficient, column] :
             llvm::zip_equal(coefficients, columns))
          coefficient = tensor::ExtractOp::create(nested, nestedLoc, table,
                                                  ValueRange{iv, column});
        auto round = [&](Value value) {
          return convertElements(nested, nestedLoc, value, iterateType);
        };
        Value x = iterArgs.front();
        Value gram = round(buildMatmul(nested, nestedLoc, x, x,
                                       /*transposeRhs=*/true, accType));
        Value gramSquared = buildMatmul(nested, nestedLoc, gram, gram,
                                        /*transposeRhs=*/false, accType);
        Value poly =
            buildElementwise(
                nested, nestedLoc, {gram, gramSquared}, {}, gram.getType(),
                accType,
                [&](OpBuilder &body, Location bodyLoc, ValueRange args) {
                  Value linear = arith::MulFOp::create(
                      body, bodyLoc, coefficients[1], args[0]);
                  Value quadratic = arith::MulFOp::create(
                      body, bodyLoc, coefficients[2], args[1]);
                  return SmallVector<Value>{
                      arith::AddFOp::create(body, bodyLoc, linear, quadratic)};
                })
                .front();
        Value polyX = buildMatmul(nested, nestedLoc, poly, x,
                                  /*transposeRhs=*/false, accType);
        // X is updated in place so that it bufferizes into the loop's buffer.
        Value next = buildElementwiseUpdate(
            nested, nestedLoc, polyX, x, accType,
            [&](OpBuilder &body, Location bodyLoc, ValueRange args) {
              Value scaled = arith::MulFOp::create(body, bodyLoc,
                                                   coefficients[0], args[1]);
              return SmallVector<Value>{
                  arith::AddFOp::create(body, bodyLoc, scaled, args[0])};
            });
        scf::YieldOp::create(nested, nestedLoc, next);
      });
  return loop.getResult(0);
}

/// The Gram iteration (NSScheduleAttr) on the wide matrix-form `input`,
/// unrolled: every product is followed by its α·P + β·C epilogue in
/// `accType` and stored in the compute type, as the runtime GEMMs do.
static Value buildGramIterations(OpBuilder &b, Location loc, Value input,
                                 NSScheduleAttr schedule, int64_t steps,
                                 Type accType) {
  Type iterateType = cast<RankedTensorType>(input.getType()).getElementType();
  // α·lhs·op(rhs) + β·addend (β = 0: no addend read).
  auto gemm = [&](Value lhs, Value rhs, bool transposeRhs, double alpha,
                  Value addend, double beta) {
    Value product = buildMatmul(b, loc, lhs, rhs, transposeRhs, accType);
    if (alpha == 1.0 && beta == 0.0)
      return convertElements(b, loc, product, iterateType);
    auto resultType =
        cast<RankedTensorType>(product.getType()).clone(iterateType);
    SmallVector<Value> inputs = {product};
    if (beta != 0.0)
      inputs.push_back(addend);
    return buildElementwise(
               b, loc, inputs, {}, resultType, accType,
               [&](OpBuilder &body, Location bodyLoc, ValueRange args) {
                 Value result = args[0];
                 if (alpha != 1.0)
                   result = arith::MulFOp::create(
                       body, bodyLoc,
                       createFloatConstant(body, bodyLoc, accType, alpha),
                       result);
                 if (args.size() == 2)
                   result = arith::AddFOp::create(
                       body, bodyLoc, result,
                       arith::MulFOp::create(
                           body, bodyLoc,
                           createFloatConstant(body, bodyLoc, accType, beta),
                           args[1]));
                 return SmallVector<Value>{result};
               })
        .front();
  };
  SmallVector<int64_t> restarts = schedule.getRestartSteps(steps);
  Value x = input;
  Value r = gemm(x, x, /*transposeRhs=*/true, 1.0, Value(), 0.0), q;
  for (auto [step, coefficients] : llvm::enumerate(schedule.getTuples(steps))) {
    auto [a, bCoeff, c] = coefficients;
    if (llvm::is_contained(restarts, static_cast<int64_t>(step))) {
      x = gemm(q, x, false, 1.0, Value(), 0.0);
      r = gemm(x, x, true, 1.0, Value(), 0.0);
      q = Value();
    }
    Value z = gemm(r, r, false, c, r, bCoeff);
    bool segmentEnd = static_cast<int64_t>(step) + 1 == steps ||
                      llvm::is_contained(restarts, step + 1);
    if (!segmentEnd) {
      Value rz = gemm(r, z, false, 1.0, r, a);
      r = gemm(z, rz, false, 1.0, rz, a);
    }
    q = q ? gemm(q, z, false, 1.0, q, a) : buildAddToDiagonal(b, loc, z, a);
  }
  return gemm(q, x, false, 1.0, Value(), 0.0);
}

/// The iterations as runtime GEMM calls on the buffer of the matrix-form X₀.
static Value buildRuntimeIterations(OpBuilder &b, Location loc, Value x0,
                                    const MatrixShape &matrix,
                                    NSScheduleAttr schedule, int64_t steps) {
  auto type = cast<RankedTensorType>(x0.getType());
  auto bufferType = MemRefType::get(type.getShape(), type.getElementType());
  Value buffer = bufferization::ToBufferOp::create(b, loc, bufferType, x0,
                                                   /*read_only=*/true);
  // The runtime takes N×A×B buffers: a single matrix is viewed as 1×A×B.
  // (Reshaping the buffers, not the tensors, keeps the surrounding
  // element-wise generics 2-D, writing straight into the results.)
  bool single = type.getRank() == 2;
  auto batchAssoc = groupDims({2, 1});
  if (single)
    buffer = memref::ExpandShapeOp::create(
        b, loc,
        MemRefType::get({1, matrix.rows, matrix.cols}, type.getElementType()),
        buffer, batchAssoc);
  Value result = muon::createNewtonSchulzGemmCalls(
      b, loc, buffer, /*x0IsScratch=*/false, matrix, schedule, steps);
  if (single)
    result = memref::CollapseShapeOp::create(b, loc, result, batchAssoc);
  // The result buffer is fresh and has no other tensor: restrict, writable.
  return bufferization::ToTensorOp::create(b, loc, type, result,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

namespace {
/// Lowers `optim.newton_schulz` to a norm reduction and the iterations:
/// runtime GEMM calls, or transposes and an `scf.for` of `linalg.matmul`s
/// (`linalg.batch_matmul` for batch views).
struct NewtonSchulzToLinalg : public OpConversionPattern<NewtonSchulzOp> {
  NewtonSchulzToLinalg(MLIRContext *context, muon::NewtonSchulzGemm gemm)
      : OpConversionPattern(context), gemm(gemm) {}

  LogicalResult
  matchAndRewrite(NewtonSchulzOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkSupportedOperandTypes(rewriter, op)))
      return failure();
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getInput().getType());
    Type elementType = type.getElementType();
    Type computeType = op.getComputeElementType();
    Type accType = isa<Float64Type>(computeType)
                       ? computeType
                       : Float32Type::get(rewriter.getContext());
    NSScheduleAttr schedule = op.getScheduleOrDefault();
    auto steps = static_cast<int64_t>(op.getSteps());

    MatrixShape matrix = getMatrixShape(type, op.getView());
    auto reassociation = getMatrixFormReassociation(type.getRank(), matrix);
    Value x = reshape(rewriter, loc, adaptor.getInput(),
                      getMatrixFormShape(matrix), reassociation);
    x = convertElements(rewriter, loc, x,
                        getNSInputType(elementType, computeType));
    x = buildNormalize(rewriter, loc, x, computeType, schedule);
    if (gemm == muon::NewtonSchulzGemm::Runtime &&
        muon::hasRuntimeGemm(computeType) && steps > 0) {
      x = buildRuntimeIterations(rewriter, loc, x, matrix, schedule, steps);
    } else {
      bool tall = iteratesTransposed(matrix);
      if (tall)
        x = transposeMatrices(rewriter, loc, x);
      if (resolveNSAlgorithm(schedule, matrix, steps, computeType) ==
          NSAlgorithm::gram)
        x = buildGramIterations(rewriter, loc, x, schedule, steps, accType);
      else
        x = buildIterations(rewriter, loc, x, schedule, steps, accType);
      if (tall)
        x = transposeMatrices(rewriter, loc, x);
    }
    x = convertElements(rewriter, loc, x, elementType);
    rewriter.replaceOp(
        op, reshape(rewriter, loc, x, type.getShape(), reassociation));
    return success();
  }

private:
  muon::NewtonSchulzGemm gemm;
};
} // namespace

void muon::optim::populateNewtonSchulzToLinalgPatterns(
    RewritePatternSet &patterns, muon::NewtonSchulzGemm gemm) {
  patterns.add<NewtonSchulzToLinalg>(patterns.getContext(), gemm);
}
