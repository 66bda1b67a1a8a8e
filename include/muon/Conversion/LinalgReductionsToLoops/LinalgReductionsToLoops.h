//===- LinalgReductionsToLoops.h - Reductions to register loops -*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_CONVERSION_LINALGREDUCTIONSTOLOOPS_LINALGREDUCTIONSTOLOOPS_H
#define MUON_CONVERSION_LINALGREDUCTIONSTOLOOPS_LINALGREDUCTIONSTOLOOPS_H

#include "mlir/Pass/Pass.h"

namespace muon {

#define GEN_PASS_DECL_CONVERTLINALGREDUCTIONSTOLOOPSPASS
#include "muon/Conversion/Passes.h.inc"

} // namespace muon

#endif // MUON_CONVERSION_LINALGREDUCTIONSTOLOOPS_LINALGREDUCTIONSTOLOOPS_H
