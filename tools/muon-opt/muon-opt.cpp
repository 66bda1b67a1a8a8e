//===- muon-opt.cpp - The muon-mlir optimizer driver ----------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// mlir-opt with the optim dialect and its passes added to every upstream
// dialect, extension and pass, so user pipelines can mix them freely.
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "muon/Conversion/Passes.h"
#include "muon/Dialect/Optim/IR/OptimDialect.h"
#include "muon/Dialect/Optim/Transforms/Passes.h"
#include "muon/Pipelines/Pipelines.h"
#include "muon/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  muon::optim::registerOptimPasses();
  muon::registerMuonConversionPasses();
  muon::registerMuonTransformsPasses();
  muon::registerMuonPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  registry.insert<muon::optim::OptimDialect>();

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "muon-mlir optimizer driver\n", registry));
}
