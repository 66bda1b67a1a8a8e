//===- Shape.cpp - ONNX shape and data-movement op importers --------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Shapes are static, so shape-valued inputs (Reshape's shape, Split's sizes,
// the axes of Squeeze/Unsqueeze) must be constants, and Shape itself folds to
// a constant. Reshapes become collapse/expand pairs, Split extract_slices
// (Slice is Slice.cpp), Concat insert_slices, Gather a generic that extracts
// from the data, ScatterElements a generic over the data that combines the
// updates aimed at each position, Expand and Tile broadcasting generics. ORT's
// ConcatTraining and SplitTraining are Concat and Split-13 with the extents as
// a tensor.
//
//===----------------------------------------------------------------------===//

#include "Shape.h"
#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/MathExtras.h"

#include <set>

using namespace mlir;
using namespace muon::onnx_import;

/// Reshape: 0 copies the input dimension (unless allowzero), -1 is inferred.
static ImportResult importReshape(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 2);
  FailureOr<SmallVector<int64_t>> requested = getConstantIntOperand(ctx, 1);
  if (failed(type) || failed(requested))
    return failure();
  FailureOr<bool> allowZero = getFlagAttr(ctx, "allowzero");
  if (failed(allowZero))
    return failure();
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1;
  for (auto [i, dim] : llvm::enumerate(*requested)) {
    if (dim == 0 && !*allowZero) {
      if (static_cast<int64_t>(i) >= type->getRank())
        return ctx.emitError()
               << "shape entry " << i << " copies a dimension the input lacks";
      dim = type->getDimSize(i);
    }
    if (dim == -1) {
      if (inferred >= 0)
        return ctx.emitError() << "shape has more than one -1";
      inferred = i;
    } else if (dim < 0) {
      return ctx.emitError() << "invalid shape entry " << dim;
    } else if (llvm::MulOverflow(known, dim, known)) {
      return ctx.emitError() << "shape entries multiply to 2^63 or more";
    }
    shape.push_back(dim);
  }
  int64_t count = type->getNumElements();
  if (inferred >= 0) {
    if (known == 0 || count % known != 0)
      return ctx.emitError() << "cannot infer the -1 entry: " << count
                             << " elements into blocks of " << known;
    shape[inferred] = count / known;
  } else if (known != count) {
    return ctx.emitError() << "cannot reshape " << *type << " (" << count
                           << " elements) to " << known << " elements";
  }
  return SmallVector<Value>{
      buildReshape(ctx.builder, ctx.loc, ctx.getOperand(0), shape)};
}

static ImportResult importTranspose(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  if (failed(type))
    return failure();
  int64_t rank = type->getRank();
  SmallVector<int64_t> perm =
      ctx.getIntsAttr("perm").value_or(SmallVector<int64_t>());
  if (!ctx.getAttr("perm"))
    perm = llvm::to_vector(llvm::reverse(llvm::seq<int64_t>(0, rank)));
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  if (!llvm::equal(sorted, llvm::seq<int64_t>(0, rank)))
    return emitUnsupportedAttr(ctx, "perm")
           << ": not a permutation of the " << rank << " input dimensions";
  return SmallVector<Value>{
      buildTranspose(ctx.builder, ctx.loc, ctx.getOperand(0), perm)};
}

static bool isEmptyShape(ArrayRef<int64_t> shape) {
  return llvm::is_contained(shape, 0);
}

/// Split along `axis` into sizes from the `split` input (opset >= 13), the
/// `split` attribute (older), or equal parts (num_outputs or output count).
static ImportResult importSplit(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 2);
  if (failed(type))
    return failure();
  FailureOr<int64_t> axis =
      normalizeAxis(ctx, ctx.getIntAttr("axis").value_or(0), type->getRank());
  if (failed(axis))
    return failure();
  int64_t dimSize = type->getDimSize(*axis);
  int64_t numResults = ctx.getNumResults();
  SmallVector<int64_t> sizes;
  if (ctx.getOperand(1)) {
    FailureOr<SmallVector<int64_t>> split = getConstantIntOperand(ctx, 1);
    if (failed(split))
      return failure();
    sizes = *split;
  } else if (auto split = ctx.getIntsAttr("split")) {
    sizes = *split;
  } else {
    // Equal parts; with num_outputs (opset 18) the last one may be smaller.
    int64_t parts = ctx.getIntAttr("num_outputs").value_or(numResults);
    if (parts != numResults)
      return emitUnsupportedAttr(ctx, "num_outputs")
             << ": " << parts << " but the node has " << numResults
             << " outputs";
    if (parts < 1)
      return ctx.emitError() << "has no outputs to split into";
    int64_t chunk = llvm::divideCeil(dimSize, parts);
    for (int64_t i = 0, left = dimSize; i < parts; ++i, left -= chunk)
      sizes.push_back(std::clamp<int64_t>(left, 0, chunk));
  }
  if (static_cast<int64_t>(sizes.size()) != numResults)
    return ctx.emitError() << "has " << numResults << " outputs but "
                           << sizes.size() << " split sizes";
  return buildSplit(ctx, ctx.getOperand(0), *axis, sizes);
}

ImportResult muon::onnx_import::buildSplit(NodeContext &ctx, Value input,
                                           int64_t axis,
                                           ArrayRef<int64_t> sizes) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t dimSize = type.getDimSize(axis);
  int64_t total = 0;
  for (int64_t size : sizes) {
    if (size < 0)
      return ctx.emitError() << "negative split size " << size;
    // Checked before adding: sizes near 2^63 would overflow the sum.
    if (size > dimSize - total)
      return ctx.emitError() << "split sizes add up to more than the axis "
                                "size "
                             << dimSize;
    total += size;
  }
  if (total != dimSize)
    return ctx.emitError() << "split sizes add up to " << total
                           << ", not to the axis size " << dimSize;
  SmallVector<Value> results;
  int64_t offset = 0;
  for (int64_t size : sizes) {
    SmallVector<int64_t> shape(type.getShape());
    shape[axis] = size;
    // A zero-size part has no data to slice (and its offset may equal the
    // extent, which a slice may not start at).
    if (isEmptyShape(shape)) {
      results.push_back(
          buildEmpty(ctx.builder, ctx.loc, shape, type.getElementType()));
      continue;
    }
    SmallVector<OpFoldResult> offsets(type.getRank(),
                                      ctx.builder.getIndexAttr(0));
    SmallVector<OpFoldResult> extents,
        strides(type.getRank(), ctx.builder.getIndexAttr(1));
    for (int64_t dim : shape)
      extents.push_back(ctx.builder.getIndexAttr(dim));
    offsets[axis] = ctx.builder.getIndexAttr(offset);
    results.push_back(tensor::ExtractSliceOp::create(
        ctx.builder, ctx.loc, input, offsets, extents, strides));
    offset += size;
  }
  return results;
}

static ImportResult importConcat(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 1, ~0u)))
    return failure();
  std::optional<int64_t> axisAttr = ctx.getIntAttr("axis");
  if (!axisAttr)
    return ctx.emitError() << "expects attribute 'axis'";
  for (unsigned i = 0, e = ctx.operands.size(); i < e; ++i)
    if (failed(getOperandType(ctx, i)))
      return failure();
  FailureOr<Value> result = buildConcat(ctx, ctx.operands, *axisAttr);
  if (failed(result))
    return failure();
  return SmallVector<Value>{*result};
}

FailureOr<Value> muon::onnx_import::buildConcat(NodeContext &ctx,
                                                ValueRange inputs,
                                                int64_t axisAttr) {
  auto first = cast<RankedTensorType>(inputs.front().getType());
  FailureOr<int64_t> axis = normalizeAxis(ctx, axisAttr, first.getRank());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  shape[*axis] = 0;
  for (auto [i, input] : llvm::enumerate(inputs)) {
    auto type = cast<RankedTensorType>(input.getType());
    for (int64_t d = 0; d < first.getRank(); ++d)
      if (d != *axis && (type.getRank() != first.getRank() ||
                         type.getDimSize(d) != first.getDimSize(d) ||
                         type.getElementType() != first.getElementType()))
        return ctx.emitError() << "input #" << i << " of type " << type
                               << " does not concatenate with " << first;
    shape[*axis] += type.getDimSize(*axis);
  }
  OpBuilder &b = ctx.builder;
  Value result = buildEmpty(b, ctx.loc, shape, first.getElementType());
  if (isEmptyShape(shape))
    return result;
  int64_t offset = 0;
  for (Value input : inputs) {
    auto type = cast<RankedTensorType>(input.getType());
    if (type.getDimSize(*axis) == 0)
      continue; // nothing to insert, and its offset may be the extent
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
    for (int64_t dim : type.getShape())
      sizes.push_back(b.getIndexAttr(dim));
    offsets[*axis] = b.getIndexAttr(offset);
    result = tensor::InsertSliceOp::create(b, ctx.loc, input, result, offsets,
                                           sizes, strides);
    offset += type.getDimSize(*axis);
  }
  return result;
}

/// com.microsoft ConcatTraining: Concat plus an optional second output, each
/// input's extent along the axis (which SplitTraining, its gradient, reads).
static ImportResult importConcatTraining(NodeContext &ctx) {
  ImportResult results = importConcat(ctx);
  if (failed(results) || ctx.getNumResults() < 2)
    return results;
  auto type = cast<RankedTensorType>(results->front().getType());
  int64_t axis = *ctx.getIntAttr("axis");
  if (axis < 0)
    axis += type.getRank();
  SmallVector<int64_t> lengths;
  for (Value operand : ctx.operands)
    lengths.push_back(
        cast<RankedTensorType>(operand.getType()).getDimSize(axis));
  auto lengthsType = RankedTensorType::get(
      {static_cast<int64_t>(lengths.size())}, ctx.builder.getI64Type());
  results->push_back(arith::ConstantOp::create(
      ctx.builder, ctx.loc,
      DenseIntElementsAttr::get(lengthsType, ArrayRef<int64_t>(lengths))));
  return results;
}

/// Shape (with opset-15 start/end) is a constant on static shapes.
static ImportResult importShape(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  if (failed(type))
    return failure();
  int64_t rank = type->getRank();
  auto clamp = [&](int64_t index) {
    return std::clamp(index < 0 ? index + rank : index, int64_t(0), rank);
  };
  int64_t start = clamp(ctx.getIntAttr("start").value_or(0));
  int64_t end = clamp(ctx.getIntAttr("end").value_or(rank));
  ArrayRef<int64_t> dims =
      type->getShape().slice(start, std::max<int64_t>(end - start, 0));
  auto resultType = RankedTensorType::get({static_cast<int64_t>(dims.size())},
                                          ctx.builder.getI64Type());
  return SmallVector<Value>{arith::ConstantOp::create(
      ctx.builder, ctx.loc, DenseIntElementsAttr::get(resultType, dims))};
}

/// Size is a constant on static shapes (ORT's gradients of mean reductions
/// divide element counts).
static ImportResult importSize(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  if (failed(type))
    return failure();
  auto resultType = RankedTensorType::get({}, ctx.builder.getI64Type());
  return SmallVector<Value>{arith::ConstantOp::create(
      ctx.builder, ctx.loc,
      DenseIntElementsAttr::get(resultType,
                                ArrayRef<int64_t>{type->getNumElements()}))};
}

/// The types of a gather's data and int32/int64 indices.
static FailureOr<std::pair<RankedTensorType, RankedTensorType>>
getGatherTypes(NodeContext &ctx) {
  FailureOr<RankedTensorType> dataType = getFirstOperandType(ctx, 2, 2);
  FailureOr<RankedTensorType> indicesType = getOperandType(ctx, 1);
  if (failed(dataType) || failed(indicesType))
    return failure();
  if (!indicesType->getElementType().isSignlessInteger(64) &&
      !indicesType->getElementType().isSignlessInteger(32))
    return ctx.emitError() << "expects int32/int64 indices, got "
                           << indicesType->getElementType();
  return std::make_pair(*dataType, *indicesType);
}

/// Gather along `axis`: out[pre, idx..., post] = data[pre, indices[idx...],
/// post]; negative indices count from the end. Out-of-range indices fail the
/// step's input check (checkIndices) and are clamped meanwhile, so that the
/// read stays inside `data`.
static ImportResult importGather(NodeContext &ctx) {
  FailureOr<std::pair<RankedTensorType, RankedTensorType>> types =
      getGatherTypes(ctx);
  if (failed(types))
    return failure();
  auto [dataType, indicesType] = *types;
  FailureOr<int64_t> axis = normalizeAxis(
      ctx, ctx.getIntAttr("axis").value_or(0), dataType.getRank());
  if (failed(axis))
    return failure();
  ArrayRef<int64_t> dataShape = dataType.getShape();
  int64_t axisSize = dataShape[*axis];
  if (failed(checkIndices(ctx, 1, -axisSize, axisSize)))
    return failure();
  int64_t indexRank = indicesType.getRank();
  SmallVector<int64_t> shape(dataShape.take_front(*axis));
  llvm::append_range(shape, indicesType.getShape());
  llvm::append_range(shape, dataShape.drop_front(*axis + 1));

  OpBuilder &b = ctx.builder;
  MLIRContext *context = b.getContext();
  int64_t numLoops = shape.size();
  SmallVector<AffineExpr> indexExprs;
  for (int64_t i = 0; i < indexRank; ++i)
    indexExprs.push_back(getAffineDimExpr(*axis + i, context));
  SmallVector<AffineMap> maps = {
      AffineMap::get(numLoops, 0, indexExprs, context),
      b.getMultiDimIdentityMap(numLoops)};
  SmallVector<utils::IteratorType> iterators(numLoops,
                                             utils::IteratorType::parallel);
  Value data = ctx.getOperand(0);
  Value init = buildEmpty(b, ctx.loc, shape, dataType.getElementType());
  auto generic = linalg::GenericOp::create(
      b, ctx.loc, init.getType(), ctx.getOperand(1), init, maps, iterators,
      [&](OpBuilder &nb, Location loc, ValueRange args) {
        Value index = buildWrappedIndex(nb, loc, args[0], axisSize);
        SmallVector<Value> coords;
        for (int64_t i = 0; i < *axis; ++i)
          coords.push_back(linalg::IndexOp::create(nb, loc, i));
        coords.push_back(index);
        for (int64_t i = *axis + indexRank; i < numLoops; ++i)
          coords.push_back(linalg::IndexOp::create(nb, loc, i));
        Value element = tensor::ExtractOp::create(nb, loc, data, coords);
        linalg::YieldOp::create(nb, loc, element);
      });
  return SmallVector<Value>{generic.getResult(0)};
}

/// GatherElements: out[p] = data[p with p[axis] = indices[p]], indices of
/// data's rank (each dimension at most data's) and out of their shape.
static ImportResult importGatherElements(NodeContext &ctx) {
  FailureOr<std::pair<RankedTensorType, RankedTensorType>> types =
      getGatherTypes(ctx);
  if (failed(types))
    return failure();
  auto [dataType, indicesType] = *types;
  int64_t rank = dataType.getRank();
  FailureOr<int64_t> axis =
      normalizeAxis(ctx, ctx.getIntAttr("axis").value_or(0), rank);
  if (failed(axis))
    return failure();
  if (indicesType.getRank() != rank ||
      llvm::any_of(llvm::seq<int64_t>(0, rank), [&](int64_t d) {
        return d != *axis && indicesType.getDimSize(d) > dataType.getDimSize(d);
      }))
    return ctx.emitError() << "expects indices of data's rank, no larger "
                              "than data outside the axis, got "
                           << indicesType << " for " << dataType;
  int64_t axisSize = dataType.getDimSize(*axis);
  if (failed(checkIndices(ctx, 1, -axisSize, axisSize)))
    return failure();
  OpBuilder &b = ctx.builder;
  Value data = ctx.getOperand(0);
  Value init =
      buildEmpty(b, ctx.loc, indicesType.getShape(), dataType.getElementType());
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, ctx.loc, init.getType(), ctx.getOperand(1), init, maps, iterators,
      [&](OpBuilder &nb, Location loc, ValueRange args) {
        SmallVector<Value> coords;
        for (int64_t i = 0; i < rank; ++i)
          coords.push_back(linalg::IndexOp::create(nb, loc, i));
        coords[*axis] = buildWrappedIndex(nb, loc, args[0], axisSize);
        Value element = tensor::ExtractOp::create(nb, loc, data, coords);
        linalg::YieldOp::create(nb, loc, element);
      });
  return SmallVector<Value>{generic.getResult(0)};
}

namespace {
/// ScatterElements' `reduction`: how an update combines with its target.
enum class ScatterReduction { None, Add, Mul, Max, Min };
} // namespace

/// ScatterElements' and ScatterND's `reduction` attribute (default none).
static FailureOr<ScatterReduction> getScatterReduction(NodeContext &ctx) {
  std::string name = ctx.getStringAttr("reduction").value_or("none");
  std::optional<ScatterReduction> reduction =
      llvm::StringSwitch<std::optional<ScatterReduction>>(name)
          .Case("none", ScatterReduction::None)
          .Case("add", ScatterReduction::Add)
          .Case("mul", ScatterReduction::Mul)
          .Case("max", ScatterReduction::Max)
          .Case("min", ScatterReduction::Min)
          .Default(std::nullopt);
  if (!reduction)
    return emitUnsupportedAttr(ctx, "reduction")
           << ": '" << name << "' (expects none, add, mul, max or min)";
  return *reduction;
}

static Value buildScatterCombine(OpBuilder &b, Location loc,
                                 ScatterReduction reduction, Value target,
                                 Value update, bool isUnsigned = false) {
  switch (reduction) {
  case ScatterReduction::None:
    return update;
  case ScatterReduction::Add:
    return buildCombine(b, loc, target, update, ReduceKind::Sum);
  case ScatterReduction::Mul:
    return buildCombine(b, loc, target, update, ReduceKind::Prod);
  case ScatterReduction::Max:
    return buildCombine(b, loc, target, update, ReduceKind::Max, isUnsigned);
  case ScatterReduction::Min:
    return buildCombine(b, loc, target, update, ReduceKind::Min, isUnsigned);
  }
  llvm_unreachable("unknown scatter reduction");
}

/// ScatterElements (torch.scatter, scatter_add, scatter_reduce; ORT's
/// gradient of the scatter writes one more onto zeros): out = data with
/// out[p with p[axis] = indices[p]] combined with updates[p]. One generic over
/// the block of data the indices cover outside the axis, whose reduction loop
/// runs along the indices' axis and combines every update aimed at the
/// position in order, so that with reduction none the last one wins as in
/// ORT's kernel; the block goes back into data.
static ImportResult importScatterElements(NodeContext &ctx) {
  FailureOr<RankedTensorType> dataType = getFirstOperandType(ctx, 3, 3);
  FailureOr<RankedTensorType> indicesType = getOperandType(ctx, 1);
  FailureOr<RankedTensorType> updatesType = getOperandType(ctx, 2);
  if (failed(dataType) || failed(indicesType) || failed(updatesType))
    return failure();
  Type elementType = dataType->getElementType();
  if (!isa<FloatType>(elementType) && !elementType.isInteger())
    return ctx.emitError() << "unsupported element type " << elementType;
  if (!indicesType->getElementType().isSignlessInteger(64) &&
      !indicesType->getElementType().isSignlessInteger(32))
    return ctx.emitError() << "expects int32/int64 indices, got "
                           << indicesType->getElementType();
  int64_t rank = dataType->getRank();
  FailureOr<int64_t> axis =
      normalizeAxis(ctx, ctx.getIntAttr("axis").value_or(0), rank);
  if (failed(axis))
    return failure();
  if (updatesType->getShape() != indicesType->getShape() ||
      updatesType->getElementType() != elementType ||
      indicesType->getRank() != rank ||
      llvm::any_of(llvm::seq<int64_t>(0, rank), [&](int64_t d) {
        return d != *axis &&
               indicesType->getDimSize(d) > dataType->getDimSize(d);
      }))
    return ctx.emitError() << "expects indices and updates of one shape, of "
                              "the data's rank and within it outside the "
                              "axis, got "
                           << *indicesType << " and " << *updatesType << " for "
                           << *dataType;
  FailureOr<ScatterReduction> reduction = getScatterReduction(ctx);
  if (failed(reduction))
    return failure();
  int64_t axisSize = dataType->getDimSize(*axis);
  if (failed(checkIndices(ctx, 1, -axisSize, axisSize)))
    return failure();

  // The block: the indices' extent outside the axis, all of it along it.
  OpBuilder &b = ctx.builder;
  SmallVector<int64_t> blockShape(indicesType->getShape());
  blockShape[*axis] = axisSize;
  Value data = buildSignlessTensor(b, ctx.loc, ctx.getOperand(0));
  bool isUnsigned = elementType.isUnsignedInteger();
  bool whole = ArrayRef<int64_t>(blockShape) == dataType->getShape();
  SmallVector<OpFoldResult> zeros(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, ones(rank, b.getIndexAttr(1));
  for (int64_t size : blockShape)
    sizes.push_back(b.getIndexAttr(size));
  Value block = whole ? data
                      : tensor::ExtractSliceOp::create(b, ctx.loc, data, zeros,
                                                       sizes, ones)
                            .getResult();
  SmallVector<AffineMap> alongMaps =
      getAlongAxisMaps(b.getContext(), rank, *axis);
  SmallVector<AffineMap> maps = {alongMaps[1], alongMaps[1], alongMaps[0]};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value scattered =
      linalg::GenericOp::create(
          b, ctx.loc, block.getType(),
          ValueRange{ctx.getOperand(1),
                     buildSignlessTensor(b, ctx.loc, ctx.getOperand(2))},
          block, maps, iterators,
          [&](OpBuilder &nb, Location loc, ValueRange args) {
            Value index =
                buildWrappedIndex(nb, loc, args[0], axisSize, /*clamp=*/false);
            Value hit =
                arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::eq, index,
                                      linalg::IndexOp::create(nb, loc, *axis));
            Value combined = buildScatterCombine(nb, loc, *reduction, args[2],
                                                 args[1], isUnsigned);
            linalg::YieldOp::create(nb, loc,
                                    Value(arith::SelectOp::create(
                                        nb, loc, hit, combined, args[2])));
          })
          .getResult(0);
  if (!whole)
    scattered = tensor::InsertSliceOp::create(b, ctx.loc, scattered, data,
                                              zeros, sizes, ones);
  return SmallVector<Value>{
      buildTensorOfElementType(b, ctx.loc, scattered, elementType)};
}

/// Checks GatherND/ScatterND's index tuples [..., k] against data's leading
/// k dims `dims`: constant tuples now, each component in [-dim, dim) and,
/// with `unique` (ScatterND without a reduction, where ONNX leaves repeated
/// tuples undefined), no tuple twice; others at run time, each component
/// against its own dim.
static LogicalResult checkIndexTuples(NodeContext &ctx, ArrayRef<int64_t> dims,
                                      bool unique) {
  DenseIntElementsAttr constant;
  if (!matchPattern(ctx.getOperand(1), m_Constant(&constant))) {
    std::string sizes;
    llvm::raw_string_ostream os(sizes);
    llvm::interleaveComma(dims, os);
    assertEachIndex(
        ctx, 1, "is outside [-dim, dim) of its dim (dims [" + sizes + "])",
        [&](OpBuilder &nb, Location nl, Value index, ValueRange position) {
          // The component's dim, selected by its position in the tuple.
          Value component = position.back();
          Type type = index.getType();
          Value dim = buildScalar(nb, nl, type, dims.back());
          for (auto [j, size] : llvm::enumerate(dims.drop_back())) {
            Value isJ = arith::CmpIOp::create(
                nb, nl, arith::CmpIPredicate::eq, component,
                arith::ConstantIndexOp::create(nb, nl, j));
            dim = arith::SelectOp::create(nb, nl, isJ,
                                          buildScalar(nb, nl, type, size), dim);
          }
          Value negated =
              arith::SubIOp::create(nb, nl, buildScalar(nb, nl, type, 0), dim);
          return arith::AndIOp::create(
              nb, nl,
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, index,
                                    negated),
              arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, index,
                                    dim));
        });
    return success();
  }
  SmallVector<int64_t> values =
      llvm::map_to_vector(constant.getValues<APInt>(), [](const APInt &value) {
        return value.getSExtValue();
      });
  std::set<SmallVector<int64_t>> tuples;
  for (size_t start = 0; start < values.size(); start += dims.size()) {
    SmallVector<int64_t> tuple;
    for (auto [j, dim] : llvm::enumerate(dims)) {
      int64_t value = values[start + j];
      if (value < -dim || value >= dim)
        return ctx.emitError()
               << "index " << value << " (tuple " << start / dims.size()
               << ") is outside [" << -dim << ", " << dim << ")";
      tuple.push_back(value < 0 ? value + dim : value);
    }
    if (unique && !tuples.insert(tuple).second)
      return ctx.emitError() << "tuple " << start / dims.size()
                             << " repeats an index, which leaves the result "
                                "undefined without a reduction";
  }
  return success();
}

/// The types of GatherND/ScatterND's data and indices, and the slice
/// geometry: [M, S] views data as M = prod(data[:b + k]) rows of S elements,
/// the indices as N tuples of k, checked by checkIndexTuples (`unique`: as
/// there); with GatherND's batch_dims b, the tuples of batch i (the first b
/// dims of data and indices, equal) name rows of batch i. While a failed
/// run-time check is reported, a component outside its dim names no row:
/// GatherND clamps it, ScatterND skips its tuple.
namespace {
struct IndexedRows {
  RankedTensorType dataType, indicesType;
  int64_t batchDims, k, rows, rowSize, count, batches;
};
} // namespace

static FailureOr<IndexedRows> getIndexedRows(NodeContext &ctx, bool unique) {
  FailureOr<RankedTensorType> dataType = getOperandType(ctx, 0);
  FailureOr<RankedTensorType> indicesType = getOperandType(ctx, 1);
  if (failed(dataType) || failed(indicesType))
    return failure();
  if (!indicesType->getElementType().isSignlessInteger(64))
    return ctx.emitError() << "expects int64 indices, got "
                           << indicesType->getElementType();
  int64_t rank = dataType->getRank();
  int64_t batchDims = ctx.getIntAttr("batch_dims").value_or(0);
  ArrayRef<int64_t> indicesShape = indicesType->getShape();
  if (batchDims < 0 ||
      (batchDims > 0 &&
       (batchDims >= std::min<int64_t>(rank, indicesType->getRank()) ||
        dataType->getShape().take_front(batchDims) !=
            indicesShape.take_front(batchDims))))
    return emitUnsupportedAttr(ctx, "batch_dims")
           << ": " << batchDims
           << " (expects fewer than the ranks of data and indices, whose "
              "first batch_dims dims are equal)";
  int64_t k = indicesType->getRank() == 0 ? 0 : indicesShape.back();
  if (indicesType->getRank() < 1 || k < 1 || k > rank - batchDims)
    return ctx.emitError() << "expects indices [..., k] with 1 <= k <= "
                           << rank - batchDims << ", got " << *indicesType;
  IndexedRows geometry{*dataType, *indicesType, batchDims, k, 1, 1, 1, 1};
  for (int64_t d = 0; d < rank; ++d)
    (d < batchDims + k ? geometry.rows : geometry.rowSize) *=
        dataType->getDimSize(d);
  for (int64_t size : indicesShape.drop_back())
    geometry.count *= size;
  for (int64_t size : indicesShape.take_front(batchDims))
    geometry.batches *= size;
  if (failed(checkIndexTuples(ctx, dataType->getShape().slice(batchDims, k),
                              unique)))
    return failure();
  return geometry;
}

/// The row of data [M, S] each index tuple names, [N] i64: its components
/// wrapped once when negative, clamped into data when `clamp`, else a tuple
/// outside data gets a negative row that optim.scatter_add skips.
static Value buildTupleRows(OpBuilder &b, Location loc,
                            const IndexedRows &geometry, Value indices,
                            bool clamp) {
  Value tuples = buildReshape(b, loc, indices, {geometry.count, geometry.k});
  Type i64 = b.getI64Type();
  Value init = buildEmpty(b, loc, {geometry.count}, i64);
  ArrayRef<int64_t> dataShape =
      geometry.dataType.getShape().drop_front(geometry.batchDims);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{}, init,
             ArrayRef<AffineMap>{b.getMultiDimIdentityMap(1)},
             utils::IteratorType::parallel,
             [&](OpBuilder &nb, Location nl, ValueRange) {
               Value tuple = linalg::IndexOp::create(nb, nl, 0);
               // The tuple's batch: the rows before it hold earlier batches.
               Value row = arith::DivUIOp::create(
                   nb, nl, tuple,
                   arith::ConstantIndexOp::create(
                       nb, nl, geometry.count / geometry.batches));
               Value inside = buildScalar(nb, nl, nb.getI1Type(), 1);
               Value zero = arith::ConstantIndexOp::create(nb, nl, 0);
               for (int64_t i = 0; i < geometry.k; ++i) {
                 Value component = tensor::ExtractOp::create(
                     nb, nl, tuples,
                     ValueRange{tuple,
                                arith::ConstantIndexOp::create(nb, nl, i)});
                 Value size =
                     arith::ConstantIndexOp::create(nb, nl, dataShape[i]);
                 Value index =
                     buildWrappedIndex(nb, nl, component, dataShape[i], clamp);
                 inside = arith::AndIOp::create(
                     nb, nl, inside,
                     arith::AndIOp::create(
                         nb, nl,
                         arith::CmpIOp::create(
                             nb, nl, arith::CmpIPredicate::sge, index, zero),
                         arith::CmpIOp::create(
                             nb, nl, arith::CmpIPredicate::slt, index, size)));
                 row = arith::AddIOp::create(
                     nb, nl, arith::MulIOp::create(nb, nl, row, size), index);
               }
               Value skipped = arith::ConstantIndexOp::create(
                   nb, nl, -2 * geometry.rows - 1);
               row = arith::SelectOp::create(nb, nl, inside, row, skipped);
               linalg::YieldOp::create(nb, nl,
                                       Value(arith::IndexCastOp::create(
                                           nb, nl, nb.getI64Type(), row)));
             })
      .getResult(0);
}

/// GatherND: out[b..., n..., s...] = data[b..., indices[b..., n...], s...],
/// each output row read from the data's row its tuple names (clamped).
static ImportResult importGatherND(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 2, 2)))
    return failure();
  FailureOr<IndexedRows> geometry = getIndexedRows(ctx, /*unique=*/false);
  if (failed(geometry))
    return failure();
  OpBuilder &b = ctx.builder;
  Value rows =
      buildTupleRows(b, ctx.loc, *geometry, ctx.getOperand(1), /*clamp=*/true);
  Value data = buildReshape(b, ctx.loc, ctx.getOperand(0),
                            {geometry->rows, geometry->rowSize});
  Type elementType = geometry->dataType.getElementType();
  Value init =
      buildEmpty(b, ctx.loc, {geometry->count, geometry->rowSize}, elementType);
  MLIRContext *context = b.getContext();
  AffineMap rowMap = AffineMap::get(2, 0, getAffineDimExpr(0, context));
  Value gathered =
      linalg::GenericOp::create(
          b, ctx.loc, init.getType(), rows, init,
          ArrayRef<AffineMap>{rowMap, b.getMultiDimIdentityMap(2)},
          SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value row =
                arith::IndexCastOp::create(nb, nl, nb.getIndexType(), args[0]);
            Value element = tensor::ExtractOp::create(
                nb, nl, data,
                ValueRange{row, linalg::IndexOp::create(nb, nl, 1)});
            linalg::YieldOp::create(nb, nl, element);
          })
          .getResult(0);
  SmallVector<int64_t> shape(geometry->indicesType.getShape().drop_back());
  llvm::append_range(shape, geometry->dataType.getShape().drop_front(
                                geometry->batchDims + geometry->k));
  return SmallVector<Value>{buildReshape(b, ctx.loc, gathered, shape)};
}

/// ScatterND (tensor assignment x[..., i] = v, of activations or of boolean
/// masks, and ORT's gradient of GatherND and of the assignment itself) on
/// the rows its tuples name, with optim.scatter_add: reduction add (float
/// data) adds the updates into data; none scatters each tuple's number
/// (n + 1, as f32: exact below 2^24 tuples) onto its row, whose update then
/// replaces the row (ONNX requires distinct tuples there); mul, max and min
/// combine each row with the updates of the tuples naming it, in tuple order,
/// in one generic over the rows whose reduction loop runs over the tuples.
static ImportResult importScatterND(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 3, 3)))
    return failure();
  FailureOr<ScatterReduction> reduction = getScatterReduction(ctx);
  if (failed(reduction))
    return failure();
  FailureOr<IndexedRows> geometry =
      getIndexedRows(ctx, /*unique=*/*reduction == ScatterReduction::None);
  FailureOr<RankedTensorType> updatesType = getOperandType(ctx, 2);
  if (failed(geometry) || failed(updatesType))
    return failure();
  Type elementType = geometry->dataType.getElementType();
  SmallVector<int64_t> updatesShape(
      geometry->indicesType.getShape().drop_back());
  llvm::append_range(updatesShape,
                     geometry->dataType.getShape().drop_front(geometry->k));
  if (updatesType->getShape() != ArrayRef<int64_t>(updatesShape) ||
      updatesType->getElementType() != elementType)
    return ctx.emitError() << "expects updates of type "
                           << RankedTensorType::get(updatesShape, elementType)
                           << ", got " << *updatesType;
  if (*reduction == ScatterReduction::Add && !isa<FloatType>(elementType))
    return ctx.emitError() << "unsupported element type " << elementType
                           << " with reduction add (expects float data)";
  if (*reduction != ScatterReduction::None &&
      *reduction != ScatterReduction::Add && !isa<FloatType>(elementType) &&
      (!elementType.isSignlessInteger() || elementType.isInteger(1)))
    return ctx.emitError() << "unsupported element type " << elementType
                           << " with reduction "
                           << ctx.getStringAttr("reduction").value_or("none")
                           << " (expects float or integer data)";
  if (geometry->count >= (int64_t(1) << 24))
    return ctx.emitError() << "expects fewer than 2^24 index tuples, got "
                           << geometry->count;

  if (geometry->count == 0) // Nothing named: data as it is.
    return SmallVector<Value>{ctx.getOperand(0)};
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  int64_t rows = geometry->rows, rowSize = geometry->rowSize;
  int64_t count = geometry->count;
  Value tupleRows =
      buildTupleRows(b, loc, *geometry, ctx.getOperand(1), /*clamp=*/false);
  Value updates = buildReshape(b, loc, ctx.getOperand(2), {count, rowSize});
  Value data = buildReshape(b, loc, ctx.getOperand(0), {rows, rowSize});
  auto scatter = [&](Value source, Value dest) -> Value {
    return muon::optim::ScatterAddOp::create(b, loc, dest.getType(), source,
                                             tupleRows, dest,
                                             b.getI64IntegerAttr(0))
        .getResult();
  };
  Value result;
  if (*reduction == ScatterReduction::Add) {
    result = scatter(updates, data);
  } else if (*reduction != ScatterReduction::None) {
    MLIRContext *context = b.getContext();
    AffineExpr r = getAffineDimExpr(0, context),
               s = getAffineDimExpr(1, context),
               t = getAffineDimExpr(2, context);
    result =
        linalg::GenericOp::create(
            b, loc, data.getType(), ValueRange{tupleRows, updates}, data,
            ArrayRef<AffineMap>{AffineMap::get(3, 0, {t}, context),
                                AffineMap::get(3, 0, {t, s}, context),
                                AffineMap::get(3, 0, {r, s}, context)},
            ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                          utils::IteratorType::parallel,
                                          utils::IteratorType::reduction},
            [&](OpBuilder &nb, Location nl, ValueRange args) {
              Value row = arith::IndexCastOp::create(
                  nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, 0));
              Value named = arith::CmpIOp::create(
                  nb, nl, arith::CmpIPredicate::eq, args[0], row);
              Value acc = args[2];
              Value combined =
                  buildScatterCombine(nb, nl, *reduction, acc, args[1]);
              linalg::YieldOp::create(
                  nb, nl,
                  Value(arith::SelectOp::create(nb, nl, named, combined, acc)));
            })
            .getResult(0);
  } else {
    Type f32 = b.getF32Type();
    Value numbersInit = buildEmpty(b, loc, {count, 1}, f32);
    Value numbers =
        linalg::GenericOp::create(
            b, loc, numbersInit.getType(), ValueRange{}, numbersInit,
            ArrayRef<AffineMap>{b.getMultiDimIdentityMap(2)},
            SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location nl, ValueRange) {
              Value n = arith::IndexCastOp::create(
                  nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, 0));
              Value number = arith::SIToFPOp::create(nb, nl, f32, n);
              linalg::YieldOp::create(
                  nb, nl,
                  Value(arith::AddFOp::create(nb, nl, number,
                                              buildScalar(nb, nl, f32, 1))));
            })
            .getResult(0);
    Value owners = scatter(
        numbers, buildFilled(b, loc, {rows, 1}, b.getFloatAttr(f32, 0.0)));
    AffineMap ownerMap = AffineMap::get(
        2, 0, {getAffineDimExpr(0, b.getContext()), b.getAffineConstantExpr(0)},
        b.getContext());
    AffineMap identity = b.getMultiDimIdentityMap(2);
    Value init = buildEmpty(b, loc, {rows, rowSize}, elementType);
    result =
        linalg::GenericOp::create(
            b, loc, init.getType(), ValueRange{owners, data}, init,
            ArrayRef<AffineMap>{ownerMap, identity, identity},
            SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location nl, ValueRange args) {
              Value named =
                  arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT,
                                        args[0], buildScalar(nb, nl, f32, 0));
              Value tuple =
                  arith::FPToSIOp::create(nb, nl, nb.getI64Type(), args[0]);
              tuple = buildClampedIndex(
                  nb, nl,
                  arith::SubIOp::create(
                      nb, nl,
                      arith::IndexCastOp::create(nb, nl, nb.getIndexType(),
                                                 tuple),
                      arith::ConstantIndexOp::create(nb, nl, 1)),
                  count);
              Value update = tensor::ExtractOp::create(
                  nb, nl, updates,
                  ValueRange{tuple, linalg::IndexOp::create(nb, nl, 1)});
              linalg::YieldOp::create(nb, nl,
                                      Value(arith::SelectOp::create(
                                          nb, nl, named, update, args[1])));
            })
            .getResult(0);
  }
  return SmallVector<Value>{
      buildReshape(b, loc, result, geometry->dataType.getShape())};
}

/// The axes of Squeeze/Unsqueeze: the second input (opset >= 13) or the
/// `axes` attribute; nullopt when neither is given.
static FailureOr<std::optional<SmallVector<int64_t>>>
getAxesInputOrAttr(NodeContext &ctx) {
  if (ctx.getOperand(1)) {
    FailureOr<SmallVector<int64_t>> axes = getConstantIntOperand(ctx, 1);
    if (failed(axes))
      return failure();
    return std::optional<SmallVector<int64_t>>(*axes);
  }
  return ctx.getIntsAttr("axes");
}

static ImportResult importSqueeze(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 2);
  auto axes = getAxesInputOrAttr(ctx);
  if (failed(type) || failed(axes))
    return failure();
  SmallVector<int64_t> squeezed;
  if (*axes) {
    FailureOr<SmallVector<int64_t>> normalized =
        normalizeAxes(ctx, **axes, type->getRank());
    if (failed(normalized))
      return failure();
    squeezed = *normalized;
    for (int64_t axis : squeezed)
      if (type->getDimSize(axis) != 1)
        return ctx.emitError() << "cannot squeeze dimension " << axis
                               << " of size " << type->getDimSize(axis);
  } else {
    for (auto [i, dim] : llvm::enumerate(type->getShape()))
      if (dim == 1)
        squeezed.push_back(i);
  }
  SmallVector<int64_t> shape;
  for (auto [i, dim] : llvm::enumerate(type->getShape()))
    if (!llvm::is_contained(squeezed, static_cast<int64_t>(i)))
      shape.push_back(dim);
  return SmallVector<Value>{
      buildReshape(ctx.builder, ctx.loc, ctx.getOperand(0), shape)};
}

static ImportResult importUnsqueeze(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 2);
  auto axes = getAxesInputOrAttr(ctx);
  if (failed(type) || failed(axes))
    return failure();
  if (!*axes)
    return ctx.emitError() << "expects axes";
  int64_t rank = type->getRank() + (*axes)->size();
  FailureOr<SmallVector<int64_t>> inserted = normalizeAxes(ctx, **axes, rank);
  if (failed(inserted))
    return failure();
  SmallVector<int64_t> shape;
  ArrayRef<int64_t> remaining = type->getShape();
  for (int64_t i = 0; i < rank; ++i) {
    if (llvm::is_contained(*inserted, i)) {
      shape.push_back(1);
      continue;
    }
    shape.push_back(remaining.front());
    remaining = remaining.drop_front();
  }
  return SmallVector<Value>{
      buildReshape(ctx.builder, ctx.loc, ctx.getOperand(0), shape)};
}

/// Expand broadcasts numpy-style in both directions: the result has the
/// broadcast shape of the input's and `shape` (a size-1 entry of `shape`
/// keeps the input's dimension).
static ImportResult importExpand(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 2);
  FailureOr<SmallVector<int64_t>> shape = getConstantIntOperand(ctx, 1);
  if (failed(type) || failed(shape))
    return failure();
  std::optional<SmallVector<int64_t>> result =
      broadcastShapes({type->getShape(), *shape});
  if (!result || llvm::any_of(*shape, [](int64_t dim) { return dim < 0; }))
    return ctx.emitError() << "cannot expand " << *type << " to shape ["
                           << llvm::make_range(shape->begin(), shape->end())
                           << "]";
  return SmallVector<Value>{buildBroadcastMap(
      ctx.builder, ctx.loc, ctx.getOperand(0), *result, type->getElementType(),
      [](OpBuilder &, Location, ValueRange args) { return args[0]; })};
}

/// Tile repeats the whole input `repeats[i]` times along dim i: the input
/// viewed as [1, d0, 1, d1, ...], broadcast to [r0, d0, r1, d1, ...] and
/// collapsed pairwise to [r0 * d0, r1 * d1, ...].
static ImportResult importTile(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 2);
  FailureOr<SmallVector<int64_t>> repeats = getConstantIntOperand(ctx, 1);
  if (failed(type) || failed(repeats))
    return failure();
  if (static_cast<int64_t>(repeats->size()) != type->getRank() ||
      llvm::any_of(*repeats, [](int64_t r) { return r < 1; }))
    return ctx.emitError() << "expects one positive repeat per dimension of "
                           << *type << ", got ["
                           << llvm::make_range(repeats->begin(), repeats->end())
                           << "]";
  SmallVector<int64_t> unitShape, tiledShape, resultShape;
  int64_t count = 1;
  for (auto [dim, repeat] : llvm::zip(type->getShape(), *repeats)) {
    int64_t tiled;
    if (llvm::MulOverflow(dim, repeat, tiled) ||
        llvm::MulOverflow(count, tiled, count))
      return ctx.emitError() << "the tiled result has 2^63 elements or more";
    llvm::append_values(unitShape, 1, dim);
    llvm::append_values(tiledShape, repeat, dim);
    resultShape.push_back(tiled);
  }
  OpBuilder &b = ctx.builder;
  Value unit = buildReshape(b, ctx.loc, ctx.getOperand(0), unitShape);
  Value tiled = buildBroadcastMap(
      b, ctx.loc, unit, tiledShape, type->getElementType(),
      [](OpBuilder &, Location, ValueRange args) { return args[0]; });
  return SmallVector<Value>{buildReshape(b, ctx.loc, tiled, resultShape)};
}

/// Flatten to 2-D: dims [0, axis) form the rows, [axis, rank) the columns.
static ImportResult importFlatten(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  if (failed(type))
    return failure();
  int64_t rank = type->getRank();
  int64_t axis = ctx.getIntAttr("axis").value_or(1);
  if (axis < -rank || axis > rank)
    return ctx.emitError() << "axis " << axis << " is out of range for rank "
                           << rank;
  if (axis < 0)
    axis += rank;
  return SmallVector<Value>{
      buildReshape(ctx.builder, ctx.loc, ctx.getOperand(0),
                   getCoercedShape(type->getShape(), axis))};
}

void muon::onnx_import::populateShapeImporters(OpImporterRegistry &registry) {
  // Opsets: the shape and repeats as inputs since Reshape-5 and Tile-6; Split-1
  // could take its sizes as an input; Concat-1 defaulted the axis.
  registry.add("", "Reshape", importReshape, {/*since=*/5});
  registry.add("", "Transpose", importTranspose);
  registry.add("", "Split", importSplit, {/*since=*/2});
  registry.add("", "Concat", importConcat, {/*since=*/4});
  registry.add("", "GatherElements", importGatherElements, {/*since=*/11});
  // ScatterElements-11 has no reduction; 16 adds none/add/mul, 18 max/min.
  registry.add("", "ScatterElements", importScatterElements, {/*since=*/11});
  // Scatter (opsets 9 and 10) is ScatterElements-11 under its older name.
  registry.add("", "Scatter", importScatterElements,
               {/*since=*/9, /*until=*/10});
  // GatherND-11 has no batch_dims (12 adds it); ScatterND-16 adds reduction.
  registry.add("", "GatherND", importGatherND, {/*since=*/11});
  registry.add("", "ScatterND", importScatterND, {/*since=*/11});
  registry.add("com.microsoft", "ConcatTraining", importConcatTraining);
  // Split with its sizes as input 1, as Split-13 takes them.
  registry.add("com.microsoft", "SplitTraining", importSplit);
  registry.add("", "Shape", importShape);
  registry.add("", "Size", importSize);
  registry.add("", "Gather", importGather);
  registry.add("", "Squeeze", importSqueeze);
  registry.add("", "Unsqueeze", importUnsqueeze);
  registry.add("", "Flatten", importFlatten);
  registry.add("", "Expand", importExpand, {/*since=*/8});
  registry.add("", "Tile", importTile, {/*since=*/6});
  // Data movement: any element type (the index inputs are signed).
  // ScatterElements adds with a reduction attribute, which float8 lacks.
  registry.acceptUnsigned("", {"ScatterElements", "Reshape", "Transpose",
                               "Split", "Concat", "GatherElements", "GatherND",
                               "Shape", "Size", "Gather", "Squeeze",
                               "Unsqueeze", "Flatten", "Expand", "Tile"});
  registry.acceptMinifloats("", {"Reshape", "Transpose", "Split", "Concat",
                                 "GatherElements", "GatherND", "Shape", "Size",
                                 "Gather", "Squeeze", "Unsqueeze", "Flatten",
                                 "Expand", "Tile"});
}
