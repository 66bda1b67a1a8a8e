//===- FunctionInlining.h - Expand ONNX model-local functions ---*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Replaces each node that calls one of the model's local functions
// (ModelProto.functions: exporters such as torch's dynamo exporter or
// onnxscript write them) by the function's body, so that the op importers
// only ever see the ops of the body.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_TARGET_ONNX_FUNCTIONINLINING_H
#define MUON_LIB_TARGET_ONNX_FUNCTIONINLINING_H

#include "mlir/IR/Location.h"
#include "mlir/Support/LLVM.h"

namespace onnx {
class ModelProto;
} // namespace onnx

namespace muon::onnx_import {

/// Inlines the calls of local functions in the main graph and the training
/// graphs of `model`, recursively: body values are renamed
/// "<call node>/<name>" (and body nodes likewise), attribute references bound
/// to the call's attributes or the function's defaults. Fails, located at
/// `fileLoc` and naming the call, on a recursive call, a function defined
/// twice, a function whose opset of a domain differs from the model's, or a
/// body with subgraphs.
mlir::LogicalResult inlineLocalFunctions(onnx::ModelProto &model,
                                         mlir::Location fileLoc);

} // namespace muon::onnx_import

#endif // MUON_LIB_TARGET_ONNX_FUNCTIONINLINING_H
