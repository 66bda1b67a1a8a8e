//===- ConstantFolding.h - Constant node results ----------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Shape-valued inputs (Reshape's shape, Expand's, axes, repeats) must be
// constants on static shapes. Exporters and ORT's gradient builder often
// compute them from constants (Shape, Unsqueeze, Concat, Gather, ...), at
// times through float arithmetic and a Cast back (torch code that computes a
// length in floats, as Funnel's relative positions do), so the importer
// evaluates the IR a node's importer emitted when it yields small integer or
// float tensors from constants, and replaces those results by constants.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_TARGET_ONNX_CONSTANTFOLDING_H
#define MUON_LIB_TARGET_ONNX_CONSTANTFOLDING_H

#include "mlir/IR/Builders.h"

namespace muon::onnx_import {

/// Evaluates on the host the ops from `begin` to the builder's insertion
/// point (one node's import). If they only read constants, the integer and
/// float tensors among `results` (a few thousand elements at most) are
/// replaced by `arith.constant`s and the ops left unused are erased;
/// otherwise nothing changes.
void foldConstantResults(mlir::OpBuilder &builder, mlir::Block::iterator begin,
                         llvm::MutableArrayRef<mlir::Value> results);

} // namespace muon::onnx_import

#endif // MUON_LIB_TARGET_ONNX_CONSTANTFOLDING_H
