//===- RegisterEverything.cpp - Register muon-mlir from C -----------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon-c/RegisterEverything.h"

#include "mlir/CAPI/IR.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "muon/InitAll.h"

void muonRegisterAllDialects(MlirDialectRegistry registry) {
  muon::registerAllDialects(*unwrap(registry));
}

void muonRegisterUpstreamDialects(MlirDialectRegistry registry) {
  mlir::registerAllDialects(*unwrap(registry));
  mlir::registerAllExtensions(*unwrap(registry));
}

void muonRegisterAllPasses(void) { muon::registerAllPasses(); }
