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

} // namespace muon::optim::heads

#endif // MUON_LIB_DIALECT_OPTIM_TRANSFORMS_HEADLAYOUT_H
