//===- MuonMLIRPlugin.cpp - muon-mlir as an mlir-opt plugin ---------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Entry points for `mlir-opt --load-dialect-plugin` (the optim dialect) and
// `--load-pass-plugin` (every muon-mlir pass and pipeline). Both are in this
// one library; either flag alone also registers the passes so a pipeline
// string can name them.
//
//===----------------------------------------------------------------------===//

#include "HostCompatibility.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "muon/InitAll.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

#include <cstdio>

static constexpr const char *kPluginName = "muon-mlir";

/// Checks the host once; on a mismatch, says why on stderr and returns false.
/// The entry points then report API version 0, which mlir-opt rejects as a
/// failed load instead of running code against a foreign MLIR.
static bool hostIsCompatible() {
  static const bool compatible = [] {
    std::string problem = muon::plugin::checkHostMLIR();
    if (problem.empty())
      return true;
    std::fprintf(stderr, "error: muon-mlir plugin not loaded: %s\n",
                 problem.c_str());
    return false;
  }();
  return compatible;
}

static void registerDialects(mlir::DialectRegistry *registry) {
  muon::registerAllDialects(*registry);
  muon::registerAllPasses();
}

static void ignoreDialects(mlir::DialectRegistry *) {}
static void ignorePasses() {}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  if (!hostIsCompatible())
    return {0, kPluginName, LLVM_VERSION_STRING, ignoreDialects};
  return {MLIR_PLUGIN_API_VERSION, kPluginName, LLVM_VERSION_STRING,
          registerDialects};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  if (!hostIsCompatible())
    return {0, kPluginName, LLVM_VERSION_STRING, ignorePasses};
  return {MLIR_PLUGIN_API_VERSION, kPluginName, LLVM_VERSION_STRING,
          muon::registerAllPasses};
}
