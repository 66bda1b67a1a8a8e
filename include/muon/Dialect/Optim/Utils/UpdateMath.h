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

#include <optional>

namespace muon::optim {

/// The learning-rate factor of `rule` for A×B matrices.
double getLrAdjustFactor(LrAdjust rule, const MatrixShape &matrix);

/// Momentum constants of one update, in the arithmetic type.
struct MomentumCoefficients {
  mlir::Value beta, oneMinusBeta;
  bool nesterov;

  MomentumCoefficients(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type,
                       double momentum, bool nesterov);
  /// β and 1 − β known at run time, scalars of the arithmetic type
  /// (buildRuntimeDecay).
  MomentumCoefficients(mlir::Value beta, mlir::Value oneMinusBeta,
                       bool nesterov)
      : beta(beta), oneMinusBeta(oneMinusBeta), nesterov(nesterov) {}

  /// Returns {M', U} of one element: M' = βM + (1 − β)G and
  /// U = nesterov ? (1 − β)G + βM' : M'.
  std::pair<mlir::Value, mlir::Value> build(mlir::OpBuilder &b,
                                            mlir::Location loc,
                                            mlir::Value grad,
                                            mlir::Value momentum) const;
};

/// β and 1 − β of a decay rate read at run time (Muon's momentum, AdamW's
/// β₁; `beta` a scalar of any float type), computed in f64 and each rounded
/// once to `arithType`, as the constants of an attribute are.
llvm::SmallVector<mlir::Value> buildRuntimeDecay(mlir::OpBuilder &b,
                                                 mlir::Location loc,
                                                 mlir::Value beta,
                                                 mlir::Type arithType);

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
                     mlir::Value adjust, double weightDecay);
  /// The scalars getValues() returned, read back (e.g. as the arguments of
  /// a generic that takes them as inputs).
  explicit ParamUpdateScalars(mlir::ValueRange values);

  /// stepSize, then decay where there is one.
  llvm::SmallVector<mlir::Value> getValues() const;

  /// W·decay − stepSize·O of one element.
  mlir::Value build(mlir::OpBuilder &b, mlir::Location loc, mlir::Value param,
                    mlir::Value ortho) const;
};

//===----------------------------------------------------------------------===//
// Newton–Schulz
//===----------------------------------------------------------------------===//

/// The type the Newton–Schulz input U is rounded to before its norm: the
/// compute type where it is strictly narrower than `elementType`, else
/// `elementType`. A bf16 Newton–Schulz of f32 updates normalizes the rounded
/// U, as torch.optim.Muon rounds G to bf16 before its norm.
mlir::Type getNSInputType(mlir::Type elementType, mlir::Type computeType);

/// Whether Newton–Schulz iterates on Xᵀ (tall matrices, rows > cols): the
/// Gram matrix is then the smaller one, m×m with m = min(rows, cols).
bool iteratesTransposed(const MatrixShape &matrix);

/// The normalization X₀ = U / (‖U‖_F·s + e) of Newton–Schulz. Everything is
/// in f64, like the norm: U near f32's range has a norm beyond it, and an f32
/// Σ u² underflows below ~1e-19.
struct NSNormalization {
  /// s and e of `schedule`, as f64 constants.
  NSNormalization(mlir::OpBuilder &b, mlir::Location loc,
                  NSScheduleAttr schedule);

  /// sqrt(Σ u²)·s + e of one matrix from its f64 sum of squares.
  mlir::Value buildDenominator(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value sumOfSquares) const;

  /// u / `denominator` (u widened to f64), rounded to `type` through f32
  /// (hosts convert f64 to bf16 only through compiler-rt; the GPU program
  /// also runs emulated there).
  mlir::Value buildElement(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value element, mlir::Value denominator,
                           mlir::Type type) const;

  mlir::Value scale, eps;
};

//===----------------------------------------------------------------------===//
// Muon
//===----------------------------------------------------------------------===//

/// The per-element results of a Muon/Muon² update's moment stage.
struct MuonMoments {
  /// M' and the Newton–Schulz input U (preconditioned for Muon²).
  mlir::Value newMomentum, update;
  /// V' of a full second moment; null for Muon and Muon²-F.
  mlir::Value newSecondMoment;
};

/// The per-element math of one `optim.muon`/`optim.muon2`, shared by the
/// linalg decomposition and the fused kernels. Built once per op, before its
/// first loop: the constructor creates the moment constants.
class MuonUpdateMath {
public:
  /// `op` is an `optim.muon` or `optim.muon2`.
  MuonUpdateMath(mlir::OpBuilder &b, mlir::Location loc, mlir::Operation *op);

  /// The type the element-wise math runs in.
  mlir::FloatType getArithType() const { return arithType; }
  /// Whether V is one tensor of the parameter's shape (Muon² unfactored).
  bool hasFullSecondMoment() const { return second && !factored; }
  /// β₂, 1 − β₂ and ε of a Muon² update.
  const SecondMomentCoefficients &getSecondMoment() const { return *second; }

  /// M' = βM + (1 − β)G, U (Nesterov blend) and, when `secondMoment` is
  /// given, V' = β₂V + (1 − β₂)G² and U / (sqrt(V') + ε), of one element
  /// (inputs in the arithmetic type). `runtime` gives β where the op reads
  /// it from its `momentum` operand.
  MuonMoments buildMoments(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value grad, mlir::Value momentum,
                           mlir::Value secondMoment = {},
                           const MomentumCoefficients *runtime = nullptr) const;

  /// adjust(A, B) of the op's lr_adjust rule for a member of A×B matrices
  /// (members of a bucket may be each other's transposes), in the arithmetic
  /// type.
  mlir::Value buildAdjust(mlir::OpBuilder &b, mlir::Location loc,
                          const MatrixShape &matrix) const;

  /// lr·adjust and 1 − lr·wd from lr and adjust in the arithmetic type.
  ParamUpdateScalars buildParamScalars(mlir::OpBuilder &b, mlir::Location loc,
                                       mlir::Value lr,
                                       mlir::Value adjust) const;

private:
  mlir::FloatType arithType;
  std::optional<MomentumCoefficients> momentum;
  std::optional<SecondMomentCoefficients> second;
  bool factored = false;
  LrAdjust lrAdjust;
  double weightDecay;
};

/// 1 − βᵗ, the bias correction of a moment after t steps, in the type of
/// `step`.
mlir::Value buildBiasCorrection(mlir::OpBuilder &b, mlir::Location loc,
                                double beta, mlir::Value step);
/// The same for a β known at run time, a scalar of `step`'s type.
mlir::Value buildBiasCorrection(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value beta, mlir::Value step);

/// lr and the step count of one update in f64, as torch and ONNX Runtime
/// compute their step-dependent scalars (in Python floats, in double), and
/// the helpers that build those scalars and round them once to the
/// arithmetic type of the element-wise math.
struct StepScalars {
  /// `lr` and `step` are scalars of any float/integer type; lr is converted
  /// first.
  StepScalars(mlir::OpBuilder &b, mlir::Location loc, mlir::Type arithType,
              mlir::Value lr, mlir::Value step);

  mlir::Value f64(double value) const;
  mlir::Value arith(double value) const;
  /// Rounds an f64 scalar to the arithmetic type.
  mlir::Value round(mlir::Value value) const;
  /// `onPositive` when t > 0, else `onFirst` (ONNX's first-update rule).
  mlir::Value selectOnStep(mlir::Value onPositive, mlir::Value onFirst) const;
  /// max(t, 1): t < 1 would make 1 − βᵗ zero or negative (t = 0: a division
  /// by zero), so such steps are taken as the first one (AdamW).
  mlir::Value firstStepAtLeastOne() const;
  /// 1 − β^`step` in f64 (β a constant, or an f64 scalar).
  mlir::Value biasCorrection(double beta, mlir::Value step) const;
  mlir::Value biasCorrection(mlir::Value beta, mlir::Value step) const;

  mlir::OpBuilder &b;
  mlir::Location loc;
  mlir::Type arithType;
  /// In f64.
  mlir::Value lr, step;
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

  AdamWScalars(AdamWOp op, const StepScalars &scalars, mlir::Value beta1 = {});
  /// The coefficients (β₁ … ε) at `b`'s insertion point and the step
  /// scalars `stepValues` (buildStepValues of this op, e.g. as
  /// the arguments of a generic that takes them as inputs).
  AdamWScalars(AdamWOp op, mlir::OpBuilder &b, mlir::Location loc,
               mlir::Type arithType, mlir::ValueRange stepValues);

  /// The step scalars alone, from lr, the step and, where the op has its
  /// `beta1` operand, `beta1` (a scalar of any float type, the operand's
  /// value): stepSize, correction2Root where there is one, decay, then β₁
  /// and 1 − β₁ where the op reads β₁ at run time.
  static llvm::SmallVector<mlir::Value>
  buildStepValues(AdamWOp op, const StepScalars &scalars,
                  mlir::Value beta1 = {});

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
