//===- OptimToLinalg.h - Lower optim to linalg ------------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H
#define MUON_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace muon {

/// How `optim.newton_schulz` runs its GEMMs on the linalg path.
enum class NewtonSchulzGemm {
  /// An `scf.for` of `linalg.matmul`s, for any compute type.
  Linalg,
  /// The runtimes' `muon_gpu_{gemm,syrk}_*` calls, as the GPU pipeline
  /// makes them, where the compute type is f32 or bf16 (else as Linalg).
  Runtime,
};

/// Patterns lowering optim.newton_schulz, optim.adamw, optim.qk_clip and the
/// ONNX optimizer ops to linalg/tensor/arith/math/scf on tensors.
void populateOptimToLinalgConversionPatterns(
    mlir::RewritePatternSet &patterns,
    NewtonSchulzGemm nsGemm = NewtonSchulzGemm::Linalg);

#define GEN_PASS_DECL_CONVERTOPTIMTOLINALGPASS
#include "muon/Conversion/Passes.h.inc"

} // namespace muon

#endif // MUON_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H
