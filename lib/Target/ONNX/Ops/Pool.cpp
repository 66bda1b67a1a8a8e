//===- Pool.cpp - ONNX pooling importers and their gradients --------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Max and average pooling over X [N, C, D...] and the gradients ORT's
// training graphs take them with (ai.onnx MaxPoolGrad and AveragePoolGrad,
// ORT's own definitions), as generics over the output positions with the
// kernel's taps as reduction loops:
//
//   MaxPool          Y[o] = max of the window's unpadded taps, from the
//                    lowest finite value with NaN never larger (ORT's
//                    kernel); Indices[o] = the first maximum's flat offset
//                    in X (over N·C·D...; storage_order 1 numbers D...
//                    column-major), or the first tap's in a window of
//                    NaN or -inf
//   MaxPoolGrad      dX = zeros with dY scatter-added at Indices
//   AveragePool      Y[o] = sum / count, count the kernel's size
//                    (count_include_pad) or the window's unpadded taps
//   AveragePoolGrad  dX[x] = sum over the windows covering x of dY[o]/count(o)
//   LpPool           Y[o] = (sum of |x|^p over the unpadded taps)^(1/p)
//   GlobalAveragePool  the mean over the spatial dims
//   GlobalMaxPool      the maximum over the spatial dims
//
// ceil_mode 1 rounds the output size up as ORT does, adding a last window
// that reaches past X and the end pads: its taps there are excluded like
// padding's, and count_include_pad still divides by the kernel's size (ORT's
// kernels; torch clips that window to X and the pads first). ORT keeps a
// last window that starts past X, which is rejected. Pads must be smaller
// than the kernel (as ORT requires). MaxPoolGrad reports Indices outside X.
// The gradients' dX shape is the one the graph declares for their output
// (shape inference writes it; ORT's kernels read it too).
//
//===----------------------------------------------------------------------===//

#include "ConvGeometry.h"
#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"

#include <limits>

using namespace mlir;
using namespace muon::onnx_import;

/// X's sizes and the attributes of a pooling node (kernel_shape required);
/// X holds floats, or integers where `allowIntegers` (MaxPool).
static FailureOr<ConvGeometry> getPoolGeometry(NodeContext &ctx,
                                               RankedTensorType x,
                                               bool allowIntegers = false) {
  Type elementType = x.getElementType();
  bool isNumber =
      isa<FloatType>(elementType) ||
      (allowIntegers && elementType.isInteger() && !elementType.isInteger(1));
  if (x.getRank() < 3 || !isNumber)
    return ctx.emitError() << "expects a " << (allowIntegers ? "" : "float ")
                           << "X [N, C, D...], got " << x;
  int64_t ceilMode = ctx.getIntAttr("ceil_mode").value_or(0);
  if (ceilMode != 0 && ceilMode != 1)
    return emitUnsupportedAttr(ctx, "ceil_mode")
           << ": " << ceilMode << " (expects 0 or 1)";
  int64_t storageOrder = ctx.getIntAttr("storage_order").value_or(0);
  if (storageOrder != 0 && storageOrder != 1)
    return emitUnsupportedAttr(ctx, "storage_order")
           << ": " << storageOrder << " (expects 0 or 1)";
  ConvGeometry geometry;
  geometry.batch = x.getDimSize(0);
  geometry.channels = geometry.outChannels = x.getDimSize(1);
  geometry.input.assign(x.getShape().drop_front(2).begin(), x.getShape().end());
  std::optional<SmallVector<int64_t>> kernel = ctx.getIntsAttr("kernel_shape");
  // A kernel larger than any dimension (2^31) has no window; the bound
  // keeps its dilated extent within int64.
  if (!kernel || kernel->size() != geometry.input.size() ||
      llvm::any_of(*kernel, [](int64_t k) { return k < 1 || k > (1ll << 31); }))
    return ctx.emitError() << "expects kernel_shape with "
                           << geometry.input.size() << " values in [1, 2^31]";
  geometry.kernel = *kernel;
  // As ORT requires: a window made of padding alone has no value.
  if (std::optional<SmallVector<int64_t>> pads = ctx.getIntsAttr("pads"))
    for (auto [i, pad] : llvm::enumerate(*pads))
      if (pad >= geometry.kernel[i % geometry.kernel.size()])
        return emitUnsupportedAttr(ctx, "pads")
               << ": " << pad << " is not smaller than the kernel ("
               << geometry.kernel[i % geometry.kernel.size()] << ")";
  int64_t includePad = ctx.getIntAttr("count_include_pad").value_or(0);
  if (includePad != 0 && includePad != 1)
    return emitUnsupportedAttr(ctx, "count_include_pad")
           << ": " << includePad << " (expects 0 or 1)";
  if (failed(fillSpatialGeometry(ctx, geometry, ceilMode != 0)))
    return failure();
  // Each output visits every tap of its window: bound the total (2^40, far
  // beyond any real pooling, is minutes of work) rather than run for years.
  constexpr int64_t kMaxTaps = int64_t(1) << 40;
  int64_t taps = 1;
  SmallVector<int64_t> factors{geometry.batch, geometry.channels};
  for (int64_t i = 0; i < geometry.getRank(); ++i)
    llvm::append_values(factors, geometry.output[i], geometry.kernel[i]);
  for (int64_t factor : factors)
    if (llvm::MulOverflow(taps, factor, taps) || taps > kMaxTaps)
      return ctx.emitError()
             << "pooling " << x << " with kernel_shape ["
             << llvm::make_range(geometry.kernel.begin(), geometry.kernel.end())
             << "] visits more than 2^40 taps";
  return geometry;
}

static SmallVector<int64_t> getPooledShape(const ConvGeometry &geometry) {
  SmallVector<int64_t> shape{geometry.batch, geometry.channels};
  llvm::append_range(shape, geometry.output);
  return shape;
}

namespace {
/// The generic of a pooling: loops over the result's dims [N, C, out...]
/// then the kernel's taps (reductions), reading `inputs` through maps onto
/// the result's dims.
struct PoolLoops {
  const ConvGeometry &geometry;

  int64_t getNumResultDims() const { return 2 + geometry.getRank(); }
  int64_t getNumLoops() const {
    return getNumResultDims() + geometry.getRank();
  }

  /// The input coordinates (one per spatial dim, unclamped) of the tap the
  /// loops are at, and whether it lies inside X.
  std::pair<SmallVector<Value>, Value> getTap(OpBuilder &b,
                                              Location loc) const {
    SmallVector<Value> coords;
    Value inside;
    int64_t rank = geometry.getRank();
    for (int64_t i = 0; i < rank; ++i) {
      Value out = linalg::IndexOp::create(b, loc, 2 + i);
      Value tap = linalg::IndexOp::create(b, loc, 2 + rank + i);
      auto constant = [&](int64_t v) {
        return arith::ConstantIndexOp::create(b, loc, v).getResult();
      };
      Value coord = arith::SubIOp::create(
          b, loc,
          arith::AddIOp::create(
              b, loc,
              arith::MulIOp::create(b, loc, out, constant(geometry.strides[i])),
              arith::MulIOp::create(b, loc, tap,
                                    constant(geometry.dilations[i]))),
          constant(geometry.padBegin[i]));
      Value valid = arith::AndIOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, coord,
                                constant(0)),
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, coord,
                                constant(geometry.input[i])));
      inside = inside ? arith::AndIOp::create(b, loc, inside, valid) : valid;
      coords.push_back(coord);
    }
    return {coords, inside};
  }

  /// X's element at the tap (clamped coordinates: read only where inside).
  Value readTap(OpBuilder &b, Location loc, Value x,
                ArrayRef<Value> coords) const {
    SmallVector<Value> indices{linalg::IndexOp::create(b, loc, 0),
                               linalg::IndexOp::create(b, loc, 1)};
    for (auto [coord, size] : llvm::zip(coords, geometry.input))
      indices.push_back(buildClampedIndex(b, loc, coord, size));
    return tensor::ExtractOp::create(b, loc, x, indices);
  }

  /// A generic whose body folds each tap into the accumulator, over a
  /// result filled with `initial` of the pooled shape (or of `shape`, X's:
  /// a gradient's loops); `inputs` are read at the result's position.
  Value build(OpBuilder &b, Location loc, Type elementType, TypedAttr initial,
              ValueRange inputs,
              function_ref<Value(OpBuilder &, Location, ValueRange inputs,
                                 Value accumulator)>
                  body,
              ArrayRef<int64_t> shape = {}) const {
    MLIRContext *context = b.getContext();
    int64_t numResultDims = getNumResultDims(), numLoops = getNumLoops();
    SmallVector<AffineExpr> resultExprs, tapExprs;
    for (int64_t i = 0; i < numLoops; ++i)
      (i < numResultDims ? resultExprs : tapExprs)
          .push_back(getAffineDimExpr(i, context));
    AffineMap resultMap = AffineMap::get(numLoops, 0, resultExprs, context);
    // The taps' extents come from an operand indexed by them.
    SmallVector<Value> operands{
        buildEmpty(b, loc, geometry.kernel, elementType)};
    SmallVector<AffineMap> maps{AffineMap::get(numLoops, 0, tapExprs, context)};
    for (Value input : inputs) {
      operands.push_back(input);
      maps.push_back(resultMap);
    }
    maps.push_back(resultMap);
    SmallVector<utils::IteratorType> iterators(numLoops,
                                               utils::IteratorType::parallel);
    for (int64_t i = numResultDims; i < numLoops; ++i)
      iterators[i] = utils::IteratorType::reduction;
    Value init = buildFilled(
        b, loc, shape.empty() ? getPooledShape(geometry) : shape, initial);
    auto generic = linalg::GenericOp::create(
        b, loc, init.getType(), operands, init, maps, iterators,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value value =
              body(nb, nl, args.drop_front().drop_back(), args.back());
          linalg::YieldOp::create(nb, nl, value);
        });
    return generic.getResult(0);
  }
};
} // namespace

/// A pooling's X and its geometry.
static FailureOr<std::pair<RankedTensorType, ConvGeometry>>
getPoolInput(NodeContext &ctx, bool allowIntegers = false) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  if (failed(type))
    return failure();
  FailureOr<ConvGeometry> geometry = getPoolGeometry(ctx, *type, allowIntegers);
  if (failed(geometry))
    return failure();
  return std::make_pair(*type, *geometry);
}

/// The row-major flat offset `offset` in X of `shape` [N, C, D...] with its
/// spatial part renumbered column-major (the first spatial dim fastest), as
/// ORT's MaxPool writes Indices for storage_order 1.
static Value buildColumnMajorOffset(OpBuilder &b, Location loc, Value offset,
                                    ArrayRef<int64_t> shape) {
  Type i64 = b.getI64Type();
  auto constant = [&](int64_t value) -> Value {
    return arith::ConstantIntOp::create(b, loc, i64, value);
  };
  ArrayRef<int64_t> spatial = shape.drop_front(2);
  int64_t planeSize = ShapedType::getNumElements(spatial);
  Value plane = arith::DivSIOp::create(b, loc, offset, constant(planeSize));
  Value rest = arith::RemSIOp::create(b, loc, offset, constant(planeSize));
  SmallVector<Value> coords(spatial.size());
  for (int64_t i = spatial.size() - 1; i >= 0; --i) {
    coords[i] = arith::RemSIOp::create(b, loc, rest, constant(spatial[i]));
    rest = arith::DivSIOp::create(b, loc, rest, constant(spatial[i]));
  }
  Value result = arith::MulIOp::create(b, loc, plane, constant(planeSize));
  Value column = constant(0);
  for (int64_t i = spatial.size() - 1; i >= 0; --i)
    column = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, column, constant(spatial[i])),
        coords[i]);
  return arith::AddIOp::create(b, loc, result, column);
}

/// MaxPool on floats or (opset 12) integers, signed or unsigned.
static ImportResult importMaxPool(NodeContext &ctx) {
  FailureOr<std::pair<RankedTensorType, ConvGeometry>> input =
      getPoolInput(ctx, /*allowIntegers=*/true);
  if (failed(input))
    return failure();
  RankedTensorType type = input->first;
  OpBuilder &b = ctx.builder;
  Value x = buildSignlessTensor(b, ctx.loc, ctx.getOperand(0));
  Type elementType = getSignlessType(type.getElementType());
  auto floatType = dyn_cast<FloatType>(elementType);
  bool isUnsigned = type.getElementType().isUnsignedInteger();
  PoolLoops loops{input->second};
  // As ORT's kernel: from the lowest finite value, a tap counts when it is
  // larger (so NaN never does, and a window of -inf gives the lowest).
  unsigned width = elementType.getIntOrFloatBitWidth();
  TypedAttr lowest =
      floatType
          ? TypedAttr(b.getFloatAttr(
                floatType,
                APFloat::getLargest(floatType.getFloatSemantics(), true)))
          : TypedAttr(b.getIntegerAttr(
                elementType, isUnsigned ? APInt::getMinValue(width)
                                        : APInt::getSignedMinValue(width)));
  auto equals = [&](OpBuilder &nb, Location loc, Value lhs, Value rhs) {
    return floatType ? arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OEQ,
                                             lhs, rhs)
                           .getResult()
                     : arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::eq,
                                             lhs, rhs)
                           .getResult();
  };
  Value y = loops.build(
      b, ctx.loc, elementType, lowest, {},
      [&](OpBuilder &nb, Location loc, ValueRange, Value accumulator) {
        auto [coords, inside] = loops.getTap(nb, loc);
        Value value = loops.readTap(nb, loc, x, coords);
        Value greater =
            floatType
                ? arith::CmpFOp::create(nb, loc, arith::CmpFPredicate::OGT,
                                        value, accumulator)
                      .getResult()
                : arith::CmpIOp::create(nb, loc,
                                        isUnsigned ? arith::CmpIPredicate::ugt
                                                   : arith::CmpIPredicate::sgt,
                                        value, accumulator)
                      .getResult();
        Value larger = arith::AndIOp::create(nb, loc, inside, greater);
        return arith::SelectOp::create(nb, loc, larger, value, accumulator)
            .getResult();
      });
  SmallVector<Value> results{
      buildTensorOfElementType(b, ctx.loc, y, type.getElementType())};
  bool columnMajor = ctx.getIntAttr("storage_order").value_or(0) == 1;
  if (hasResult(ctx, 1)) {
    // The first maximum in the taps' order, which is also the smallest
    // flat offset: the smallest offset of an unpadded tap equal to Y, or
    // when none is (a window of NaN or -inf), of the first unpadded tap:
    // the smallest key offset + (equal ? 0 : size of X).
    Type i64 = b.getI64Type();
    TypedAttr none = b.getI64IntegerAttr(std::numeric_limits<int64_t>::max());
    SmallVector<int64_t> shape(type.getShape());
    int64_t total = type.getNumElements();
    Value indices = loops.build(
        b, ctx.loc, i64, none, y,
        [&](OpBuilder &nb, Location loc, ValueRange inputs, Value accumulator) {
          auto [coords, inside] = loops.getTap(nb, loc);
          Value value = loops.readTap(nb, loc, x, coords);
          Value isMax = equals(nb, loc, value, inputs[0]);
          SmallVector<Value> position{linalg::IndexOp::create(nb, loc, 0),
                                      linalg::IndexOp::create(nb, loc, 1)};
          llvm::append_range(position, coords);
          Value linear = position.front();
          for (auto [coord, size] : llvm::zip(ArrayRef(position).drop_front(),
                                              ArrayRef(shape).drop_front()))
            linear = arith::AddIOp::create(
                nb, loc,
                arith::MulIOp::create(
                    nb, loc, linear,
                    arith::ConstantIndexOp::create(nb, loc, size)),
                coord);
          Value offset = arith::IndexCastOp::create(nb, loc, i64, linear);
          Value key = arith::SelectOp::create(
              nb, loc, isMax, offset,
              arith::AddIOp::create(
                  nb, loc, offset,
                  arith::ConstantIntOp::create(nb, loc, i64, total)));
          Value candidate =
              arith::SelectOp::create(nb, loc, inside, key, accumulator);
          return arith::MinSIOp::create(nb, loc, accumulator, candidate)
              .getResult();
        });
    indices = buildBroadcastMap(
        b, ctx.loc, indices,
        cast<RankedTensorType>(indices.getType()).getShape(), i64,
        [&](OpBuilder &nb, Location loc, ValueRange args) -> Value {
          Value size = arith::ConstantIntOp::create(nb, loc, i64, total);
          Value fallback = arith::CmpIOp::create(
              nb, loc, arith::CmpIPredicate::sge, args[0], size);
          Value offset = arith::SelectOp::create(
              nb, loc, fallback, arith::SubIOp::create(nb, loc, args[0], size),
              args[0]);
          return columnMajor ? buildColumnMajorOffset(nb, loc, offset, shape)
                             : offset;
        });
    results.push_back(indices);
  }
  results.resize(ctx.getNumResults());
  return results;
}

/// Each output position's divisor: the kernel's size (count_include_pad)
/// or the number of its unpadded taps.
static Value buildPoolCounts(OpBuilder &b, Location loc, const PoolLoops &loops,
                             FloatType elementType, bool includePad) {
  return loops.build(
      b, loc, elementType, b.getFloatAttr(elementType, 0.0), {},
      [&](OpBuilder &nb, Location nl, ValueRange, Value accumulator) {
        auto [coords, inside] = loops.getTap(nb, nl);
        Value one = buildScalar(nb, nl, elementType, 1.0);
        Value counted =
            includePad
                ? one
                : arith::SelectOp::create(nb, nl, inside, one,
                                          buildScalar(nb, nl, elementType, 0.0))
                      .getResult();
        return arith::AddFOp::create(nb, nl, accumulator, counted).getResult();
      });
}

static Value buildDivide(OpBuilder &b, Location loc, Value numerator,
                         Value denominator) {
  auto type = cast<RankedTensorType>(numerator.getType());
  return buildBroadcastMap(
      b, loc, {numerator, denominator}, type.getShape(), type.getElementType(),
      [](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        return arith::DivFOp::create(nb, nl, args[0], args[1]);
      });
}

static ImportResult importAveragePool(NodeContext &ctx) {
  FailureOr<std::pair<RankedTensorType, ConvGeometry>> input =
      getPoolInput(ctx);
  if (failed(input))
    return failure();
  RankedTensorType type = input->first;
  OpBuilder &b = ctx.builder;
  Value x = ctx.getOperand(0);
  auto elementType = cast<FloatType>(type.getElementType());
  PoolLoops loops{input->second};
  Value sum = loops.build(
      b, ctx.loc, elementType, b.getFloatAttr(elementType, 0.0), {},
      [&](OpBuilder &nb, Location loc, ValueRange, Value accumulator) {
        auto [coords, inside] = loops.getTap(nb, loc);
        Value value = arith::SelectOp::create(
            nb, loc, inside, loops.readTap(nb, loc, x, coords),
            buildScalar(nb, loc, elementType, 0.0));
        return arith::AddFOp::create(nb, loc, accumulator, value).getResult();
      });
  bool includePad = ctx.getIntAttr("count_include_pad").value_or(0) != 0;
  Value counts = buildPoolCounts(b, ctx.loc, loops, elementType, includePad);
  return SmallVector<Value>{buildDivide(b, ctx.loc, sum, counts)};
}

/// LpPool: (Σ |x|^p)^(1/p) over each window's unpadded taps (p, an integer
/// attribute, default 2), as math.powf computes it.
static ImportResult importLpPool(NodeContext &ctx) {
  FailureOr<std::pair<RankedTensorType, ConvGeometry>> input =
      getPoolInput(ctx);
  if (failed(input))
    return failure();
  int64_t p = ctx.getIntAttr("p").value_or(2);
  if (p < 1)
    return emitUnsupportedAttr(ctx, "p") << ": " << p << " (expects p >= 1)";
  OpBuilder &b = ctx.builder;
  Value x = ctx.getOperand(0);
  auto elementType = cast<FloatType>(input->first.getElementType());
  PoolLoops loops{input->second};
  Value sum = loops.build(
      b, ctx.loc, elementType, b.getFloatAttr(elementType, 0.0), {},
      [&](OpBuilder &nb, Location loc, ValueRange, Value accumulator) {
        auto [coords, inside] = loops.getTap(nb, loc);
        Value magnitude =
            math::AbsFOp::create(nb, loc, loops.readTap(nb, loc, x, coords));
        Value power = math::PowFOp::create(
            nb, loc, magnitude, buildScalar(nb, loc, elementType, p));
        Value term = arith::SelectOp::create(
            nb, loc, inside, power, buildScalar(nb, loc, elementType, 0.0));
        return arith::AddFOp::create(nb, loc, accumulator, term).getResult();
      });
  auto sumType = cast<RankedTensorType>(sum.getType());
  return SmallVector<Value>{buildBroadcastMap(
      b, ctx.loc, sum, sumType.getShape(), elementType,
      [&](OpBuilder &nb, Location loc, ValueRange args) -> Value {
        return math::PowFOp::create(nb, loc, args[0],
                                    buildScalar(nb, loc, elementType, 1.0 / p));
      })};
}

/// GlobalAveragePool (`max` false): the mean over the spatial dims, kept as
/// 1s (torch's AdaptiveAvgPool2d(1); ORT differentiates it with Scale and
/// Expand). GlobalMaxPool (`max`): their maximum (AdaptiveMaxPool2d(1)).
static ImportResult importGlobalPool(NodeContext &ctx, bool max) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  if (failed(type))
    return failure();
  auto elementType = dyn_cast<FloatType>(type->getElementType());
  if (type->getRank() < 3 || !elementType)
    return ctx.emitError() << "expects a float X [N, C, D...], got " << *type;
  SmallVector<int64_t> axes =
      llvm::to_vector(llvm::seq<int64_t>(2, type->getRank()));
  Value reduced =
      buildReduce(ctx.builder, ctx.loc, ctx.getOperand(0), axes,
                  /*keepDims=*/true, max ? ReduceKind::Max : ReduceKind::Sum);
  if (max)
    return SmallVector<Value>{reduced};
  int64_t count = 1;
  for (int64_t axis : axes)
    count *= type->getDimSize(axis);
  auto sumType = cast<RankedTensorType>(reduced.getType());
  return SmallVector<Value>{buildBroadcastMap(
      ctx.builder, ctx.loc, reduced, sumType.getShape(), elementType,
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        return arith::DivFOp::create(b, loc, args[0],
                                     buildScalar(b, loc, elementType, count));
      })};
}

/// The declared type of a gradient's dX, which must be X's: dY's element
/// type, and a shape the node's attributes pool to dY's.
static FailureOr<std::pair<RankedTensorType, ConvGeometry>>
getDeclaredDx(NodeContext &ctx, RankedTensorType dy) {
  std::optional<RankedTensorType> type = ctx.getDeclaredResultType(0);
  if (!type)
    return ctx.emitError()
           << "needs the static type of its output (X's): the graph's "
              "value_info declares none, or one with symbolic dims that no "
              "--onnx-dim, input or computed value binds";
  if (type->getRank() != dy.getRank() ||
      type->getElementType() != dy.getElementType())
    return ctx.emitError() << "declares its output as " << *type
                           << ", which is not an X for dY " << dy;
  FailureOr<ConvGeometry> geometry = getPoolGeometry(ctx, *type);
  if (failed(geometry))
    return failure();
  if (ArrayRef<int64_t>(getPooledShape(*geometry)) != dy.getShape())
    return ctx.emitError() << "expects dY of the pooled shape of " << *type
                           << ", got " << dy;
  return std::make_pair(*type, *geometry);
}

static ImportResult importMaxPoolGrad(NodeContext &ctx) {
  if (failed(checkNumOperands(ctx, 2, 2)))
    return failure();
  FailureOr<RankedTensorType> dyType = getOperandType(ctx, 0);
  FailureOr<RankedTensorType> indicesType = getOperandType(ctx, 1);
  if (failed(dyType) || failed(indicesType))
    return failure();
  if (!isa<FloatType>(dyType->getElementType()) ||
      !indicesType->getElementType().isInteger(64) ||
      dyType->getShape() != indicesType->getShape())
    return ctx.emitError() << "expects a float dY and int64 Indices of one "
                              "shape, got "
                           << *dyType << " and " << *indicesType;
  auto declared = getDeclaredDx(ctx, *dyType);
  if (failed(declared))
    return failure();
  RankedTensorType dxType = declared->first;
  OpBuilder &b = ctx.builder;
  int64_t total = dxType.getNumElements(), count = dyType->getNumElements();
  // MaxPool's offsets: any other is reported (and adds nothing).
  if (failed(checkIndices(ctx, 1, 0, total)))
    return failure();
  Value init = buildFilled(b, ctx.loc, {total},
                           b.getFloatAttr(dyType->getElementType(), 0.0));
  auto scatter = muon::optim::ScatterAddOp::create(
      b, ctx.loc, init.getType(),
      buildReshape(b, ctx.loc, ctx.getOperand(0), {count}),
      buildReshape(b, ctx.loc, ctx.getOperand(1), {count}), init,
      b.getI64IntegerAttr(0));
  return SmallVector<Value>{
      buildReshape(b, ctx.loc, scatter.getResult(), dxType.getShape())};
}

/// dX[x] = the sum, over the taps k, of dY[o] / count(o) for the output
/// position o whose window has x at k (o·s + k·d − pad = x in every dim).
static ImportResult importAveragePoolGrad(NodeContext &ctx) {
  FailureOr<RankedTensorType> dyType = getFirstOperandType(ctx, 1, 1);
  if (failed(dyType))
    return failure();
  auto elementType = dyn_cast<FloatType>(dyType->getElementType());
  if (!elementType)
    return ctx.emitError() << "expects a float dY, got " << *dyType;
  auto declared = getDeclaredDx(ctx, *dyType);
  if (failed(declared))
    return failure();
  RankedTensorType dxType = declared->first;
  const ConvGeometry &geometry = declared->second;
  OpBuilder &b = ctx.builder;
  PoolLoops loops{geometry};
  bool includePad = ctx.getIntAttr("count_include_pad").value_or(0) != 0;
  Value scaled =
      buildDivide(b, ctx.loc, ctx.getOperand(0),
                  buildPoolCounts(b, ctx.loc, loops, elementType, includePad));
  int64_t rank = geometry.getRank();
  Value dx = loops.build(
      b, ctx.loc, elementType, b.getFloatAttr(elementType, 0.0), {},
      [&](OpBuilder &nb, Location loc, ValueRange, Value accumulator) {
        auto constant = [&](int64_t v) {
          return arith::ConstantIndexOp::create(nb, loc, v).getResult();
        };
        SmallVector<Value> position{linalg::IndexOp::create(nb, loc, 0),
                                    linalg::IndexOp::create(nb, loc, 1)};
        Value valid;
        for (int64_t i = 0; i < rank; ++i) {
          Value in = linalg::IndexOp::create(nb, loc, 2 + i);
          Value tap = linalg::IndexOp::create(nb, loc, 2 + rank + i);
          // t = x + pad - k·d = o·s for the window o, if any.
          Value t = arith::SubIOp::create(
              nb, loc,
              arith::AddIOp::create(nb, loc, in,
                                    constant(geometry.padBegin[i])),
              arith::MulIOp::create(nb, loc, tap,
                                    constant(geometry.dilations[i])));
          Value stride = constant(geometry.strides[i]);
          Value out = arith::DivSIOp::create(nb, loc, t, stride);
          Value ok = arith::AndIOp::create(
              nb, loc,
              arith::AndIOp::create(
                  nb, loc,
                  arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::sge, t,
                                        constant(0)),
                  arith::CmpIOp::create(
                      nb, loc, arith::CmpIPredicate::eq,
                      arith::RemSIOp::create(nb, loc, t, stride), constant(0))),
              arith::CmpIOp::create(nb, loc, arith::CmpIPredicate::slt, out,
                                    constant(geometry.output[i])));
          valid = valid ? arith::AndIOp::create(nb, loc, valid, ok) : ok;
          position.push_back(
              buildClampedIndex(nb, loc, out, geometry.output[i]));
        }
        Value value = arith::SelectOp::create(
            nb, loc, valid,
            tensor::ExtractOp::create(nb, loc, scaled, position),
            buildScalar(nb, loc, elementType, 0.0));
        return arith::AddFOp::create(nb, loc, accumulator, value).getResult();
      },
      dxType.getShape());
  return SmallVector<Value>{dx};
}

void muon::onnx_import::populatePoolImporters(OpImporterRegistry &registry) {
  registry.add("", "MaxPool", importMaxPool, {/*since=*/10});
  registry.acceptUnsigned("", {"MaxPool"});
  // ORT defines its pooling gradients in the default domain.
  registry.add("", "MaxPoolGrad", importMaxPoolGrad);
  registry.add("", "AveragePool", importAveragePool, {/*since=*/11});
  // LpPool-11 has no ceil_mode or dilations (18 adds them; 1 takes a float
  // p).
  registry.add("", "LpPool", importLpPool, {/*since=*/2});
  registry.add("", "AveragePoolGrad", importAveragePoolGrad);
  registry.add("", "GlobalAveragePool", [](NodeContext &ctx) {
    return importGlobalPool(ctx, /*max=*/false);
  });
  registry.add("", "GlobalMaxPool", [](NodeContext &ctx) {
    return importGlobalPool(ctx, /*max=*/true);
  });
}
