//===- UpdateMath.h - Per-element math of the optimizer updates -*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The scalar arithmetic of one element of each update rule, shared by the
// linalg lowerings (CPU) and the fused kernels of the GPU pipeline, so that
// both compute exactly the same formulas.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_DIALECT_OPTIM_UTILS_UPDATEMATH_H
#define MUON_DIALECT_OPTIM_UTILS_UPDATEMATH_H

#include "muon/Dialect/Optim/IR/OptimOps.h"

#include "mlir/IR/Builders.h"

namespace muon::optim {

/// The learning-rate factor of `rule` for A×B matrices.
double getLrAdjustFactor(LrAdjust rule, const MatrixShape &matrix);

/// Momentum constants of one update, in the arithmetic type.
struct MomentumCoefficients {
  mlir::Value beta, oneMinusBeta;
  bool nesterov;

  MomentumCoefficients(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type,
                       double momentum, bool nesterov);

  /// Returns {M', U} of one element: M' = βM + (1 − β)G and
  /// U = nesterov ? (1 − β)G + βM' : M'.
  std::pair<mlir::Value, mlir::Value> build(mlir::OpBuilder &b,
                                            mlir::Location loc,
                                            mlir::Value grad,
                                            mlir::Value momentum) const;
};

/// Second-moment constants of one Muon² update, in the arithmetic type.
struct SecondMomentCoefficients {
  mlir::Value beta2, oneMinusBeta2, eps;

  SecondMomentCoefficients(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type type, Muon2Op op);
};

/// u / (sqrt(v) + ε) of one element.
mlir::Value buildPrecondition(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value update, mlir::Value secondMoment,
                              mlir::Value eps);

/// Scalars of the Muon weight update W' = W·decay − stepSize·O: stepSize =
/// lr·adjust and decay = 1 − lr·wd (null without weight decay).
struct ParamUpdateScalars {
  mlir::Value stepSize, decay;

  ParamUpdateScalars(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lr,
                     double adjust, double weightDecay);

  /// W·decay − stepSize·O of one element.
  mlir::Value build(mlir::OpBuilder &b, mlir::Location loc, mlir::Value param,
                    mlir::Value ortho) const;
};

/// Scalars of one AdamW update, computed in f64 (as torch does in Python
/// floats) from lr and the step count and rounded once to the arithmetic
/// type: the bias-corrected step size, sqrt(1 − β₂ᵗ) and the decay factor.
struct AdamWScalars {
  /// correction2Root is null where V' is not corrected (the Hugging Face
  /// variant, or no bias correction).
  mlir::Value stepSize, correction2Root, decay;
  /// Whether decay applies to the updated weight (Hugging Face).
  bool decayAfterUpdate;
  /// β₁, 1 − β₁, β₂, 1 − β₂ and ε in the arithmetic type.
  mlir::Value beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps;

  /// `lr` and `step` are scalars of any float/integer type.
  AdamWScalars(mlir::OpBuilder &b, mlir::Location loc, AdamWOp op,
               mlir::Value lr, mlir::Value step, mlir::Type arithType);

  /// Returns {W', M', V'} of one element (inputs in the arithmetic type),
  /// in the operation order of torch.optim.AdamW or, for the Hugging Face
  /// variant, ONNX Runtime's kernel.
  llvm::SmallVector<mlir::Value> build(mlir::OpBuilder &b, mlir::Location loc,
                                       mlir::Value param, mlir::Value grad,
                                       mlir::Value expAvg,
                                       mlir::Value expAvgSq) const;
};

} // namespace muon::optim

#endif // MUON_DIALECT_OPTIM_UTILS_UPDATEMATH_H
