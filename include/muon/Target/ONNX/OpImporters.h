//===- OpImporters.h - The families of ONNX op importers --------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// One populate function per file of lib/Target/ONNX/Ops/; the importer
// registers every family through `populateAllOpImporters`.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_TARGET_ONNX_OPIMPORTERS_H
#define MUON_TARGET_ONNX_OPIMPORTERS_H

#include "muon/Target/ONNX/OpImporter.h"

namespace muon::onnx_import {

/// ai.onnx.preview.training: Momentum, Adagrad, Adam (opset 1).
void populateTrainingOpImporters(OpImporterRegistry &registry);
/// com.microsoft (ONNX Runtime training): AdamWOptimizer, SGDOptimizerV2.
void populateORTOptimizerImporters(OpImporterRegistry &registry);

/// Every family above.
void populateAllOpImporters(OpImporterRegistry &registry);

} // namespace muon::onnx_import

#endif // MUON_TARGET_ONNX_OPIMPORTERS_H
