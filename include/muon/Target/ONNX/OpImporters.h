//===- OpImporters.h - The families of ONNX op importers --------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// One populate function per file of lib/Target/ONNX/Ops/; the importer
// registers every family through `populateAllOpImporters` (Ops/Populate.cpp).
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

//===----------------------------------------------------------------------===//
// Forward and gradient ops (lib/Target/ONNX/Ops, library MuonONNXOps):
// linalg/tensor/arith/math on static shapes.
//===----------------------------------------------------------------------===//

/// Constant, ConstantOfShape, Range (constant scalars).
void populateConstantImporters(OpImporterRegistry &registry);
/// Add/Sub/Mul/Div/Pow (broadcasting), Sum/Mean/Max/Min, unary float math,
/// Identity.
void populateElementwiseImporters(OpImporterRegistry &registry);
/// Equal/Less/LessOrEqual/Greater/GreaterOrEqual, Not/And/Or/Xor, Where,
/// Cast.
void populateLogicImporters(OpImporterRegistry &registry);
/// MatMul (batch broadcasting), Gemm, com.microsoft FusedMatMul.
void populateMatMulImporters(OpImporterRegistry &registry);
void populateConvImporters(OpImporterRegistry &registry);
/// MaxPool, AveragePool, GlobalAveragePool and ORT's MaxPoolGrad,
/// AveragePoolGrad (Pool.cpp).
void populatePoolImporters(OpImporterRegistry &registry);
/// Pad: constant, edge, reflect and wrap modes (Pad.cpp).
void populatePadImporters(OpImporterRegistry &registry);
/// Resize (nearest, linear) and com.microsoft ResizeGrad (Resize.cpp).
void populateResizeImporters(OpImporterRegistry &registry);
/// Reshape, Transpose, Split, Concat, Shape, Gather, Squeeze, Unsqueeze,
/// Flatten, Expand, Tile.
void populateShapeImporters(OpImporterRegistry &registry);
/// Slice and com.microsoft SliceGrad, with constant bounds or run-time ones
/// a constant apart (Slice.cpp).
void populateSliceImporters(OpImporterRegistry &registry);
void populateDepthToSpaceImporters(OpImporterRegistry &registry);
void populateEinsumImporters(OpImporterRegistry &registry);
/// ReduceSum, ReduceMean, ReduceMax.
void populateReductionImporters(OpImporterRegistry &registry);
/// LayerNormalization, SimplifiedLayerNormalization (RMSNorm) and their
/// com.microsoft gradients.
void populateNormalizationImporters(OpImporterRegistry &registry);
/// Softmax, LogSoftmax, Gelu, com.microsoft BiasGelu and QuickGelu.
void populateActivationImporters(OpImporterRegistry &registry);
/// Attention (opset 23), com.microsoft MultiHeadAttention and Attention,
/// lowered to the unfused matmul/softmax form.
void populateAttentionImporters(OpImporterRegistry &registry);
/// SoftmaxCrossEntropyLoss and com.microsoft SoftmaxCrossEntropyLossGrad.
void populateLossImporters(OpImporterRegistry &registry);
/// com.microsoft SoftmaxGrad(_13), LogSoftmaxGrad(_13), GatherGrad,
/// InPlaceAccumulator(V2).
void populateGradientImporters(OpImporterRegistry &registry);
/// com.microsoft ReluGrad, TanhGrad, SigmoidGrad, GeluGrad, BiasGeluGrad_dX,
/// QuickGeluGrad.
void populateActivationGradImporters(OpImporterRegistry &registry);
/// Dropout (a random mask in training mode), com.microsoft DropoutGrad,
/// RandomUniform and RandomUniformLike.
void populateDropoutImporters(OpImporterRegistry &registry);
/// LSTM, com.microsoft LSTMTraining and LSTMGrad.
void populateLSTMImporters(OpImporterRegistry &registry);
/// GRU, com.microsoft GRUTraining and GRUGrad.
void populateGRUImporters(OpImporterRegistry &registry);
/// RNN (tanh).
void populateRNNImporters(OpImporterRegistry &registry);
void populateQuantizeImporters(OpImporterRegistry &registry);
void populateRotaryImporters(OpImporterRegistry &registry);
void populateLegacyNormalizationImporters(OpImporterRegistry &registry);
void populateReverseSequenceImporters(OpImporterRegistry &registry);
void populateTensorScatterImporters(OpImporterRegistry &registry);
/// CausalConvWithState (Mamba's and Gated DeltaNet's short convolution).
void populateCausalConvImporters(OpImporterRegistry &registry);
/// LinearAttention (linear, gated, delta and gated-delta recurrences).
void populateLinearAttentionImporters(OpImporterRegistry &registry);
/// GridSample and AffineGrid (spatial transformers).
void populateGridSampleImporters(OpImporterRegistry &registry);
/// DFT, STFT, MelWeightMatrix and the Hann, Hamming and Blackman windows.
void populateSignalImporters(OpImporterRegistry &registry);
/// Det (LU with partial pivoting).
void populateDetImporters(OpImporterRegistry &registry);
/// If, Loop and Scan (GRAPH-attribute bodies, as scf.if/for/while).
void populateControlFlowImporters(OpImporterRegistry &registry);
/// Sequence ops (static lists of tensors at import) and SequenceMap.
void populateSequenceImporters(OpImporterRegistry &registry);
/// Optional, OptionalHasElement and OptionalGetElement (decided at import).
void populateOptionalImporters(OpImporterRegistry &registry);
/// Every family above.
void populateAllOpImporters(OpImporterRegistry &registry);

} // namespace muon::onnx_import

#endif // MUON_TARGET_ONNX_OPIMPORTERS_H
