//===- OptimDialect.cpp - The optim dialect -------------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/IR/OptimDialect.h"
#include "muon/Dialect/Optim/IR/OptimAttrs.h"
#include "muon/Dialect/Optim/IR/OptimBytecode.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"

#include "mlir/Transforms/InliningUtils.h"

using namespace mlir;
using namespace muon::optim;

#include "muon/Dialect/Optim/IR/OptimDialect.cpp.inc"

namespace {
/// Optimizer ops are pure functions of their operands, so a call of a step
/// function (e.g. an imported optimizer graph) may be inlined into its
/// caller; optim-assign and optim-bucket then see every update in one body.
struct OptimInlinerInterface : public DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;

  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void OptimDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "muon/Dialect/Optim/IR/OptimOps.cpp.inc"
      >();
  addInterfaces<OptimInlinerInterface>();
  addBytecodeInterface(this);
  registerAttributes();
}

LogicalResult OptimDialect::verifyOperationAttribute(Operation *op,
                                                     NamedAttribute attribute) {
  if (attribute.getName() != kDeterministicAttrName)
    return success();
  if (!isa<UnitAttr>(attribute.getValue()) || !isa<ModuleOp>(op))
    return op->emitError() << "'" << kDeterministicAttrName
                           << "' must be a unit attribute on a module";
  return success();
}

bool OptimDialect::isDeterministic(Operation *op) {
  for (; op; op = op->getParentOp())
    if (op->hasAttr(kDeterministicAttrName))
      return true;
  return false;
}
