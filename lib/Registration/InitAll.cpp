//===- InitAll.cpp - Register everything muon-mlir provides ---------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "muon/Conversion/OptimToKernels/OptimToKernels.h"
#include "muon/Conversion/Passes.h"
#include "muon/Dialect/Optim/IR/OptimDialect.h"
#include "muon/Dialect/Optim/Transforms/Passes.h"
#include "muon/Pipelines/Pipelines.h"
#include "muon/Transforms/Passes.h"

void muon::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<muon::optim::OptimDialect>();
  muon::optim::registerBufferizableOpInterfaceExternalModels(registry);
}

void muon::registerAllPasses() {
  // MLIR aborts when a pipeline is registered twice, and a host may load the
  // plugin both as a dialect and as a pass plugin: register once per process.
  static bool once = [] {
    muon::optim::registerOptimPasses();
    muon::registerMuonConversionPasses();
    muon::registerMuonTransformsPasses();
    muon::registerMuonPipelines();
    return true;
  }();
  (void)once;
}
