//===- Sequence.cpp - Sequence op importers -------------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// ONNX sequences (`seq(tensor)`) exist only at import: a sequence is the
// static list of its element tensors (GraphValue), so SequenceConstruct,
// SequenceInsert, SequenceErase and SequenceEmpty rearrange that list,
// SequenceLength is a constant, and ConcatFromSequence and SplitToSequence
// are Concat and Split over it. Positions that change the list must be known
// at import; SequenceAt also takes a run-time position when the elements
// share one type (a generic selecting among them per element, its range
// asserted at run time).
// SequenceMap imports its body once per element.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "Shape.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace muon::onnx_import;

/// The elements of input `index`, which must be a sequence.
static FailureOr<SmallVector<Value>> getSequence(NodeContext &ctx,
                                                 unsigned index) {
  std::optional<ArrayRef<Value>> elements = ctx.getSequenceOperand(index);
  if (!elements)
    return ctx.emitError() << "input '"
                           << (index < ctx.operands.size()
                                   ? StringRef(ctx.node.input(index))
                                   : StringRef())
                           << "' must be a sequence";
  return SmallVector<Value>(*elements);
}

/// A node whose only output is the sequence `elements`.
static ImportResult returnSequence(NodeContext &ctx, ArrayRef<Value> elements) {
  return returnGraphValues(ctx, GraphValue::sequence(elements));
}

/// Fails unless tensor `value` has the element type of `elements` (a
/// sequence holds tensors of one element type).
static LogicalResult checkElementType(NodeContext &ctx,
                                      ArrayRef<Value> elements, Value value) {
  if (elements.empty())
    return success();
  Type expected = getElementTypeOrSelf(elements.front().getType());
  if (getElementTypeOrSelf(value.getType()) != expected)
    return ctx.emitError() << "a sequence of " << expected
                           << " elements cannot hold a tensor of type "
                           << value.getType();
  return success();
}

/// The position in input `index` (a constant one-element integer tensor),
/// made non-negative; it must lie in [-size, size + extra).
static FailureOr<int64_t> getConstantPosition(NodeContext &ctx, unsigned index,
                                              int64_t size, int64_t extra) {
  FailureOr<SmallVector<int64_t>> values = getConstantIntOperand(ctx, index);
  if (failed(values))
    return failure();
  if (values->size() != 1)
    return ctx.emitError() << "expects a one-element position, got "
                           << values->size() << " elements";
  int64_t position = values->front();
  if (position < -size || position >= size + extra)
    return ctx.emitError() << "position " << position
                           << " is outside the sequence's range [" << -size
                           << ", " << size + extra << ")";
  return position < 0 ? position + size : position;
}

static ImportResult importSequenceEmpty(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 0, 0)))
    return failure();
  // The element type only constrains later inserts, which ONNX checks
  // against the elements (none yet); it must still be a type we read.
  if (std::optional<int64_t> dtype = ctx.getIntAttr("dtype");
      dtype && !ctx.convertDataType(*dtype))
    return emitUnsupportedAttr(ctx, "dtype") << ": data type " << *dtype;
  return returnSequence(ctx, {});
}

static ImportResult importSequenceConstruct(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 1, ~0u)))
    return failure();
  SmallVector<Value> elements;
  for (unsigned i = 0; i < ctx.operands.size(); ++i) {
    if (failed(getOperandType(ctx, i)) ||
        failed(checkElementType(ctx, elements, ctx.getOperand(i))))
      return failure();
    elements.push_back(ctx.getOperand(i));
  }
  return returnSequence(ctx, elements);
}

static ImportResult importSequenceInsert(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 2, 3)))
    return failure();
  FailureOr<SmallVector<Value>> elements = getSequence(ctx, 0);
  if (failed(elements) || failed(getOperandType(ctx, 1)) ||
      failed(checkElementType(ctx, *elements, ctx.getOperand(1))))
    return failure();
  int64_t size = elements->size();
  FailureOr<int64_t> position =
      ctx.getOperand(2) ? getConstantPosition(ctx, 2, size, 1) : size;
  if (failed(position))
    return failure();
  elements->insert(elements->begin() + *position, ctx.getOperand(1));
  return returnSequence(ctx, *elements);
}

static ImportResult importSequenceErase(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 1, 2)))
    return failure();
  FailureOr<SmallVector<Value>> elements = getSequence(ctx, 0);
  if (failed(elements))
    return failure();
  int64_t size = elements->size();
  if (size == 0)
    return ctx.emitError() << "cannot erase from an empty sequence";
  FailureOr<int64_t> position =
      ctx.getOperand(1) ? getConstantPosition(ctx, 1, size, 0) : size - 1;
  if (failed(position))
    return failure();
  elements->erase(elements->begin() + *position);
  return returnSequence(ctx, *elements);
}

/// SequenceAt at a run-time position: the elements (of one type) selected
/// per element by comparing the position with each index, its range asserted
/// (an out-of-range position fails the step's status).
static FailureOr<Value> buildSelectAt(NodeContext &ctx,
                                      ArrayRef<Value> elements) {
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  auto size = static_cast<int64_t>(elements.size());
  if (llvm::any_of(elements, [&](Value element) {
        return element.getType() != elements.front().getType();
      }))
    return ctx.emitError() << "a position known only at run time needs "
                              "elements of one type; this sequence's differ";
  auto type = dyn_cast<RankedTensorType>(ctx.getOperand(1).getType());
  if (!type || !type.hasStaticShape() || type.getNumElements() != 1 ||
      !isa<IntegerType>(type.getElementType()))
    return ctx.emitError() << "expects a one-element integer position, got "
                           << ctx.getOperand(1).getType();
  if (failed(checkIndices(ctx, 1, -size, size)))
    return failure();
  // One element-wise generic reads the position (a kernel on the GPU
  // pipeline, where the host may not read it) and selects per element.
  Value position = buildSignlessTensor(b, loc, ctx.getOperand(1));
  if (type.getRank() > 0)
    position = tensor::CollapseShapeOp::create(
        b, loc, position, ArrayRef<ReassociationIndices>{});
  auto elementType = cast<RankedTensorType>(elements.front().getType());
  int64_t rank = elementType.getRank();
  SmallVector<Value> inputs = {position};
  llvm::append_range(inputs, elements);
  SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, b.getContext())};
  maps.append(size + 1, b.getMultiDimIdentityMap(rank));
  Value init = tensor::EmptyOp::create(b, loc, elementType.getShape(),
                                       elementType.getElementType());
  return linalg::GenericOp::create(
             b, loc, elementType, inputs, init, maps,
             SmallVector<utils::IteratorType>(rank,
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value at = arith::IndexCastOp::create(nb, nl, nb.getIndexType(),
                                                     args[0]);
               auto equals = [&](int64_t index) {
                 return arith::CmpIOp::create(
                     nb, nl, arith::CmpIPredicate::eq, at,
                     arith::ConstantIndexOp::create(nb, nl, index));
               };
               Value result = args[size];
               for (int64_t i = size - 2; i >= 0; --i) {
                 Value taken =
                     arith::OrIOp::create(nb, nl, equals(i), equals(i - size));
                 result = arith::SelectOp::create(nb, nl, taken, args[1 + i],
                                                  result);
               }
               linalg::YieldOp::create(nb, nl, result);
             })
      .getResult(0);
}

static ImportResult importSequenceAt(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 2, 2)))
    return failure();
  FailureOr<SmallVector<Value>> elements = getSequence(ctx, 0);
  if (failed(elements))
    return failure();
  auto size = static_cast<int64_t>(elements->size());
  if (size == 0)
    return ctx.emitError() << "cannot read from an empty sequence";
  DenseElementsAttr constant;
  if (!matchPattern(ctx.getOperand(1), m_Constant(&constant))) {
    FailureOr<Value> selected = buildSelectAt(ctx, *elements);
    if (failed(selected))
      return failure();
    return SmallVector<Value>{*selected};
  }
  FailureOr<int64_t> position = getConstantPosition(ctx, 1, size, 0);
  if (failed(position))
    return failure();
  return SmallVector<Value>{(*elements)[*position]};
}

static ImportResult importSequenceLength(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 1, 1)))
    return failure();
  FailureOr<SmallVector<Value>> elements = getSequence(ctx, 0);
  if (failed(elements))
    return failure();
  auto type = RankedTensorType::get({}, ctx.builder.getI64Type());
  return SmallVector<Value>{arith::ConstantOp::create(
      ctx.builder, ctx.loc,
      DenseElementsAttr::get(type, APInt(64, elements->size())))};
}

static ImportResult importConcatFromSequence(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 1, 1)))
    return failure();
  FailureOr<SmallVector<Value>> elements = getSequence(ctx, 0);
  std::optional<int64_t> axis = ctx.getIntAttr("axis");
  FailureOr<bool> newAxis = getFlagAttr(ctx, "new_axis");
  if (failed(elements) || failed(newAxis))
    return failure();
  if (!axis)
    return ctx.emitError() << "expects attribute 'axis'";
  if (elements->empty())
    return ctx.emitError() << "cannot concatenate an empty sequence (its "
                              "result's shape is unknown)";
  if (*newAxis) {
    // Stacking: each element gains a unit dimension at `axis`, in
    // [-rank-1, rank].
    int64_t rank =
        cast<RankedTensorType>(elements->front().getType()).getRank();
    FailureOr<int64_t> position = normalizeAxis(ctx, *axis, rank + 1);
    if (failed(position))
      return failure();
    for (Value &element : *elements) {
      auto type = cast<RankedTensorType>(element.getType());
      SmallVector<int64_t> shape(type.getShape());
      if (type.getRank() != rank)
        return ctx.emitError() << "cannot stack elements of ranks " << rank
                               << " and " << type.getRank();
      shape.insert(shape.begin() + *position, 1);
      element = buildReshape(ctx.builder, ctx.loc, element, shape);
    }
    axis = *position;
  }
  FailureOr<Value> result = buildConcat(ctx, *elements, *axis);
  if (failed(result))
    return failure();
  return SmallVector<Value>{*result};
}

/// SplitToSequence's part sizes along an axis of `extent`: `split` a scalar
/// (equal parts, the last one smaller), a 1-D list of sizes, or absent
/// (parts of one).
static FailureOr<SmallVector<int64_t>> getSplitSizes(NodeContext &ctx,
                                                     int64_t extent) {
  if (!ctx.getOperand(1))
    return SmallVector<int64_t>(extent, 1);
  FailureOr<SmallVector<int64_t>> split = getConstantIntOperand(ctx, 1);
  if (failed(split))
    return failure();
  if (cast<RankedTensorType>(ctx.getOperand(1).getType()).getRank() != 0)
    return *split;
  int64_t chunk = split->front();
  if (chunk <= 0)
    return ctx.emitError() << "expects a positive scalar split, got " << chunk;
  SmallVector<int64_t> sizes;
  for (int64_t left = extent; left > 0; left -= chunk)
    sizes.push_back(std::min(left, chunk));
  return sizes;
}

static ImportResult importSplitToSequence(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 2);
  if (failed(type))
    return failure();
  FailureOr<int64_t> axis =
      normalizeAxis(ctx, ctx.getIntAttr("axis").value_or(0), type->getRank());
  FailureOr<bool> keepDims = getFlagAttr(ctx, "keepdims", true);
  if (failed(axis) || failed(keepDims))
    return failure();
  FailureOr<SmallVector<int64_t>> sizes =
      getSplitSizes(ctx, type->getDimSize(*axis));
  if (failed(sizes))
    return failure();
  ImportResult parts = buildSplit(ctx, ctx.getOperand(0), *axis, *sizes);
  if (failed(parts))
    return failure();
  // keepdims=0 drops the axis of parts of one, which only a split without
  // sizes makes (the attribute is ignored otherwise).
  if (!*keepDims && !ctx.getOperand(1)) {
    SmallVector<int64_t> shape(type->getShape());
    shape.erase(shape.begin() + *axis);
    for (Value &part : *parts)
      part = buildReshape(ctx.builder, ctx.loc, part, shape);
  }
  return returnSequence(ctx, *parts);
}

/// SequenceMap: the body imported once per element of the input sequences
/// (equally long), tensor inputs bound whole to every iteration; each body
/// output collects into one output sequence.
static ImportResult importSequenceMap(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 1, ~0u)))
    return failure();
  const onnx::GraphProto *body = ctx.getGraphAttr("body");
  if (!body) {
    if (!ctx.hadAttributeError)
      ctx.emitError() << "expects the graph attribute 'body'";
    return failure();
  }
  int64_t numResults = ctx.getNumResults();
  if (body->output_size() != numResults)
    return ctx.emitError() << "subgraph 'body' has " << body->output_size()
                           << " outputs, expected " << numResults;
  FailureOr<SmallVector<Value>> first = getSequence(ctx, 0);
  if (failed(first))
    return failure();
  size_t length = first->size();
  for (unsigned i = 1; i < ctx.operands.size(); ++i) {
    std::optional<ArrayRef<Value>> elements = ctx.getSequenceOperand(i);
    if (elements && elements->size() != length)
      return ctx.emitError()
             << "input sequence '" << ctx.node.input(i) << "' has "
             << elements->size() << " elements, the first one " << length;
    if (!elements && !ctx.getOperand(i))
      return ctx.emitError() << "input " << i << " is omitted";
  }
  SmallVector<SmallVector<Value>> outputs(numResults);
  for (size_t position = 0; position < length; ++position) {
    SmallVector<GraphValue> args;
    for (unsigned i = 0; i < ctx.operands.size(); ++i) {
      std::optional<ArrayRef<Value>> elements = ctx.getSequenceOperand(i);
      args.push_back(GraphValue::tensor(elements ? (*elements)[position]
                                                 : ctx.getOperand(i)));
    }
    FailureOr<SmallVector<GraphValue>> results =
        ctx.importSubgraph(*body, args, ctx.builder);
    if (failed(results))
      return failure();
    for (auto [index, result] : llvm::enumerate(*results)) {
      if (result.isSequence)
        return ctx.emitError()
               << "subgraph 'body' output '" << body->output(index).name()
               << "' is a sequence; SequenceMap's body "
                  "computes tensors";
      outputs[index].push_back(result.values.front());
    }
  }
  SmallVector<GraphValue> results;
  for (ArrayRef<Value> elements : outputs)
    results.push_back(GraphValue::sequence(elements));
  return returnGraphValues(ctx, results);
}

void muon::onnx_import::populateSequenceImporters(
    OpImporterRegistry &registry) {
  registry.add("", "SequenceEmpty", importSequenceEmpty, {11});
  registry.add("", "SequenceConstruct", importSequenceConstruct, {11});
  registry.add("", "SequenceInsert", importSequenceInsert, {11});
  registry.add("", "SequenceErase", importSequenceErase, {11});
  registry.add("", "SequenceAt", importSequenceAt, {11});
  registry.add("", "SequenceLength", importSequenceLength, {11});
  registry.add("", "ConcatFromSequence", importConcatFromSequence, {11});
  registry.add("", "SplitToSequence", importSplitToSequence, {11});
  registry.add("", "SequenceMap", importSequenceMap, {17});
  // They move tensors without reading their elements.
  static constexpr llvm::StringRef kDataMovement[] = {
      "SequenceConstruct",  "SequenceInsert",  "SequenceAt",
      "ConcatFromSequence", "SplitToSequence", "SequenceMap"};
  registry.acceptUnsigned("", kDataMovement);
  registry.acceptMinifloats("", kDataMovement);
}
