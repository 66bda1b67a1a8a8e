//===- Recurrent.cpp - Shared pieces of the LSTM/GRU importers ------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "Recurrent.h"

#include "onnx/onnx_pb.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace muon::onnx_import;
using namespace muon::onnx_import::rnn;

static ArrayRef<int64_t> getShape(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

static Type getElementType(Value value) {
  return cast<RankedTensorType>(value.getType()).getElementType();
}

FailureOr<Attributes>
rnn::parseAttributes(NodeContext &ctx, ArrayRef<StringRef> defaultActivations,
                     bool training) {
  Attributes attrs;
  std::optional<int64_t> hidden = ctx.getIntAttr("hidden_size");
  if (!hidden || *hidden <= 0 || *hidden > (int64_t{1} << 30))
    return ctx.emitError() << "expects a positive attribute 'hidden_size'";
  attrs.hiddenSize = *hidden;

  std::string direction =
      ctx.getStringAttr("direction").value_or(std::string("forward"));
  if (direction == "reverse") {
    attrs.reverse = true;
  } else if (direction == "bidirectional") {
    attrs.numDirections = 2;
  } else if (direction != "forward") {
    return emitUnsupportedAttr(ctx, "direction")
           << ": '" << direction
           << "' (expects 'forward', 'reverse' or 'bidirectional')";
  }
  // ONNX Runtime's training kernels run forwards only.
  if (training && direction != "forward")
    return emitUnsupportedAttr(ctx, "direction")
           << ": '" << direction << "' (the training op runs forwards only)";

  if (std::optional<SmallVector<std::string>> names = [&] {
        std::optional<SmallVector<std::string>> result;
        if (const onnx::AttributeProto *attr = ctx.getAttr("activations")) {
          result.emplace();
          for (const std::string &name : attr->strings())
            result->push_back(name);
        }
        return result;
      }()) {
    // One list per direction; a one-direction node may also list both, as
    // ONNX's RNN schema default does (Tanh, Tanh) and ORT accepts.
    bool isDefault =
        names->size() == defaultActivations.size() * attrs.numDirections ||
        names->size() == defaultActivations.size() * 2;
    for (size_t i = 0; isDefault && i < names->size(); ++i)
      isDefault = StringRef((*names)[i])
                      .equals_insensitive(
                          defaultActivations[i % defaultActivations.size()]);
    if (!isDefault)
      return emitUnsupportedAttr(ctx, "activations")
             << ": only the default " << llvm::join(defaultActivations, ", ")
             << " are supported";
  }
  for (StringRef name : {"activation_alpha", "activation_beta", "clip"})
    if (ctx.getAttr(name))
      return ctx.emitError() << "attribute '" << name << "' is not supported";
  int64_t layout = ctx.getIntAttr("layout").value_or(0);
  if (layout != 0 && (layout != 1 || training))
    return emitUnsupportedAttr(ctx, "layout")
           << ": " << layout
           << (training ? " (expects 0, sequence-major)"
                        : " (expects 0, sequence-major, or 1, batch-first)");
  if (ctx.hadAttributeError)
    return failure();
  return attrs;
}

FailureOr<Dims> rnn::getDims(NodeContext &ctx, const Attributes &attrs) {
  FailureOr<RankedTensorType> xType = getOperandType(ctx, 0);
  if (failed(xType))
    return failure();
  if (xType->getRank() != 3 || !xType->getElementType().isF32())
    return ctx.emitError() << "expects X of shape [seq_length, batch_size, "
                              "input_size] x f32, got "
                           << *xType;
  ArrayRef<int64_t> shape = xType->getShape();
  // Slices of empty dimensions do not verify (ORT's kernels fail on an
  // empty batch too).
  if (xType->getNumElements() == 0)
    return ctx.emitError() << "expects a non-empty X, got " << *xType;
  return Dims{shape[0], shape[1], shape[2], attrs.hiddenSize,
              attrs.numDirections};
}

FailureOr<SmallVector<Value>>
rnn::getPerDirection(NodeContext &ctx, unsigned index, const Dims &dims,
                     ArrayRef<int64_t> shape, StringRef what, bool optional) {
  SmallVector<int64_t> full{dims.directions};
  llvm::append_range(full, shape);
  FailureOr<Value> value = getInput(ctx, index, full, what, optional);
  if (failed(value))
    return failure();
  SmallVector<Value> values(dims.directions);
  if (*value)
    for (int64_t d = 0; d < dims.directions; ++d)
      values[d] =
          buildSlice(ctx.builder, ctx.loc, *value, ctx.builder.getIndexAttr(d));
  return values;
}

Value rnn::dropDirection(OpBuilder &b, Location loc, Value value) {
  if (!value)
    return value;
  ArrayRef<int64_t> shape = getShape(value);
  return buildReshape(b, loc, value, {shape[0], shape[2], shape[3]});
}

Value rnn::stackSteps(OpBuilder &b, Location loc, ArrayRef<Value> values) {
  ArrayRef<int64_t> shape = getShape(values.front());
  int64_t directions = values.size();
  if (directions == 1)
    return buildReshape(b, loc, values.front(),
                        {shape[0], 1, shape[1], shape[2]});
  Value result = buildEmpty(b, loc, {shape[0], directions, shape[1], shape[2]},
                            getElementType(values.front()));
  for (auto [d, value] : llvm::enumerate(values)) {
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0),
                                      b.getIndexAttr(static_cast<int64_t>(d)),
                                      b.getIndexAttr(0), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = getAsIndexOpFoldResult(
        b.getContext(), {shape[0], 1, shape[1], shape[2]});
    SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
    result = tensor::InsertSliceOp::create(b, loc, value, result, offsets,
                                           sizes, strides);
  }
  return result;
}

LogicalResult rnn::checkFullSequenceLengths(NodeContext &ctx, unsigned index) {
  Value lengths = ctx.getOperand(index);
  if (!lengths)
    return success();
  auto x = dyn_cast<RankedTensorType>(ctx.getOperand(0).getType());
  DenseIntElementsAttr constant;
  if (x && x.getRank() == 3 && matchPattern(lengths, m_Constant(&constant)) &&
      constant.getNumElements() == x.getDimSize(1) &&
      llvm::all_of(constant.getValues<APInt>(), [&](const APInt &length) {
        return length.getSExtValue() == x.getDimSize(0);
      }))
    return success();
  return ctx.emitError() << "sequence_lens is supported only as a constant "
                            "giving every batch entry all the sequence's "
                            "steps";
}

FailureOr<Value> rnn::getInput(NodeContext &ctx, unsigned index,
                               ArrayRef<int64_t> shape, StringRef what,
                               bool optional) {
  Value value = ctx.getOperand(index);
  if (!value) {
    if (optional)
      return Value();
    return ctx.emitError() << "expects input #" << index << " (" << what << ")";
  }
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getShape() != shape || !type.getElementType().isF32()) {
    auto diag = ctx.emitError() << "expects " << what << " of shape [";
    llvm::interleave(shape, diag, ", ");
    return diag << "] x f32, got " << value.getType();
  }
  return value;
}

ImportResult rnn::importWithLayout(NodeContext &ctx, ImporterFn import,
                                   ArrayRef<unsigned> stateInputs) {
  if (ctx.getIntAttr("layout").value_or(0) != 1)
    return import(ctx);
  OpBuilder &b = ctx.builder;
  auto swapLeadingDims = [&](Value value, ArrayRef<int64_t> perm) -> Value {
    auto type =
        dyn_cast_or_null<RankedTensorType>(value ? value.getType() : Type());
    if (!type || type.getRank() != static_cast<int64_t>(perm.size()))
      return value; // Left to the importer's own checks.
    return buildTranspose(b, ctx.loc, value, perm);
  };
  SmallVector<Value> operands(ctx.operands);
  if (!operands.empty())
    operands[0] = swapLeadingDims(operands[0], {1, 0, 2});
  for (unsigned index : stateInputs)
    if (index < operands.size())
      operands[index] = swapLeadingDims(operands[index], {1, 0, 2});
  ArrayRef<Value> original = ctx.operands;
  ctx.operands = operands;
  ImportResult results = import(ctx);
  ctx.operands = original;
  if (failed(results))
    return failure();
  // Y [S, D, B, H] -> [B, S, D, H]; the final states [D, B, H] -> [B, D, H].
  for (auto [index, value] : llvm::enumerate(*results))
    value = index == 0 ? swapLeadingDims(value, {2, 0, 1, 3})
                       : swapLeadingDims(value, {1, 0, 2});
  return results;
}

ImportResult rnn::takeResults(NodeContext &ctx, SmallVector<Value> values) {
  if (ctx.getNumResults() > static_cast<int64_t>(values.size()))
    return ctx.emitError() << "expects at most " << values.size()
                           << " outputs, got " << ctx.getNumResults();
  values.resize(ctx.getNumResults());
  return values;
}

namespace {
/// Offsets, sizes and strides of the slice at `index` of the leading dim of
/// a tensor of `shape` (one step, or one time slot).
struct LeadingSlice {
  SmallVector<OpFoldResult> offsets, sizes, strides;

  LeadingSlice(OpBuilder &b, ArrayRef<int64_t> shape, OpFoldResult index)
      : offsets(shape.size(), b.getIndexAttr(0)),
        sizes(getAsIndexOpFoldResult(b.getContext(), shape)),
        strides(shape.size(), b.getIndexAttr(1)) {
    offsets[0] = index;
    sizes[0] = b.getIndexAttr(1);
  }
};
} // namespace

Value rnn::buildSlice(OpBuilder &b, Location loc, Value value,
                      OpFoldResult index) {
  ArrayRef<int64_t> shape = getShape(value);
  LeadingSlice slice(b, shape, index);
  auto type = RankedTensorType::get(shape.drop_front(), getElementType(value));
  return tensor::ExtractSliceOp::create(b, loc, type, value, slice.offsets,
                                        slice.sizes, slice.strides);
}

Value rnn::buildSliceLast(OpBuilder &b, Location loc, Value value,
                          int64_t offset, int64_t size, int64_t dim) {
  SmallVector<int64_t> shape(getShape(value));
  if (dim < 0)
    dim += shape.size();
  SmallVector<OpFoldResult> offsets(shape.size(), b.getIndexAttr(0));
  offsets[dim] = b.getIndexAttr(offset);
  shape[dim] = size;
  SmallVector<OpFoldResult> sizes =
      getAsIndexOpFoldResult(b.getContext(), shape);
  SmallVector<OpFoldResult> strides(shape.size(), b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, value, offsets, sizes, strides);
}

Value rnn::buildInsert(OpBuilder &b, Location loc, Value value, Value dest,
                       OpFoldResult index) {
  LeadingSlice slice(b, getShape(dest), index);
  return tensor::InsertSliceOp::create(b, loc, value, dest, slice.offsets,
                                       slice.sizes, slice.strides);
}

Value rnn::buildInsertLast(OpBuilder &b, Location loc, Value value, Value dest,
                           int64_t offset, int64_t dim) {
  ArrayRef<int64_t> shape = getShape(value);
  if (dim < 0)
    dim += shape.size();
  SmallVector<OpFoldResult> offsets(shape.size(), b.getIndexAttr(0));
  offsets[dim] = b.getIndexAttr(offset);
  SmallVector<OpFoldResult> sizes =
      getAsIndexOpFoldResult(b.getContext(), shape);
  SmallVector<OpFoldResult> strides(shape.size(), b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, value, dest, offsets, sizes,
                                       strides);
}

SmallVector<Value> rnn::splitLast(OpBuilder &b, Location loc, Value value,
                                  int64_t count) {
  int64_t size = getShape(value).back() / count;
  SmallVector<Value> parts;
  for (int64_t i = 0; i < count; ++i)
    parts.push_back(buildSliceLast(b, loc, value, i * size, size));
  return parts;
}

Value rnn::concatLast(OpBuilder &b, Location loc, ValueRange parts,
                      int64_t dim) {
  SmallVector<int64_t> shape(getShape(parts.front()));
  if (dim < 0)
    dim += shape.size();
  int64_t offset = 0;
  for (Value part : parts)
    offset += getShape(part)[dim];
  shape[dim] = offset;
  Value result = buildEmpty(b, loc, shape, getElementType(parts.front()));
  offset = 0;
  for (Value part : parts) {
    result = buildInsertLast(b, loc, part, result, offset, dim);
    offset += getShape(part)[dim];
  }
  return result;
}

Value rnn::stack(OpBuilder &b, Location loc, ValueRange values) {
  SmallVector<int64_t> shape{static_cast<int64_t>(values.size())};
  llvm::append_range(shape, getShape(values.front()));
  Value result = buildEmpty(b, loc, shape, getElementType(values.front()));
  for (auto [i, value] : llvm::enumerate(values))
    result = buildInsert(b, loc, value, result,
                         b.getIndexAttr(static_cast<int64_t>(i)));
  return result;
}

Value rnn::buildMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                       bool transposeLhs, bool transposeRhs) {
  if (transposeLhs)
    lhs = buildTranspose(b, loc, lhs, {1, 0});
  if (transposeRhs)
    rhs = buildTranspose(b, loc, rhs, {1, 0});
  Value init = buildFilled(b, loc, {getShape(lhs)[0], getShape(rhs)[1]},
                           b.getFloatAttr(getElementType(lhs), 0.0));
  return linalg::MatmulOp::create(b, loc, ValueRange{lhs, rhs}, init)
      .getResult(0);
}

Value rnn::flattenSteps(OpBuilder &b, Location loc, Value value) {
  ArrayRef<int64_t> shape = getShape(value);
  return buildReshape(b, loc, value, {shape[0] * shape[1], shape[2]});
}

Value rnn::buildZeros(OpBuilder &b, Location loc, ArrayRef<int64_t> shape) {
  return buildFilled(b, loc, shape, b.getF32FloatAttr(0.0f));
}

Value rnn::buildStateSlots(OpBuilder &b, Location loc, Value initial,
                           int64_t steps, bool backwards) {
  SmallVector<int64_t> shape{steps + 1};
  llvm::append_range(shape, getShape(initial));
  Value slots = buildEmpty(b, loc, shape, getElementType(initial));
  return buildInsert(b, loc, initial, slots,
                     b.getIndexAttr(backwards ? steps : 0));
}

Value rnn::getSlot(OpBuilder &b, Location loc, Value t, bool backwards,
                   bool after) {
  if (backwards == after)
    return t;
  return arith::AddIOp::create(b, loc, t,
                               arith::ConstantIndexOp::create(b, loc, 1));
}

Value rnn::getStepStates(OpBuilder &b, Location loc, Value slots,
                         bool backwards) {
  SmallVector<int64_t> shape(getShape(slots));
  shape[0] -= 1;
  SmallVector<OpFoldResult> offsets(shape.size(), b.getIndexAttr(0));
  offsets[0] = b.getIndexAttr(backwards ? 0 : 1);
  SmallVector<OpFoldResult> sizes =
      getAsIndexOpFoldResult(b.getContext(), shape);
  SmallVector<OpFoldResult> strides(shape.size(), b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, slots, offsets, sizes, strides);
}

Value rnn::getFinalState(OpBuilder &b, Location loc, Value slots,
                         bool backwards) {
  int64_t steps = getShape(slots)[0] - 1;
  return buildSlice(b, loc, slots, b.getIndexAttr(backwards ? 0 : steps));
}

Value rnn::buildPreviousStates(OpBuilder &b, Location loc, Value all,
                               Value initial) {
  ArrayRef<int64_t> shape = getShape(all);
  Value result = buildEmpty(b, loc, shape, getElementType(all));
  result = buildInsert(b, loc, initial, result, b.getIndexAttr(0));
  if (shape[0] == 1)
    return result;
  SmallVector<int64_t> head(shape);
  head[0] -= 1;
  SmallVector<OpFoldResult> zeros(shape.size(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> ones(shape.size(), b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes =
      getAsIndexOpFoldResult(b.getContext(), head);
  Value earlier =
      tensor::ExtractSliceOp::create(b, loc, all, zeros, sizes, ones);
  SmallVector<OpFoldResult> offsets(zeros);
  offsets[0] = b.getIndexAttr(1);
  return tensor::InsertSliceOp::create(b, loc, earlier, result, offsets, sizes,
                                       ones);
}

Value rnn::buildInputProjection(OpBuilder &b, Location loc, Value x, Value w,
                                Value bias) {
  ArrayRef<int64_t> shape = getShape(x);
  int64_t gates = getShape(w)[0];
  Value projected =
      buildMatmul(b, loc, flattenSteps(b, loc, x), w, false, true);
  if (bias)
    projected = buildBroadcastMap(
        b, loc, {projected, bias}, getShape(projected), getElementType(x),
        [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
          return add(nb, nl, args[0], args[1]);
        });
  return buildReshape(b, loc, projected, {shape[0], shape[1], gates});
}

SmallVector<Value> rnn::buildTimeLoop(OpBuilder &b, Location loc, int64_t steps,
                                      bool backwards, ValueRange inits,
                                      StepFn body) {
  Value lower = arith::ConstantIndexOp::create(b, loc, 0);
  Value upper = arith::ConstantIndexOp::create(b, loc, steps);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(
      b, loc, lower, upper, one, inits,
      [&](OpBuilder &nested, Location nestedLoc, Value i, ValueRange args) {
        Value t = i;
        if (backwards)
          t = arith::SubIOp::create(
              nested, nestedLoc,
              arith::ConstantIndexOp::create(nested, nestedLoc, steps - 1), i);
        scf::YieldOp::create(nested, nestedLoc,
                             body(nested, nestedLoc, t, args));
      });
  return SmallVector<Value>(loop.getResults());
}

SmallVector<Value> rnn::buildGateMath(OpBuilder &b, Location loc,
                                      ValueRange inputs, ValueRange dests,
                                      muon::GenericBodyFn body) {
  MLIRContext *context = b.getContext();
  unsigned rank = getShape(dests.front()).size();
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(
        getShape(input).size() == rank
            ? AffineMap::getMultiDimIdentityMap(rank, context)
            : AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, context)));
  maps.append(dests.size(), AffineMap::getMultiDimIdentityMap(rank, context));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, dests.getTypes(), inputs, dests, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        linalg::YieldOp::create(
            nested, nestedLoc,
            body(nested, nestedLoc, args.take_front(inputs.size())));
      });
  return SmallVector<Value>(generic.getResults());
}

SmallVector<Value> rnn::newStates(OpBuilder &b, Location loc,
                                  ArrayRef<int64_t> shape, unsigned count) {
  SmallVector<Value> states;
  for (unsigned i = 0; i < count; ++i)
    states.push_back(buildEmpty(b, loc, shape, b.getF32Type()));
  return states;
}

Value rnn::add(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  return arith::AddFOp::create(b, loc, lhs, rhs);
}

Value rnn::mul(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  return arith::MulFOp::create(b, loc, lhs, rhs);
}

Value rnn::buildSum(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  return buildBroadcastMap(
      b, loc, {lhs, rhs}, getShape(lhs), getElementType(lhs),
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return add(nb, nl, args[0], args[1]);
      });
}

Value rnn::tanh(OpBuilder &b, Location loc, Value x) {
  return math::TanhOp::create(b, loc, x);
}

WeightGradients rnn::buildWeightGradients(OpBuilder &b, Location loc, Value dA,
                                          Value x, Value w) {
  ArrayRef<int64_t> xShape = getShape(x);
  Value flatDA = flattenSteps(b, loc, dA);
  WeightGradients grads;
  grads.dX = buildReshape(b, loc, buildMatmul(b, loc, flatDA, w),
                          {xShape[0], xShape[1], xShape[2]});
  grads.dW = buildMatmul(b, loc, flatDA, flattenSteps(b, loc, x),
                         /*transposeLhs=*/true);
  grads.dBias =
      buildReduce(b, loc, flatDA, {0}, /*keepDims=*/false, ReduceKind::Sum);
  return grads;
}
