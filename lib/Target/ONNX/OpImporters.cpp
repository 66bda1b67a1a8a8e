//===- OpImporters.cpp - Registers every family of op importers -----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Target/ONNX/OpImporters.h"

void muon::onnx_import::populateAllOpImporters(OpImporterRegistry &registry) {
  populateTrainingOpImporters(registry);
  populateORTOptimizerImporters(registry);
  populateForwardAndGradientImporters(registry);
}
