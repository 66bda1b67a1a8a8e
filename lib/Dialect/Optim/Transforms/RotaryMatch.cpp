//===- RotaryMatch.cpp - Rotary embeddings on the traced path -------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "RotaryMatch.h"
#include "HeadLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace muon::optim;
using namespace muon::optim::heads;

static int64_t product(ArrayRef<int64_t> dims) {
  int64_t result = 1;
  for (int64_t d : dims)
    result *= d;
  return result;
}

namespace {
/// Walks back from `top`, whose leading dimensions index positions (batch,
/// head, sequence) and whose last one features, through ops that only
/// recombine the features of each position, to the one source all branches
/// reach: on each branch the first value with `top`'s features as its last
/// dimension that is not itself a combination (x itself in x·cos +
/// rotate_half(x)·sin, not the projection x may be a slice of). Reshapes
/// may regroup the positions (their row-major order is kept) and the
/// features separately.
class FeatureMix {
public:
  explicit FeatureMix(Value top) : top(top) {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(top.getType()).getShape();
    positions = product(shape.drop_back());
    features = shape.back();
  }

  /// Whether `value`, whose first `numPositionDims` dimensions index the
  /// positions, is such a combination of `source` (set at the first leaf).
  bool visit(Value value, int64_t numPositionDims);

  Value source;
  /// Whether an element-wise op or a concatenation was met (not only
  /// reshapes and slices, which the tracer follows by itself).
  bool combined = false;

private:
  bool visitLeaf(Value value, int64_t numPositionDims);
  bool visitGeneric(linalg::GenericOp generic, int64_t numPositionDims);

  Value top;
  int64_t positions, features;
};
} // namespace

bool FeatureMix::visitLeaf(Value value, int64_t numPositionDims) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(value.getType()).getShape();
  if (static_cast<int64_t>(shape.size()) != numPositionDims + 1 ||
      shape.back() != features)
    return false;
  if (!source)
    source = value;
  return source == value;
}

/// The body's values have a polynomial degree in the traced inputs: 0 for
/// constants, 1 for linear ones, 2 for anything else. Traced inputs are the
/// non-constant operands (identity maps) and tensors the body reads with
/// tensor.extract at the loop's own positions (the importer's Gather of a
/// constant index: x[..., 0] of (re, im) pairs).
bool FeatureMix::visitGeneric(linalg::GenericOp generic,
                              int64_t numPositionDims) {
  if (generic.getNumDpsInits() != 1 || !generic.isAllParallelLoops() ||
      !generic.getIndexingMapsArray().back().isIdentity())
    return false;
  Block &body = generic.getRegion().front();
  DenseMap<Value, int> degree;
  SmallVector<std::pair<Value, int64_t>> traced;
  for (auto [index, input] : llvm::enumerate(generic.getDpsInputs())) {
    if (matchPattern(input, m_Constant())) {
      degree[body.getArgument(index)] = 0;
      continue;
    }
    if (!generic.getIndexingMapsArray()[index].isIdentity())
      return false;
    degree[body.getArgument(index)] = 1;
    traced.push_back({input, numPositionDims});
  }
  auto getDegree = [&](Value v) {
    auto it = degree.find(v);
    // Values defined outside the body are constants or captured scalars:
    // degree 0 (a captured tensor is only read through tensor.extract).
    return it == degree.end() ? 0 : it->second;
  };
  for (Operation &op : body.without_terminator()) {
    int result = 0;
    if (isa<arith::AddFOp, arith::SubFOp>(op)) {
      int lhs = getDegree(op.getOperand(0)), rhs = getDegree(op.getOperand(1));
      // x + c is affine, not linear: a clip would not scale it.
      result = lhs == rhs ? lhs : 2;
    } else if (isa<arith::NegFOp>(op)) {
      result = getDegree(op.getOperand(0));
    } else if (isa<arith::MulFOp>(op)) {
      result = getDegree(op.getOperand(0)) + getDegree(op.getOperand(1));
    } else if (isa<arith::DivFOp>(op)) {
      result =
          getDegree(op.getOperand(1)) == 0 ? getDegree(op.getOperand(0)) : 2;
    } else if (auto extract = dyn_cast<tensor::ExtractOp>(op);
               extract &&
               !generic->isAncestor(
                   extract.getTensor().getParentRegion()->getParentOp())) {
      // Position indices must be the loop's own; feature indices any
      // constant-derived value.
      ValueRange indices = extract.getIndices();
      bool samePosition =
          static_cast<int64_t>(indices.size()) > numPositionDims;
      for (int64_t d = 0; samePosition && d < numPositionDims; ++d) {
        auto loop = indices[d].getDefiningOp<linalg::IndexOp>();
        samePosition = loop && static_cast<int64_t>(loop.getDim()) == d;
      }
      for (Value index : indices.drop_front(numPositionDims))
        if (getDegree(index) != 0)
          samePosition = false;
      result = samePosition ? 1 : 2;
      if (samePosition)
        traced.push_back({extract.getTensor(), numPositionDims});
    } else {
      for (Value operand : op.getOperands())
        result = std::max(result, getDegree(operand) == 0 ? 0 : 2);
    }
    for (Value r : op.getResults())
      degree[r] = std::min(result, 2);
  }
  if (traced.empty() || getDegree(body.getTerminator()->getOperand(0)) != 1)
    return false;
  return llvm::all_of(traced, [&](const std::pair<Value, int64_t> &input) {
    return visit(input.first, input.second);
  });
}

bool FeatureMix::visit(Value value, int64_t numPositionDims) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape() || type.getRank() <= numPositionDims ||
      product(type.getShape().take_front(numPositionDims)) != positions)
    return false;
  Operation *def = value.getDefiningOp();
  if (value != top && type.getRank() == numPositionDims + 1 &&
      type.getShape().back() == features &&
      !isa_and_nonnull<linalg::GenericOp, tensor::InsertSliceOp>(def))
    return visitLeaf(value, numPositionDims);
  // Each way back restores the source it found wrong before the value is
  // taken as a leaf.
  Value saved = source;
  auto attempt = [&](bool matched) {
    if (!matched)
      source = saved;
    return matched;
  };
  if (auto slice = dyn_cast_or_null<tensor::ExtractSliceOp>(def)) {
    bool wholePositions =
        slice.getSourceType().getRank() == type.getRank() &&
        llvm::all_of(llvm::seq<int64_t>(0, numPositionDims), [&](int64_t d) {
          return slice.getStaticOffsets()[d] == 0 &&
                 slice.getStaticStrides()[d] == 1 &&
                 slice.getStaticSizes()[d] ==
                     slice.getSourceType().getDimSize(d);
        });
    if (wholePositions && attempt(visit(slice.getSource(), numPositionDims)))
      return true;
  } else if (auto collapse = dyn_cast_or_null<tensor::CollapseShapeOp>(def)) {
    // The source dimensions the position groups cover.
    SmallVector<ReassociationIndices> groups =
        collapse.getReassociationIndices();
    int64_t sourceDims =
        numPositionDims == 0 ? 0 : groups[numPositionDims - 1].back() + 1;
    if (attempt(visit(collapse.getSrc(), sourceDims)))
      return true;
  } else if (auto expand = dyn_cast_or_null<tensor::ExpandShapeOp>(def)) {
    // The source dimensions whose groups are exactly the positions.
    int64_t sourceDims = 0;
    for (const ReassociationIndices &group : expand.getReassociationIndices()) {
      if (group.back() >= numPositionDims)
        break;
      ++sourceDims;
    }
    bool aligned =
        sourceDims == 0
            ? numPositionDims == 0
            : expand.getReassociationIndices()[sourceDims - 1].back() ==
                  numPositionDims - 1;
    if (aligned && attempt(visit(expand.getSrc(), sourceDims)))
      return true;
  } else if (auto generic = dyn_cast_or_null<linalg::GenericOp>(def)) {
    if (attempt(visitGeneric(generic, numPositionDims)))
      return combined = true;
  } else if (isa_and_nonnull<tensor::InsertSliceOp>(def)) {
    // A concatenation (torch.cat, torch.stack) along a feature dimension.
    for (int64_t dim = numPositionDims; dim < type.getRank(); ++dim) {
      std::optional<ConcatView> concat = findConcat(value, dim);
      if (!concat || !concat->views.empty())
        continue;
      if (attempt(llvm::all_of(concat->pieces, [&](const ConcatPiece &piece) {
            return visit(piece.source, numPositionDims);
          })))
        return combined = true;
    }
  }
  return visitLeaf(value, numPositionDims);
}

Value heads::matchFeatureMix(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() < 2 || !type.hasStaticShape())
    return Value();
  FeatureMix mix(value);
  if (!mix.visit(value, type.getRank() - 1) || !mix.combined ||
      mix.source == value)
    return Value();
  return mix.source;
}
