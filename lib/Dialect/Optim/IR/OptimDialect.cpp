//===- OptimDialect.cpp - The optim dialect -------------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/IR/OptimDialect.h"
#include "muon/Dialect/Optim/IR/OptimAttrs.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"

using namespace mlir;
using namespace muon::optim;

#include "muon/Dialect/Optim/IR/OptimDialect.cpp.inc"

void OptimDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "muon/Dialect/Optim/IR/OptimOps.cpp.inc"
      >();
  registerAttributes();
}
