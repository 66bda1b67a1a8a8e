//===- ControlFlow.cpp - If, Loop and Scan importers ----------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// ONNX's control-flow ops carry their bodies as GRAPH attributes, which read
// the enclosing graphs' values by name. Each body is imported first into a
// detached block whose arguments stand for what the op binds (so the result
// types are known), then spliced into the region of the op that runs it:
//
//   If    constant condition: the taken branch, inline (its outputs may have
//         any types, as exporters' shape checks produce); otherwise scf.if,
//         both branches computing the same types.
//   Loop  scf.for when the loop provably runs its trip count M (a condition
//         starting true, absent or constant, that the body passes on or
//         sets to constant true), scan outputs stacked
//         along a new leading axis of length M (M known at import);
//         otherwise scf.while on `i < M && cond` (no scan outputs: their
//         length would be known only at run time).
//   Scan  scf.for over the scan axis (static), slices read and written in
//         either direction along any axis.
//
// Loop-carried values keep their types across iterations (static shapes),
// except in a Loop carrying a sequence (a list growing each iteration, as
// TorchScript exports `outs.append(h)`): that one is unrolled at import, its
// trip count and conditions known there.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace muon::onnx_import;

/// Fails unless input `index` is a one-element tensor of `elementType`
/// (If's and Loop's conditions, Loop's trip count).
static LogicalResult checkScalarOperand(NodeContext &ctx, unsigned index,
                                        Type elementType, StringRef what) {
  Value value = ctx.getOperand(index);
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getElementType() != elementType || !type.hasStaticShape() ||
      type.getNumElements() != 1)
    return ctx.emitError() << what << " must be a one-element tensor of "
                           << elementType << ", got " << value.getType();
  return success();
}

/// The value of a constant one-element tensor of `width`-bit integers.
static std::optional<APInt> getConstantScalar(Value value, unsigned width) {
  DenseElementsAttr attr;
  if (!value || !matchPattern(value, m_Constant(&attr)) ||
      !attr.getElementType().isInteger(width) || attr.getNumElements() != 1)
    return std::nullopt;
  return *attr.getValues<APInt>().begin();
}

static std::optional<bool> getConstantBool(Value value) {
  if (std::optional<APInt> bit = getConstantScalar(value, 1))
    return bit->getBoolValue();
  return std::nullopt;
}

/// A 0-d tensor of `scalar` (i64 for an index), written by a 0-d generic
/// (which the GPU pipeline runs as a kernel, where tensor.from_elements would
/// store to device memory from the host).
static Value buildScalarTensor(OpBuilder &b, Location loc, Value scalar) {
  return muon::buildScalarGeneric(
             b, loc, {},
             [&](OpBuilder &nb, Location nloc, ValueRange) {
               if (!scalar.getType().isIndex())
                 return SmallVector<Value>{scalar};
               return SmallVector<Value>{arith::IndexCastOp::create(
                   nb, nloc, nb.getI64Type(), scalar)};
             })
      .front();
}

/// Makes the body's reads of its iteration number (`iteration`, the 0-d
/// tensor of `iv`) read `iv` itself: a run-time slice offset is then a host
/// value on the GPU pipeline, not a load from device memory.
static void forwardIterationReads(OpBuilder &b, Location loc, Value iteration,
                                  Value iv) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointAfterValue(iteration);
  Value scalar = arith::IndexCastOp::create(b, loc, b.getI64Type(), iv);
  for (OpOperand &use : llvm::make_early_inc_range(iteration.getUses()))
    if (auto extract = dyn_cast<tensor::ExtractOp>(use.getOwner())) {
      extract.replaceAllUsesWith(scalar);
      extract.erase();
    }
}

static Value buildScalarExtract(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<Value> zeros(type.getRank(),
                           arith::ConstantIndexOp::create(b, loc, 0));
  return tensor::ExtractOp::create(b, loc, tensor, zeros);
}

/// The values an scf.for iteration yields for `carried`, copied into the
/// iteration's own: the loop then updates one buffer in place (allocated
/// once, before it), where yielding each iteration's fresh tensor would make
/// bufferization free buffers that cross the loop (which the GPU pipeline's
/// device memory cannot follow).
static SmallVector<Value> buildInPlaceYields(OpBuilder &b, Location loc,
                                             ValueRange next,
                                             ValueRange carried) {
  SmallVector<Value> yields;
  for (auto [value, arg] : llvm::zip_equal(next, carried))
    yields.push_back(
        value == arg ? value
                     : linalg::CopyOp::create(b, loc, value, arg).getResult(0));
  return yields;
}

namespace {
/// A subgraph imported into a detached block; `splice` moves it into the
/// region of the op that runs it.
struct DetachedBody {
  std::unique_ptr<Block> block = std::make_unique<Block>();
  SmallVector<Value> results;

  /// Moves the operations to the end of `dest` with the block's arguments
  /// replaced by `replacements`; returns the results, mapped likewise.
  SmallVector<Value> splice(Block *dest, ValueRange replacements) {
    SmallVector<Value> mapped;
    for (Value result : results) {
      auto arg = dyn_cast<BlockArgument>(result);
      mapped.push_back(arg && arg.getOwner() == block.get()
                           ? replacements[arg.getArgNumber()]
                           : result);
    }
    for (auto [arg, replacement] :
         llvm::zip_equal(block->getArguments(), replacements))
      arg.replaceAllUsesWith(replacement);
    dest->getOperations().splice(dest->end(), block->getOperations());
    return mapped;
  }
};
} // namespace

/// GRAPH attribute `name`, which must have `numResults` outputs.
static FailureOr<const onnx::GraphProto *>
getBodyAttr(NodeContext &ctx, StringRef name, int64_t numResults) {
  const onnx::GraphProto *graph = ctx.getGraphAttr(name);
  if (!graph) {
    if (!ctx.hadAttributeError)
      ctx.emitError() << "expects the graph attribute '" << name << "'";
    return failure();
  }
  if (graph->output_size() != numResults)
    return ctx.emitError() << "subgraph '" << name << "' has "
                           << graph->output_size() << " outputs, expected "
                           << numResults;
  return graph;
}

/// Imports GRAPH attribute `name` with arguments of `argTypes` into a
/// detached block; its output count must be `numResults`.
static FailureOr<DetachedBody> importDetached(NodeContext &ctx, StringRef name,
                                              TypeRange argTypes,
                                              int64_t numResults) {
  FailureOr<const onnx::GraphProto *> graph =
      getBodyAttr(ctx, name, numResults);
  if (failed(graph))
    return failure();
  DetachedBody body;
  for (Type type : argTypes)
    body.block->addArgument(type, ctx.loc);
  OpBuilder b(ctx.builder.getContext());
  b.setInsertionPointToEnd(body.block.get());
  SmallVector<GraphValue> args;
  for (Value arg : body.block->getArguments())
    args.push_back(GraphValue::tensor(arg));
  FailureOr<SmallVector<GraphValue>> results =
      ctx.importSubgraph(**graph, args, b);
  if (failed(results))
    return failure();
  for (auto [index, result] : llvm::enumerate(*results)) {
    if (result.isSequence)
      return ctx.emitError()
             << "subgraph '" << name << "' output '"
             << (*graph)->output(index).name()
             << "' is a sequence; a body run by an scf op computes tensors "
                "(only loops carrying a sequence are unrolled)";
    body.results.push_back(result.values.front());
  }
  return body;
}

/// Fails unless `computed` (the body's values for the carried inputs)
/// keeps the types of `initial`.
static LogicalResult checkCarriedTypes(NodeContext &ctx, ValueRange initial,
                                       ValueRange computed,
                                       unsigned firstInput) {
  for (auto [index, pair] :
       llvm::enumerate(llvm::zip_equal(initial, computed))) {
    auto [init, next] = pair;
    if (init.getType() != next.getType())
      return ctx.emitError()
             << "the body turns loop-carried input '"
             << ctx.node.input(firstInput + index) << "' of type "
             << init.getType() << " into " << next.getType()
             << "; carried values must keep their types";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// If
//===----------------------------------------------------------------------===//

static ImportResult importIf(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 1, 1)))
    return failure();
  int64_t numResults = ctx.getNumResults();
  if (std::optional<bool> taken = getConstantBool(ctx.getOperand(0))) {
    // Only the taken branch is imported: the other may not even import with
    // the shapes at hand (exporters guard shape-dependent code so).
    StringRef name = *taken ? "then_branch" : "else_branch";
    ctx.ignoreAttr(*taken ? "else_branch" : "then_branch");
    FailureOr<const onnx::GraphProto *> graph =
        getBodyAttr(ctx, name, numResults);
    if (failed(graph))
      return failure();
    FailureOr<SmallVector<GraphValue>> results =
        ctx.importSubgraph(**graph, {}, ctx.builder);
    if (failed(results))
      return failure();
    return returnGraphValues(ctx, *results);
  }

  if (failed(
          checkScalarOperand(ctx, 0, ctx.builder.getI1Type(), "the condition")))
    return failure();
  FailureOr<DetachedBody> thenBody =
      importDetached(ctx, "then_branch", {}, numResults);
  if (failed(thenBody))
    return failure();
  FailureOr<DetachedBody> elseBody =
      importDetached(ctx, "else_branch", {}, numResults);
  if (failed(elseBody))
    return failure();
  for (auto [index, pair] :
       llvm::enumerate(llvm::zip_equal(thenBody->results, elseBody->results)))
    if (std::get<0>(pair).getType() != std::get<1>(pair).getType())
      return ctx.emitError()
             << "output " << index << " is " << std::get<0>(pair).getType()
             << " in then_branch but " << std::get<1>(pair).getType()
             << " in else_branch; with a condition known only at run time, "
                "both branches must compute the same types";
  auto branch = [](DetachedBody &body) {
    return [&body](OpBuilder &b, Location loc) {
      scf::YieldOp::create(b, loc,
                           body.splice(b.getInsertionBlock(), ValueRange()));
    };
  };
  Value cond = buildScalarExtract(ctx.builder, ctx.loc, ctx.getOperand(0));
  auto op = scf::IfOp::create(ctx.builder, ctx.loc, cond, branch(*thenBody),
                              branch(*elseBody));
  return SmallVector<Value>(op.getResults());
}

//===----------------------------------------------------------------------===//
// Loop
//===----------------------------------------------------------------------===//

/// The stacked scan outputs of a loop of `tripCount` iterations: one
/// tensor.empty per body result in `slices`, with the iteration axis
/// inserted at `axes[i]`.
static SmallVector<Value> buildScanAccumulators(OpBuilder &b, Location loc,
                                                ValueRange slices,
                                                ArrayRef<int64_t> axes,
                                                int64_t tripCount) {
  SmallVector<Value> accumulators;
  for (auto [slice, axis] : llvm::zip_equal(slices, axes)) {
    auto type = cast<RankedTensorType>(slice.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape.insert(shape.begin() + axis, tripCount);
    accumulators.push_back(
        tensor::EmptyOp::create(b, loc, shape, type.getElementType()));
  }
  return accumulators;
}

/// The offsets, sizes and strides of the slice of `type` at `position`
/// along `axis` (one element there, everything elsewhere).
static std::array<SmallVector<OpFoldResult>, 3>
getAxisSlice(OpBuilder &b, RankedTensorType type, int64_t axis,
             Value position) {
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
  for (int64_t size : type.getShape())
    sizes.push_back(b.getIndexAttr(size));
  offsets[axis] = position;
  sizes[axis] = b.getIndexAttr(1);
  return {offsets, sizes, strides};
}

/// Writes `slice` into `accumulator` at `position` along `axis`.
static Value insertScanSlice(OpBuilder &b, Location loc, Value slice,
                             Value accumulator, int64_t axis, Value position) {
  auto [offsets, sizes, strides] = getAxisSlice(
      b, cast<RankedTensorType>(accumulator.getType()), axis, position);
  return tensor::InsertSliceOp::create(b, loc, slice, accumulator, offsets,
                                       sizes, strides);
}

/// The slice of `input` at `position` along `axis`, that axis dropped.
static Value extractScanSlice(OpBuilder &b, Location loc, Value input,
                              int64_t axis, Value position) {
  auto type = cast<RankedTensorType>(input.getType());
  auto [offsets, sizes, strides] = getAxisSlice(b, type, axis, position);
  SmallVector<int64_t> sliceShape(type.getShape());
  sliceShape.erase(sliceShape.begin() + axis);
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(sliceShape, type.getElementType()), input,
      offsets, sizes, strides);
}

/// The most iterations a loop carrying a sequence unrolls to (each one
/// imports the body again).
static constexpr int64_t kMaxUnrolledIterations = 1024;

/// A Loop carrying a sequence, whose length (and so type) changes each
/// iteration, which no scf loop can carry: unrolled at import, each
/// iteration importing the body with its iteration number as a constant
/// (which folds the slices and positions it computes). The trip count, the
/// condition and the body's condition must be known at import.
static ImportResult importUnrolledLoop(NodeContext &ctx,
                                       SmallVector<GraphValue> carried,
                                       int64_t numScans) {
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  int64_t numCarried = carried.size();
  std::optional<int64_t> tripCount;
  if (ctx.getOperand(0)) {
    std::optional<APInt> m = getConstantScalar(ctx.getOperand(0), 64);
    if (!m)
      return ctx.emitError() << "carries a sequence, so it is unrolled at "
                                "import, but its trip count M is known only "
                                "at run time";
    tripCount = m->getSExtValue();
    if (*tripCount > kMaxUnrolledIterations)
      return ctx.emitError() << "carries a sequence, so it is unrolled at "
                                "import, but its trip count "
                             << *tripCount << " exceeds the limit of "
                             << kMaxUnrolledIterations << " iterations";
  }
  std::optional<bool> cond =
      ctx.getOperand(1) ? getConstantBool(ctx.getOperand(1)) : true;
  if (!cond)
    return ctx.emitError() << "carries a sequence, so it is unrolled at "
                              "import, but its condition is known only at "
                              "run time";
  FailureOr<const onnx::GraphProto *> graph =
      getBodyAttr(ctx, "body", 1 + numCarried + numScans);
  if (failed(graph))
    return failure();

  auto i64Scalar = RankedTensorType::get({}, b.getI64Type());
  auto i1Scalar = RankedTensorType::get({}, b.getI1Type());
  SmallVector<SmallVector<Value>> slices(numScans);
  int64_t iteration = 0;
  for (; *cond && iteration < tripCount.value_or(kMaxUnrolledIterations);
       ++iteration) {
    SmallVector<GraphValue> args = {
        GraphValue::tensor(arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(i64Scalar, APInt(64, iteration)))),
        GraphValue::tensor(arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(i1Scalar, true)))};
    llvm::append_range(args, carried);
    FailureOr<SmallVector<GraphValue>> out =
        ctx.importSubgraph(**graph, args, b);
    if (failed(out))
      return failure();
    cond = (*out)[0].isSequence ? std::nullopt
                                : getConstantBool((*out)[0].values.front());
    if (!cond)
      return ctx.emitError()
             << "carries a sequence, so it is unrolled at import, but its "
                "body's condition in iteration "
             << iteration << " is known only at run time";
    for (auto [index, value] :
         llvm::enumerate(ArrayRef(*out).slice(1, numCarried))) {
      if (value.isSequence != carried[index].isSequence)
        return ctx.emitError()
               << "the body turns loop-carried input '"
               << ctx.node.input(2 + index) << "' from a "
               << (carried[index].isSequence ? "sequence" : "tensor")
               << " into a " << (value.isSequence ? "sequence" : "tensor");
      carried[index] = value;
    }
    for (auto [index, value] :
         llvm::enumerate(ArrayRef(*out).drop_front(1 + numCarried))) {
      Type type = value.isSequence ? Type() : value.values.front().getType();
      if (!type ||
          (!slices[index].empty() && slices[index].front().getType() != type))
        return ctx.emitError()
               << "scan output " << index << " is "
               << (type ? "of another type" : "a sequence") << " in iteration "
               << iteration << "; scan outputs stack tensors of one type";
      slices[index].push_back(value.values.front());
    }
  }
  if (!tripCount && *cond)
    return ctx.emitError() << "carries a sequence, so it is unrolled at "
                              "import, but its condition stays true for "
                           << kMaxUnrolledIterations << " iterations";

  ImportResult results = returnGraphValues(ctx, carried);
  for (auto [index, stack] : llvm::enumerate(slices)) {
    if (stack.empty())
      return ctx.emitError() << "has scan outputs but runs no iteration, so "
                                "their types are unknown";
    SmallVector<int64_t> axes = {0};
    Value acc = buildScanAccumulators(b, loc, stack.front(), axes, stack.size())
                    .front();
    if (failed(checkResultSize(ctx, numCarried + index,
                               cast<RankedTensorType>(acc.getType()))))
      return failure();
    for (auto [position, slice] : llvm::enumerate(stack))
      acc = insertScanSlice(
          b, loc, slice, acc, 0,
          arith::ConstantIndexOp::create(b, loc, position).getResult());
    results->push_back(acc);
  }
  return results;
}

static ImportResult importLoop(NodeContext &ctx) {
  Location loc = ctx.loc;
  OpBuilder &b = ctx.builder;
  SmallVector<GraphValue> carriedValues;
  for (unsigned i = 2; i < ctx.operands.size(); ++i) {
    if (std::optional<ArrayRef<Value>> elements = ctx.getSequenceOperand(i))
      carriedValues.push_back(GraphValue::sequence(*elements));
    else if (Value value = ctx.getOperand(i))
      carriedValues.push_back(GraphValue::tensor(value));
    else
      return ctx.emitError()
             << "loop-carried input " << i << " is omitted; it must be given";
  }
  int64_t numCarried = carriedValues.size();
  int64_t numScans = ctx.getNumResults() - numCarried;
  if (numScans < 0)
    return ctx.emitError() << "has " << numCarried
                           << " loop-carried inputs but only "
                           << ctx.getNumResults() << " outputs";
  if (llvm::any_of(carriedValues,
                   [](const GraphValue &value) { return value.isSequence; }))
    return importUnrolledLoop(ctx, std::move(carriedValues), numScans);
  SmallVector<Value> carried;
  for (const GraphValue &value : carriedValues)
    carried.push_back(value.values.front());

  Value tripCount;
  std::optional<int64_t> constantTripCount;
  if (std::optional<APInt> m = getConstantScalar(ctx.getOperand(0), 64)) {
    constantTripCount = m->getSExtValue();
    tripCount = arith::ConstantIndexOp::create(b, loc, *constantTripCount);
  } else if (ctx.getOperand(0)) {
    if (failed(checkScalarOperand(ctx, 0, b.getI64Type(), "the trip count M")))
      return failure();
    tripCount = arith::IndexCastOp::create(
        b, loc, b.getIndexType(),
        buildScalarExtract(b, loc, ctx.getOperand(0)));
  }
  if (ctx.getOperand(1) &&
      failed(checkScalarOperand(ctx, 1, b.getI1Type(), "the condition")))
    return failure();
  auto i64Scalar = RankedTensorType::get({}, b.getI64Type());
  auto i1Scalar = RankedTensorType::get({}, b.getI1Type());
  SmallVector<Type> argTypes = {i64Scalar, i1Scalar};
  llvm::append_range(argTypes, ValueRange(carried).getTypes());
  FailureOr<DetachedBody> body =
      importDetached(ctx, "body", argTypes, 1 + numCarried + numScans);
  if (failed(body))
    return failure();
  ArrayRef<Value> results = body->results;
  Value condOut = results[0];
  if (condOut.getType() != i1Scalar &&
      condOut.getType() != RankedTensorType::get({1}, b.getI1Type()))
    return ctx.emitError() << "the body's condition output has type "
                           << condOut.getType() << ", expected " << i1Scalar;
  if (failed(checkCarriedTypes(ctx, carried, results.slice(1, numCarried), 2)))
    return failure();

  // The body's condition ends the loop even without an input condition (the
  // spec calls it ignored then; ONNX Runtime and ONNX's reference honour
  // it, and so does this importer).
  Value condIn = body->block->getArgument(1);
  bool startsTrue =
      !ctx.getOperand(1) || getConstantBool(ctx.getOperand(1)) == true;
  bool staysTrue =
      getConstantBool(condOut) == true || (condOut == condIn && startsTrue);
  if (!tripCount && staysTrue)
    return ctx.emitError() << "has no trip count and a condition that stays "
                              "true: the loop would never end";
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);

  if (tripCount && staysTrue) {
    SmallVector<Value> inits(carried);
    if (numScans > 0) {
      std::optional<int64_t> count = constantTripCount;
      if (!count)
        return ctx.emitError() << "has scan outputs but a trip count known "
                                  "only at run time; their length must be "
                                  "known at import";
      if (*count < 0)
        return ctx.emitError() << "has scan outputs and a negative trip "
                                  "count "
                               << *count;
      SmallVector<int64_t> axes(numScans, 0);
      SmallVector<Value> accumulators = buildScanAccumulators(
          b, loc, results.drop_front(1 + numCarried), axes, *count);
      for (auto [index, acc] : llvm::enumerate(accumulators))
        if (failed(checkResultSize(ctx, numCarried + index,
                                   cast<RankedTensorType>(acc.getType()))))
          return failure();
      llvm::append_range(inits, accumulators);
    }
    Value trueTensor = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(i1Scalar, true));
    auto loop = scf::ForOp::create(
        b, loc, zero, tripCount, one, inits,
        [&](OpBuilder &nb, Location nloc, Value iv, ValueRange args) {
          Value iteration = buildScalarTensor(nb, nloc, iv);
          SmallVector<Value> replacements = {iteration, trueTensor};
          llvm::append_range(replacements, args.take_front(numCarried));
          SmallVector<Value> out =
              body->splice(nb.getInsertionBlock(), replacements);
          forwardIterationReads(nb, nloc, iteration, iv);
          // The slices first: they may read a carried value's old contents.
          SmallVector<Value> stacked;
          for (auto [slice, acc] :
               llvm::zip_equal(ArrayRef(out).drop_front(1 + numCarried),
                               args.drop_front(numCarried)))
            stacked.push_back(insertScanSlice(nb, nloc, slice, acc, 0, iv));
          SmallVector<Value> yielded =
              buildInPlaceYields(nb, nloc, ArrayRef(out).slice(1, numCarried),
                                 args.take_front(numCarried));
          llvm::append_range(yielded, stacked);
          scf::YieldOp::create(nb, nloc, yielded);
        });
    return SmallVector<Value>(loop.getResults());
  }

  if (numScans > 0)
    return ctx.emitError() << "has scan outputs and a condition that may end "
                              "it early; their length must be known at "
                              "import";
  // scf.while over (i, cond, carried...), running while i < M && cond.
  Value cond = ctx.getOperand(1)
                   ? buildScalarExtract(b, loc, ctx.getOperand(1))
                   : arith::ConstantIntOp::create(b, loc, 1, 1).getResult();
  SmallVector<Value> inits = {zero, cond};
  llvm::append_range(inits, carried);
  SmallVector<Type> types(ValueRange(inits).getTypes());
  auto loop = scf::WhileOp::create(
      b, loc, types, inits,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value keep = args[1];
        if (tripCount)
          keep = arith::AndIOp::create(
              nb, nloc, keep,
              arith::CmpIOp::create(nb, nloc, arith::CmpIPredicate::slt,
                                    args[0], tripCount));
        scf::ConditionOp::create(nb, nloc, keep, args);
      },
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value iteration = buildScalarTensor(nb, nloc, args[0]);
        SmallVector<Value> replacements = {
            iteration, buildScalarTensor(nb, nloc, args[1])};
        llvm::append_range(replacements, args.drop_front(2));
        SmallVector<Value> out =
            body->splice(nb.getInsertionBlock(), replacements);
        forwardIterationReads(nb, nloc, iteration, args[0]);
        SmallVector<Value> yielded = {
            arith::AddIOp::create(nb, nloc, args[0], one),
            buildScalarExtract(nb, nloc, out[0])};
        llvm::append_range(yielded, ArrayRef(out).drop_front(1));
        scf::YieldOp::create(nb, nloc, yielded);
      });
  return SmallVector<Value>(loop.getResults().drop_front(2));
}

//===----------------------------------------------------------------------===//
// Scan
//===----------------------------------------------------------------------===//

/// Attribute `name` (one entry per `count` inputs or outputs, default 0).
static FailureOr<SmallVector<int64_t>>
getPerValueAttr(NodeContext &ctx, StringRef name, int64_t count) {
  SmallVector<int64_t> values =
      ctx.getIntsAttr(name).value_or(SmallVector<int64_t>(count, 0));
  if (static_cast<int64_t>(values.size()) != count)
    return ctx.emitError() << "attribute '" << name << "' has " << values.size()
                           << " entries, expected " << count;
  return values;
}

static ImportResult importScan(NodeContext &ctx) {
  Location loc = ctx.loc;
  OpBuilder &b = ctx.builder;
  std::optional<int64_t> numScanInputs = ctx.getIntAttr("num_scan_inputs");
  int64_t numOperands = ctx.operands.size();
  if (!numScanInputs || *numScanInputs < 1 || *numScanInputs > numOperands)
    return ctx.emitError() << "expects num_scan_inputs in [1, " << numOperands
                           << "]";
  int64_t numStates = numOperands - *numScanInputs;
  int64_t numScans = ctx.getNumResults() - numStates;
  if (numScans < 0)
    return ctx.emitError() << "has " << numStates << " state inputs but only "
                           << ctx.getNumResults() << " outputs";
  SmallVector<RankedTensorType> operandTypes;
  for (int64_t i = 0; i < numOperands; ++i) {
    FailureOr<RankedTensorType> type = getOperandType(ctx, i);
    if (failed(type))
      return failure();
    operandTypes.push_back(*type);
  }
  FailureOr<SmallVector<int64_t>> inputAxes =
      getPerValueAttr(ctx, "scan_input_axes", *numScanInputs);
  FailureOr<SmallVector<int64_t>> inputDirections =
      getPerValueAttr(ctx, "scan_input_directions", *numScanInputs);
  FailureOr<SmallVector<int64_t>> outputAxes =
      getPerValueAttr(ctx, "scan_output_axes", numScans);
  FailureOr<SmallVector<int64_t>> outputDirections =
      getPerValueAttr(ctx, "scan_output_directions", numScans);
  if (failed(inputAxes) || failed(inputDirections) || failed(outputAxes) ||
      failed(outputDirections))
    return failure();
  for (int64_t direction :
       llvm::concat<int64_t>(*inputDirections, *outputDirections))
    if (direction != 0 && direction != 1)
      return ctx.emitError() << "scan directions must be 0 (forward) or 1 "
                                "(reverse), got "
                             << direction;

  // The scan length: every scan input's extent along its axis.
  int64_t length = -1;
  SmallVector<Type> argTypes;
  for (int64_t i = 0; i < numStates; ++i)
    argTypes.push_back(operandTypes[i]);
  for (int64_t i = 0; i < *numScanInputs; ++i) {
    RankedTensorType type = operandTypes[numStates + i];
    FailureOr<int64_t> axis =
        normalizeAxis(ctx, (*inputAxes)[i], type.getRank(), "scan_input_axes");
    if (failed(axis))
      return failure();
    (*inputAxes)[i] = *axis;
    if (length >= 0 && type.getDimSize(*axis) != length)
      return ctx.emitError()
             << "scan inputs have different lengths along "
                "their scan axes ("
             << length << " and " << type.getDimSize(*axis) << ")";
    length = type.getDimSize(*axis);
    SmallVector<int64_t> shape(type.getShape());
    shape.erase(shape.begin() + *axis);
    argTypes.push_back(RankedTensorType::get(shape, type.getElementType()));
  }

  FailureOr<DetachedBody> body =
      importDetached(ctx, "body", argTypes, numStates + numScans);
  if (failed(body))
    return failure();
  ArrayRef<Value> results = body->results;
  SmallVector<Value> states(ctx.operands.take_front(numStates));
  if (failed(checkCarriedTypes(ctx, states, results.take_front(numStates), 0)))
    return failure();
  for (int64_t i = 0; i < numScans; ++i) {
    // The output's rank counts the scan axis.
    auto type = cast<RankedTensorType>(results[numStates + i].getType());
    FailureOr<int64_t> axis = normalizeAxis(
        ctx, (*outputAxes)[i], type.getRank() + 1, "scan_output_axes");
    if (failed(axis))
      return failure();
    (*outputAxes)[i] = *axis;
  }
  SmallVector<Value> inits(states);
  SmallVector<Value> accumulators = buildScanAccumulators(
      b, loc, results.drop_front(numStates), *outputAxes, length);
  for (auto [index, acc] : llvm::enumerate(accumulators))
    if (failed(checkResultSize(ctx, numStates + index,
                               cast<RankedTensorType>(acc.getType()))))
      return failure();
  llvm::append_range(inits, accumulators);

  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value upper = arith::ConstantIndexOp::create(b, loc, length);
  Value last = arith::ConstantIndexOp::create(b, loc, length - 1);
  auto loop = scf::ForOp::create(
      b, loc, zero, upper, one, inits,
      [&](OpBuilder &nb, Location nloc, Value iv, ValueRange args) {
        Value reversed = arith::SubIOp::create(nb, nloc, last, iv);
        auto position = [&](int64_t direction) {
          return direction ? reversed : iv;
        };
        SmallVector<Value> replacements(args.take_front(numStates));
        for (int64_t i = 0; i < *numScanInputs; ++i)
          replacements.push_back(extractScanSlice(
              nb, nloc, ctx.getOperand(numStates + i), (*inputAxes)[i],
              position((*inputDirections)[i])));
        SmallVector<Value> out =
            body->splice(nb.getInsertionBlock(), replacements);
        // The slices first: they may read a state's old contents.
        SmallVector<Value> stacked;
        for (int64_t i = 0; i < numScans; ++i)
          stacked.push_back(insertScanSlice(
              nb, nloc, out[numStates + i], args[numStates + i],
              (*outputAxes)[i], position((*outputDirections)[i])));
        SmallVector<Value> yielded =
            buildInPlaceYields(nb, nloc, ArrayRef(out).take_front(numStates),
                               args.take_front(numStates));
        llvm::append_range(yielded, stacked);
        scf::YieldOp::create(nb, nloc, yielded);
      });
  return SmallVector<Value>(loop.getResults());
}

void muon::onnx_import::populateControlFlowImporters(
    OpImporterRegistry &registry) {
  registry.add("", "If", importIf);
  registry.add("", "Loop", importLoop);
  // Opset 8's Scan has a batch axis and sequence lengths; 9 dropped both.
  registry.add("", "Scan", importScan, {9, 0});
}
