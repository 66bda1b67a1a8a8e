//===- Conv.cpp - ONNX Conv and ORT ConvGrad importers --------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Convolutions as GEMMs (im2col), so that they reach the BLAS / GPU GEMM
// calls like every other matmul: per group g,
//
//   cols[g] = im2col(X)            [N·P, Cg·K]   (P output positions, K taps)
//   Y[g]    = cols[g] · W[g]ᵀ      [N·P, Mg]     W[g] = W[g·Mg:(g+1)·Mg]
//                                                flattened to [Mg, Cg·K]
//   dW[g]   = dY[g]ᵀ · cols[g]     [Mg, Cg·K]
//   dX      = col2im(dY[g] · W[g]) (a gather over the taps landing on each
//                                   input position)
//
// cols is a linalg.generic reading X with zero padding; one group is a
// linalg.matmul, several a linalg.batch_matmul over groups. The weight is read
// through its flatten view [M, Cg·K] (a collapse_shape), the matrix Muon
// orthogonalizes for convolution kernels (optim-assign).
//
// ConvInteger and QLinearConv are the same GEMMs in i32 on the inputs
// centered on their zero points (Quantization.h).
//
// ConvTranspose is the dX of the convolution whose input has its output's
// shape (W [C, M/group, k...] is that convolution's kernel as it is); its
// gradient's dX is that convolution of dY, and its dW that convolution's
// weight gradient with X and dY in each other's roles.
//
//===----------------------------------------------------------------------===//

#include "ConvGeometry.h"
#include "Quantization.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace muon::onnx_import;

/// Checks X [N, C, D...] and W (Conv: [M, C/group, k...]; ConvTranspose:
/// [C, M/group, k...]) and reads the attributes (kernel_shape, strides,
/// dilations, group, pads or auto_pad; ConvTranspose's output_padding and
/// output_shape) into the geometry of the convolution: for ConvTranspose,
/// the one it is the data gradient of.
static FailureOr<ConvGeometry>
getConvGeometry(NodeContext &ctx, RankedTensorType x, RankedTensorType w,
                bool transposed, bool integer = false) {
  ArrayRef<int64_t> spatial =
      x.getShape().drop_front(std::min<int64_t>(2, x.getRank()));
  if (x.getRank() < 3 || w.getRank() != x.getRank() ||
      x.getElementType() != w.getElementType() ||
      !(integer ? x.getElementType().isInteger(32)
                : isa<FloatType>(x.getElementType())) ||
      (transposed && llvm::is_contained(spatial, 0)))
    return ctx.emitError() << "expects float X [N, C, D...]"
                           << (transposed ? " (D > 0)" : "") << " and W "
                           << (transposed ? "[C, M/group" : "[M, C/group")
                           << ", k...] of one rank (>= 3) and element type, "
                              "got "
                           << x << " and " << w;
  ConvGeometry geometry;
  geometry.batch = x.getDimSize(0);
  geometry.group = ctx.getIntAttr("group").value_or(1);
  geometry.kernel.assign(w.getShape().drop_front(2).begin(),
                         w.getShape().end());
  // An empty kernel has no taps: every output would be the bias alone, an
  // output size of input + 1 that no convolution defines.
  if (llvm::is_contained(geometry.kernel, 0))
    return ctx.emitError() << "expects W's kernel sizes to be positive, got "
                           << w;
  int64_t group = geometry.group, channels = x.getDimSize(1);
  if (transposed) {
    if (group < 1 || channels % group != 0 || w.getDimSize(0) != channels)
      return ctx.emitError()
             << "group " << group << " must divide the input channels ("
             << channels << "), which must be W's dimension 0, got " << w;
    geometry.channels = w.getDimSize(1) * group;
    geometry.outChannels = channels;
    geometry.output.assign(spatial.begin(), spatial.end());
  } else {
    geometry.channels = channels;
    geometry.outChannels = w.getDimSize(0);
    geometry.input.assign(spatial.begin(), spatial.end());
    if (group < 1 || channels % group != 0 ||
        geometry.outChannels % group != 0 ||
        w.getDimSize(1) * group != channels)
      return ctx.emitError()
             << "group " << group << " must divide the input channels ("
             << channels << ") and the output channels ("
             << geometry.outChannels
             << "), with W's dimension 1 the input channels per group, got "
             << w;
  }
  if (auto kernel = ctx.getIntsAttr("kernel_shape");
      kernel && ArrayRef<int64_t>(*kernel) != ArrayRef(geometry.kernel))
    return emitUnsupportedAttr(ctx, "kernel_shape")
           << ": [" << llvm::make_range(kernel->begin(), kernel->end())
           << "] differs from W's spatial shape";
  if (failed(transposed ? fillTransposedSpatialGeometry(ctx, geometry)
                        : fillSpatialGeometry(ctx, geometry)))
    return failure();
  return geometry;
}

namespace {
/// Index arithmetic in a generic's body.
struct IndexMath {
  OpBuilder &b;
  Location loc;

  Value constant(int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, int64_t c) {
    return arith::MulIOp::create(b, loc, x, constant(c));
  }
  Value div(Value x, int64_t c) {
    return arith::DivUIOp::create(b, loc, x, constant(c));
  }
  Value rem(Value x, int64_t c) {
    return arith::RemUIOp::create(b, loc, x, constant(c));
  }
  Value compare(arith::CmpIPredicate predicate, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, predicate, x, y);
  }
  Value both(Value x, Value y) {
    return x ? arith::AndIOp::create(b, loc, x, y).getResult() : y;
  }
  /// `value` clamped to [0, bound - 1].
  Value clamp(Value value, int64_t bound) {
    return arith::MinSIOp::create(
        b, loc, arith::MaxSIOp::create(b, loc, value, constant(0)),
        constant(bound - 1));
  }
  /// The row-major linear index of `indices` in `shape`.
  Value linearize(ArrayRef<Value> indices, ArrayRef<int64_t> shape) {
    Value linear = indices.front();
    for (auto [index, extent] :
         llvm::zip(indices.drop_front(), shape.drop_front()))
      linear = add(mul(linear, extent), index);
    return linear;
  }
  /// The indices in `shape` of the row-major linear index `linear`.
  SmallVector<Value> delinearize(Value linear, ArrayRef<int64_t> shape) {
    SmallVector<Value> indices(shape.size());
    for (int64_t i = shape.size() - 1; i > 0; --i) {
      indices[i] = rem(linear, shape[i]);
      linear = div(linear, shape[i]);
    }
    indices[0] = linear;
    return indices;
  }
};

using IndexBodyFn = function_ref<Value(IndexMath &, ArrayRef<Value> indices)>;
} // namespace

/// A linalg.generic computing each element of `shape` from its indices;
/// operands are read with tensor.extract. With `reduction`, trailing
/// reduction loops of those extents (their indices follow the result's) sum
/// the body's values. The GEMMs' operands and results are such generics, not
/// reshapes of other values: the elementwise fusion pass would fold a
/// reshape next to a generic into the GEMM and turn it into a generic that
/// no longer reaches BLAS.
static Value buildIndexGeneric(OpBuilder &b, Location loc,
                               ArrayRef<int64_t> shape, Type elementType,
                               IndexBodyFn body,
                               ArrayRef<int64_t> reduction = {}) {
  MLIRContext *context = b.getContext();
  int64_t numResultDims = shape.size();
  int64_t numLoops = numResultDims + reduction.size();
  SmallVector<AffineExpr> resultExprs, reductionExprs;
  for (int64_t i = 0; i < numLoops; ++i)
    (i < numResultDims ? resultExprs : reductionExprs)
        .push_back(getAffineDimExpr(i, context));
  SmallVector<utils::IteratorType> iterators(numLoops,
                                             utils::IteratorType::parallel);
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  Value init = buildEmpty(b, loc, shape, elementType);
  if (!reduction.empty()) {
    for (int64_t i = numResultDims; i < numLoops; ++i)
      iterators[i] = utils::IteratorType::reduction;
    // The reduction loops get their extents from an operand indexed by
    // them (its values are not read).
    inputs.push_back(buildEmpty(b, loc, reduction, elementType));
    maps.push_back(AffineMap::get(numLoops, 0, reductionExprs, context));
    init = buildFilled(b, loc, shape, b.getFloatAttr(elementType, 0.0));
  }
  maps.push_back(AffineMap::get(numLoops, 0, resultExprs, context));
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, init, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        IndexMath math{nb, nl};
        SmallVector<Value> indices;
        for (int64_t i = 0; i < numLoops; ++i)
          indices.push_back(linalg::IndexOp::create(nb, nl, i));
        Value value = body(math, indices);
        if (!reduction.empty())
          value = arith::AddFOp::create(nb, nl, args.back(), value);
        linalg::YieldOp::create(nb, nl, value);
      });
  return generic.getResult(0);
}

/// `dims` with the group count in front when there are several groups (the
/// GEMMs are then batched over groups).
static SmallVector<int64_t> getGroupedShape(const ConvGeometry &geometry,
                                            ArrayRef<int64_t> dims) {
  SmallVector<int64_t> shape;
  if (geometry.group > 1)
    shape.push_back(geometry.group);
  llvm::append_range(shape, dims);
  return shape;
}

/// The group index and the two matrix indices of a grouped-shape element.
static std::tuple<Value, Value, Value>
splitGrouped(IndexMath &math, ArrayRef<Value> indices, int64_t group) {
  if (group > 1)
    return {indices[0], indices[1], indices[2]};
  return {math.constant(0), indices[0], indices[1]};
}

/// The indices of a grouped-shape element of `value` at (g, row, column).
static SmallVector<Value> getGroupedCoords(const ConvGeometry &geometry,
                                           Value g, Value row, Value column) {
  if (geometry.group > 1)
    return {g, row, column};
  return {row, column};
}

/// lhs [(G,) a, k] · rhs [(G,) k, n]: linalg.matmul for one group,
/// linalg.batch_matmul over groups.
static Value buildGroupedMatmul(OpBuilder &b, Location loc, Value lhs,
                                Value rhs) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  ArrayRef<int64_t> rhsShape = cast<RankedTensorType>(rhs.getType()).getShape();
  SmallVector<int64_t> shape(lhsType.getShape().drop_back());
  shape.push_back(rhsShape.back());
  Value init =
      buildFilled(b, loc, shape, b.getZeroAttr(lhsType.getElementType()));
  if (shape.size() == 2)
    return linalg::MatmulOp::create(b, loc, ValueRange{lhs, rhs}, init)
        .getResult(0);
  return linalg::BatchMatmulOp::create(b, loc, ValueRange{lhs, rhs}, init)
      .getResult(0);
}

/// im2col of X: cols [(G,) N·P, Cg·K] (or its transpose [(G,) Cg·K, N·P]
/// with `taps_first`), cols[g, (n, o), (c, k)] = X[n, g·Cg + c,
/// o·stride + k·dilation - padBegin], 0 in the padding.
static Value buildIm2Col(OpBuilder &b, Location loc, Value x,
                         const ConvGeometry &geometry, bool tapsFirst) {
  int64_t rank = geometry.getRank(), cg = geometry.getGroupChannels();
  int64_t positions = geometry.batch * geometry.getNumPositions();
  int64_t taps = cg * geometry.getNumTaps();
  SmallVector<int64_t> positionShape = {geometry.batch};
  llvm::append_range(positionShape, geometry.output);
  SmallVector<int64_t> tapShape = {cg};
  llvm::append_range(tapShape, geometry.kernel);
  Type elementType = cast<RankedTensorType>(x.getType()).getElementType();
  SmallVector<int64_t> shape =
      getGroupedShape(geometry, tapsFirst ? ArrayRef<int64_t>{taps, positions}
                                          : ArrayRef<int64_t>{positions, taps});
  return buildIndexGeneric(
      b, loc, shape, elementType,
      [&](IndexMath &math, ArrayRef<Value> indices) -> Value {
        auto [g, row, column] = splitGrouped(math, indices, geometry.group);
        SmallVector<Value> position =
            math.delinearize(tapsFirst ? column : row, positionShape);
        SmallVector<Value> tap =
            math.delinearize(tapsFirst ? row : column, tapShape);
        SmallVector<Value> coords = {position[0],
                                     math.add(math.mul(g, cg), tap[0])};
        Value valid;
        for (int64_t i = 0; i < rank; ++i) {
          Value at =
              math.sub(math.add(math.mul(position[1 + i], geometry.strides[i]),
                                math.mul(tap[1 + i], geometry.dilations[i])),
                       math.constant(geometry.padBegin[i]));
          // Unsigned: a negative position wraps to a huge one.
          valid =
              math.both(valid, math.compare(arith::CmpIPredicate::ult, at,
                                            math.constant(geometry.input[i])));
          coords.push_back(math.clamp(at, geometry.input[i]));
        }
        Value element = tensor::ExtractOp::create(math.b, math.loc, x, coords);
        return arith::SelectOp::create(
            math.b, math.loc, valid, element,
            buildScalar(math.b, math.loc, elementType, 0.0));
      });
}

/// W [M, Cg, k...] as the GEMM operand [(G,) Mg, Cg·K]: its flatten view
/// [M, Cg·K] (the matrix optim-assign gives Muon), split by group.
static Value buildGroupedWeight(OpBuilder &b, Location loc, Value w,
                                const ConvGeometry &geometry) {
  int64_t columns = geometry.getGroupChannels() * geometry.getNumTaps();
  Value flat = buildReshape(b, loc, w, {geometry.outChannels, columns});
  if (geometry.group == 1)
    return flat;
  return buildReshape(
      b, loc, flat, {geometry.group, geometry.getGroupOutChannels(), columns});
}

/// dY [N, M, O...] as [(G,) Mg, N·P], or [(G,) N·P, Mg] with
/// `positionsFirst`.
static Value buildGroupedOutput(OpBuilder &b, Location loc, Value dy,
                                const ConvGeometry &geometry,
                                bool positionsFirst) {
  int64_t mg = geometry.getGroupOutChannels();
  int64_t positions = geometry.batch * geometry.getNumPositions();
  SmallVector<int64_t> positionShape = {geometry.batch};
  llvm::append_range(positionShape, geometry.output);
  SmallVector<int64_t> shape = getGroupedShape(
      geometry, positionsFirst ? ArrayRef<int64_t>{positions, mg}
                               : ArrayRef<int64_t>{mg, positions});
  return buildIndexGeneric(
      b, loc, shape, cast<RankedTensorType>(dy.getType()).getElementType(),
      [&](IndexMath &math, ArrayRef<Value> indices) -> Value {
        auto [g, row, column] = splitGrouped(math, indices, geometry.group);
        Value m = positionsFirst ? column : row;
        SmallVector<Value> position =
            math.delinearize(positionsFirst ? row : column, positionShape);
        SmallVector<Value> coords = {position[0], math.add(math.mul(g, mg), m)};
        llvm::append_range(coords, ArrayRef(position).drop_front());
        return tensor::ExtractOp::create(math.b, math.loc, dy, coords);
      });
}

/// The linear index of (n, o...) in the GEMMs' N·P dimension.
static Value getPositionIndex(IndexMath &math, const ConvGeometry &geometry,
                              ArrayRef<Value> position) {
  SmallVector<int64_t> shape = {geometry.batch};
  llvm::append_range(shape, geometry.output);
  return math.linearize(position, shape);
}

/// `value` plus bias[channel] (no bias: `value`).
static Value addBias(IndexMath &math, Value value, Value bias, Value channel) {
  if (!bias)
    return value;
  Value offset = tensor::ExtractOp::create(math.b, math.loc, bias, channel);
  if (isa<FloatType>(value.getType()))
    return arith::AddFOp::create(math.b, math.loc, value, offset);
  return arith::AddIOp::create(math.b, math.loc, value, offset);
}

/// The convolution `geometry` of X [N, C, D...] with W [M, C/group, k...],
/// plus B [M] when given: Y [N, M, O...].
static Value buildConv(OpBuilder &b, Location loc, Value x, Value w, Value bias,
                       const ConvGeometry &geometry) {
  // Y[g] [Mg, N·P] = W[g] [Mg, Cg·K] · colsᵀ[g] [Cg·K, N·P].
  Value product =
      buildGroupedMatmul(b, loc, buildGroupedWeight(b, loc, w, geometry),
                         buildIm2Col(b, loc, x, geometry, /*tapsFirst=*/true));
  SmallVector<int64_t> shape = {geometry.batch, geometry.outChannels};
  llvm::append_range(shape, geometry.output);
  int64_t mg = geometry.getGroupOutChannels();
  return buildIndexGeneric(
      b, loc, shape, cast<RankedTensorType>(x.getType()).getElementType(),
      [&](IndexMath &math, ArrayRef<Value> indices) -> Value {
        SmallVector<Value> position = {indices[0]};
        llvm::append_range(position, indices.drop_front(2));
        SmallVector<Value> coords = getGroupedCoords(
            geometry, math.div(indices[1], mg), math.rem(indices[1], mg),
            getPositionIndex(math, geometry, position));
        Value value =
            tensor::ExtractOp::create(math.b, math.loc, product, coords);
        return addBias(math, value, bias, indices[1]);
      });
}

/// col2im of dcols [(G,) N·P, Cg·K] into dX [N, C, D...]: each input
/// position sums the taps that read it (o·stride + k·dilation - padBegin =
/// x).
static Value buildCol2Im(OpBuilder &b, Location loc, Value dcols,
                         const ConvGeometry &geometry, Type elementType) {
  int64_t rank = geometry.getRank(), cg = geometry.getGroupChannels();
  SmallVector<int64_t> shape = {geometry.batch, geometry.channels};
  llvm::append_range(shape, geometry.input);
  SmallVector<int64_t> tapShape = {cg};
  llvm::append_range(tapShape, geometry.kernel);
  return buildIndexGeneric(
      b, loc, shape, elementType,
      [&](IndexMath &math, ArrayRef<Value> indices) -> Value {
        // Loops: n, channel, x_1..x_r, then the taps k_1..k_r.
        Value channel = indices[1];
        SmallVector<Value> position = {indices[0]},
                           tap = {math.rem(channel, cg)};
        Value valid;
        for (int64_t i = 0; i < rank; ++i) {
          Value k = indices[2 + rank + i];
          tap.push_back(k);
          // t = x + padBegin - k·dilation must be o·stride, o in [0, O).
          Value t = math.sub(
              math.add(indices[2 + i], math.constant(geometry.padBegin[i])),
              math.mul(k, geometry.dilations[i]));
          Value nonNegative =
              math.compare(arith::CmpIPredicate::sge, t, math.constant(0));
          Value clamped =
              arith::MaxSIOp::create(math.b, math.loc, t, math.constant(0));
          Value o = math.div(clamped, geometry.strides[i]);
          Value aligned = math.compare(arith::CmpIPredicate::eq,
                                       math.rem(clamped, geometry.strides[i]),
                                       math.constant(0));
          Value inside = math.compare(arith::CmpIPredicate::ult, o,
                                      math.constant(geometry.output[i]));
          valid = math.both(valid,
                            math.both(nonNegative, math.both(aligned, inside)));
          position.push_back(math.clamp(o, geometry.output[i]));
        }
        SmallVector<Value> coords =
            getGroupedCoords(geometry, math.div(channel, cg),
                             getPositionIndex(math, geometry, position),
                             math.linearize(tap, tapShape));
        Value element =
            tensor::ExtractOp::create(math.b, math.loc, dcols, coords);
        return arith::SelectOp::create(
            math.b, math.loc, valid, element,
            buildScalar(math.b, math.loc, elementType, 0.0));
      },
      geometry.kernel);
}

/// dX [N, C, D...] of the convolution `geometry` from dY [N, M, O...] and W:
/// col2im(dY · W).
static Value buildConvInputGrad(OpBuilder &b, Location loc, Value dy, Value w,
                                const ConvGeometry &geometry) {
  // dcols[g] [N·P, Cg·K] = dYᵀ[g] [N·P, Mg] · W[g] [Mg, Cg·K].
  Value dcols = buildGroupedMatmul(
      b, loc, buildGroupedOutput(b, loc, dy, geometry, /*positionsFirst=*/true),
      buildGroupedWeight(b, loc, w, geometry));
  return buildCol2Im(b, loc, dcols, geometry,
                     cast<RankedTensorType>(dy.getType()).getElementType());
}

/// dW [M, C/group, k...] (`wType`) of the convolution `geometry` of X
/// [N, C, D...] from dY [N, M, O...].
static Value buildConvWeightGrad(OpBuilder &b, Location loc, Value dy, Value x,
                                 RankedTensorType wType,
                                 const ConvGeometry &geometry) {
  // dW[g] [Mg, Cg·K] = dY[g] [Mg, N·P] · cols[g] [N·P, Cg·K].
  Value dw = buildGroupedMatmul(
      b, loc,
      buildGroupedOutput(b, loc, dy, geometry, /*positionsFirst=*/false),
      buildIm2Col(b, loc, x, geometry, /*tapsFirst=*/false));
  int64_t mg = geometry.getGroupOutChannels();
  SmallVector<int64_t> tapShape(wType.getShape().drop_front());
  return buildIndexGeneric(
      b, loc, wType.getShape(), wType.getElementType(),
      [&](IndexMath &math, ArrayRef<Value> indices) -> Value {
        SmallVector<Value> coords = getGroupedCoords(
            geometry, math.div(indices[0], mg), math.rem(indices[0], mg),
            math.linearize(indices.drop_front(), tapShape));
        return tensor::ExtractOp::create(math.b, math.loc, dw, coords);
      });
}

/// Conv: X [N, C, D...], W [M, C/group, k...], optional B [M] -> Y [N, M,
/// O...]. ConvTranspose: X [N, C, D...], W [C, M/group, k...], optional B
/// [M] -> Y [N, M, O...], the dX of the convolution of Y by W for dY = X.
static ImportResult importConvForward(NodeContext &ctx, bool transposed) {
  FailureOr<RankedTensorType> xType = getFirstOperandType(ctx, 2, 3);
  FailureOr<RankedTensorType> wType = getOperandType(ctx, 1);
  if (failed(xType) || failed(wType))
    return failure();
  FailureOr<ConvGeometry> geometry =
      getConvGeometry(ctx, *xType, *wType, transposed);
  if (failed(geometry))
    return failure();
  Value x = ctx.getOperand(0), w = ctx.getOperand(1), bias = ctx.getOperand(2);
  auto biasType = RankedTensorType::get(
      {transposed ? geometry->channels : geometry->outChannels},
      xType->getElementType());
  if (bias && bias.getType() != biasType)
    return ctx.emitError() << "expects B of type " << biasType << ", got "
                           << bias.getType();
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  if (!transposed)
    return SmallVector<Value>{buildConv(b, loc, x, w, bias, *geometry)};
  Value unbiased = buildConvInputGrad(b, loc, x, w, *geometry);
  if (!bias)
    return SmallVector<Value>{unbiased};
  // Apart from col2im, whose generic sums over the taps.
  Value y = buildIndexGeneric(
      b, loc, cast<RankedTensorType>(unbiased.getType()).getShape(),
      xType->getElementType(),
      [&](IndexMath &math, ArrayRef<Value> indices) -> Value {
        Value value =
            tensor::ExtractOp::create(math.b, math.loc, unbiased, indices);
        return addBias(math, value, bias, indices[1]);
      });
  return SmallVector<Value>{y};
}

/// ConvInteger (opset 10) and QLinearConv (10): the convolution of X and W
/// centered on their zero points (W's per tensor or per output channel) in
/// i32, QLinearConv's plus its i32 bias and requantized by x_scale ·
/// w_scale / y_scale (w_scale per tensor or per output channel).
static ImportResult importQuantizedConv(NodeContext &ctx, bool requantize) {
  unsigned w = requantize ? 3 : 1, xZero = 2, wZero = requantize ? 5 : 3;
  if (failed(checkNumOperands(ctx, requantize ? 8 : 2, requantize ? 9 : 4)))
    return failure();
  FailureOr<RankedTensorType> wType = getOperandType(ctx, w);
  if (failed(wType))
    return failure();
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Value wZeroPoint = ctx.getOperand(wZero);
  if (wZeroPoint)
    wZeroPoint = alignVector(b, loc, wZeroPoint, wType->getRank(), 0);
  FailureOr<Value> x = buildCenteredInteger(ctx, 0, ctx.getOperand(xZero));
  FailureOr<Value> weight = buildCenteredInteger(ctx, w, wZeroPoint);
  if (failed(x) || failed(weight))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  FailureOr<ConvGeometry> geometry =
      getConvGeometry(ctx, xType, cast<RankedTensorType>(weight->getType()),
                      /*transposed=*/false, /*integer=*/true);
  if (failed(geometry))
    return failure();
  Value bias = requantize ? ctx.getOperand(8) : Value();
  auto biasType =
      RankedTensorType::get({geometry->outChannels}, b.getI32Type());
  if (bias && bias.getType() != biasType)
    return ctx.emitError() << "expects B of type " << biasType << ", got "
                           << bias.getType();
  Value accumulator = buildConv(b, loc, *x, *weight, bias, *geometry);
  if (!requantize)
    return SmallVector<Value>{accumulator};
  FailureOr<Value> y = buildRequantized(
      ctx, accumulator,
      {ctx.getOperand(1),
       alignVector(b, loc, ctx.getOperand(4), xType.getRank(), 1),
       ctx.getOperand(6)},
      ctx.getOperand(7));
  if (failed(y))
    return failure();
  return SmallVector<Value>{*y};
}

/// Col2Im (opset 18): the image [N, C, image_shape...] that sums the blocks
/// of X [N, C·∏block_shape, L] back into place (strides, dilations, pads as
/// a convolution's): the data gradient of im2col, so X [N, L, C·K] viewed as
/// cols goes through buildCol2Im.
static ImportResult importCol2Im(NodeContext &ctx) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 3, 3);
  if (failed(type) || failed(getFloatElementType(ctx, 0)))
    return failure();
  FailureOr<SmallVector<int64_t>> image = getConstantIntOperand(ctx, 1);
  FailureOr<SmallVector<int64_t>> block = getConstantIntOperand(ctx, 2);
  if (failed(image) || failed(block))
    return failure();
  // The block's size divides X's dimension 1, so its product cannot
  // overflow once each factor is checked against it.
  int64_t rows = type->getRank() == 3 ? type->getDimSize(1) : 0, taps = 1;
  bool valid = rows > 0 && !image->empty() && image->size() == block->size();
  for (auto [size, extent] : llvm::zip(*image, *block)) {
    valid = valid && size > 0 && extent > 0 && extent <= rows / taps;
    if (valid)
      taps *= extent;
  }
  if (!valid || rows % taps != 0)
    return ctx.emitError() << "expects image_shape and block_shape of one "
                              "length with positive sizes, and input [N, C · "
                              "the block's size, L], got "
                           << *type;
  ConvGeometry geometry;
  geometry.input = *image;
  geometry.kernel = *block;
  geometry.batch = type->getDimSize(0);
  geometry.channels = geometry.outChannels = rows / taps;
  SmallVector<int64_t> shape = {geometry.batch, geometry.channels};
  llvm::append_range(shape, *image);
  if (failed(checkResultSize(
          ctx, 0, RankedTensorType::get(shape, type->getElementType()))) ||
      failed(fillSpatialGeometry(ctx, geometry)))
    return failure();
  int64_t blocks = type->getDimSize(2);
  if (geometry.getNumPositions() != blocks)
    return ctx.emitError() << "expects L = " << geometry.getNumPositions()
                           << " blocks for image_shape and block_shape, got "
                           << blocks;
  OpBuilder &b = ctx.builder;
  Value cols = buildReshape(
      b, ctx.loc, buildTranspose(b, ctx.loc, ctx.getOperand(0), {0, 2, 1}),
      {geometry.batch * blocks, type->getDimSize(1)});
  return SmallVector<Value>{
      buildCol2Im(b, ctx.loc, cols, geometry, type->getElementType())};
}

/// com.microsoft ConvGrad and ConvTransposeGrad (dY, X, W) -> dX, dW, dB
/// (each output optional), with their forward op's attributes.
static ImportResult importConvGradients(NodeContext &ctx, bool transposed) {
  FailureOr<RankedTensorType> dyType = getFirstOperandType(ctx, 3, 3);
  FailureOr<RankedTensorType> xType = getOperandType(ctx, 1);
  FailureOr<RankedTensorType> wType = getOperandType(ctx, 2);
  if (failed(dyType) || failed(xType) || failed(wType))
    return failure();
  FailureOr<ConvGeometry> geometry =
      getConvGeometry(ctx, *xType, *wType, transposed);
  if (failed(geometry))
    return failure();
  // The forward op's output: the convolution's, or for ConvTranspose the
  // convolution's input.
  SmallVector<int64_t> yShape = {
      geometry->batch, transposed ? geometry->channels : geometry->outChannels};
  llvm::append_range(yShape, transposed ? geometry->input : geometry->output);
  auto yType = RankedTensorType::get(yShape, xType->getElementType());
  if (*dyType != yType)
    return ctx.emitError() << "expects dY of "
                           << (transposed ? "ConvTranspose" : "Conv")
                           << "'s output type " << yType << ", got " << *dyType;
  OpBuilder &b = ctx.builder;
  Location loc = ctx.loc;
  Value dy = ctx.getOperand(0), x = ctx.getOperand(1), w = ctx.getOperand(2);
  SmallVector<Value> results(ctx.getNumResults());
  if (hasResult(ctx, 0))
    results[0] = transposed ? buildConv(b, loc, dy, w, /*bias=*/{}, *geometry)
                            : buildConvInputGrad(b, loc, dy, w, *geometry);
  if (hasResult(ctx, 1))
    results[1] =
        transposed
            ? buildConvWeightGrad(b, loc, /*dy=*/x, /*x=*/dy, *wType, *geometry)
            : buildConvWeightGrad(b, loc, dy, x, *wType, *geometry);
  if (hasResult(ctx, 2)) {
    SmallVector<int64_t> axes = {0};
    for (int64_t i = 0; i < geometry->getRank(); ++i)
      axes.push_back(2 + i);
    results[2] =
        buildReduce(b, loc, dy, axes, /*keepDims=*/false, ReduceKind::Sum);
  }
  return results;
}

void muon::onnx_import::populateConvImporters(OpImporterRegistry &registry) {
  registry.add("", "Conv", [](NodeContext &ctx) {
    return importConvForward(ctx, /*transposed=*/false);
  });
  registry.add("", "ConvTranspose",
               [](NodeContext &ctx) {
                 return importConvForward(ctx, /*transposed=*/true);
               },
               {/*since=*/11});
  registry.add("", "Col2Im", importCol2Im, {/*since=*/18});
  registry.add("", "ConvInteger",
               [](NodeContext &ctx) { return importQuantizedConv(ctx, false); },
               {/*since=*/10});
  registry.add("", "QLinearConv",
               [](NodeContext &ctx) { return importQuantizedConv(ctx, true); },
               {/*since=*/10});
  registry.acceptUnsigned("", {"ConvInteger", "QLinearConv"});
  registry.add("com.microsoft", "ConvGrad", [](NodeContext &ctx) {
    return importConvGradients(ctx, /*transposed=*/false);
  });
  registry.add("com.microsoft", "ConvTransposeGrad", [](NodeContext &ctx) {
    return importConvGradients(ctx, /*transposed=*/true);
  });
}
