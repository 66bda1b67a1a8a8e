//===- RotaryMatch.h - Rotary embeddings on the traced path -----*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// A rotary embedding rotates pairs of features of each head by angles that
// depend on the position only: in every form models write (rotate_half's
// half-split, interleaved even/odd pairs, partial rotary, the real form of
// a complex multiply), each output feature is a combination with constant
// coefficients of the features of the same position and head. Scaling a
// head's projection then scales its rotated features alike, so QK-clip can
// trace through the embedding to the projection.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_DIALECT_OPTIM_TRANSFORMS_ROTARYMATCH_H
#define MUON_LIB_DIALECT_OPTIM_TRANSFORMS_ROTARYMATCH_H

#include "mlir/IR/Value.h"

namespace muon::optim::heads {

/// The value `x` of which `value` is a linear combination, with constant
/// coefficients, of the features of each position: the last dimension of
/// `value` and of `x` holds the features (as many on both), the others the
/// positions (as many on both, possibly grouped differently: `x` reshapes
/// to `value`). Through slices, reshapes and concatenations that keep the
/// positions apart, element-wise sums, differences, negations and products
/// with constants, and Gathers of constant feature indices. Null when
/// `value` is no such combination or is `x` itself.
mlir::Value matchFeatureMix(mlir::Value value);

} // namespace muon::optim::heads

#endif // MUON_LIB_DIALECT_OPTIM_TRANSFORMS_ROTARYMATCH_H
