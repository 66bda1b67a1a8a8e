//===- HeadLayout.h - Following attention heads through views ---*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The layout algebra of attention matching (AttentionMatch.cpp): which
// projection feature each element of a tensor comes from, carried through
// the ops that only move elements (reshapes, transposes, slices,
// broadcasts, concatenations), and small queries on linalg.generic bodies.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_DIALECT_OPTIM_TRANSFORMS_HEADLAYOUT_H
#define MUON_LIB_DIALECT_OPTIM_TRANSFORMS_HEADLAYOUT_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace muon::optim::heads {

enum class FactorKind { Other, Feature, Repeat, Head };

/// One factor of a dimension. A Feature factor of stride s adds i·s to the
/// projection feature that element i comes from.
struct Factor {
  FactorKind kind;
  int64_t size;
  int64_t stride = 0;
};
using Factors = llvm::SmallVector<Factor, 2>;

/// Where the elements of a traced tensor come from.
struct Layout {
  llvm::SmallVector<Factors> dims;
  /// Added to every feature (Q/K/V slices of one fused projection).
  int64_t featureOffset = 0;
};

mlir::ArrayRef<int64_t> getShape(mlir::Value value);
void dropUnitFactors(Factors &factors);
int64_t product(llvm::ArrayRef<Factor> factors);

/// The operand a shape-only op reads: reshapes, transposes, slices and
/// broadcasts. Null for any other op.
mlir::Value getViewSource(mlir::Operation *op);

/// The layout of a view op's result given that of its source.
mlir::FailureOr<Layout> transferView(mlir::Operation *op, const Layout &in);

/// The layout of a value of shape `from` reshaped to `to` (one collapse or
/// one expansion of contiguous dimensions), if such a reshape exists.
mlir::FailureOr<Layout> transferReshape(const Layout &in,
                                        llvm::ArrayRef<int64_t> from,
                                        llvm::ArrayRef<int64_t> to);

/// The value `value` is a view of: itself when no view op defines it.
mlir::Value getViewRoot(mlir::Value value);

/// A weight rather than an activation: up to views, a function argument or
/// a constant.
bool isLeaf(mlir::Value value);

/// For an all-parallel two-input generic with an identity result map whose
/// body is one op on the two inputs, that op; else null.
mlir::Operation *getBinaryBody(mlir::linalg::GenericOp op);

/// Indices of the inputs of a two-input `op` read with an identity map whose
/// value is an activation of the result's shape.
llvm::SmallVector<unsigned, 2> getActivationInputs(mlir::linalg::GenericOp op);

/// The one activation input of `op` (see getActivationInputs), if unique.
std::optional<unsigned> getActivationInput(mlir::linalg::GenericOp op);

/// One input of a concatenation: `source` fills [offset, offset + size) of
/// the concatenated dimension.
struct ConcatPiece {
  mlir::Value source;
  int64_t offset, size;
};

/// A concatenation (tensor.insert_slice ops into a tensor.empty) seen through
/// reshapes and transposes that keep the concatenated dimension whole.
struct ConcatView {
  /// Ordered by offset.
  llvm::SmallVector<ConcatPiece> pieces;
  /// The concatenated dimension of the concatenation's result.
  int64_t dim = 0;
  /// The views from the concatenation to the value it was found from.
  llvm::SmallVector<mlir::Operation *> views;
};

/// The concatenation along dimension `dim` of `value` that `value` is a view
/// of, if any.
std::optional<ConcatView> findConcat(mlir::Value value, int64_t dim);

/// The layout the value findConcat started from would have if it held only
/// the piece whose layout is `piece` (the views re-applied with the
/// concatenated dimension at the piece's extent).
mlir::FailureOr<Layout> transferPiece(const ConcatView &concat,
                                      const Layout &piece);

} // namespace muon::optim::heads

#endif // MUON_LIB_DIALECT_OPTIM_TRANSFORMS_HEADLAYOUT_H
