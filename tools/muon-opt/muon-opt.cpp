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
#include "muon/InitAll.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  muon::registerAllPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  muon::registerAllDialects(registry);

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "muon-mlir optimizer driver\n", registry));
}
