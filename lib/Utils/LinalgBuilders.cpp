//===- LinalgBuilders.cpp - Builders of linalg/tensor IR ------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

#include <numeric>

using namespace mlir;
using namespace muon;

/// The indexing map reading an operand of `shape` inside a loop nest over
/// `resultShape`: right-aligned dims, constant 0 for broadcast size-1 dims.
static AffineMap getBroadcastMap(MLIRContext *context, ArrayRef<int64_t> shape,
                                 ArrayRef<int64_t> resultShape) {
  size_t offset = resultShape.size() - shape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (dim == 1 && resultShape[offset + i] != 1)
      exprs.push_back(getAffineConstantExpr(0, context));
    else
      exprs.push_back(getAffineDimExpr(offset + i, context));
  }
  return AffineMap::get(resultShape.size(), 0, exprs, context);
}

Value muon::buildEmpty(OpBuilder &b, Location loc,
                                    ArrayRef<int64_t> shape, Type elementType) {
  return tensor::EmptyOp::create(b, loc, shape, elementType);
}

Value muon::buildFilled(OpBuilder &b, Location loc,
                                     ArrayRef<int64_t> shape, TypedAttr value) {
  Value empty = buildEmpty(b, loc, shape, value.getType());
  Value scalar = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
}

Value muon::buildBroadcastMap(OpBuilder &b, Location loc,
                                           ValueRange inputs,
                                           ArrayRef<int64_t> resultShape,
                                           Type elementType,
                                           ScalarBodyFn body) {
  MLIRContext *context = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(getBroadcastMap(
        context, cast<RankedTensorType>(input.getType()).getShape(),
        resultShape));
  maps.push_back(b.getMultiDimIdentityMap(resultShape.size()));
  SmallVector<utils::IteratorType> iterators(resultShape.size(),
                                             utils::IteratorType::parallel);
  Value init = buildEmpty(b, loc, resultShape, elementType);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, init, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

Value muon::buildReshape(OpBuilder &b, Location loc, Value value,
                                      ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  auto fullReassociation = [](int64_t rank) {
    ReassociationIndices all(rank);
    std::iota(all.begin(), all.end(), 0);
    return SmallVector<ReassociationIndices>{all};
  };
  Type elementType = type.getElementType();
  auto resultType = RankedTensorType::get(shape, elementType);
  // One collapse or expand where the dimensions group contiguously.
  if (type.getRank() > static_cast<int64_t>(shape.size()) && !shape.empty())
    if (auto groups =
            getReassociationIndicesForCollapse(type.getShape(), shape))
      return tensor::CollapseShapeOp::create(b, loc, resultType, value,
                                             *groups);
  if (type.getRank() < static_cast<int64_t>(shape.size()) && type.getRank() > 0)
    if (auto groups =
            getReassociationIndicesForCollapse(shape, type.getShape()))
      return tensor::ExpandShapeOp::create(b, loc, resultType, value, *groups);
  // Otherwise through 1-D; rank-0 tensors use an empty reassociation.
  Value flat = value;
  auto flatType = RankedTensorType::get({type.getNumElements()}, elementType);
  if (type.getRank() == 0)
    flat = tensor::ExpandShapeOp::create(b, loc, flatType, value,
                                         ArrayRef<ReassociationIndices>{});
  else if (type.getRank() > 1)
    flat = tensor::CollapseShapeOp::create(b, loc, value,
                                           fullReassociation(type.getRank()));
  if (shape.size() == 1)
    return flat;
  if (shape.empty())
    return tensor::CollapseShapeOp::create(b, loc, resultType, flat,
                                           ArrayRef<ReassociationIndices>{});
  return tensor::ExpandShapeOp::create(b, loc, resultType, flat,
                                       fullReassociation(shape.size()));
}

Value muon::buildTranspose(OpBuilder &b, Location loc, Value value,
                                        ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(value.getType());
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return value;
  SmallVector<int64_t> shape;
  for (int64_t dim : perm)
    shape.push_back(type.getDimSize(dim));
  Value init = buildEmpty(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, value, init, perm).getResult()[0];
}

Value muon::buildScalar(OpBuilder &b, Location loc, Type type,
                                     double value) {
  if (isa<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

SmallVector<int64_t>
muon::getKeptDimsShape(ArrayRef<int64_t> shape,
                                    ArrayRef<int64_t> axes) {
  SmallVector<int64_t> result(shape);
  for (int64_t axis : axes)
    result[axis] = 1;
  return result;
}

/// The neutral element of a reduction: 0, or the lowest value of the type.
static TypedAttr getReduceInit(OpBuilder &b, Type type, ReduceKind kind) {
  if (auto floatType = dyn_cast<FloatType>(type)) {
    if (kind == ReduceKind::Sum)
      return b.getFloatAttr(type, 0.0);
    return b.getFloatAttr(type, APFloat::getInf(floatType.getFloatSemantics(),
                                                /*Negative=*/true));
  }
  unsigned width = type.getIntOrFloatBitWidth();
  return b.getIntegerAttr(type, kind == ReduceKind::Sum
                                    ? APInt::getZero(width)
                                    : APInt::getSignedMinValue(width));
}

static Value combine(OpBuilder &b, Location loc, Value lhs, Value rhs,
                     ReduceKind kind) {
  bool isFloat = isa<FloatType>(lhs.getType());
  if (kind == ReduceKind::Sum)
    return isFloat ? arith::AddFOp::create(b, loc, lhs, rhs).getResult()
                   : arith::AddIOp::create(b, loc, lhs, rhs).getResult();
  return isFloat ? arith::MaximumFOp::create(b, loc, lhs, rhs).getResult()
                 : arith::MaxSIOp::create(b, loc, lhs, rhs).getResult();
}

Value muon::buildReduce(OpBuilder &b, Location loc, Value value,
                                     ArrayRef<int64_t> axes, bool keepDims,
                                     ReduceKind kind) {
  auto type = cast<RankedTensorType>(value.getType());
  if (axes.empty())
    return value;
  SmallVector<int64_t> reducedShape;
  for (auto [i, dim] : llvm::enumerate(type.getShape()))
    if (!llvm::is_contained(axes, static_cast<int64_t>(i)))
      reducedShape.push_back(dim);
  Value init = buildFilled(b, loc, reducedShape,
                           getReduceInit(b, type.getElementType(), kind));
  auto reduce = linalg::ReduceOp::create(
      b, loc, value, init, axes,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = combine(nested, nestedLoc, args[0], args[1], kind);
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  Value result = reduce.getResult(0);
  if (keepDims)
    result =
        buildReshape(b, loc, result, getKeptDimsShape(type.getShape(), axes));
  return result;
}
