//===- RuntimeLibraries.h - Libraries lowered CPU code calls ----*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_STEP_RUNTIMELIBRARIES_H
#define MUON_STEP_RUNTIMELIBRARIES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace muon {

/// The shared libraries code from the CPU pipeline may call, as this build
/// was configured: MLIR's C runner utilities (`memrefCopy` and the like) and
/// the project's CPU runtime. The JIT loads them; AOT links those the module
/// calls.
llvm::ArrayRef<llvm::StringRef> getCPURuntimeLibraries();

/// MLIR's C runner utilities alone (one of getCPURuntimeLibraries()).
llvm::StringRef getCRunnerUtilsLibrary();

/// The project's CPU runtime alone (runtime/cpu): GEMMs, the temporaries'
/// allocator, and the OpenMP entry points of loops run on threads (whose
/// calls appear only when the module is translated to LLVM IR).
llvm::StringRef getCPURuntimeLibrary();

/// The project's CUDA runtime (runtime/cuda) that code compiled for
/// `--target=cuda` links against; empty if this build has no CUDA toolkit.
llvm::StringRef getCUDARuntimeLibrary();

} // namespace muon

#endif // MUON_STEP_RUNTIMELIBRARIES_H
