//===- AssertionsToStatus.cpp - cf.assert checks as a status result -------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"
#include "muon/Transforms/ResultAliases.h"
#include "muon/Utils/LinalgBuilders.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SetVector.h"

namespace muon {
#define GEN_PASS_DEF_ASSERTIONSTOSTATUSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
/// One source of failures of a function, in program order: an assertion
/// (a 0-d i1 tensor, true when it holds) or a call to a function that
/// returns a status (a 0-d i32 tensor, its codes shifted by `offset`).
struct Check {
  Value value;
  bool isCondition;
  int64_t offset;
};
} // namespace

/// The condition as a 0-d i1 tensor: the tensor it was extracted from, if
/// it was, so that the status never needs the value on the host; else one
/// written by a 0-d generic (a kernel on the GPU pipeline, where
/// tensor.from_elements would store to device memory from the host).
static Value getConditionTensor(OpBuilder &b, cf::AssertOp op) {
  Value condition = op.getArg();
  if (auto extract = condition.getDefiningOp<tensor::ExtractOp>())
    if (extract.getTensor().getType().getRank() == 0)
      return extract.getTensor();
  b.setInsertionPoint(op);
  return muon::buildScalarGeneric(b, op.getLoc(), {},
                                  [&](OpBuilder &, Location, ValueRange) {
                                    return SmallVector<Value>{condition};
                                  })
      .front();
}

/// `flag && condition` of two 0-d i1 tensors, written into `flag` (in place,
/// so that a loop carrying it keeps one buffer).
static Value buildAnd(OpBuilder &b, Location loc, Value flag, Value condition) {
  AffineMap scalar = AffineMap::get(0, 0, b.getContext());
  return linalg::GenericOp::create(
             b, loc, flag.getType(), condition, flag,
             ArrayRef<AffineMap>{scalar, scalar},
             ArrayRef<utils::IteratorType>{},
             [](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nl,
                   arith::AndIOp::create(nb, nl, args[0], args[1]).getResult());
             })
      .getResult(0);
}

static Value buildTrue(OpBuilder &b, Location loc) {
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({}, b.getI1Type()), true));
}

/// Replaces the asserts of `op`'s blocks by flags it yields (an scf.for
/// carries each, true until its condition fails in an iteration; an scf.if
/// yields it from the branch holding it, true from the other) and asserts of
/// the flags right after `op`, in its parent block. Other ops with regions
/// keep their asserts.
static void liftAssertions(Operation *op) {
  SmallVector<cf::AssertOp> asserts;
  for (Region &region : op->getRegions())
    for (Block &block : region)
      for (auto assertOp : block.getOps<cf::AssertOp>())
        asserts.push_back(assertOp);
  if (asserts.empty() || !isa<scf::ForOp, scf::IfOp>(op))
    return;
  IRRewriter b(op->getContext());
  Location loc = op->getLoc();
  if (auto loop = dyn_cast<scf::ForOp>(op)) {
    b.setInsertionPoint(loop);
    SmallVector<Value> inits;
    for (size_t i = 0; i < asserts.size(); ++i)
      inits.push_back(buildTrue(b, loc));
    FailureOr<LoopLikeOpInterface> lifted = loop.replaceWithAdditionalYields(
        b, inits, /*replaceInitOperandUsesInLoop=*/false,
        [&](OpBuilder &nb, Location nl, ArrayRef<BlockArgument> carried) {
          SmallVector<Value> next;
          for (auto [assertOp, flag] : llvm::zip_equal(asserts, carried))
            next.push_back(
                buildAnd(nb, nl, flag, getConditionTensor(nb, assertOp)));
          return next;
        });
    // scf.for always takes more iter_args.
    assert(succeeded(lifted));
    op = *lifted;
  } else {
    auto branch = cast<scf::IfOp>(op);
    b.setInsertionPoint(branch);
    SmallVector<Type> types(branch.getResultTypes());
    types.append(asserts.size(), RankedTensorType::get({}, b.getI1Type()));
    auto lifted = scf::IfOp::create(b, loc, types, branch.getCondition(),
                                    /*addThenBlock=*/false,
                                    /*addElseBlock=*/false);
    for (auto [from, to] :
         llvm::zip_equal(branch->getRegions(), lifted->getRegions())) {
      if (from.empty()) {
        b.createBlock(&to);
        scf::YieldOp::create(b, loc);
      } else {
        to.takeBody(from);
      }
      auto yield = cast<scf::YieldOp>(to.front().getTerminator());
      b.setInsertionPoint(yield);
      SmallVector<Value> values(yield.getOperands());
      for (cf::AssertOp assertOp : asserts)
        values.push_back(assertOp->getParentRegion() == &to
                             ? getConditionTensor(b, assertOp)
                             : buildTrue(b, loc));
      b.setInsertionPoint(yield);
      b.replaceOpWithNewOp<scf::YieldOp>(yield, values);
    }
    b.replaceOp(branch, lifted.getResults().drop_back(asserts.size()));
    op = lifted;
  }
  b.setInsertionPointAfter(op);
  SmallVector<Value> flags(op->getResults().take_back(asserts.size()));
  for (auto [assertOp, flag] : llvm::zip_equal(asserts, flags)) {
    Value condition = tensor::ExtractOp::create(b, loc, flag, ValueRange());
    cf::AssertOp::create(b, assertOp.getLoc(), condition,
                         assertOp.getMsgAttr());
    Value old = assertOp.getArg();
    assertOp.erase();
    if (Operation *def = old.getDefiningOp();
        def && isa<tensor::ExtractOp>(def) && def->use_empty())
      def->erase();
  }
}

/// Right after the last op of `block` that defines a check: the status is
/// known as early as it can be, so that an update after that point can take
/// it as its `skip` operand (optim-fold-skips) and keep its results in
/// place.
static void setStatusInsertionPoint(OpBuilder &b, Block &block,
                                    ArrayRef<Check> checks) {
  Operation *last = nullptr;
  for (const Check &check : checks) {
    Operation *def = check.value.getDefiningOp();
    if (def)
      def = block.findAncestorOpInBlock(*def);
    if (def && (!last || last->isBeforeInBlock(def)))
      last = def;
  }
  if (last)
    b.setInsertionPointAfter(last);
  else
    b.setInsertionPointToStart(&block);
}

/// status = 0 if every check passes, else the code of the first failure.
static Value buildStatus(OpBuilder &b, Location loc, ArrayRef<Check> checks) {
  Type i32 = b.getI32Type();
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, i32);
  SmallVector<Value> inputs = llvm::map_to_vector(
      checks, [](const Check &check) { return check.value; });
  SmallVector<AffineMap> maps(inputs.size() + 1,
                              AffineMap::get(0, 0, b.getContext()));
  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, init, maps,
             ArrayRef<utils::IteratorType>{},
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value status = arith::ConstantIntOp::create(nb, nl, i32, 0);
               for (int64_t i = checks.size() - 1; i >= 0; --i) {
                 if (checks[i].isCondition) {
                   Value code = arith::ConstantIntOp::create(
                       nb, nl, i32, checks[i].offset + 1);
                   status =
                       arith::SelectOp::create(nb, nl, args[i], status, code);
                   continue;
                 }
                 Value zero = arith::ConstantIntOp::create(nb, nl, i32, 0);
                 Value failed = arith::CmpIOp::create(
                     nb, nl, arith::CmpIPredicate::ne, args[i], zero);
                 Value offset = arith::ConstantIntOp::create(nb, nl, i32,
                                                             checks[i].offset);
                 Value code = arith::AddIOp::create(nb, nl, args[i], offset);
                 status = arith::SelectOp::create(nb, nl, failed, code, status);
               }
               linalg::YieldOp::create(nb, nl, status);
             })
      .getResult(0);
}

/// The messages of a converted function, null for others.
static ArrayAttr getStatusMessages(func::FuncOp func) {
  return func ? func->getAttrOfType<ArrayAttr>(muon::kStatusMessagesAttrName)
              : ArrayAttr();
}

/// The status a call of a converted function returns, adding that result to
/// the call unless it has it already.
static Value getCallStatus(OpBuilder &b, func::CallOp call,
                           func::FuncOp callee) {
  if (call.getNumResults() == callee.getNumResults())
    return call.getResults().back();
  b.setInsertionPoint(call);
  SmallVector<Type> types(call.getResultTypes());
  types.push_back(RankedTensorType::get({}, b.getI32Type()));
  auto newCall = func::CallOp::create(b, call.getLoc(), call.getCalleeAttr(),
                                      types, call.getOperands());
  newCall->setDiscardableAttrs(call->getDiscardableAttrDictionary());
  call.replaceAllUsesWith(newCall.getResults().drop_back());
  call.erase();
  return newCall.getResults().back();
}

/// Converts `func`'s assertions and its calls of converted functions into
/// one status result; nothing if it has neither.
static LogicalResult convertFunction(func::FuncOp func,
                                     SymbolTableCollection &symbols) {
  OpBuilder b(func.getContext());
  SmallVector<Check> checks;
  SmallVector<Attribute> messages;
  SmallVector<cf::AssertOp> asserts;
  SmallVector<func::CallOp> calls;
  // Innermost first: a loop nest's asserts move out one level at a time.
  func.walk<WalkOrder::PostOrder>([](Operation *op) {
    if (op->getNumRegions() != 0 && !isa<func::FuncOp>(op))
      liftAssertions(op);
  });
  WalkResult walk = func.walk([&](Operation *op) {
    bool isAssert = isa<cf::AssertOp>(op);
    auto call = dyn_cast<func::CallOp>(op);
    if (call &&
        !getStatusMessages(symbols.lookupNearestSymbolFrom<func::FuncOp>(
            call, call.getCalleeAttr())))
      call = nullptr;
    if (!isAssert && !call)
      return WalkResult::advance();
    if (op->getBlock() != &func.front()) {
      op->emitError() << "cannot turn "
                      << (isAssert ? "an assertion"
                                   : "a "
                                     "call of a function with checks")
                      << " nested in a region into a status result";
      return WalkResult::interrupt();
    }
    if (isAssert)
      asserts.push_back(cast<cf::AssertOp>(op));
    else
      calls.push_back(call);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  if (asserts.empty() && calls.empty())
    return success();

  // In program order, so that the first failure is the one reported.
  for (Operation &op : llvm::make_early_inc_range(func.front())) {
    int64_t offset = messages.size();
    if (auto assertOp = dyn_cast<cf::AssertOp>(op);
        assertOp && llvm::is_contained(asserts, assertOp)) {
      checks.push_back({getConditionTensor(b, assertOp), true, offset});
      messages.push_back(assertOp.getMsgAttr());
    } else if (auto call = dyn_cast<func::CallOp>(op);
               call && llvm::is_contained(calls, call)) {
      auto callee = symbols.lookupNearestSymbolFrom<func::FuncOp>(
          call, call.getCalleeAttr());
      ArrayAttr calleeMessages = getStatusMessages(callee);
      llvm::append_range(messages, calleeMessages);
      checks.push_back({getCallStatus(b, call, callee), false, offset});
    }
  }
  auto returnOp = cast<func::ReturnOp>(func.front().getTerminator());
  setStatusInsertionPoint(b, func.front(), checks);
  Value status = buildStatus(b, returnOp.getLoc(), checks);
  b.setInsertionPoint(returnOp);
  FailureOr<SmallVector<std::optional<unsigned>>> aliases =
      muon::getResultAliases(func);
  if (failed(aliases))
    return failure();
  for (auto [index, alias] : llvm::enumerate(*aliases))
    if (alias)
      returnOp.setOperand(index,
                          muon::buildUnlessFlagged(b, returnOp.getLoc(), status,
                                                   returnOp.getOperand(index),
                                                   func.getArgument(*alias)));
  for (cf::AssertOp op : asserts) {
    Value condition = op.getArg();
    op.erase();
    if (Operation *def = condition.getDefiningOp();
        def && isa<tensor::ExtractOp>(def) && def->use_empty())
      def->erase();
  }
  returnOp.getOperandsMutable().append(status);
  if (failed(func.insertResult(func.getNumResults(), status.getType(),
                               DictionaryAttr())))
    return failure();
  func->setAttr(muon::kStatusMessagesAttrName, b.getArrayAttr(messages));
  return success();
}

/// Post-order over the calls: callees before their callers.
static void collectPostOrder(func::FuncOp func, SymbolTableCollection &symbols,
                             llvm::SetVector<func::FuncOp> &order,
                             DenseSet<Operation *> &visiting) {
  if (order.contains(func) || !visiting.insert(func).second)
    return;
  func.walk([&](func::CallOp call) {
    if (auto callee = symbols.lookupNearestSymbolFrom<func::FuncOp>(
            call, call.getCalleeAttr()))
      collectPostOrder(callee, symbols, order, visiting);
  });
  order.insert(func);
}

namespace {
struct AssertionsToStatusPass
    : muon::impl::AssertionsToStatusPassBase<AssertionsToStatusPass> {
  void runOnOperation() override {
    SymbolTableCollection symbols;
    llvm::SetVector<func::FuncOp> order;
    DenseSet<Operation *> visiting;
    for (auto func : getOperation().getOps<func::FuncOp>())
      collectPostOrder(func, symbols, order, visiting);
    // A function converted before (by an earlier run) is left as it is.
    for (func::FuncOp func : order)
      if (!func.isExternal() && !getStatusMessages(func) &&
          failed(convertFunction(func, symbols)))
        return signalPassFailure();
    // On a cycle of calls, a function comes before a callee that gets a
    // status (a recursive call's status would have to hold its own
    // messages): the call then lacks that result.
    WalkResult recursion = getOperation().walk([&](func::CallOp call) {
      auto callee = symbols.lookupNearestSymbolFrom<func::FuncOp>(
          call, call.getCalleeAttr());
      if (!getStatusMessages(callee) ||
          call.getNumResults() == callee.getNumResults())
        return WalkResult::advance();
      call.emitError() << "cannot turn the checks of a recursive call into a "
                          "status result";
      return WalkResult::interrupt();
    });
    if (recursion.wasInterrupted())
      return signalPassFailure();
  }
};
} // namespace
