//===- OptimToLinalg.h - Lower optim to linalg ------------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H
#define MUON_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace muon::optim {

/// Patterns lowering optim.newton_schulz, optim.adamw and optim.qk_clip to
/// linalg/tensor/arith/math/scf on tensors.
void populateOptimToLinalgConversionPatterns(mlir::RewritePatternSet &patterns);

} // namespace muon::optim

#endif // MUON_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H
