//===- PatternsImpl.h - Per-op kernel lowering patterns ---------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_CONVERSION_OPTIMTOKERNELS_PATTERNSIMPL_H
#define MUON_LIB_CONVERSION_OPTIMTOKERNELS_PATTERNSIMPL_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace muon::optim {

void populateMuonToKernelsPatterns(mlir::RewritePatternSet &patterns);
void populateAdamWToKernelsPatterns(mlir::RewritePatternSet &patterns);

} // namespace muon::optim

#endif // MUON_LIB_CONVERSION_OPTIMTOKERNELS_PATTERNSIMPL_H
