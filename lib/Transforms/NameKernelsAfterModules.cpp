//===- NameKernelsAfterModules.cpp - One name per outlined kernel ---------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

namespace muon {
#define GEN_PASS_DEF_NAMEKERNELSAFTERMODULESPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
struct NameKernelsAfterModulesPass
    : muon::impl::NameKernelsAfterModulesPassBase<NameKernelsAfterModulesPass> {
  void runOnOperation() override {
    Operation *root = getOperation();
    for (Region &region : root->getRegions()) {
      for (auto module : region.getOps<gpu::GPUModuleOp>()) {
        auto kernels = llvm::to_vector(module.getOps<gpu::GPUFuncOp>());
        StringAttr name = module.getNameAttr();
        if (kernels.size() != 1 || kernels.front().getNameAttr() == name)
          continue;
        if (failed(SymbolTable::replaceAllSymbolUses(kernels.front(), name,
                                                     root))) {
          kernels.front().emitOpError("has uses that cannot be renamed");
          return signalPassFailure();
        }
        SymbolTable::setSymbolName(kernels.front(), name);
      }
    }
  }
};
} // namespace
