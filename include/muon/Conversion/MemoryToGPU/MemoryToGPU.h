//===- MemoryToGPU.h - Buffers to device memory -----------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_CONVERSION_MEMORYTOGPU_MEMORYTOGPU_H
#define MUON_CONVERSION_MEMORYTOGPU_MEMORYTOGPU_H

#include "mlir/Pass/Pass.h"

namespace muon {

#define GEN_PASS_DECL_CONVERTMEMORYTOGPUPASS
#include "muon/Conversion/Passes.h.inc"

} // namespace muon

#endif // MUON_CONVERSION_MEMORYTOGPU_MEMORYTOGPU_H
