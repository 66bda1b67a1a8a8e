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

/// Patterns lowering optim.newton_schulz, optim.adamw, optim.qk_clip and the
/// ONNX optimizer ops to linalg/tensor/arith/math/scf on tensors.
void populateOptimToLinalgConversionPatterns(mlir::RewritePatternSet &patterns);

#define GEN_PASS_DECL_CONVERTOPTIMTOLINALGPASS
#include "muon/Conversion/Passes.h.inc"

} // namespace muon

#endif // MUON_CONVERSION_OPTIMTOLINALG_OPTIMTOLINALG_H
