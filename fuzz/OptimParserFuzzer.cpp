//===- OptimParserFuzzer.cpp - Fuzz parsing and verifying optim IR --------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The input is MLIR text, parsed with every dialect muon-opt registers and
// verified: the optim attribute parsers and op verifiers must reject what
// they cannot handle with a diagnostic. A module with optim ops that
// verifies is then bucketed, decomposed and lowered to linalg; the passes
// may fail with a diagnostic, but what they produce must verify.
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "muon/Conversion/Passes.h"
#include "muon/Dialect/Optim/IR/OptimDialect.h"
#include "muon/Dialect/Optim/Transforms/Passes.h"

#include <cstdlib>
#include <string>

using namespace mlir;

static const DialectRegistry &getRegistry() {
  static const DialectRegistry registry = [] {
    DialectRegistry registry;
    registerAllDialects(registry);
    registerAllExtensions(registry);
    registry.insert<muon::optim::OptimDialect>();
    return registry;
  }();
  return registry;
}

static bool containsOptimOps(ModuleOp module) {
  return module
      .walk([](Operation *op) {
        return isa<muon::optim::OptimDialect>(op->getDialect())
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext context(getRegistry(), MLIRContext::Threading::DISABLED);
  // Diagnostics are expected (most inputs are invalid): keep them quiet.
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });

  // MLIR's lexer reads up to a terminating NUL, which files read by the
  // tools have and the fuzzer's bytes do not (a heap-buffer-overflow in the
  // lexer, replayed in test/fuzz): parse a NUL-terminated copy.
  std::string text(reinterpret_cast<const char *>(data), size);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
  if (!module || !containsOptimOps(*module))
    return 0;

  PassManager pm(&context);
  // Verified below, once: a pass that reports success must leave valid IR.
  pm.enableVerifier(false);
  pm.addPass(muon::optim::createOptimBucketPass());
  pm.addPass(muon::optim::createOptimDecomposePass());
  pm.addPass(muon::createConvertOptimToLinalgPass());
  if (succeeded(pm.run(*module)) && failed(verify(*module)))
    std::abort();
  return 0;
}
