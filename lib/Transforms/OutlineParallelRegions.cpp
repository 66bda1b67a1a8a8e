//===- OutlineParallelRegions.cpp - One function per omp.parallel ---------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

namespace muon {
#define GEN_PASS_DEF_OUTLINEPARALLELREGIONSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {

/// Replaces `parallel` by a call of a new private function holding it,
/// named after `caller`, unique in `symbols` and inserted after `previous`;
/// returns the function.
func::FuncOp outline(omp::ParallelOp parallel, func::FuncOp caller,
                     Operation *previous, SymbolTable &symbols,
                     unsigned index) {
  SetVector<Value> captured;
  getUsedValuesDefinedAbove(parallel->getRegions(), captured);
  SmallVector<Value> arguments;
  SmallVector<Operation *> constants;
  for (Value value : captured) {
    Operation *def = value.getDefiningOp();
    if (def && def->getNumResults() == 1 && matchPattern(def, m_Constant()))
      constants.push_back(def);
    else
      arguments.push_back(value);
  }

  OpBuilder builder(caller);
  builder.setInsertionPointAfter(previous);
  auto function = func::FuncOp::create(
      builder, parallel.getLoc(),
      (caller.getSymName() + "_parallel_" + Twine(index)).str(),
      builder.getFunctionType(ValueRange(arguments).getTypes(), {}));
  function.setPrivate();
  symbols.insert(function);
  Block *body = function.addEntryBlock();
  IRMapping mapping;
  mapping.map(arguments, body->getArguments());
  builder.setInsertionPointToStart(body);
  for (Operation *constant : constants)
    builder.clone(*constant, mapping);
  builder.clone(*parallel, mapping);
  func::ReturnOp::create(builder, parallel.getLoc());

  builder.setInsertionPoint(parallel);
  func::CallOp::create(builder, parallel.getLoc(), function, arguments);
  parallel.erase();
  return function;
}

struct OutlineParallelRegionsPass
    : muon::impl::OutlineParallelRegionsPassBase<OutlineParallelRegionsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (auto caller :
         llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      SmallVector<omp::ParallelOp> regions;
      caller.walk([&](omp::ParallelOp parallel) {
        if (!parallel->getParentOfType<omp::ParallelOp>())
          regions.push_back(parallel);
      });
      if (static_cast<int64_t>(regions.size()) < minRegions)
        continue;
      Operation *previous = caller;
      for (auto [index, parallel] : llvm::enumerate(regions))
        previous = outline(parallel, caller, previous, symbols, index);
    }
  }
};

} // namespace
