//===- CheckLibmNames.cpp - No function named like a libm call ------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace muon {
#define GEN_PASS_DEF_CHECKLIBMNAMESPASS
#include "muon/Transforms/Passes.h.inc"
} // namespace muon

using namespace mlir;

/// The C math library function `convert-math-to-libm` calls for `op` if it
/// converts it: the op's mnemonic (powf: pow), with an `f` suffix on f32.
static std::optional<std::string> getLibmName(Operation *op) {
  if (!isa<math::MathDialect>(op->getDialect()) || op->getNumResults() != 1)
    return std::nullopt;
  Type type = getElementTypeOrSelf(op->getResult(0).getType());
  if (!type.isF32() && !type.isF64())
    return std::nullopt;
  StringRef base = op->getName().stripDialect();
  if (base == "powf")
    base = "pow";
  return (base + (type.isF32() ? "f" : "")).str();
}

namespace {
struct CheckLibmNamesPass
    : muon::impl::CheckLibmNamesPassBase<CheckLibmNamesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    WalkResult result = module.walk([&](Operation *op) {
      std::optional<std::string> name = getLibmName(op);
      if (!name)
        return WalkResult::advance();
      auto function =
          dyn_cast_or_null<FunctionOpInterface>(symbols.lookup(*name));
      if (!function || function.isExternal())
        return WalkResult::advance();
      op->emitError() << "'" << op->getName()
                      << "' becomes a call of the C math library's '" << *name
                      << "', which names a function of this module; rename "
                         "that function";
      function.emitRemark("the function named '") << *name << "'";
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
