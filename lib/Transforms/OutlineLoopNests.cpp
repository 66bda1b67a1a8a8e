//===- OutlineLoopNests.cpp - One function per loop nest ------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

namespace muon {
#define GEN_PASS_DEF_OUTLINELOOPNESTSPASS
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

/// A loop nest or parallel region worth a function of its own.
bool isNest(Operation *op) {
  return isa<omp::ParallelOp, scf::ForOp, scf::ParallelOp, scf::WhileOp>(op);
}

/// Outlines loop nests into functions, one per distinct body.
class Outliner {
public:
  explicit Outliner(ModuleOp module) : symbols(module) {}

  /// Replaces `nest` by a call of a private function holding it: one
  /// outlined before with an equivalent body, else a new one named after
  /// `caller` and inserted after `previous` (which is updated).
  void outline(Operation *nest, func::FuncOp caller, Operation *&previous,
               unsigned index);

private:
  SymbolTable symbols;
  DenseMap<llvm::hash_code, SmallVector<func::FuncOp>> functions;
};

void Outliner::outline(Operation *nest, func::FuncOp caller,
                       Operation *&previous, unsigned index) {
  SetVector<Value> captured(nest->operand_begin(), nest->operand_end());
  getUsedValuesDefinedAbove(nest->getRegions(), captured);
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
  StringRef kind = isa<omp::ParallelOp>(nest) ? "parallel" : "loops";
  auto function = func::FuncOp::create(
      builder, nest->getLoc(),
      (caller.getSymName() + "_" + kind + "_" + Twine(index)).str(),
      builder.getFunctionType(ValueRange(arguments).getTypes(),
                              nest->getResultTypes()));
  function.setPrivate();
  Block *body = function.addEntryBlock();
  IRMapping mapping;
  mapping.map(arguments, body->getArguments());
  builder.setInsertionPointToStart(body);
  for (Operation *constant : constants)
    builder.clone(*constant, mapping);
  Operation *copy = builder.clone(*nest, mapping);
  func::ReturnOp::create(builder, nest->getLoc(), copy->getResults());

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

  builder.setInsertionPoint(nest);
  auto call =
      func::CallOp::create(builder, nest->getLoc(), function, arguments);
  // LLVM would inline a function called once back into its caller, and
  // optimize and compile one huge function again (the call's no_inline is
  // what the conversion to LLVM keeps).
  call.setNoInline(true);
  nest->replaceAllUsesWith(call.getResults());
  nest->erase();
}

struct OutlineLoopNestsPass
    : muon::impl::OutlineLoopNestsPassBase<OutlineLoopNestsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    Outliner outliner(module);
    for (auto caller :
         llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      SmallVector<Operation *> nests;
      caller.walk<WalkOrder::PreOrder>([&](Operation *op) {
        if (!isNest(op))
          return WalkResult::advance();
        nests.push_back(op);
        return WalkResult::skip();
      });
      if (static_cast<int64_t>(nests.size()) < minNests)
        continue;
      Operation *previous = caller;
      for (auto [index, nest] : llvm::enumerate(nests))
        outliner.outline(nest, caller, previous, index);
    }
  }
};

} // namespace
