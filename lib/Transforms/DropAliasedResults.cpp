//===- DropAliasedResults.cpp - Drop results written into arguments -------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"
#include "muon/Transforms/ResultAliases.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/BitVector.h"

namespace muon {
#define GEN_PASS_DEF_DROPALIASEDRESULTSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

/// `value` without the layout casts bufferization may put around a buffer.
static Value stripCasts(Value value) {
  while (auto cast = value.getDefiningOp<memref::CastOp>())
    value = cast.getSource();
  return value;
}

/// Erases the results of `func` tied to arguments, after checking that each
/// return passes the argument's own buffer.
static LogicalResult dropAliasedResults(func::FuncOp func, ModuleOp module) {
  FailureOr<SmallVector<std::optional<unsigned>>> aliases =
      muon::getResultAliases(func);
  if (failed(aliases))
    return failure();
  if (!SymbolTable::symbolKnownUseEmpty(func, module))
    return func.emitError() << "cannot drop the results tied to arguments of a "
                               "function that has callers";
  // Collected once: a walk per result is quadratic for a step of thousands
  // of tensors.
  SmallVector<func::ReturnOp> returns;
  func.walk([&](func::ReturnOp ret) { returns.push_back(ret); });
  llvm::BitVector erase(func.getNumResults());
  for (auto [result, arg] : llvm::enumerate(*aliases)) {
    if (!arg)
      continue;
    for (func::ReturnOp ret : returns)
      if (stripCasts(ret.getOperand(result)) != func.getArgument(*arg))
        return ret.emitError()
               << "result " << result
               << " is not returned in the buffer of argument " << *arg
               << " (run muon-materialize-aliased-results before "
                  "bufferization)";
    erase.set(result);
  }
  for (func::ReturnOp ret : returns)
    ret->eraseOperands(erase);
  if (failed(func.eraseResults(erase)))
    return failure();
  muon::removeResultAliases(func);
  return success();
}

namespace {
struct DropAliasedResultsPass
    : muon::impl::DropAliasedResultsPassBase<DropAliasedResultsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto func : module.getOps<func::FuncOp>())
      if (muon::hasResultAliases(func) &&
          failed(dropAliasedResults(func, module)))
        return signalPassFailure();
  }
};
} // namespace
