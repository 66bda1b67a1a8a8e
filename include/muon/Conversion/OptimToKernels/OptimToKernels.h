//===- OptimToKernels.h - Lower optim to fused kernels ----------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_CONVERSION_OPTIMTOKERNELS_OPTIMTOKERNELS_H
#define MUON_CONVERSION_OPTIMTOKERNELS_OPTIMTOKERNELS_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace muon {

/// Patterns lowering optim.muon, optim.muon2 (full second moment),
/// optim.adamw and optim.newton_schulz to fused kernels and runtime GEMM
/// calls.
void populateOptimToKernelsConversionPatterns(
    mlir::RewritePatternSet &patterns);

#define GEN_PASS_DECL_CONVERTOPTIMTOKERNELSPASS
#include "muon/Conversion/Passes.h.inc"

} // namespace muon

#endif // MUON_CONVERSION_OPTIMTOKERNELS_OPTIMTOKERNELS_H
