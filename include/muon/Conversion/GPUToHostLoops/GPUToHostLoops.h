//===- GPUToHostLoops.h - Run GPU programs on the host ----------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_CONVERSION_GPUTOHOSTLOOPS_GPUTOHOSTLOOPS_H
#define MUON_CONVERSION_GPUTOHOSTLOOPS_GPUTOHOSTLOOPS_H

#include "mlir/Pass/Pass.h"

namespace muon {

#define GEN_PASS_DECL_CONVERTGPUTOHOSTLOOPSPASS
#include "muon/Conversion/Passes.h.inc"

} // namespace muon

#endif // MUON_CONVERSION_GPUTOHOSTLOOPS_GPUTOHOSTLOOPS_H
