//===- OptimizerCommon.h - Shared checks of optimizer importers -*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Attribute and operand checks shared by the importers of ONNX's training
// operators and ONNX Runtime's optimizer operators.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_TARGET_ONNX_OPS_OPTIMIZERCOMMON_H
#define MUON_LIB_TARGET_ONNX_OPS_OPTIMIZERCOMMON_H

#include "muon/Target/ONNX/OpImporter.h"

namespace muon::onnx_import {

/// A float attribute widened to double; `defaultValue` when absent, or an
/// error when absent and required (no default).
mlir::FailureOr<double> getFloatAttr(NodeContext &ctx, llvm::StringRef name,
                                     std::optional<double> defaultValue);

/// An int attribute, `defaultValue` when absent.
mlir::FailureOr<int64_t> getIntAttr(NodeContext &ctx, llvm::StringRef name,
                                    int64_t defaultValue);

/// Operand `index` as a present 0-d tensor: a float one for learning rates
/// (`what` names it in errors), an integer or float one for step counts.
mlir::FailureOr<mlir::Value> getScalarOperand(NodeContext &ctx, unsigned index,
                                              llvm::StringRef what,
                                              bool allowInteger);

/// Verifies a freshly built op (its verifier reports at the node).
mlir::LogicalResult verifyCreated(mlir::Operation *op);

} // namespace muon::onnx_import

#endif // MUON_LIB_TARGET_ONNX_OPS_OPTIMIZERCOMMON_H
