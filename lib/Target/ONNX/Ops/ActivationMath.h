//===- ActivationMath.h - Scalar activations and derivatives ----*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The activations whose forward ops and ORT gradients share their math:
//   gelu(x)  = 0.5 x (1 + erf(x / sqrt(2)))
//   gelu'(x) = 0.5 (1 + erf(x / sqrt(2))) + x exp(-x^2 / 2) / sqrt(2 pi)
//   tanh_gelu(x)  = 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
//   tanh_gelu'(x) = 0.5 (1 + tanh(u)) + 0.5 x (1 - tanh(u)^2) du/dx
//   sigmoid(x) = 1 / (1 + exp(-x))
//   quick_gelu(x)  = x sigmoid(alpha x)          (alpha = 1: SiLU)
//   quick_gelu'(x) = s + alpha x s (1 - s),  s = sigmoid(alpha x)
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_TARGET_ONNX_OPS_ACTIVATIONMATH_H
#define MUON_LIB_TARGET_ONNX_OPS_ACTIVATIONMATH_H

#include "mlir/IR/Builders.h"

namespace muon::onnx_import {

mlir::Value buildGelu(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);

/// The tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
mlir::Value buildTanhGelu(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value x);

mlir::Value buildGeluDerivative(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value x);

mlir::Value buildTanhGeluDerivative(mlir::OpBuilder &b, mlir::Location loc,
                                    mlir::Value x);

mlir::Value buildSigmoid(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);

/// σ' from the output y = σ(x): y(1 − y).
mlir::Value buildSigmoidSlope(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value y);

/// tanh' from the output y = tanh(x): 1 − y².
mlir::Value buildTanhSlope(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value y);

mlir::Value buildQuickGelu(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value x, double alpha);

mlir::Value buildQuickGeluDerivative(mlir::OpBuilder &b, mlir::Location loc,
                                     mlir::Value x, double alpha);

} // namespace muon::onnx_import

#endif // MUON_LIB_TARGET_ONNX_OPS_ACTIVATIONMATH_H
