//===- Quantization.h - Integer arithmetic of quantized ops -----*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The two halves of the quantized products (MatMulInteger, QLinearMatMul,
// ConvInteger, QLinearConv): inputs centered on their zero points in i32,
// and an i32 accumulator requantized to int8/uint8. Defined in Quantize.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_TARGET_ONNX_OPS_QUANTIZATION_H
#define MUON_LIB_TARGET_ONNX_OPS_QUANTIZATION_H

#include "ImporterUtils.h"

namespace muon::onnx_import {

/// A per-channel vector `param` [M] (more than one element) reshaped to
/// broadcast along dimension `dim` of a rank-`rank` tensor; any other
/// parameter as it is.
mlir::Value alignVector(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value param, int64_t rank, int64_t dim);

/// Input `index` (int8 or uint8) minus `zeroPoint` (of its element type,
/// broadcasting to it; null: none) as i32.
mlir::FailureOr<mlir::Value>
buildCenteredInteger(NodeContext &ctx, unsigned index, mlir::Value zeroPoint);

/// saturate(rint(acc · (scales[0] · scales[1] / scales[2])) + zeroPoint):
/// the factor in the scales' float type, the product in f64 (as ONNX's
/// reference computes QLinearMatMul and QLinearConv), the result of
/// zeroPoint's int8 or uint8 type. Scales and zero point broadcast to the
/// accumulator.
mlir::FailureOr<mlir::Value> buildRequantized(NodeContext &ctx,
                                              mlir::Value accumulator,
                                              mlir::ValueRange scales,
                                              mlir::Value zeroPoint);

} // namespace muon::onnx_import

#endif // MUON_LIB_TARGET_ONNX_OPS_QUANTIZATION_H
