//===- MaterializeAliasedResults.cpp - Results into donated arguments -----===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"
#include "muon/Transforms/ResultAliases.h"

namespace muon {
#define GEN_PASS_DEF_MATERIALIZEALIASEDRESULTSPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

namespace {
struct MaterializeAliasedResultsPass
    : muon::impl::MaterializeAliasedResultsPassBase<
          MaterializeAliasedResultsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!muon::hasResultAliases(func))
      return;
    FailureOr<SmallVector<std::optional<unsigned>>> aliases =
        muon::getResultAliases(func);
    if (failed(aliases))
      return signalPassFailure();
    if (func.isExternal()) {
      func.emitError() << "'" << muon::kAliasingOutputAttrName
                       << "' needs a function with a body";
      return signalPassFailure();
    }
    // Collected once: a walk per result is quadratic for a step of
    // thousands of tensors.
    SmallVector<func::ReturnOp> returns;
    func.walk([&](func::ReturnOp ret) { returns.push_back(ret); });
    OpBuilder builder(func.getContext());
    for (auto [result, arg] : llvm::enumerate(*aliases)) {
      if (!arg)
        continue;
      if (!isa<TensorType>(func.getArgumentTypes()[*arg])) {
        func.emitError() << "argument " << *arg
                         << ": only tensors can donate their buffer";
        return signalPassFailure();
      }
      func.setArgAttr(*arg,
                      bufferization::BufferizationDialect::kWritableAttrName,
                      builder.getBoolAttr(true));
      BlockArgument destination = func.getArgument(*arg);
      for (func::ReturnOp ret : returns) {
        builder.setInsertionPoint(ret);
        OpOperand &returned = ret->getOpOperand(result);
        auto materialize = bufferization::MaterializeInDestinationOp::create(
            builder, ret.getLoc(), returned.get(), destination);
        returned.set(materialize.getResult());
      }
    }
  }
};
} // namespace
