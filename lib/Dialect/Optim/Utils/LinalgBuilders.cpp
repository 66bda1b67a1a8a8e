//===- LinalgBuilders.cpp - Helpers building linalg on tensors ------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace muon::optim;

bool muon::optim::isSupportedFloatType(Type type) {
  return isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(type);
}

LogicalResult muon::optim::checkSupportedOperandTypes(RewriterBase &rewriter,
                                                      Operation *op) {
  for (Value operand : op->getOperands()) {
    Type type = getElementTypeOrSelf(operand.getType());
    if (!isa<FloatType>(type) || isSupportedFloatType(type))
      continue;
    op->emitOpError() << "cannot be lowered: element type " << type
                      << " is not one of f16, bf16, f32, f64";
    return rewriter.notifyMatchFailure(op, "unsupported element type");
  }
  return success();
}

FloatType muon::optim::getArithmeticType(Type type) {
  if (isa<Float16Type, BFloat16Type>(type))
    return Float32Type::get(type.getContext());
  return cast<FloatType>(type);
}

Value muon::optim::createFloatConstant(OpBuilder &b, Location loc, Type type,
                                       double value) {
  // FloatAttr::get rounds the double to nearest-even in `type`.
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

Value muon::optim::convertScalar(OpBuilder &b, Location loc, Value value,
                                 Type type) {
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

Value muon::optim::extractScalar(OpBuilder &b, Location loc, Value tensor,
                                 Type type) {
  Value element = tensor::ExtractOp::create(b, loc, tensor, ValueRange());
  return convertScalar(b, loc, element, type);
}

Value muon::optim::buildMovingAverage(OpBuilder &b, Location loc, Value beta,
                                      Value oneMinusBeta, Value average,
                                      Value sample) {
  Value decayed = arith::MulFOp::create(b, loc, beta, average);
  Value added = arith::MulFOp::create(b, loc, oneMinusBeta, sample);
  return arith::AddFOp::create(b, loc, decayed, added);
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
    maps.assign(inputs.size(), identity);
  maps.append(inits.size(), identity);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, inits.getTypes(), inputs, inits, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        SmallVector<Value> operands;
        for (Value arg : readInits ? args : args.take_front(inputs.size()))
          operands.push_back(convertScalar(nested, nestedLoc, arg, arithType));
        SmallVector<Value> results = body(nested, nestedLoc, operands);
        for (auto [result, init] : llvm::zip_equal(results, inits))
          result = convertScalar(nested, nestedLoc, result,
                                 getElementTypeOrSelf(init.getType()));
        linalg::YieldOp::create(nested, nestedLoc, results);
      });
  return SmallVector<Value>(generic.getResults());
}

SmallVector<Value> muon::optim::buildElementwise(OpBuilder &b, Location loc,
                                                 ValueRange inputs,
                                                 ArrayRef<AffineMap> inputMaps,
                                                 TypeRange resultTypes,
                                                 Type arithType,
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

Value muon::optim::buildElementwiseUpdate(OpBuilder &b, Location loc,
                                          ValueRange inputs, Value target,
                                          Type arithType, GenericBodyFn body) {
  return buildParallelGeneric(b, loc, inputs, {}, target, arithType,
                              /*readInits=*/true, body)
      .front();
}

Value muon::optim::convertElements(OpBuilder &b, Location loc, Value value,
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

AffineMap muon::optim::getProjectionMap(MLIRContext *ctx, unsigned rank,
                                        ArrayRef<int64_t> dims) {
  SmallVector<AffineExpr> exprs;
  for (int64_t dim : dims)
    exprs.push_back(getAffineDimExpr(dim, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value muon::optim::buildReduction(OpBuilder &b, Location loc, Value input,
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
  Value empty = tensor::EmptyOp::create(b, loc, shape, accType);
  Value initValue = createFloatConstant(b, loc, accType, init);
  Value filled = linalg::FillOp::create(b, loc, initValue, empty).getResult(0);
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

Value muon::optim::buildSumOfSquares(OpBuilder &b, Location loc, Value input,
                                     ArrayRef<int64_t> reducedDims,
                                     Type accType) {
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
muon::optim::groupDims(ArrayRef<int64_t> groupSizes) {
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

Value muon::optim::reshape(OpBuilder &b, Location loc, Value value,
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

SmallVector<int64_t>
muon::optim::getMatrixFormShape(const MatrixShape &matrix) {
  if (matrix.batch.empty())
    return {matrix.rows, matrix.cols};
  return {matrix.getBatchSize(), matrix.rows, matrix.cols};
}

SmallVector<ReassociationIndices>
muon::optim::getMatrixFormReassociation(int64_t rank,
                                        const MatrixShape &matrix) {
  if (matrix.batch.empty())
    return groupDims({1, rank - 1});
  return groupDims({rank - 2, 1, 1});
}
