//===- GeluMath.h - Scalar GELU and its derivative --------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The exact (erf) GELU shared by Gelu/BiasGelu and their ORT gradients:
//   gelu(x)  = 0.5 x (1 + erf(x / sqrt(2)))
//   gelu'(x) = 0.5 (1 + erf(x / sqrt(2))) + x exp(-x^2 / 2) / sqrt(2 pi)
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_TARGET_ONNX_OPS_GELUMATH_H
#define MUON_LIB_TARGET_ONNX_OPS_GELUMATH_H

#include "mlir/IR/Builders.h"

namespace muon::onnx_import {

mlir::Value buildGelu(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);

/// The tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
mlir::Value buildTanhGelu(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value x);

mlir::Value buildGeluDerivative(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value x);

} // namespace muon::onnx_import

#endif // MUON_LIB_TARGET_ONNX_OPS_GELUMATH_H
