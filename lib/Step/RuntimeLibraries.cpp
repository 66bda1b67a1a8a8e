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

/// The CPU runtime next to the running tool (`<bin>/../lib`), as a
/// relocated install such as the Python package's lays it out, else the
/// build tree's copy.
static const std::string &getCPURuntimePath() {
  static const std::string path = [] {
    std::string executable = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
    llvm::SmallString<256> candidate(
        llvm::sys::path::parent_path(llvm::sys::path::parent_path(executable)));
    llvm::sys::path::append(candidate, "lib",
                            llvm::sys::path::filename(MUON_CPU_RUNTIME_PATH));
    if (!executable.empty() && llvm::sys::fs::exists(candidate))
      return std::string(candidate);
    return std::string(MUON_CPU_RUNTIME_PATH);
  }();
  return path;
}

llvm::ArrayRef<llvm::StringRef> muon::getCPURuntimeLibraries() {
  static const llvm::StringRef libraries[] = {MUON_C_RUNNER_UTILS_PATH,
                                              getCPURuntimePath()};
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
