//===- HeadLayout.cpp - Following attention heads through views ----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "HeadLayout.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace muon::optim;
using namespace muon::optim::heads;

ArrayRef<int64_t> heads::getShape(Value value) {
  return cast<ShapedType>(value.getType()).getShape();
}

void heads::dropUnitFactors(Factors &factors) {
  llvm::erase_if(factors, [](const Factor &f) { return f.size == 1; });
}

int64_t heads::product(ArrayRef<Factor> factors) {
  int64_t result = 1;
  for (const Factor &f : factors)
    result *= f.size;
  return result;
}

/// Removes from the front of `from` factors of product `size`, splitting the
/// last one if it is larger than needed.
static FailureOr<Factors> takeFactors(Factors &from, int64_t size) {
  Factors taken;
  dropUnitFactors(from);
  while (size > 1) {
    if (from.empty())
      return failure();
    Factor &front = from.front();
    if (size % front.size == 0) {
      taken.push_back(front);
      size /= front.size;
      from.erase(from.begin());
      continue;
    }
    if (front.size % size != 0)
      return failure();
    int64_t inner = front.size / size;
    taken.push_back({front.kind, size, front.stride * inner});
    front.size = inner;
    size = 1;
  }
  return taken;
}

//===----------------------------------------------------------------------===//
// Views: ops that only move elements
//===----------------------------------------------------------------------===//

/// A linalg.generic whose body yields its one input, read through dims and
/// zeros of the loops (a broadcast, possibly dropping unit dims).
static bool isBroadcastGeneric(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      !op.isAllParallelLoops())
    return false;
  Block &body = op.getRegion().front();
  if (body.getOperations().size() != 1 ||
      body.getTerminator()->getOperand(0) != body.getArgument(0))
    return false;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!maps[1].isIdentity())
    return false;
  return llvm::all_of(maps[0].getResults(), [](AffineExpr expr) {
    auto constant = dyn_cast<AffineConstantExpr>(expr);
    return isa<AffineDimExpr>(expr) || (constant && constant.getValue() == 0);
  });
}

/// The operand a shape-only op reads: reshapes, transposes, slices and
/// broadcasts. Null for any other op.
Value heads::getViewSource(Operation *op) {
  return TypeSwitch<Operation *, Value>(op)
      .Case<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(
          [](auto reshape) { return reshape.getSrc(); })
      .Case([](tensor::ExtractSliceOp slice) { return slice.getSource(); })
      .Case<linalg::TransposeOp, linalg::BroadcastOp>(
          [](auto view) { return view.getInput(); })
      .Case([](linalg::GenericOp generic) {
        return isBroadcastGeneric(generic) ? generic.getDpsInputs()[0]
                                           : Value();
      })
      .Default(Value());
}

/// `shape`: the result shape (differs from the op's for a concatenation
/// piece, see transferPiece).
static FailureOr<Layout> transferExpand(ArrayRef<ReassociationIndices> groups,
                                        const Layout &in,
                                        ArrayRef<int64_t> shape) {
  Layout out{{}, in.featureOffset};
  for (auto [source, group] : llvm::enumerate(groups)) {
    Factors from = in.dims[source];
    for (int64_t dim : group) {
      FailureOr<Factors> taken = takeFactors(from, shape[dim]);
      if (failed(taken))
        return failure();
      out.dims.push_back(*taken);
    }
    dropUnitFactors(from);
    if (!from.empty())
      return failure();
  }
  return out;
}

static Layout transferCollapse(ArrayRef<ReassociationIndices> groups,
                               const Layout &in) {
  Layout out{{}, in.featureOffset};
  for (const ReassociationIndices &group : groups) {
    Factors merged;
    for (int64_t dim : group)
      llvm::append_range(merged, in.dims[dim]);
    out.dims.push_back(merged);
  }
  return out;
}

/// Slices keep a layout only when each sliced dimension is one Feature
/// factor: a contiguous feature range (the Q, K or V part of a fused QKV).
static FailureOr<Layout> transferSlice(tensor::ExtractSliceOp op,
                                       const Layout &in) {
  if (!op.hasUnitStride() || !op.getType().hasStaticShape() ||
      ShapedType::isDynamicShape(op.getStaticOffsets()))
    return failure();
  Layout out{{}, in.featureOffset};
  llvm::SmallBitVector dropped = op.getDroppedDims();
  ArrayRef<int64_t> sourceShape = op.getSourceType().getShape();
  for (auto [dim, factors] : llvm::enumerate(in.dims)) {
    Factors kept = factors;
    dropUnitFactors(kept);
    int64_t offset = op.getStaticOffsets()[dim];
    int64_t size = op.getStaticSizes()[dim];
    if (size != sourceShape[dim]) {
      if (kept.size() != 1 || kept[0].kind != FactorKind::Feature)
        return failure();
      out.featureOffset += offset * kept[0].stride;
      kept[0].size = size;
      dropUnitFactors(kept);
    }
    if (!dropped.test(dim))
      out.dims.push_back(kept);
  }
  return out;
}

static FailureOr<Layout> transferBroadcastGeneric(linalg::GenericOp op,
                                                  const Layout &in) {
  ArrayRef<int64_t> shape = getShape(op.getResult(0));
  Layout out{SmallVector<Factors>(shape.size()), in.featureOffset};
  SmallVector<bool> fromInput(shape.size(), false);
  for (auto [inputDim, expr] :
       llvm::enumerate(op.getIndexingMapsArray()[0].getResults())) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      out.dims[dim.getPosition()] = in.dims[inputDim];
      fromInput[dim.getPosition()] = true;
      continue;
    }
    Factors unit = in.dims[inputDim];
    dropUnitFactors(unit);
    if (!unit.empty())
      return failure();
  }
  for (auto [dim, size] : llvm::enumerate(shape))
    if (!fromInput[dim] && size != 1)
      out.dims[dim] = {{FactorKind::Repeat, size}};
  return out;
}

static Layout transferBroadcast(linalg::BroadcastOp op, const Layout &in) {
  ArrayRef<int64_t> shape = getShape(op->getResult(0));
  Layout out{{}, in.featureOffset};
  const Factors *next = in.dims.begin();
  for (auto [dim, size] : llvm::enumerate(shape)) {
    if (llvm::is_contained(op.getDimensions(), static_cast<int64_t>(dim)))
      out.dims.push_back({{FactorKind::Repeat, size}});
    else
      out.dims.push_back(*next++);
  }
  return out;
}

/// The layout of a view op's result given that of its source.
FailureOr<Layout> heads::transferReshape(const Layout &in,
                                         ArrayRef<int64_t> from,
                                         ArrayRef<int64_t> to) {
  if (from == to)
    return in;
  if (to.size() < from.size()) {
    if (auto groups = getReassociationIndicesForCollapse(from, to))
      return transferCollapse(*groups, in);
  } else if (to.size() > from.size()) {
    if (auto groups = getReassociationIndicesForCollapse(to, from))
      return transferExpand(*groups, in, to);
  }
  return failure();
}

FailureOr<Layout> heads::transferView(Operation *op, const Layout &in) {
  return TypeSwitch<Operation *, FailureOr<Layout>>(op)
      .Case([&](tensor::ExpandShapeOp expand) {
        return transferExpand(expand.getReassociationIndices(), in,
                              expand.getResultType().getShape());
      })
      .Case([&](tensor::CollapseShapeOp collapse) {
        return transferCollapse(collapse.getReassociationIndices(), in);
      })
      .Case([&](tensor::ExtractSliceOp slice) {
        return transferSlice(slice, in);
      })
      .Case([&](linalg::TransposeOp transpose) {
        Layout out{{}, in.featureOffset};
        for (int64_t dim : transpose.getPermutation())
          out.dims.push_back(in.dims[dim]);
        return out;
      })
      .Case([&](linalg::BroadcastOp broadcast) {
        return transferBroadcast(broadcast, in);
      })
      .Case([&](linalg::GenericOp generic) {
        return transferBroadcastGeneric(generic, in);
      })
      .Default([](Operation *) { return failure(); });
}

/// The value `value` is a view of: itself when no view op defines it.
Value heads::getViewRoot(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    Value source = getViewSource(def);
    if (!source)
      break;
    value = source;
  }
  return value;
}

/// A weight rather than an activation: up to views, a function argument or
/// a constant.
bool heads::isLeaf(Value value) {
  Value root = getViewRoot(value);
  return isa<BlockArgument>(root) || matchPattern(root, m_Constant());
}

//===----------------------------------------------------------------------===//
// Element-wise ops on the traced path
//===----------------------------------------------------------------------===//

/// For an all-parallel two-input generic with an identity result map whose
/// body is one arith op on the two inputs, that op; else null.
Operation *heads::getBinaryBody(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !op.isAllParallelLoops() || !op.getIndexingMapsArray()[2].isIdentity())
    return nullptr;
  Block &body = op.getRegion().front();
  if (body.getOperations().size() != 2)
    return nullptr;
  Operation &inner = body.front();
  if (inner.getNumOperands() != 2 || inner.getNumResults() != 1 ||
      body.getTerminator()->getOperand(0) != inner.getResult(0))
    return nullptr;
  for (Value operand : inner.getOperands())
    if (operand != body.getArgument(0) && operand != body.getArgument(1))
      return nullptr;
  return &inner;
}

/// Indices of the inputs of a two-input `op` read with an identity map whose
/// value is an activation of the result's shape.
SmallVector<unsigned, 2> heads::getActivationInputs(linalg::GenericOp op) {
  SmallVector<unsigned, 2> found;
  for (unsigned i = 0; i < 2; ++i) {
    Value input = op.getDpsInputs()[i];
    if (op.getIndexingMapsArray()[i].isIdentity() &&
        input.getType() == op.getResult(0).getType() && !isLeaf(input))
      found.push_back(i);
  }
  return found;
}

/// The one activation input of `op` (see getActivationInputs), if unique.
std::optional<unsigned> heads::getActivationInput(linalg::GenericOp op) {
  SmallVector<unsigned, 2> found = getActivationInputs(op);
  if (found.size() != 1)
    return std::nullopt;
  return found.front();
}

//===----------------------------------------------------------------------===//
// Concatenations
//===----------------------------------------------------------------------===//

/// The pieces of a concatenation along `dim`: tensor.insert_slice ops into a
/// tensor.empty, each covering the other dimensions whole, together tiling
/// `dim`.
static std::optional<SmallVector<ConcatPiece>> getPieces(Value value,
                                                         int64_t dim) {
  SmallVector<ConcatPiece> pieces;
  ArrayRef<int64_t> shape = getShape(value);
  while (auto insert = value.getDefiningOp<tensor::InsertSliceOp>()) {
    if (!insert.hasUnitStride() ||
        insert.getSourceType().getRank() != static_cast<int64_t>(shape.size()))
      return std::nullopt;
    for (auto [d, extent] : llvm::enumerate(shape)) {
      int64_t offset = insert.getStaticOffsets()[d];
      int64_t size = insert.getStaticSizes()[d];
      if (ShapedType::isDynamic(offset) || ShapedType::isDynamic(size) ||
          (static_cast<int64_t>(d) != dim && (offset != 0 || size != extent)))
        return std::nullopt;
    }
    pieces.push_back({insert.getSource(), insert.getStaticOffsets()[dim],
                      insert.getStaticSizes()[dim]});
    value = insert.getDest();
  }
  if (pieces.empty() || !value.getDefiningOp<tensor::EmptyOp>())
    return std::nullopt;
  llvm::sort(pieces, [](const ConcatPiece &a, const ConcatPiece &b) {
    return a.offset < b.offset;
  });
  int64_t next = 0;
  for (const ConcatPiece &piece : pieces) {
    if (piece.offset != next)
      return std::nullopt;
    next += piece.size;
  }
  if (next != shape[dim])
    return std::nullopt;
  return pieces;
}

std::optional<ConcatView> heads::findConcat(Value value, int64_t dim) {
  ConcatView concat;
  while (Operation *def = value.getDefiningOp()) {
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(def)) {
      SmallVector<ReassociationIndices> groups =
          collapse.getReassociationIndices();
      if (groups[dim].size() != 1)
        return std::nullopt;
      dim = groups[dim].front();
      value = collapse.getSrc();
    } else if (auto expand = dyn_cast<tensor::ExpandShapeOp>(def)) {
      SmallVector<ReassociationIndices> groups =
          expand.getReassociationIndices();
      auto group = llvm::find_if(groups, [&](const ReassociationIndices &g) {
        return llvm::is_contained(g, dim);
      });
      if (group->size() != 1)
        return std::nullopt;
      dim = std::distance(groups.begin(), group);
      value = expand.getSrc();
    } else if (auto transpose = dyn_cast<linalg::TransposeOp>(def)) {
      dim = transpose.getPermutation()[dim];
      value = transpose.getInput();
    } else {
      std::optional<SmallVector<ConcatPiece>> pieces = getPieces(value, dim);
      if (!pieces)
        return std::nullopt;
      concat.pieces = std::move(*pieces);
      concat.dim = dim;
      std::reverse(concat.views.begin(), concat.views.end());
      return concat;
    }
    concat.views.push_back(def);
  }
  return std::nullopt;
}

FailureOr<Layout> heads::transferPiece(const ConcatView &concat,
                                       const Layout &piece) {
  Layout layout = piece;
  int64_t dim = concat.dim;
  for (Operation *op : concat.views) {
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
      SmallVector<ReassociationIndices> groups =
          collapse.getReassociationIndices();
      dim = std::distance(groups.begin(),
                          llvm::find_if(groups, [&](const auto &g) {
                            return llvm::is_contained(g, dim);
                          }));
      layout = transferCollapse(collapse.getReassociationIndices(), layout);
    } else if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
      SmallVector<int64_t> shape(expand.getResultType().getShape());
      int64_t result = expand.getReassociationIndices()[dim].front();
      shape[result] = product(layout.dims[dim]);
      FailureOr<Layout> out =
          transferExpand(expand.getReassociationIndices(), layout, shape);
      if (failed(out))
        return failure();
      layout = *out;
      dim = result;
    } else {
      auto transpose = cast<linalg::TransposeOp>(op);
      dim = std::distance(transpose.getPermutation().begin(),
                          llvm::find(transpose.getPermutation(), dim));
      FailureOr<Layout> out = transferView(op, layout);
      if (failed(out))
        return failure();
      layout = *out;
    }
  }
  return layout;
}
