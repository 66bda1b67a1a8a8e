//===- Populate.cpp - Every family of ONNX op importers -------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Target/ONNX/OpImporters.h"

void muon::onnx_import::populateAllOpImporters(OpImporterRegistry &registry) {
  populateTrainingOpImporters(registry);
  populateORTOptimizerImporters(registry);
  populateConstantImporters(registry);
  populateElementwiseImporters(registry);
  populateLogicImporters(registry);
  populateMatMulImporters(registry);
  populateConvImporters(registry);
  populatePoolImporters(registry);
  populatePadImporters(registry);
  populateResizeImporters(registry);
  populateShapeImporters(registry);
  populateSliceImporters(registry);
  populateDepthToSpaceImporters(registry);
  populateEinsumImporters(registry);
  populateReductionImporters(registry);
  populateNormalizationImporters(registry);
  populateActivationImporters(registry);
  populateAttentionImporters(registry);
  populateLossImporters(registry);
  populateGradientImporters(registry);
  populateActivationGradImporters(registry);
  populateDropoutImporters(registry);
  populateLSTMImporters(registry);
  populateGRUImporters(registry);
  populateRNNImporters(registry);
  populateQuantizeImporters(registry);
  populateRotaryImporters(registry);
  populateLegacyNormalizationImporters(registry);
  populateReverseSequenceImporters(registry);
  populateTensorScatterImporters(registry);
  populateCausalConvImporters(registry);
  populateLinearAttentionImporters(registry);
  populateGridSampleImporters(registry);
  populateSignalImporters(registry);
  populateDetImporters(registry);
  populateControlFlowImporters(registry);
  populateSequenceImporters(registry);
  populateOptionalImporters(registry);
}
