//===- LinalgBuilders.cpp - Builders of linalg/tensor IR ------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/TypeUtilities.h"

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

Value muon::buildEmpty(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                       Type elementType) {
  return tensor::EmptyOp::create(b, loc, shape, elementType);
}

Value muon::buildFilled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                        TypedAttr value) {
  Value empty = buildEmpty(b, loc, shape, value.getType());
  Value scalar = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
}

Value muon::buildBroadcastMap(OpBuilder &b, Location loc, ValueRange inputs,
                              ArrayRef<int64_t> resultShape, Type elementType,
                              ScalarBodyFn body) {
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(getBroadcastMap(
        b.getContext(), cast<RankedTensorType>(input.getType()).getShape(),
        resultShape));
  return buildElementwise(
             b, loc, inputs, maps,
             RankedTensorType::get(resultShape, elementType),
             /*arithType=*/nullptr,
             [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
               return SmallVector<Value>{body(nested, nestedLoc, args)};
             })
      .front();
}

/// buildReshape with the collapse/expand ops of tensors or of memrefs, whose
/// types of a shape `getType` builds.
template <typename CollapseOp, typename ExpandOp>
static Value buildReshapeWith(OpBuilder &b, Location loc, Value value,
                              ArrayRef<int64_t> shape,
                              function_ref<Type(ArrayRef<int64_t>)> getType) {
  auto type = cast<ShapedType>(value.getType());
  if (type.getShape() == shape)
    return value;
  auto fullReassociation = [](int64_t rank) {
    ReassociationIndices all(rank);
    std::iota(all.begin(), all.end(), 0);
    return SmallVector<ReassociationIndices>{all};
  };
  Type resultType = getType(shape);
  // One collapse or expand where the dimensions group contiguously.
  if (type.getRank() > static_cast<int64_t>(shape.size()) && !shape.empty())
    if (auto groups =
            getReassociationIndicesForCollapse(type.getShape(), shape))
      return CollapseOp::create(b, loc, resultType, value, *groups);
  if (type.getRank() < static_cast<int64_t>(shape.size()) && type.getRank() > 0)
    if (auto groups =
            getReassociationIndicesForCollapse(shape, type.getShape()))
      return ExpandOp::create(b, loc, resultType, value, *groups);
  // Otherwise through 1-D; rank 0 uses an empty reassociation.
  Value flat = value;
  Type flatType = getType({type.getNumElements()});
  if (type.getRank() == 0)
    flat = ExpandOp::create(b, loc, flatType, value,
                            ArrayRef<ReassociationIndices>{});
  else if (type.getRank() > 1)
    flat = CollapseOp::create(b, loc, flatType, value,
                              fullReassociation(type.getRank()));
  if (shape.size() == 1)
    return flat;
  if (shape.empty())
    return CollapseOp::create(b, loc, resultType, flat,
                              ArrayRef<ReassociationIndices>{});
  return ExpandOp::create(b, loc, resultType, flat,
                          fullReassociation(shape.size()));
}

Value muon::buildReshape(OpBuilder &b, Location loc, Value value,
                         ArrayRef<int64_t> shape) {
  Type elementType = getElementTypeOrSelf(value.getType());
  if (auto buffer = dyn_cast<MemRefType>(value.getType())) {
    assert(buffer.getLayout().isIdentity() && "reshape of a strided buffer");
    return buildReshapeWith<memref::CollapseShapeOp, memref::ExpandShapeOp>(
        b, loc, value, shape, [&](ArrayRef<int64_t> to) -> Type {
          return MemRefType::get(to, elementType, MemRefLayoutAttrInterface(),
                                 buffer.getMemorySpace());
        });
  }
  return buildReshapeWith<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(
      b, loc, value, shape, [&](ArrayRef<int64_t> to) -> Type {
        return RankedTensorType::get(to, elementType);
      });
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

Value muon::buildScalar(OpBuilder &b, Location loc, Type type, double value) {
  if (isa<FloatType>(type))
    return createFloatConstant(b, loc, type, value);
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

SmallVector<int64_t> muon::getKeptDimsShape(ArrayRef<int64_t> shape,
                                            ArrayRef<int64_t> axes) {
  SmallVector<int64_t> result(shape);
  for (int64_t axis : axes)
    result[axis] = 1;
  return result;
}

/// The neutral element of a reduction: 0 (Sum), 1 (Prod), or the lowest
/// (Max) or highest (Min) value of the type: signed for integers, unsigned
/// for bools (false < true, where a signed i1 true is -1).
static TypedAttr getReduceInit(OpBuilder &b, Type type, ReduceKind kind,
                               bool isUnsigned) {
  if (auto floatType = dyn_cast<FloatType>(type)) {
    if (kind == ReduceKind::Sum || kind == ReduceKind::Prod)
      return b.getFloatAttr(type, kind == ReduceKind::Sum ? 0.0 : 1.0);
    return b.getFloatAttr(
        type, APFloat::getInf(floatType.getFloatSemantics(),
                              /*Negative=*/kind == ReduceKind::Max));
  }
  unsigned width = type.getIntOrFloatBitWidth();
  bool isBool = width == 1 || isUnsigned;
  switch (kind) {
  case ReduceKind::Sum:
    return b.getIntegerAttr(type, APInt::getZero(width));
  case ReduceKind::Prod:
    return b.getIntegerAttr(type, APInt(width, 1));
  case ReduceKind::Max:
    return b.getIntegerAttr(type, isBool ? APInt::getMinValue(width)
                                         : APInt::getSignedMinValue(width));
  case ReduceKind::Min:
    return b.getIntegerAttr(type, isBool ? APInt::getMaxValue(width)
                                         : APInt::getSignedMaxValue(width));
  }
  llvm_unreachable("unknown ReduceKind");
}

Value muon::buildCombine(OpBuilder &b, Location loc, Value lhs, Value rhs,
                         ReduceKind kind, bool isUnsigned) {
  bool isFloat = isa<FloatType>(lhs.getType());
  // Bools order false < true: unsigned (a signed i1 true is -1).
  bool isBool = lhs.getType().isInteger(1) || isUnsigned;
  switch (kind) {
  case ReduceKind::Sum:
    return isFloat ? arith::AddFOp::create(b, loc, lhs, rhs).getResult()
                   : arith::AddIOp::create(b, loc, lhs, rhs).getResult();
  case ReduceKind::Prod:
    return isFloat ? arith::MulFOp::create(b, loc, lhs, rhs).getResult()
                   : arith::MulIOp::create(b, loc, lhs, rhs).getResult();
  case ReduceKind::Max:
    if (isFloat)
      return arith::MaximumFOp::create(b, loc, lhs, rhs);
    return isBool ? arith::MaxUIOp::create(b, loc, lhs, rhs).getResult()
                  : arith::MaxSIOp::create(b, loc, lhs, rhs).getResult();
  case ReduceKind::Min:
    if (isFloat)
      return arith::MinimumFOp::create(b, loc, lhs, rhs);
    return isBool ? arith::MinUIOp::create(b, loc, lhs, rhs).getResult()
                  : arith::MinSIOp::create(b, loc, lhs, rhs).getResult();
  }
  llvm_unreachable("unknown ReduceKind");
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
  Type elementType = type.getElementType();
  bool isUnsigned = elementType.isUnsignedInteger();
  if (isUnsigned) {
    elementType = b.getIntegerType(elementType.getIntOrFloatBitWidth());
    value = tensor::BitcastOp::create(b, loc, type.clone(elementType), value);
  }
  Value init = buildFilled(b, loc, reducedShape,
                           getReduceInit(b, elementType, kind, isUnsigned));
  auto reduce = linalg::ReduceOp::create(
      b, loc, value, init, axes,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result =
            buildCombine(nested, nestedLoc, args[0], args[1], kind, isUnsigned);
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  Value result = reduce.getResult(0);
  if (keepDims)
    result =
        buildReshape(b, loc, result, getKeptDimsShape(type.getShape(), axes));
  if (isUnsigned) {
    auto resultType = cast<RankedTensorType>(result.getType());
    result = tensor::BitcastOp::create(
        b, loc, resultType.clone(type.getElementType()), result);
  }
  return result;
}

Value muon::createFloatConstant(OpBuilder &b, Location loc, Type type,
                                double value) {
  // FloatAttr::get rounds the double to nearest-even in `type`.
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

Value muon::convertScalar(OpBuilder &b, Location loc, Value value, Type type) {
  Type source = value.getType();
  if (source == type)
    return value;
  if (auto intType = dyn_cast<IntegerType>(source)) {
    // An i1 step of `true` is 1, not -1.
    if (intType.getWidth() == 1)
      return arith::UIToFPOp::create(b, loc, type, value);
    return arith::SIToFPOp::create(b, loc, type, value);
  }
  unsigned sourceWidth = cast<FloatType>(source).getWidth();
  unsigned targetWidth = cast<FloatType>(type).getWidth();
  if (sourceWidth < targetWidth)
    return arith::ExtFOp::create(b, loc, type, value);
  if (sourceWidth > targetWidth)
    return arith::TruncFOp::create(b, loc, type, value);
  // Same width, different format (f16 <-> bf16): through f32, exactly.
  Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
  return arith::TruncFOp::create(b, loc, type, wide);
}

/// An all-parallel generic over the shape of `inits` writing into them; the
/// body sees the inputs, then (with `readInits`) the init elements.
static SmallVector<Value>
buildParallelGeneric(OpBuilder &b, Location loc, ValueRange inputs,
                     ArrayRef<AffineMap> inputMaps, ValueRange inits,
                     Type arithType, bool readInits, GenericBodyFn body) {
  unsigned rank = cast<RankedTensorType>(inits.front().getType()).getRank();
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  SmallVector<AffineMap> maps(inputMaps);
  if (maps.empty())
    for (Value input : inputs)
      maps.push_back(cast<RankedTensorType>(input.getType()).getRank() == 0
                         ? AffineMap::get(rank, 0, b.getContext())
                         : identity);
  maps.append(inits.size(), identity);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, inits.getTypes(), inputs, inits, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        SmallVector<Value> operands;
        for (Value arg : readInits ? args : args.take_front(inputs.size()))
          operands.push_back(
              arithType ? convertScalar(nested, nestedLoc, arg, arithType)
                        : arg);
        SmallVector<Value> results = body(nested, nestedLoc, operands);
        if (arithType)
          for (auto [result, init] : llvm::zip_equal(results, inits))
            result = convertScalar(nested, nestedLoc, result,
                                   getElementTypeOrSelf(init.getType()));
        linalg::YieldOp::create(nested, nestedLoc, results);
      });
  return SmallVector<Value>(generic.getResults());
}

SmallVector<Value> muon::buildScalarGeneric(OpBuilder &b, Location loc,
                                            ValueRange scalars,
                                            GenericBodyFn body) {
  // The body first, in a block of its own: its results give the types.
  auto block = std::make_unique<Block>();
  SmallVector<Value> elements;
  for (Value scalar : scalars)
    elements.push_back(
        block->addArgument(getElementTypeOrSelf(scalar.getType()), loc));
  SmallVector<Value> results;
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(block.get());
    results = body(b, loc, elements);
  }
  SmallVector<Value> inits;
  for (Value result : results) {
    inits.push_back(
        tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, result.getType()));
    block->addArgument(result.getType(), loc);
  }
  AffineMap scalarMap = AffineMap::get(b.getContext());
  SmallVector<AffineMap> maps(scalars.size() + inits.size(), scalarMap);
  auto generic =
      linalg::GenericOp::create(b, loc, ValueRange(inits).getTypes(), scalars,
                                inits, maps, ArrayRef<utils::IteratorType>{});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(block.get());
    linalg::YieldOp::create(b, loc, results);
  }
  generic.getRegion().push_back(block.release());
  return SmallVector<Value>(generic.getResults());
}

SmallVector<Value> muon::buildElementwise(OpBuilder &b, Location loc,
                                          ValueRange inputs,
                                          ArrayRef<AffineMap> inputMaps,
                                          TypeRange resultTypes, Type arithType,
                                          GenericBodyFn body) {
  SmallVector<Value> inits;
  for (Type type : resultTypes) {
    auto tensorType = cast<RankedTensorType>(type);
    inits.push_back(tensor::EmptyOp::create(b, loc, tensorType.getShape(),
                                            tensorType.getElementType()));
  }
  return buildParallelGeneric(b, loc, inputs, inputMaps, inits, arithType,
                              /*readInits=*/false, body);
}

Value muon::buildElementwiseUpdate(OpBuilder &b, Location loc,
                                   ValueRange inputs, Value target,
                                   Type arithType, GenericBodyFn body) {
  return buildParallelGeneric(b, loc, inputs, {}, target, arithType,
                              /*readInits=*/true, body)
      .front();
}

Value muon::buildUnlessFlagged(OpBuilder &b, Location loc, Value flag,
                               Value value, Value old) {
  return buildElementwise(
             b, loc, {flag, value, old}, {}, value.getType(), Type(),
             [](OpBuilder &nb, Location nl, ValueRange args) {
               Value zero = arith::ConstantOp::create(
                   nb, nl, nb.getZeroAttr(args[0].getType()));
               Value flagged = arith::CmpIOp::create(
                   nb, nl, arith::CmpIPredicate::ne, args[0], zero);
               return SmallVector<Value>{
                   arith::SelectOp::create(nb, nl, flagged, args[2], args[1])};
             })
      .front();
}

Value muon::convertElements(OpBuilder &b, Location loc, Value value,
                            Type elementType) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getElementType() == elementType)
    return value;
  return buildElementwise(b, loc, value, {}, type.clone(elementType),
                          elementType,
                          [](OpBuilder &, Location, ValueRange args) {
                            return SmallVector<Value>(args);
                          })
      .front();
}

AffineMap muon::getProjectionMap(MLIRContext *ctx, unsigned rank,
                                 ArrayRef<int64_t> dims) {
  SmallVector<AffineExpr> exprs;
  for (int64_t dim : dims)
    exprs.push_back(getAffineDimExpr(dim, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value muon::buildReduction(OpBuilder &b, Location loc, Value input,
                           ArrayRef<int64_t> reducedDims, Type accType,
                           double init, CombineFn combine) {
  auto inputType = cast<RankedTensorType>(input.getType());
  unsigned rank = inputType.getRank();
  SmallVector<int64_t> keptDims, shape;
  SmallVector<utils::IteratorType> iterators;
  for (unsigned dim = 0; dim < rank; ++dim) {
    if (llvm::is_contained(reducedDims, dim)) {
      iterators.push_back(utils::IteratorType::reduction);
      continue;
    }
    iterators.push_back(utils::IteratorType::parallel);
    keptDims.push_back(dim);
    shape.push_back(inputType.getDimSize(dim));
  }
  Value filled = buildFilled(b, loc, shape, b.getFloatAttr(accType, init));
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(rank),
      getProjectionMap(b.getContext(), rank, keptDims)};
  auto generic = linalg::GenericOp::create(
      b, loc, filled.getType(), input, filled, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value element = convertScalar(nested, nestedLoc, args[0], accType);
        linalg::YieldOp::create(nested, nestedLoc,
                                combine(nested, nestedLoc, args[1], element));
      });
  return generic.getResult(0);
}

Value muon::buildSumOfSquares(OpBuilder &b, Location loc, Value input,
                              ArrayRef<int64_t> reducedDims, Type accType) {
  return buildReduction(
      b, loc, input, reducedDims, accType, 0.0,
      [](OpBuilder &nested, Location nestedLoc, Value acc, Value element) {
        Value square =
            arith::MulFOp::create(nested, nestedLoc, element, element);
        return arith::AddFOp::create(nested, nestedLoc, acc, square)
            .getResult();
      });
}

SmallVector<ReassociationIndices>
muon::groupDims(ArrayRef<int64_t> groupSizes) {
  SmallVector<ReassociationIndices> reassociation;
  int64_t next = 0;
  for (int64_t size : groupSizes) {
    ReassociationIndices group;
    for (int64_t i = 0; i < size; ++i)
      group.push_back(next++);
    reassociation.push_back(group);
  }
  return reassociation;
}

Value muon::reshape(OpBuilder &b, Location loc, Value value,
                    ArrayRef<int64_t> shape,
                    ArrayRef<ReassociationIndices> reassociation) {
  auto type = cast<RankedTensorType>(value.getType());
  auto target = RankedTensorType::get(shape, type.getElementType());
  if (target.getRank() == type.getRank())
    return value;
  if (target.getRank() < type.getRank())
    return tensor::CollapseShapeOp::create(b, loc, target, value,
                                           reassociation);
  return tensor::ExpandShapeOp::create(b, loc, target, value, reassociation);
}
