//===- PatternsImpl.h - Per-op lowering patterns ----------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Each op's lowering lives in its own file; these collect them.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_CONVERSION_OPTIMTOLINALG_PATTERNSIMPL_H
#define MUON_LIB_CONVERSION_OPTIMTOLINALG_PATTERNSIMPL_H

#include "muon/Conversion/OptimToLinalg/OptimToLinalg.h"

namespace muon::optim {

void populateAdamWToLinalgPatterns(mlir::RewritePatternSet &patterns);
void populateNewtonSchulzToLinalgPatterns(mlir::RewritePatternSet &patterns,
                                          muon::NewtonSchulzGemm gemm);
void populateONNXOptimizersToLinalgPatterns(mlir::RewritePatternSet &patterns);
void populateQKClipToLinalgPatterns(mlir::RewritePatternSet &patterns);

} // namespace muon::optim

#endif // MUON_LIB_CONVERSION_OPTIMTOLINALG_PATTERNSIMPL_H
