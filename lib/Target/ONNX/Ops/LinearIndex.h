//===- LinearIndex.h - Indices as a root plus a constant --------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Exporters compute slice bounds at run time (x[i:i+k] in a loop body is
// Slice(x, Unsqueeze(i), Unsqueeze(Add(i, k)))); the result's shape is still
// static when the bounds differ by a constant. This analysis reads an
// integer element of the IR the importer emitted (reshapes, slices,
// Concat's insert_slice chains, element-wise generics with integer adds,
// subtractions and widening casts) as an opaque root element plus a
// constant, so two bounds with the same root differ by a known amount.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_TARGET_ONNX_OPS_LINEARINDEX_H
#define MUON_LIB_TARGET_ONNX_OPS_LINEARINDEX_H

#include "mlir/IR/Builders.h"

namespace muon::onnx_import {

/// An integer `root + offset`, where `root` is element `rootPosition`
/// (row-major) of a value the analysis does not see through, or absent (a
/// null Value) for a constant.
struct LinearElement {
  mlir::Value root;
  int64_t rootPosition = 0;
  int64_t offset = 0;

  bool isConstant() const { return !root; }
  bool hasSameRoot(const LinearElement &other) const {
    return root == other.root && rootPosition == other.rootPosition;
  }
};

/// Element `position` (row-major) of `value`, a statically shaped integer
/// tensor or an integer/index scalar. Always succeeds: a value it cannot see
/// through is itself the root.
LinearElement getLinearElement(mlir::Value value, int64_t position);

/// The run-time `index` value of `element` at the builder's insertion point,
/// computed from its root (which dominates the node's ops).
mlir::Value buildLinearElement(mlir::OpBuilder &b, mlir::Location loc,
                               const LinearElement &element);

} // namespace muon::onnx_import

#endif // MUON_LIB_TARGET_ONNX_OPS_LINEARINDEX_H
