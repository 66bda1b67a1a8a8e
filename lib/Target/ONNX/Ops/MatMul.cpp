//===- MatMul.cpp - ONNX matrix product importers -------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// MatMul follows numpy.matmul: 1-D operands are promoted to matrices and the
// batch dimensions broadcast. The product is emitted as a named op where the
// shapes allow (linalg.matmul, or linalg.batch_matmul over collapsed batch
// dimensions) because the CPU pipeline maps those to BLAS; only batch
// broadcasting between two batched operands needs a contraction generic.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace muon::onnx_import;

static ArrayRef<int64_t> getShape(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

/// Swaps the last two dimensions of a rank >= 2 tensor.
static Value buildTransposeLastTwo(OpBuilder &b, Location loc, Value value) {
  int64_t rank = getShape(value).size();
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(perm[rank - 1], perm[rank - 2]);
  return buildTranspose(b, loc, value, perm);
}

/// A zero-filled accumulator of `shape`.
static Value buildZeros(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                        Type elementType) {
  return buildFilled(b, loc, shape, b.getZeroAttr(elementType));
}

/// a[..., M, K] x b[..., K, N] with broadcast batch dims, as one generic over
/// (batch..., M, N, K).
static Value buildBroadcastBatchMatmul(OpBuilder &b, Location loc, Value lhs,
                                       Value rhs,
                                       ArrayRef<int64_t> batchShape) {
  MLIRContext *context = b.getContext();
  int64_t batchRank = batchShape.size();
  int64_t numLoops = batchRank + 3;
  auto operandMap = [&](ArrayRef<int64_t> shape, int64_t row, int64_t col) {
    int64_t operandBatch = shape.size() - 2;
    int64_t offset = batchRank - operandBatch;
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < operandBatch; ++i)
      exprs.push_back(shape[i] == 1 && batchShape[offset + i] != 1
                          ? getAffineConstantExpr(0, context)
                          : getAffineDimExpr(offset + i, context));
    exprs.push_back(getAffineDimExpr(row, context));
    exprs.push_back(getAffineDimExpr(col, context));
    return AffineMap::get(numLoops, 0, exprs, context);
  };
  int64_t m = batchRank, n = batchRank + 1, k = batchRank + 2;
  SmallVector<int64_t> resultShape(batchShape);
  resultShape.push_back(getShape(lhs).drop_back().back());
  resultShape.push_back(getShape(rhs).back());
  SmallVector<AffineExpr> resultExprs;
  for (int64_t i = 0; i < batchRank + 2; ++i)
    resultExprs.push_back(getAffineDimExpr(i, context));
  SmallVector<AffineMap> maps = {
      operandMap(getShape(lhs), m, k), operandMap(getShape(rhs), k, n),
      AffineMap::get(numLoops, 0, resultExprs, context)};
  SmallVector<utils::IteratorType> iterators(numLoops,
                                             utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  Type elementType = cast<RankedTensorType>(lhs.getType()).getElementType();
  Value init = buildZeros(b, loc, resultShape, elementType);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{lhs, rhs}, init, maps,
             iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value sum;
               if (isa<FloatType>(elementType))
                 sum = arith::AddFOp::create(
                     nb, nl, args[2],
                     arith::MulFOp::create(nb, nl, args[0], args[1]));
               else
                 sum = arith::AddIOp::create(
                     nb, nl, args[2],
                     arith::MulIOp::create(nb, nl, args[0], args[1]));
               linalg::YieldOp::create(nb, nl, sum);
             })
      .getResult(0);
}

FailureOr<Value> muon::onnx_import::buildMatMul(NodeContext &ctx, Value lhs,
                                                Value rhs) {
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  SmallVector<int64_t> lhsShape(getShape(lhs)), rhsShape(getShape(rhs));
  if (lhsShape.empty() || rhsShape.empty())
    return ctx.emitError() << "expects inputs of rank >= 1";
  // 1-D operands become matrices; their unit dimension is dropped at the end.
  bool lhsVector = lhsShape.size() == 1, rhsVector = rhsShape.size() == 1;
  if (lhsVector)
    lhsShape.insert(lhsShape.begin(), 1);
  if (rhsVector)
    rhsShape.push_back(1);
  lhs = buildReshape(b, loc, lhs, lhsShape);
  rhs = buildReshape(b, loc, rhs, rhsShape);
  int64_t m = lhsShape[lhsShape.size() - 2], k = lhsShape.back();
  int64_t n = rhsShape.back();
  if (rhsShape[rhsShape.size() - 2] != k)
    return ctx.emitError() << "contraction dimensions differ: " << k << " vs "
                           << rhsShape[rhsShape.size() - 2];
  ArrayRef<int64_t> lhsBatch = ArrayRef(lhsShape).drop_back(2);
  ArrayRef<int64_t> rhsBatch = ArrayRef(rhsShape).drop_back(2);
  std::optional<SmallVector<int64_t>> broadcastBatch =
      broadcastShapes({lhsBatch, rhsBatch});
  if (!broadcastBatch)
    return ctx.emitError() << "batch dimensions do not broadcast: "
                           << lhs.getType() << " and " << rhs.getType();
  ArrayRef<int64_t> batchShape = *broadcastBatch;
  Type elementType = cast<RankedTensorType>(lhs.getType()).getElementType();
  int64_t batch = 1;
  for (int64_t dim : batchShape)
    batch *= dim;
  SmallVector<int64_t> resultShape(batchShape);
  resultShape.append({m, n});

  Value result;
  if (rhsBatch.empty()) {
    // [..., M, K] x [K, N]: fold the batch into the rows of one GEMM.
    Value flatLhs = buildReshape(b, loc, lhs, {batch * m, k});
    Value init = buildZeros(b, loc, {batch * m, n}, elementType);
    result = linalg::MatmulOp::create(b, loc, ValueRange{flatLhs, rhs}, init)
                 .getResult(0);
  } else if (lhsBatch == batchShape && rhsBatch == batchShape) {
    Value batchedLhs = buildReshape(b, loc, lhs, {batch, m, k});
    Value batchedRhs = buildReshape(b, loc, rhs, {batch, k, n});
    Value init = buildZeros(b, loc, {batch, m, n}, elementType);
    result = linalg::BatchMatmulOp::create(
                 b, loc, ValueRange{batchedLhs, batchedRhs}, init)
                 .getResult(0);
  } else {
    result = buildBroadcastBatchMatmul(b, loc, lhs, rhs, batchShape);
  }
  result = buildReshape(b, loc, result, resultShape);
  // Drop the dimensions the 1-D promotion added.
  SmallVector<int64_t> finalShape(batchShape);
  if (!lhsVector)
    finalShape.push_back(m);
  if (!rhsVector)
    finalShape.push_back(n);
  return buildReshape(b, loc, result, finalShape);
}

/// Multiplies a float tensor by `factor` unless it is 1.
static Value buildScale(OpBuilder &b, Location loc, Value value,
                        double factor) {
  if (factor == 1.0)
    return value;
  auto type = cast<RankedTensorType>(value.getType());
  return buildBroadcastMap(
      b, loc, value, type.getShape(), type.getElementType(),
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        Value scale = buildScalar(nb, nl, args[0].getType(), factor);
        return arith::MulFOp::create(nb, nl, args[0], scale);
      });
}

/// Loads both float operands of a matrix product and applies the transA /
/// transB flags (which need rank >= 2).
static FailureOr<std::pair<Value, Value>>
getTransposedOperands(NodeContext &ctx) {
  Value operands[2];
  for (unsigned i = 0; i < 2; ++i) {
    if (failed(getFloatElementType(ctx, i)))
      return failure();
    operands[i] = ctx.getOperand(i);
  }
  if (getElementTypeOrSelf(operands[0].getType()) !=
      getElementTypeOrSelf(operands[1].getType()))
    return ctx.emitError() << "expects inputs of one element type";
  const StringRef names[] = {"transA", "transB"};
  for (auto [i, name] : llvm::enumerate(names)) {
    FailureOr<bool> flag = getFlagAttr(ctx, name);
    if (failed(flag))
      return failure();
    if (!*flag)
      continue;
    if (getShape(operands[i]).size() < 2)
      return ctx.emitError() << name << " needs an input of rank >= 2";
    operands[i] = buildTransposeLastTwo(ctx.builder, ctx.loc, operands[i]);
  }
  return std::make_pair(operands[0], operands[1]);
}

/// op(A) x op(B) of the node's two inputs.
static FailureOr<Value> buildTransposedMatMul(NodeContext &ctx) {
  FailureOr<std::pair<Value, Value>> operands = getTransposedOperands(ctx);
  if (failed(operands))
    return failure();
  return buildMatMul(ctx, operands->first, operands->second);
}

static ImportResult importMatMul(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 2, 2)))
    return failure();
  FailureOr<Value> result = buildTransposedMatMul(ctx);
  if (failed(result))
    return failure();
  return SmallVector<Value>{*result};
}

/// com.microsoft FusedMatMul: alpha * op(A) x op(B), op = optional transpose
/// of the last two dimensions (transBatchA/B, which also move batch
/// dimensions, are not supported).
static ImportResult importFusedMatMul(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 2, 2)))
    return failure();
  for (StringRef name : {"transBatchA", "transBatchB"})
    if (ctx.getIntAttr(name).value_or(0) != 0)
      return emitUnsupportedAttr(ctx, name) << ": only 0 is supported";
  FailureOr<Value> result = buildTransposedMatMul(ctx);
  if (failed(result))
    return failure();
  double alpha = ctx.getFloatAttr("alpha").value_or(1.0f);
  return SmallVector<Value>{buildScale(ctx.builder, ctx.loc, *result, alpha)};
}

/// Gemm: alpha * op(A) x op(B) + beta * C, A and B matrices, C broadcast
/// (unidirectionally) to the M x N result.
static ImportResult importGemm(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 2, 3)))
    return failure();
  FailureOr<std::pair<Value, Value>> operands = getTransposedOperands(ctx);
  if (failed(operands))
    return failure();
  if (getShape(operands->first).size() != 2 ||
      getShape(operands->second).size() != 2)
    return ctx.emitError() << "expects matrices A and B";
  FailureOr<Value> product =
      buildMatMul(ctx, operands->first, operands->second);
  if (failed(product))
    return failure();
  double alpha = ctx.getFloatAttr("alpha").value_or(1.0f);
  double beta = ctx.getFloatAttr("beta").value_or(1.0f);
  Value result = buildScale(ctx.builder, ctx.loc, *product, alpha);
  Value bias = ctx.getOperand(2);
  if (!bias)
    return SmallVector<Value>{result};
  auto resultType = cast<RankedTensorType>(result.getType());
  FailureOr<RankedTensorType> biasType = getOperandType(ctx, 2);
  if (failed(biasType))
    return failure();
  if (biasType->getElementType() != resultType.getElementType())
    return ctx.emitError() << "expects C of the element type of A and B";
  FailureOr<SmallVector<int64_t>> shape =
      getBroadcastShape(ctx, ValueRange{result, bias});
  if (failed(shape))
    return failure();
  if (ArrayRef<int64_t>(*shape) != resultType.getShape())
    return ctx.emitError() << "C of type " << *biasType
                           << " does not broadcast to " << resultType;
  Value sum = buildBroadcastMap(
      ctx.builder, ctx.loc, ValueRange{result, bias}, resultType.getShape(),
      resultType.getElementType(),
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value scaled = arith::MulFOp::create(
            b, loc, args[1], buildScalar(b, loc, args[1].getType(), beta));
        return arith::AddFOp::create(b, loc, args[0], scaled);
      });
  return SmallVector<Value>{sum};
}

void muon::onnx_import::populateMatMulImporters(OpImporterRegistry &registry) {
  registry.add("", "MatMul", [](NodeContext &ctx) -> ImportResult {
    // Plain MatMul has no transpose attributes; reject stray ones.
    for (StringRef name : {"transA", "transB"})
      if (ctx.getAttr(name))
        return emitUnsupportedAttr(ctx, name) << ": MatMul has none";
    return importMatMul(ctx);
  });
  // Gemm-1 to 6 broadcast C only with `broadcast`.
  registry.add("", "Gemm", importGemm, {/*since=*/7});
  registry.add("com.microsoft", "FusedMatMul", importFusedMatMul);
}
