//===- CheckNoNestedModules.cpp - Pipelines compile one module ------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"

namespace muon {
#define GEN_PASS_DEF_CHECKNONESTEDMODULESPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
struct CheckNoNestedModulesPass
    : muon::impl::CheckNoNestedModulesPassBase<CheckNoNestedModulesPass> {
  void runOnOperation() override {
    ModuleOp top = getOperation();
    for (auto nested : top.getBody()->getOps<ModuleOp>()) {
      InFlightDiagnostic diag = nested.emitError() << "nested 'builtin.module'";
      if (std::optional<StringRef> name = nested.getSymName())
        diag << " @" << *name;
      diag << " is not compiled: the pipeline lowers the functions of the "
              "top-level module only; move them there";
      signalPassFailure();
      return;
    }
  }
};
} // namespace
