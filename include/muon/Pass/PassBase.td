//===- PassBase.td - Base class of muon-mlir passes --------*- tablegen -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_PASS_PASSBASE
#define MUON_PASS_PASSBASE

include "mlir/Pass/PassBase.td"

// An mlir::OperationPass whose option errors list the valid options
// (muon/Pass/ListedOptions.h).
class MuonPass<string passArg, string operation = "">
    : PassBase<passArg, "::muon::ListedOptionsPass<::mlir::OperationPass<"
                        # operation # ">>">;

#endif // MUON_PASS_PASSBASE
