//===- ONNXImporter.h - ONNX models to MLIR ---------------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Imports an ONNX model (ModelProto) into a module of `func.func`s:
//
// - the model's graph becomes one function named after the graph (`main`
//   when unnamed): graph inputs are arguments, initializers `arith.constant`s,
//   graph outputs results;
// - each TrainingInfoProto i becomes `train_step` (`train_step_<i>` when
//   there are several): the graph obtained by appending the training
//   algorithm to the model's graph, whose arguments are the initializers the
//   update_binding trains (in binding order) followed by the inputs of both
//   graphs, and whose results are the new values of the trained
//   initializers (in binding order) followed by the outputs of both graphs;
//   a non-empty initialization graph becomes `train_init[_<i>]` returning
//   the initialization_binding's values in binding order.
//
// Every argument and result carries its ONNX name as an `onnx.name` string
// attribute (`optim-assign` matches parameter names against it). Types must
// be static. Sequence-typed values (ONNX Runtime's optimizer models) need
// their element types given in the options; a sequence argument or result
// becomes one per element.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_TARGET_ONNX_ONNXIMPORTER_H
#define MUON_TARGET_ONNX_ONNXIMPORTER_H

#include "muon/Target/ONNX/TensorProto.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBufferRef.h"

#include <string>

namespace muon::onnx_import {

/// Attribute naming each argument and result after its ONNX value.
inline constexpr llvm::StringLiteral kONNXNameAttr = "onnx.name";
/// `onnx.name` of the step counter argument (tensor<i64>) that a function
/// with random ops (training-mode Dropout) gains after the graph's inputs.
inline constexpr llvm::StringLiteral kRandomStepName = "muon.random_step";

/// ORT's suffix of the graph input parameter p's gradient accumulates into
/// (`<p>_grad.accumulation.buffer`).
inline constexpr llvm::StringLiteral kGradientBufferSuffix =
    "_grad.accumulation.buffer";

struct ONNXImportOptions {
  /// Larger files are rejected before parsing: protobuf cannot parse
  /// messages of 2 GiB or more.
  uint64_t maxFileBytes = (uint64_t(1) << 31) - 1;
  /// Largest element count of one tensor (initializer, input or output).
  uint64_t maxTensorElements = kDefaultMaxTensorElements;
  /// Element types of sequence-typed values, by ONNX value name, in the
  /// `--onnx-sequence` spelling: "4x8xf32,8xf32".
  llvm::StringMap<std::string> sequenceTypes;
  /// Values of symbolic dimensions (ONNX dim_param names, such as a batch
  /// dimension exported as dynamic), like ONNX Runtime's free dimension
  /// overrides: `--onnx-dim=batch=8`.
  llvm::StringMap<int64_t> dimValues;
};

/// Imports the serialized ModelProto in `buffer` (its identifier names the
/// file in locations). Emits located diagnostics and returns null on error.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXModel(llvm::MemoryBufferRef buffer, mlir::MLIRContext *context,
                const ONNXImportOptions &options = {});

/// Registers the `--import-onnx` translation (and its options) with
/// mlir-translate's main.
void registerImportONNXTranslation();

} // namespace muon::onnx_import

#endif // MUON_TARGET_ONNX_ONNXIMPORTER_H
