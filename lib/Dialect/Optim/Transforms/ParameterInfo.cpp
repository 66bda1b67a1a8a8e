//===- ParameterInfo.cpp - Names and updates of parameters ----------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "ParameterInfo.h"

#include "muon/Dialect/Optim/IR/OptimOps.h"

#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace muon::optim;

/// The attribute naming imported arguments (see ONNXImporter.h).
static constexpr StringLiteral kNameAttr = "onnx.name";

std::optional<std::string> muon::optim::getParameterName(Value value) {
  auto arg = dyn_cast<BlockArgument>(value);
  if (!arg || !arg.getOwner()->isEntryBlock())
    return std::nullopt;
  auto func = dyn_cast<FunctionOpInterface>(arg.getOwner()->getParentOp());
  if (!func)
    return std::nullopt;
  if (auto name =
          func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kNameAttr))
    return name.str();
  return std::nullopt;
}

std::string muon::optim::getParameterNameOrUnnamed(Value value) {
  return getParameterName(value).value_or(std::string("<unnamed>"));
}

std::optional<ParameterUpdate> muon::optim::getParameterUpdate(Value param) {
  std::optional<ParameterUpdate> found;
  for (OpOperand &use : param.getUses()) {
    Value newParam =
        TypeSwitch<Operation *, Value>(use.getOwner())
            .Case<MuonOp, Muon2Op, AdamWOp>([&](auto op) -> Value {
              // Member i of a bucket updates params[i] into new_params[i].
              MutableOperandRange params = op.getParamsMutable();
              for (auto [i, operand] : llvm::enumerate(params))
                if (&use == &operand)
                  return op.getNewParams()[i];
              return Value();
            })
            .Case<MomentumOp, AdagradOp, AdamOp>([&](auto op) {
              return &use == &op.getParamMutable() ? op.getNewParam() : Value();
            })
            .Default(Value());
    if (!newParam)
      continue;
    if (found)
      return std::nullopt;
    found = ParameterUpdate{use.getOwner(), newParam};
  }
  return found;
}
