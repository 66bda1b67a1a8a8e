//===- Pad.cpp - ONNX Pad importer ----------------------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Pad (opsets 2 to 21) with constant, edge, reflect and wrap modes, and
// CenterCropPad (opset 18: zeros, centered; a crop where smaller). Negative
// pads crop; the mode then pads the cropped tensor (ONNX Runtime's order).
// ORT's training graphs take Pad's gradient as a Pad of dY by the negated
// pads, so cropping is what the backward pass runs.
//
//   constant  the value (default 0) outside the input: a fill and an insert
//   edge      the nearest element
//   reflect   mirrored without repeating the edge: x[-i] = x[i]
//   wrap      periodic: x[-i] = x[m - i]
//
// Reflect pads must be smaller than the (cropped) dimension and wrap pads no
// larger, and edge, reflect and wrap cannot pad an empty dimension: ORT's
// kernel reads outside the input there, so those are errors here.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace muon::onnx_import;

namespace {
enum class PadMode { Constant, Edge, Reflect, Wrap };

/// One dimension's pads, split into the crop (negative pads) and the padding
/// around the cropped extent.
struct PadDim {
  int64_t cropBegin = 0, cropped = 0, padBegin = 0, padEnd = 0;
  int64_t getResultSize() const { return padBegin + cropped + padEnd; }
};
} // namespace

static FailureOr<PadMode> getPadMode(NodeContext &ctx) {
  std::string mode = ctx.getStringAttr("mode").value_or("constant");
  if (mode == "constant")
    return PadMode::Constant;
  if (mode == "edge")
    return PadMode::Edge;
  if (mode == "reflect")
    return PadMode::Reflect;
  if (mode == "wrap" && ctx.opsetVersion >= 19)
    return PadMode::Wrap;
  return ctx.emitError() << "unsupported mode '" << mode << "' (opset "
                         << ctx.opsetVersion << ")";
}

/// The begin and end pads of every dimension: the `pads` attribute before
/// opset 11, then constant input 1 over all dimensions or, from opset 18,
/// over the dimensions constant input 3 (`axes`) names.
static FailureOr<SmallVector<std::pair<int64_t, int64_t>>>
getPads(NodeContext &ctx, int64_t rank) {
  SmallVector<int64_t> pads;
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  if (ctx.opsetVersion < 11) {
    std::optional<SmallVector<int64_t>> attr = ctx.getIntsAttr("pads");
    if (!attr)
      return ctx.emitError() << "expects attribute 'pads'";
    pads = *attr;
  } else {
    for (unsigned index : {1u, 3u}) {
      Value operand = ctx.getOperand(index);
      if (operand && cast<RankedTensorType>(operand.getType()).getRank() != 1)
        return ctx.emitError()
               << "expects " << (index == 1 ? "pads" : "axes")
               << " to be a 1-D tensor, got " << operand.getType();
    }
    FailureOr<SmallVector<int64_t>> given = getConstantIntOperand(ctx, 1);
    if (failed(given))
      return failure();
    pads = *given;
    if (ctx.opsetVersion >= 18 && ctx.getOperand(3)) {
      FailureOr<SmallVector<int64_t>> named = getConstantIntOperand(ctx, 3);
      if (failed(named))
        return failure();
      axes = *named;
    }
  }
  if (pads.size() != 2 * axes.size())
    return ctx.emitError() << "expects " << 2 * axes.size()
                           << " pads (begins, then ends), got " << pads.size();
  FailureOr<SmallVector<int64_t>> normalized =
      normalizeAxes(ctx, axes, rank, "axes", /*sort=*/false);
  if (failed(normalized))
    return failure();
  SmallVector<std::pair<int64_t, int64_t>> result(rank, {0, 0});
  for (auto [i, axis] : llvm::enumerate(*normalized))
    result[axis] = {pads[i], pads[i + axes.size()]};
  return result;
}

/// Splits each dimension's pads into crop and padding and checks that the
/// mode can fill the padding from what the crop leaves.
static FailureOr<SmallVector<PadDim>>
getPadDims(NodeContext &ctx, ArrayRef<int64_t> shape,
           ArrayRef<std::pair<int64_t, int64_t>> pads, PadMode mode) {
  SmallVector<PadDim> dims;
  for (auto [d, size] : llvm::enumerate(shape)) {
    auto [begin, end] = pads[d];
    // Pads beyond ±2^40 cannot describe a tensor that fits in memory; the
    // bound keeps the sums below from overflowing. (Not std::abs, which
    // overflows on INT64_MIN.)
    constexpr int64_t limit = int64_t(1) << 40;
    auto outOfRange = [](int64_t pad) { return pad < -limit || pad > limit; };
    if (outOfRange(begin) || outOfRange(end))
      return ctx.emitError() << "pads " << begin << ", " << end
                             << " of dimension " << d << " are out of range";
    PadDim dim{std::max<int64_t>(0, -begin),
               size - std::max<int64_t>(0, -begin) - std::max<int64_t>(0, -end),
               std::max<int64_t>(0, begin), std::max<int64_t>(0, end)};
    if (dim.cropped < 0)
      return ctx.emitError()
             << "pads " << begin << ", " << end << " crop more than dimension "
             << d << " (" << size << ")";
    int64_t padding = std::max(dim.padBegin, dim.padEnd);
    if (mode != PadMode::Constant && padding > 0 && dim.cropped == 0)
      return ctx.emitError() << "cannot pad the empty dimension " << d
                             << " but with a constant";
    if (mode == PadMode::Reflect && padding > 0 && padding >= dim.cropped)
      return ctx.emitError()
             << "reflect pads " << begin << ", " << end << " of dimension " << d
             << " must be smaller than its " << dim.cropped
             << " element(s) after cropping";
    if (mode == PadMode::Wrap && padding > dim.cropped)
      return ctx.emitError() << "wrap pads " << begin << ", " << end
                             << " of dimension " << d << " must be at most its "
                             << dim.cropped << " element(s) after cropping";
    dims.push_back(dim);
  }
  return dims;
}

/// A tensor of `shape` filled with the padding value: the `value` attribute
/// before opset 11, then input 2 (one element, broadcast in a kernel: it may
/// live in device memory) when present, else zero.
static FailureOr<Value> buildPadding(NodeContext &ctx, Type elementType,
                                     ArrayRef<int64_t> shape) {
  OpBuilder &b = ctx.builder;
  if (ctx.opsetVersion >= 11 && ctx.getOperand(2)) {
    FailureOr<RankedTensorType> type = getOperandType(ctx, 2);
    if (failed(type))
      return failure();
    if (type->getNumElements() != 1 || type->getElementType() != elementType)
      return ctx.emitError() << "expects constant_value to be one element of "
                             << elementType << ", got " << *type;
    Value scalar = buildReshape(b, ctx.loc, ctx.getOperand(2), {});
    return buildBroadcastMap(
        b, ctx.loc, scalar, shape, elementType,
        [](OpBuilder &, Location, ValueRange args) { return args[0]; });
  }
  double value =
      ctx.opsetVersion < 11 ? ctx.getFloatAttr("value").value_or(0.0f) : 0.0;
  Type signless = getSignlessType(elementType);
  TypedAttr attr =
      isa<FloatType>(elementType)
          ? TypedAttr(b.getFloatAttr(elementType, value))
          : TypedAttr(b.getIntegerAttr(signless, static_cast<int64_t>(value)));
  return buildTensorOfElementType(
      b, ctx.loc, buildFilled(b, ctx.loc, shape, attr), elementType);
}

/// The cropped coordinate `padded - padBegin` moved into [0, cropped) as the
/// edge, reflect or wrap mode reads it (the bounds checked in getPadDims
/// make one step enough).
static Value buildSourceIndex(OpBuilder &b, Location loc, Value padded,
                              const PadDim &dim, PadMode mode) {
  auto constant = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  Value i = arith::SubIOp::create(b, loc, padded, constant(dim.padBegin));
  if (mode == PadMode::Edge)
    return buildClampedIndex(b, loc, i, dim.cropped);
  assert(mode != PadMode::Constant && "constant padding inserts the input");
  Value low, high;
  if (mode == PadMode::Reflect) { // -i below, 2·last - i above
    low = arith::SubIOp::create(b, loc, constant(0), i);
    high = arith::SubIOp::create(b, loc, constant(2 * (dim.cropped - 1)), i);
  } else { // wrap: i + m below, i - m above
    low = arith::AddIOp::create(b, loc, i, constant(dim.cropped));
    high = arith::SubIOp::create(b, loc, i, constant(dim.cropped));
  }
  Value below =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, constant(0));
  Value above = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, i,
                                      constant(dim.cropped - 1));
  Value inside = arith::SelectOp::create(b, loc, above, high, i);
  return arith::SelectOp::create(b, loc, below, low, inside);
}

/// Input 0 (of `type`) cropped and padded by `pads` (begin, end per dim;
/// negative ones crop) in `mode`.
static ImportResult buildPadded(NodeContext &ctx, RankedTensorType type,
                                ArrayRef<std::pair<int64_t, int64_t>> pads,
                                PadMode mode) {
  FailureOr<SmallVector<PadDim>> dims =
      getPadDims(ctx, type.getShape(), pads, mode);
  if (failed(dims))
    return failure();
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Type elementType = type.getElementType();
  SmallVector<int64_t> resultShape, cropOffsets, croppedShape, insertOffsets;
  SmallVector<int64_t> ones(type.getRank(), 1);
  for (const PadDim &dim : *dims) {
    resultShape.push_back(dim.getResultSize());
    cropOffsets.push_back(dim.cropped ? dim.cropBegin : 0);
    croppedShape.push_back(dim.cropped);
    insertOffsets.push_back(dim.cropped ? dim.padBegin : 0);
  }
  Value x = ctx.getOperand(0);
  if (ArrayRef<int64_t>(croppedShape) != type.getShape())
    x = tensor::ExtractSliceOp::create(
        b, loc, x, getAsIndexOpFoldResult(b.getContext(), cropOffsets),
        getAsIndexOpFoldResult(b.getContext(), croppedShape),
        getAsIndexOpFoldResult(b.getContext(), ones));
  if (mode == PadMode::Constant) {
    FailureOr<Value> padding = buildPadding(ctx, elementType, resultShape);
    if (failed(padding))
      return failure();
    Value result = *padding;
    if (llvm::is_contained(croppedShape, 0))
      return SmallVector<Value>{result};
    return SmallVector<Value>{tensor::InsertSliceOp::create(
        b, loc, x, result,
        getAsIndexOpFoldResult(b.getContext(), insertOffsets),
        getAsIndexOpFoldResult(b.getContext(), croppedShape),
        getAsIndexOpFoldResult(b.getContext(), ones))};
  }
  // Edge, reflect and wrap read the cropped input at a computed position.
  return SmallVector<Value>{buildIndexedRead(
      b, loc, x, resultShape,
      [&](OpBuilder &nb, Location nl, int64_t d, Value position) {
        return buildSourceIndex(nb, nl, position, (*dims)[d], mode);
      })};
}

static ImportResult importPad(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(
      ctx, ctx.opsetVersion < 11 ? 1 : 2, ctx.opsetVersion < 11 ? 1 : 4);
  FailureOr<PadMode> mode = getPadMode(ctx);
  if (failed(type) || failed(mode))
    return failure();
  FailureOr<SmallVector<std::pair<int64_t, int64_t>>> pads =
      getPads(ctx, type->getRank());
  if (failed(pads))
    return failure();
  return buildPadded(ctx, *type, *pads, *mode);
}

/// CenterCropPad (opset 18): each of `axes` (default all) cropped or padded
/// with zeros to its size in the constant `shape`, centered; of an odd
/// difference, the extra element is cropped or padded at the end.
static ImportResult importCenterCropPad(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 2, 2);
  FailureOr<SmallVector<int64_t>> sizes = getConstantShapeOperand(ctx, 1);
  if (failed(type) || failed(sizes))
    return failure();
  int64_t rank = type->getRank();
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  if (std::optional<SmallVector<int64_t>> named = ctx.getIntsAttr("axes")) {
    FailureOr<SmallVector<int64_t>> normalized =
        normalizeAxes(ctx, *named, rank, "axes", /*sort=*/false);
    if (failed(normalized))
      return failure();
    axes = *normalized;
  }
  if (sizes->size() != axes.size())
    return ctx.emitError() << "expects one size per axis (" << axes.size()
                           << "), got " << sizes->size();
  SmallVector<std::pair<int64_t, int64_t>> pads(rank, {0, 0});
  for (auto [axis, size] : llvm::zip_equal(axes, *sizes)) {
    int64_t grow = size - type->getDimSize(axis);
    // Rounded down at the start: crop less, or pad less, before the data.
    int64_t begin = grow >= 0 ? grow / 2 : -((-grow) / 2);
    pads[axis] = {begin, grow - begin};
  }
  return buildPadded(ctx, *type, pads, PadMode::Constant);
}

void muon::onnx_import::populatePadImporters(OpImporterRegistry &registry) {
  registry.add("", "Pad", importPad, {/*since=*/2});
  registry.add("", "CenterCropPad", importCenterCropPad, {/*since=*/18});
  registry.acceptUnsigned("", {"Pad", "CenterCropPad"});
}
