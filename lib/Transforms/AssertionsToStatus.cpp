//===- AssertionsToStatus.cpp - cf.assert checks as a status result -------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

namespace muon {
#define GEN_PASS_DEF_ASSERTIONSTOSTATUSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

/// The condition as a 0-d i1 tensor: the tensor it was extracted from, if
/// it was, so that the status never needs the value on the host.
static Value getConditionTensor(OpBuilder &b, cf::AssertOp op) {
  Value condition = op.getArg();
  if (auto extract = condition.getDefiningOp<tensor::ExtractOp>())
    if (extract.getTensor().getType().getRank() == 0)
      return extract.getTensor();
  b.setInsertionPoint(op);
  return tensor::FromElementsOp::create(
      b, op.getLoc(), RankedTensorType::get({}, b.getI1Type()), condition);
}

/// status = 0 if every condition holds, else the 1-based position of the
/// first that does not.
static Value buildStatus(OpBuilder &b, Location loc, ValueRange conditions) {
  Type i32 = b.getI32Type();
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, i32);
  SmallVector<AffineMap> maps(conditions.size() + 1,
                              AffineMap::get(0, 0, b.getContext()));
  return linalg::GenericOp::create(
             b, loc, init.getType(), conditions, init, maps,
             ArrayRef<utils::IteratorType>{},
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value status = arith::ConstantIntOp::create(nb, nl, i32, 0);
               for (int64_t i = conditions.size() - 1; i >= 0; --i) {
                 Value code = arith::ConstantIntOp::create(nb, nl, i32, i + 1);
                 status =
                     arith::SelectOp::create(nb, nl, args[i], status, code);
               }
               linalg::YieldOp::create(nb, nl, status);
             })
      .getResult(0);
}

static LogicalResult convertFunction(func::FuncOp func,
                                     ArrayRef<cf::AssertOp> asserts) {
  OpBuilder b(func.getContext());
  SmallVector<Value> conditions;
  SmallVector<Attribute> messages;
  for (cf::AssertOp op : asserts) {
    conditions.push_back(getConditionTensor(b, op));
    messages.push_back(op.getMsgAttr());
  }
  auto returnOp = cast<func::ReturnOp>(func.front().getTerminator());
  b.setInsertionPoint(returnOp);
  Value status = buildStatus(b, returnOp.getLoc(), conditions);
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

namespace {
struct AssertionsToStatusPass
    : muon::impl::AssertionsToStatusPassBase<AssertionsToStatusPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTableCollection symbolTables;
    SymbolUserMap users(symbolTables, module);
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      SmallVector<cf::AssertOp> asserts;
      WalkResult walk = func.walk([&](cf::AssertOp op) {
        if (op->getBlock() != &func.front())
          return op.emitError("cannot turn an assertion nested in a region "
                              "into a status result"),
                 WalkResult::interrupt();
        asserts.push_back(op);
        return WalkResult::advance();
      });
      if (walk.wasInterrupted())
        return signalPassFailure();
      if (asserts.empty())
        continue;
      if (!users.getUsers(func).empty()) {
        asserts.front().emitError()
            << "cannot turn the assertions of '" << func.getSymName()
            << "' into a status result: the function has callers";
        return signalPassFailure();
      }
      if (failed(convertFunction(func, asserts)))
        return signalPassFailure();
    }
  }
};
} // namespace
