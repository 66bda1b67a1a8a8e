//===- OptimDialect.h - The optim dialect -----------------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_DIALECT_OPTIM_IR_OPTIMDIALECT_H
#define MUON_DIALECT_OPTIM_IR_OPTIMDIALECT_H

#include "mlir/IR/Dialect.h"

#include "muon/Dialect/Optim/IR/OptimDialect.h.inc"

#endif // MUON_DIALECT_OPTIM_IR_OPTIMDIALECT_H
