//===- LinearIndex.cpp - Run-time indices as a root plus a constant -------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "LinearIndex.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace muon::onnx_import;

namespace {
/// Follows one element back through the ops that move or offset it.
class LinearTracer {
public:
  LinearElement trace(Value value, int64_t position);

private:
  std::optional<LinearElement> traceDefiningOp(Value value, int64_t position);
  std::optional<LinearElement> traceGeneric(linalg::GenericOp generic,
                                            unsigned result, int64_t position);
  std::optional<LinearElement>
  traceScalar(Value value, linalg::GenericOp generic, ArrayRef<int64_t> loops);
  std::optional<LinearElement>
  traceArith(Operation *op, linalg::GenericOp generic, ArrayRef<int64_t> loops);

  // Ops looked through per query: bounds the import time of long chains (a
  // Concat of many inputs is a chain of insert_slices).
  unsigned budget = 256;
};
} // namespace

static SmallVector<int64_t> getShape(Value value) {
  if (auto type = dyn_cast<RankedTensorType>(value.getType()))
    return SmallVector<int64_t>(type.getShape());
  return {};
}

static bool hasStaticShape(Value value) {
  auto type = dyn_cast<ShapedType>(value.getType());
  return !type || type.hasStaticShape();
}

/// Whether `type` is an integer or index scalar, or a tensor of them.
static bool isIntegerLike(Type type) {
  Type element = getElementTypeOrSelf(type);
  return isa<IntegerType, IndexType>(element);
}

LinearElement LinearTracer::trace(Value value, int64_t position) {
  if (budget > 0 && hasStaticShape(value) && isIntegerLike(value.getType())) {
    --budget;
    if (std::optional<LinearElement> element = traceDefiningOp(value, position))
      return *element;
  }
  return {value, position, 0};
}

/// The row-major position in `to` of the element at `index`.
static int64_t linearizeIn(ArrayRef<int64_t> index, Value to) {
  SmallVector<int64_t> shape = getShape(to);
  if (shape.empty())
    return 0;
  return linearize(index, computeSuffixProduct(shape));
}

/// The static offsets, sizes and strides of a slice op that keeps its rank.
template <typename SliceOp>
static bool getStaticSlice(SliceOp op, SmallVectorImpl<int64_t> &offsets,
                           SmallVectorImpl<int64_t> &sizes,
                           SmallVectorImpl<int64_t> &strides) {
  if (op.getSourceType().getRank() != op.getResultType().getRank() ||
      ShapedType::isDynamicShape(op.getStaticOffsets()) ||
      ShapedType::isDynamicShape(op.getStaticSizes()) ||
      ShapedType::isDynamicShape(op.getStaticStrides()))
    return false;
  llvm::append_range(offsets, op.getStaticOffsets());
  llvm::append_range(sizes, op.getStaticSizes());
  llvm::append_range(strides, op.getStaticStrides());
  return true;
}

std::optional<LinearElement> LinearTracer::traceDefiningOp(Value value,
                                                           int64_t position) {
  Attribute constant;
  if (matchPattern(value, m_Constant(&constant))) {
    if (auto scalar = dyn_cast<IntegerAttr>(constant))
      return LinearElement{{}, 0, scalar.getValue().getSExtValue()};
    if (auto dense = dyn_cast<DenseIntElementsAttr>(constant))
      return LinearElement{
          {}, 0, dense.getValues<APInt>()[position].getSExtValue()};
    return std::nullopt;
  }
  Operation *op = value.getDefiningOp();
  if (!op)
    return std::nullopt;
  SmallVector<int64_t> shape = getShape(value);
  SmallVector<int64_t> index =
      shape.empty() ? SmallVector<int64_t>{}
                    : delinearize(position, computeSuffixProduct(shape));
  return TypeSwitch<Operation *, std::optional<LinearElement>>(op)
      // Reshapes keep the row-major order.
      .Case<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::ReshapeOp>(
          [&](Operation *reshape) {
            return trace(reshape->getOperand(0), position);
          })
      .Case([&](tensor::FromElementsOp from) {
        return trace(from.getElements()[position], 0);
      })
      .Case([&](linalg::FillOp fill) { return trace(fill.value(), 0); })
      .Case([&](tensor::ExtractOp extract) -> std::optional<LinearElement> {
        // Constant indices inside the tensor (else the read is a run-time
        // error the analysis leaves to the IR).
        SmallVector<int64_t> at;
        ArrayRef<int64_t> extents = extract.getTensor().getType().getShape();
        for (auto [i, size] : llvm::zip_equal(extract.getIndices(), extents)) {
          std::optional<int64_t> c = getConstantIntValue(i);
          if (!c || *c < 0 || *c >= size)
            return std::nullopt;
          at.push_back(*c);
        }
        return trace(extract.getTensor(), linearizeIn(at, extract.getTensor()));
      })
      .Case([&](tensor::ExtractSliceOp slice) -> std::optional<LinearElement> {
        SmallVector<int64_t> offsets, sizes, strides;
        if (!getStaticSlice(slice, offsets, sizes, strides))
          return std::nullopt;
        SmallVector<int64_t> at;
        for (auto [i, o, s] : llvm::zip(index, offsets, strides))
          at.push_back(o + i * s);
        return trace(slice.getSource(), linearizeIn(at, slice.getSource()));
      })
      .Case([&](tensor::InsertSliceOp insert) -> std::optional<LinearElement> {
        SmallVector<int64_t> offsets, sizes, strides;
        if (!getStaticSlice(insert, offsets, sizes, strides))
          return std::nullopt;
        SmallVector<int64_t> at;
        for (auto [i, o, size, s] : llvm::zip(index, offsets, sizes, strides)) {
          int64_t delta = i - o;
          if (delta < 0 || delta % s != 0 || delta / s >= size)
            return trace(insert.getDest(), position);
          at.push_back(delta / s);
        }
        return trace(insert.getSource(), linearizeIn(at, insert.getSource()));
      })
      .Case([&](linalg::GenericOp generic) {
        return traceGeneric(generic, cast<OpResult>(value).getResultNumber(),
                            position);
      })
      .Default([&](Operation *) -> std::optional<LinearElement> {
        if (!shape.empty())
          return std::nullopt;
        return traceArith(op, {}, {});
      });
}

/// An element-wise generic (every iteration writes one element of each
/// result): its yielded scalar at the iteration writing `position`.
std::optional<LinearElement>
LinearTracer::traceGeneric(linalg::GenericOp generic, unsigned result,
                           int64_t position) {
  if (generic.getNumReductionLoops() != 0 || !generic.hasPureTensorSemantics())
    return std::nullopt;
  OpOperand *init = generic.getDpsInitOperand(result);
  AffineMap outputMap = generic.getMatchingIndexingMap(init);
  if (!outputMap.isPermutation())
    return std::nullopt;
  SmallVector<int64_t> shape = getShape(generic.getResult(result));
  SmallVector<int64_t> index =
      shape.empty() ? SmallVector<int64_t>{}
                    : delinearize(position, computeSuffixProduct(shape));
  SmallVector<int64_t> loops(outputMap.getNumDims());
  for (auto [r, i] : llvm::enumerate(index))
    loops[outputMap.getDimPosition(r)] = i;
  auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
  return traceScalar(yield.getOperand(result), generic, loops);
}

/// A scalar: of `generic`'s body when given (its iteration at `loops`),
/// else outside any. A body value the analysis cannot see through fails,
/// as it cannot be a root outside the body.
std::optional<LinearElement>
LinearTracer::traceScalar(Value value, linalg::GenericOp generic,
                          ArrayRef<int64_t> loops) {
  Block *body = generic ? generic.getBody() : nullptr;
  auto inBody = [&](Value v) { return body && v.getParentBlock() == body; };
  if (!inBody(value))
    return trace(value, 0);
  if (budget == 0)
    return std::nullopt;
  --budget;
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    if (arg.getArgNumber() >= generic.getNumDpsInputs())
      return std::nullopt; // An init's element: read, not computed.
    OpOperand *input = generic.getDpsInputOperand(arg.getArgNumber());
    if (!isa<RankedTensorType>(input->get().getType()))
      return trace(input->get(), 0);
    AffineMap map = generic.getMatchingIndexingMap(input);
    if (!map.isProjectedPermutation())
      return std::nullopt;
    SmallVector<int64_t> at;
    for (unsigned r = 0; r < map.getNumResults(); ++r)
      at.push_back(loops[map.getDimPosition(r)]);
    return trace(input->get(), linearizeIn(at, input->get()));
  }
  Operation *op = value.getDefiningOp();
  if (auto index = dyn_cast<linalg::IndexOp>(op))
    return LinearElement{{}, 0, loops[index.getDim()]};
  return traceArith(op, generic, loops);
}

/// Integer constants, adds, subtractions and casts that keep every value.
std::optional<LinearElement> LinearTracer::traceArith(Operation *op,
                                                      linalg::GenericOp generic,
                                                      ArrayRef<int64_t> loops) {
  auto widthOf = [](Type type) {
    return type.isIndex() ? 64u : type.getIntOrFloatBitWidth();
  };
  if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
    if (auto attr = dyn_cast<IntegerAttr>(constant.getValue()))
      return LinearElement{{}, 0, attr.getValue().getSExtValue()};
    return std::nullopt;
  }
  if (isa<arith::ExtSIOp, arith::IndexCastOp>(op) &&
      widthOf(op->getResult(0).getType()) >=
          widthOf(op->getOperand(0).getType()))
    return traceScalar(op->getOperand(0), generic, loops);
  if (!isa<arith::AddIOp, arith::SubIOp>(op))
    return std::nullopt;
  std::optional<LinearElement> lhs =
      traceScalar(op->getOperand(0), generic, loops);
  std::optional<LinearElement> rhs =
      traceScalar(op->getOperand(1), generic, loops);
  if (!lhs || !rhs)
    return std::nullopt;
  // The constant part as the op computes it: it must not wrap (in 64 bits,
  // or in a narrower op's width).
  unsigned width = widthOf(op->getResult(0).getType());
  auto combine = [&](Value root, int64_t position, int64_t a, int64_t b,
                     bool subtract) -> std::optional<LinearElement> {
    int64_t offset;
    if (subtract ? llvm::SubOverflow(a, b, offset)
                 : llvm::AddOverflow(a, b, offset))
      return std::nullopt;
    if (width < 64 && !llvm::isIntN(width, offset))
      return std::nullopt;
    return LinearElement{root, position, offset};
  };
  if (isa<arith::SubIOp>(op)) {
    if (rhs->isConstant())
      return combine(lhs->root, lhs->rootPosition, lhs->offset, rhs->offset,
                     /*subtract=*/true);
    if (lhs->hasSameRoot(*rhs)) // (r + a) - (r + b)
      return combine({}, 0, lhs->offset, rhs->offset, /*subtract=*/true);
    return std::nullopt;
  }
  if (lhs->isConstant())
    std::swap(lhs, rhs);
  if (!rhs->isConstant())
    return std::nullopt;
  return combine(lhs->root, lhs->rootPosition, lhs->offset, rhs->offset,
                 /*subtract=*/false);
}

LinearElement muon::onnx_import::getLinearElement(Value value,
                                                  int64_t position) {
  return LinearTracer().trace(value, position);
}

Value muon::onnx_import::buildLinearElement(OpBuilder &b, Location loc,
                                            const LinearElement &element) {
  Value offset = arith::ConstantIndexOp::create(b, loc, element.offset);
  if (element.isConstant())
    return offset;
  Value root = element.root;
  if (auto type = dyn_cast<RankedTensorType>(root.getType())) {
    SmallVector<Value> indices;
    if (type.getRank() > 0)
      for (int64_t i : delinearize(element.rootPosition,
                                   computeSuffixProduct(type.getShape())))
        indices.push_back(arith::ConstantIndexOp::create(b, loc, i));
    root = tensor::ExtractOp::create(b, loc, root, indices);
  }
  if (!root.getType().isIndex())
    root = arith::IndexCastOp::create(b, loc, b.getIndexType(), root);
  return arith::AddIOp::create(b, loc, root, offset);
}
