//===- OptimAttrs.h - Attributes of the optim dialect -----------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_DIALECT_OPTIM_IR_OPTIMATTRS_H
#define MUON_DIALECT_OPTIM_IR_OPTIMATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"
#include <array>

#include "muon/Dialect/Optim/IR/OptimEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "muon/Dialect/Optim/IR/OptimAttrs.h.inc"

#endif // MUON_DIALECT_OPTIM_IR_OPTIMATTRS_H
