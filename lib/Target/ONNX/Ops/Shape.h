//===- Shape.h - Concat and Split builders ----------------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The cores of Concat and Split, shared with the sequence ops that concatenate
// a sequence's elements (ConcatFromSequence) and split a tensor into one
// (SplitToSequence).
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_TARGET_ONNX_OPS_SHAPE_H
#define MUON_LIB_TARGET_ONNX_OPS_SHAPE_H

#include "ImporterUtils.h"

namespace muon::onnx_import {

/// `inputs` (static tensors of one element type, equal outside `axis`)
/// concatenated along `axis` (in [-rank, rank)); mismatches are located
/// errors naming the input's position.
mlir::FailureOr<mlir::Value> buildConcat(NodeContext &ctx,
                                         mlir::ValueRange inputs, int64_t axis);

/// `input` split along `axis` (non-negative) into parts of `sizes`, which
/// must be non-negative and add up to the axis extent.
ImportResult buildSplit(NodeContext &ctx, mlir::Value input, int64_t axis,
                        llvm::ArrayRef<int64_t> sizes);

} // namespace muon::onnx_import

#endif // MUON_LIB_TARGET_ONNX_OPS_SHAPE_H
