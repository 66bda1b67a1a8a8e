//===- RuntimeLibraries.cpp - Libraries lowered CPU code calls ------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Step/RuntimeLibraries.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <string>

#ifndef MUON_CPU_RUNTIME_PATH
#error "MUON_CPU_RUNTIME_PATH must name libmuon_cpu_runtime.so"
#endif
#ifndef MUON_C_RUNNER_UTILS_PATH
#error "MUON_C_RUNNER_UTILS_PATH must name libmlir_c_runner_utils.so"
#endif

/// The runtime library `builtPath` names, taken from next to the running
/// tool (`<bin>/../lib`) when a relocated install, such as the Python
/// package's, has it there; else the build tree's copy.
static std::string findRuntime(llvm::StringRef builtPath) {
  std::string executable = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
  if (executable.empty())
    return builtPath.str();
  llvm::SmallString<256> candidate(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(executable)));
  llvm::sys::path::append(candidate, "lib",
                          llvm::sys::path::filename(builtPath));
  if (llvm::sys::fs::exists(candidate))
    return std::string(candidate);
  return builtPath.str();
}

llvm::StringRef muon::getCPURuntimeLibrary() {
  static const std::string cpuRuntime = findRuntime(MUON_CPU_RUNTIME_PATH);
  return cpuRuntime;
}

llvm::ArrayRef<llvm::StringRef> muon::getCPURuntimeLibraries() {
  static const llvm::StringRef libraries[] = {MUON_C_RUNNER_UTILS_PATH,
                                              getCPURuntimeLibrary()};
  return libraries;
}

llvm::StringRef muon::getCRunnerUtilsLibrary() {
  return MUON_C_RUNNER_UTILS_PATH;
}

llvm::StringRef muon::getCUDARuntimeLibrary() {
#ifdef MUON_CUDA_RUNTIME_PATH
  static const std::string cudaRuntime = findRuntime(MUON_CUDA_RUNTIME_PATH);
  return cudaRuntime;
#else
  return "";
#endif
}
