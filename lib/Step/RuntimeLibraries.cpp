//===- RuntimeLibraries.cpp - Libraries lowered CPU code calls ------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Step/RuntimeLibraries.h"

#ifndef MUON_CPU_RUNTIME_PATH
#error "MUON_CPU_RUNTIME_PATH must name libmuon_cpu_runtime.so"
#endif
#ifndef MUON_C_RUNNER_UTILS_PATH
#error "MUON_C_RUNNER_UTILS_PATH must name libmlir_c_runner_utils.so"
#endif

llvm::ArrayRef<llvm::StringRef> muon::getCPURuntimeLibraries() {
  static const llvm::StringRef libraries[] = {MUON_C_RUNNER_UTILS_PATH,
                                              MUON_CPU_RUNTIME_PATH};
  return libraries;
}

llvm::StringRef muon::getCRunnerUtilsLibrary() {
  return MUON_C_RUNNER_UTILS_PATH;
}

llvm::StringRef muon::getCUDARuntimeLibrary() {
#ifdef MUON_CUDA_RUNTIME_PATH
  return MUON_CUDA_RUNTIME_PATH;
#else
  return "";
#endif
}
