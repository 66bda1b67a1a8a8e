//===- ScatterAddToLoops.h - optim.scatter_add to loops ---------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_CONVERSION_SCATTERADDTOLOOPS_SCATTERADDTOLOOPS_H
#define MUON_CONVERSION_SCATTERADDTOLOOPS_SCATTERADDTOLOOPS_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace muon {

#define GEN_PASS_DECL_CONVERTSCATTERADDTOLOOPSPASS
#include "muon/Conversion/Passes.h.inc"

/// Patterns lowering `optim.scatter_add` on buffers to an scf.for nest, or
/// with `atomic` to one scf.parallel of memref.atomic_rmw addf.
void populateScatterAddToLoopsPatterns(mlir::RewritePatternSet &patterns,
                                       bool atomic);

} // namespace muon

#endif // MUON_CONVERSION_SCATTERADDTOLOOPS_SCATTERADDTOLOOPS_H
