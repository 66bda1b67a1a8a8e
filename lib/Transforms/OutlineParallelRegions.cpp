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

/// A hash of what OperationEquivalence compares, locations aside.
llvm::hash_code hashStructure(func::FuncOp function) {
  llvm::hash_code hash = hash_value(function.getFunctionType());
  function.getBody().walk([&](Operation *op) {
    hash =
        llvm::hash_combine(hash, OperationEquivalence::computeHash(
                                     op, OperationEquivalence::ignoreHashValue,
                                     OperationEquivalence::ignoreHashValue,
                                     OperationEquivalence::IgnoreLocations));
  });
  return hash;
}

/// Outlines regions into functions, one per distinct body.
class Outliner {
public:
  explicit Outliner(ModuleOp module) : symbols(module) {}

  /// Replaces `parallel` by a call of a private function holding it: one
  /// outlined before with an equivalent body, else a new one named after
  /// `caller` and inserted after `previous` (which is updated).
  void outline(omp::ParallelOp parallel, func::FuncOp caller,
               Operation *&previous, unsigned index);

private:
  SymbolTable symbols;
  DenseMap<llvm::hash_code, SmallVector<func::FuncOp>> functions;
};

void Outliner::outline(omp::ParallelOp parallel, func::FuncOp caller,
                       Operation *&previous, unsigned index) {
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
  Block *body = function.addEntryBlock();
  IRMapping mapping;
  mapping.map(arguments, body->getArguments());
  builder.setInsertionPointToStart(body);
  for (Operation *constant : constants)
    builder.clone(*constant, mapping);
  builder.clone(*parallel, mapping);
  func::ReturnOp::create(builder, parallel.getLoc());

  // Same-shape members of an optimizer group have equal loops: one copy
  // each is what LLVM translates, optimizes and compiles.
  SmallVector<func::FuncOp> &candidates = functions[hashStructure(function)];
  auto equivalent = llvm::find_if(candidates, [&](func::FuncOp other) {
    return other.getFunctionType() == function.getFunctionType() &&
           OperationEquivalence::isRegionEquivalentTo(
               &other.getBody(), &function.getBody(),
               OperationEquivalence::IgnoreLocations);
  });
  if (equivalent != candidates.end()) {
    function.erase();
    function = *equivalent;
  } else {
    symbols.insert(function);
    candidates.push_back(function);
    previous = function;
  }

  builder.setInsertionPoint(parallel);
  func::CallOp::create(builder, parallel.getLoc(), function, arguments);
  parallel.erase();
}

struct OutlineParallelRegionsPass
    : muon::impl::OutlineParallelRegionsPassBase<OutlineParallelRegionsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    Outliner outliner(module);
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
        outliner.outline(parallel, caller, previous, index);
    }
  }
};

} // namespace
