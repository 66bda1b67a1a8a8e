//===- Slice.cpp - ONNX Slice and SliceGrad importers ---------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Slice is a strided extract_slice (a negative step reads the same elements
// from the last one, reversed); ORT's SliceGrad writes dY into zeros with the
// matching insert_slice. Shapes are static, so each axis's bounds are
// constants (clamped as ONNX specifies), or run-time values that differ by a
// constant: x[i:i+k] in a loop body reads k elements from a run-time offset.
// ONNX would clamp such an offset too, changing the shape, so the step
// asserts at run time that the range lies inside the dimension; the check
// and the read are generics that read the offset themselves, so the GPU
// pipeline runs them as kernels.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "LinearIndex.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "onnx/onnx_pb.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace mlir;
using namespace muon::onnx_import;

namespace {
/// The lowest index a slice selects per dimension (a constant, or a
/// run-time root plus a constant), its static sizes and positive strides,
/// and the dimensions a negative step then reads back to front.
struct SliceParams {
  SmallVector<LinearElement> offsets;
  SmallVector<int64_t> sizes, strides;
  SmallVector<bool> reversed;

  bool hasRuntimeOffset() const {
    return !llvm::all_of(offsets, [](const LinearElement &offset) {
      return offset.isConstant();
    });
  }
};
} // namespace

/// The elements of starts or ends (input `index`), each a constant or a
/// run-time root plus a constant.
static FailureOr<SmallVector<LinearElement>> getBoundElements(NodeContext &ctx,
                                                              unsigned index) {
  FailureOr<RankedTensorType> type = getOperandType(ctx, index);
  if (failed(type))
    return failure();
  if (type->getRank() > 1 || !isa<IntegerType>(type->getElementType()))
    return ctx.emitError() << "expects input #" << index
                           << " to be a scalar or a 1-D integer tensor, got "
                           << *type;
  return llvm::map_to_vector(
      llvm::seq<int64_t>(0, type->getNumElements()), [&](int64_t position) {
        return getLinearElement(ctx.getOperand(index), position);
      });
}

/// Constant axes or steps (input `index`), or `fallback` when omitted.
static FailureOr<SmallVector<int64_t>>
getOptionalConstants(NodeContext &ctx, unsigned index,
                     SmallVector<int64_t> fallback) {
  if (!ctx.getOperand(index))
    return fallback;
  return getConstantIntOperand(ctx, index);
}

/// A constant range [start, end) with `step` over a dimension of `dim > 0`:
/// clamped as ONNX specifies (a negative index counts from the end; forward
/// steps clamp both bounds to [0, dim], backward ones the start to
/// [0, dim - 1] and the end to [-1, dim - 1]); an empty range (x[:, 6:6])
/// gives size 0.
static void setConstantRange(SliceParams &params, int64_t axis, int64_t dim,
                             int64_t start, int64_t end, int64_t step) {
  auto clamp = [&](int64_t index, int64_t low, int64_t high) {
    if (index < 0)
      index = index < -dim ? -1 : index + dim;
    return std::clamp<int64_t>(index, low, high);
  };
  bool forward = step > 0;
  start = clamp(start, 0, forward ? dim : dim - 1);
  end = clamp(end, forward ? 0 : -1, forward ? dim : dim - 1);
  // |INT64_MIN| does not fit; any stride past the dimension selects one.
  int64_t stride = forward ? step : -std::max(step, -dim - 1);
  int64_t distance = forward ? end - start : start - end;
  int64_t size = distance <= 0 ? 0 : (distance - 1) / stride + 1;
  // The lowest selected index; an empty slice starts anywhere, 0 keeps it in
  // bounds (start may be the dimension itself).
  int64_t first = forward ? start : start - (size - 1) * stride;
  params.offsets[axis].offset = size == 0 ? 0 : first;
  params.sizes[axis] = size;
  params.strides[axis] = stride;
}

/// A run-time range [start, start + distance) with `step`: its size is
/// static, and the step asserts that the range lies inside the dimension,
/// where ONNX's clamping would leave it (and the shape) as is.
static LogicalResult setRuntimeRange(NodeContext &ctx, SliceParams &params,
                                     int64_t axis, int64_t dim,
                                     const LinearElement &start,
                                     int64_t distance, int64_t step,
                                     unsigned startsIndex, int64_t element) {
  bool forward = step > 0;
  // Steps past the dimension select one element as one of dim + 1 does.
  int64_t stride =
      std::min(forward ? step : -std::max(step, -dim - 1), dim + 1);
  // A distance of -2^63 selects no element backwards either (its negation
  // would not fit).
  int64_t reach = forward ? distance : -std::max(distance, -INT64_MAX);
  if (reach <= 0)
    return ctx.emitError() << "starts[" << element << "] and ends[" << element
                           << "] are known only at run time and select no "
                              "element (ends - starts = "
                           << distance << " with step " << step
                           << "); a run-time slice must not be empty";
  int64_t size = (reach - 1) / stride + 1;
  if (size > dim)
    return ctx.emitError() << "starts[" << element << "] and ends[" << element
                           << "] are known only at run time and select " << size
                           << " elements of a dimension of " << dim;
  // The starts that keep every selected index in [0, dim) and, going back,
  // the end at or above 0 (-1 would count from the end): forward
  // [0, dim - span + 1), backward [reach, dim).
  int64_t span = (size - 1) * stride + 1;
  int64_t low = forward ? 0 : reach, high = forward ? dim - span + 1 : dim;
  if (low >= high)
    return ctx.emitError() << "starts[" << element << "] and ends[" << element
                           << "] are known only at run time and select " << size
                           << " elements with step " << step
                           << ", which no start fits in a dimension of " << dim;
  // Checked by a 0-d generic: a kernel on the GPU pipeline, which may read
  // the start from device memory.
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Value inside =
      muon::buildScalarGeneric(
          b, loc, {},
          [&](OpBuilder &nb, Location nl, ValueRange) {
            Value value = buildLinearElement(nb, nl, start);
            auto compare = [&](arith::CmpIPredicate predicate, int64_t bound) {
              return arith::CmpIOp::create(
                  nb, nl, predicate, value,
                  arith::ConstantIndexOp::create(nb, nl, bound));
            };
            return SmallVector<Value>{arith::AndIOp::create(
                nb, nl, compare(arith::CmpIPredicate::sge, low),
                compare(arith::CmpIPredicate::slt, high))};
          })
          .front();
  cf::AssertOp::create(
      b, loc, tensor::ExtractOp::create(b, loc, inside),
      ctx.node.op_type() + " '" + ctx.getName().str() + "': element " +
          std::to_string(element) + " of input '" +
          ctx.node.input(startsIndex) + "' is outside [" + std::to_string(low) +
          ", " + std::to_string(high) + "), where the slice keeps its " +
          std::to_string(size) + " elements of axis " + std::to_string(axis));
  // Backwards, the lowest selected index is start - (size - 1) * stride.
  params.offsets[axis] = start;
  if (!forward && llvm::SubOverflow(start.offset, (size - 1) * stride,
                                    params.offsets[axis].offset))
    return ctx.emitError() << "starts[" << element
                           << "]'s constant part overflows 64 bits";
  params.sizes[axis] = size;
  params.strides[axis] = stride;
  return success();
}

/// The slice of a tensor of `shape` that Slice's inputs starts, ends and the
/// optional axes and steps (node inputs `first` to `first + 3`) select.
static FailureOr<SliceParams>
getSliceParams(NodeContext &ctx, ArrayRef<int64_t> shape, unsigned first) {
  FailureOr<SmallVector<LinearElement>> starts = getBoundElements(ctx, first);
  FailureOr<SmallVector<LinearElement>> ends = getBoundElements(ctx, first + 1);
  if (failed(starts) || failed(ends))
    return failure();
  int64_t rank = shape.size(), count = starts->size();
  SmallVector<int64_t> defaultAxes =
      llvm::to_vector(llvm::seq<int64_t>(0, rank));
  defaultAxes.resize(count);
  FailureOr<SmallVector<int64_t>> axes =
      getOptionalConstants(ctx, first + 2, defaultAxes);
  FailureOr<SmallVector<int64_t>> steps =
      getOptionalConstants(ctx, first + 3, SmallVector<int64_t>(count, 1));
  if (failed(axes) || failed(steps))
    return failure();
  if (static_cast<int64_t>(ends->size()) != count ||
      static_cast<int64_t>(axes->size()) != count ||
      static_cast<int64_t>(steps->size()) != count)
    return ctx.emitError() << "expects starts, ends, axes and steps of one "
                              "length";
  SliceParams params{SmallVector<LinearElement>(rank),
                     SmallVector<int64_t>(shape), SmallVector<int64_t>(rank, 1),
                     SmallVector<bool>(rank, false)};
  FailureOr<SmallVector<int64_t>> normalized =
      normalizeAxes(ctx, *axes, rank, "axes", /*sort=*/false);
  if (failed(normalized))
    return failure();
  for (auto [i, axis] : llvm::enumerate(*normalized)) {
    int64_t step = (*steps)[i];
    if (step == 0)
      return ctx.emitError() << "steps must not be 0";
    int64_t dim = shape[axis];
    params.reversed[axis] = step < 0;
    if (dim == 0) // Nothing to select (and no index to clamp to).
      continue;
    const LinearElement &start = (*starts)[i], &end = (*ends)[i];
    if (start.isConstant() && end.isConstant()) {
      setConstantRange(params, axis, dim, start.offset, end.offset, step);
      continue;
    }
    if (!start.hasSameRoot(end))
      return ctx.emitError()
             << "starts[" << i << "] and ends[" << i
             << "] are not both constants and do not differ by a constant "
                "(as x[i:i+k] does), so the slice's shape is unknown at "
                "import";
    int64_t distance;
    if (llvm::SubOverflow(end.offset, start.offset, distance))
      return ctx.emitError()
             << "ends[" << i << "] - starts[" << i << "] overflows 64 bits";
    if (failed(setRuntimeRange(ctx, params, axis, dim, start, distance, step,
                               first, i)))
      return failure();
  }
  return params;
}

/// `value` with the dimensions where `reversed` is set read back to front.
static Value buildReverse(OpBuilder &b, Location loc, Value value,
                          ArrayRef<bool> reversed) {
  if (!llvm::is_contained(reversed, true))
    return value;
  ArrayRef<int64_t> shape = cast<RankedTensorType>(value.getType()).getShape();
  return buildIndexedRead(
      b, loc, value, shape,
      [&](OpBuilder &nb, Location nl, int64_t d, Value position) -> Value {
        if (!reversed[d])
          return position;
        return arith::SubIOp::create(
            nb, nl, arith::ConstantIndexOp::create(nb, nl, shape[d] - 1),
            position);
      });
}

static SmallVector<OpFoldResult> getIndexAttrs(OpBuilder &b,
                                               ArrayRef<int64_t> values) {
  return llvm::map_to_vector(
      values, [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); });
}

/// The offsets as host values, constants as attributes.
static SmallVector<OpFoldResult> buildOffsets(OpBuilder &b, Location loc,
                                              const SliceParams &params) {
  return llvm::map_to_vector(params.offsets,
                             [&](const LinearElement &offset) -> OpFoldResult {
                               if (offset.isConstant())
                                 return b.getIndexAttr(offset.offset);
                               return buildLinearElement(b, loc, offset);
                             });
}

/// The slice of `source`, reversed where `params` says: a view
/// (extract_slice) at constant offsets, else one generic reading each
/// element, which reads the run-time offsets itself: they are elements of
/// tensors (device memory on the GPU pipeline, where the kernel reads them;
/// a Loop's iteration number becomes its argument).
static Value buildSlice(OpBuilder &b, Location loc, Value source,
                        const SliceParams &params) {
  if (!params.hasRuntimeOffset())
    return buildReverse(b, loc,
                        tensor::ExtractSliceOp::create(
                            b, loc, source, buildOffsets(b, loc, params),
                            getIndexAttrs(b, params.sizes),
                            getIndexAttrs(b, params.strides)),
                        params.reversed);
  return buildIndexedRead(
      b, loc, source, params.sizes,
      [&](OpBuilder &nb, Location nl, int64_t d, Value position) -> Value {
        if (params.reversed[d])
          position = arith::SubIOp::create(
              nb, nl,
              arith::ConstantIndexOp::create(nb, nl, params.sizes[d] - 1),
              position);
        Value first = buildLinearElement(nb, nl, params.offsets[d]);
        Value step = arith::MulIOp::create(
            nb, nl, position,
            arith::ConstantIndexOp::create(nb, nl, params.strides[d]));
        return arith::AddIOp::create(nb, nl, first, step);
      });
}

/// Slice (opset >= 10): starts and ends as inputs, constant axes and steps.
static ImportResult importSlice(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 3, 5);
  if (failed(type))
    return failure();
  FailureOr<SliceParams> params = getSliceParams(ctx, type->getShape(), 1);
  if (failed(params))
    return failure();
  OpBuilder &b = ctx.builder;
  // Nothing to read (a slice of a zero-size dimension would not verify).
  if (llvm::is_contained(params->sizes, 0))
    return SmallVector<Value>{
        buildEmpty(b, ctx.loc, params->sizes, type->getElementType())};
  return SmallVector<Value>{buildSlice(b, ctx.loc, ctx.getOperand(0), *params)};
}

/// com.microsoft SliceGrad(dY, shape, starts, ends[, axes, steps]): zeros of
/// the sliced input's `shape` with dY written where Slice read (strided
/// slices such as x[..., ::2] included).
static ImportResult importSliceGrad(NodeContext &ctx) {
  FailureOr<RankedTensorType> dyType = getFirstOperandType(ctx, 4, 6);
  FailureOr<SmallVector<int64_t>> shape = getConstantShapeOperand(ctx, 1);
  if (failed(dyType) || failed(shape))
    return failure();
  FailureOr<SliceParams> params = getSliceParams(ctx, *shape, 2);
  if (failed(params))
    return failure();
  if (dyType->getShape() != ArrayRef<int64_t>(params->sizes))
    return ctx.emitError() << "expects dY of the slice's shape ["
                           << llvm::make_range(params->sizes.begin(),
                                               params->sizes.end())
                           << "], got " << *dyType;
  OpBuilder &b = ctx.builder;
  Type elementType = dyType->getElementType();
  if (!isa<FloatType>(elementType))
    return ctx.emitError() << "expects a float dY, got " << elementType;
  Value zeros =
      buildFilled(b, ctx.loc, *shape, b.getFloatAttr(elementType, 0.0));
  if (llvm::is_contained(params->sizes, 0))
    return SmallVector<Value>{zeros};
  Value dy = buildReverse(b, ctx.loc, ctx.getOperand(0), params->reversed);
  return SmallVector<Value>{tensor::InsertSliceOp::create(
      b, ctx.loc, dy, zeros, buildOffsets(b, ctx.loc, *params),
      getIndexAttrs(b, params->sizes), getIndexAttrs(b, params->strides))};
}

void muon::onnx_import::populateSliceImporters(OpImporterRegistry &registry) {
  // Slice-10 took starts and ends as inputs (attributes before).
  registry.add("", "Slice", importSlice, {/*since=*/10});
  registry.add("com.microsoft", "SliceGrad", importSliceGrad);
  // Data movement: any element type (the index inputs are signed).
  registry.acceptUnsigned("", {"Slice"});
  registry.acceptMinifloats("", {"Slice"});
}
