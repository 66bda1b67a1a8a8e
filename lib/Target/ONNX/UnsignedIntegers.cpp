//===- UnsignedIntegers.cpp - ONNX's unsigned integers after import -------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "UnsignedIntegers.h"

#include "muon/Utils/ABIAttributes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AttrTypeSubElements.h"

using namespace mlir;

static bool hasUnsignedElements(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isUnsignedInteger();
}

void muon::onnx_import::eraseUnsignedIntegers(func::FuncOp func) {
  UnitAttr unit = UnitAttr::get(func.getContext());
  for (auto [index, type] : llvm::enumerate(func.getArgumentTypes()))
    if (hasUnsignedElements(type))
      func.setArgAttr(index, kUnsignedAttrName, unit);
  for (auto [index, type] : llvm::enumerate(func.getResultTypes()))
    if (hasUnsignedElements(type))
      func.setResultAttr(index, kUnsignedAttrName, unit);

  // Signedness is a property of the type alone: no op that verified with
  // uiN operands constrains them further, so the types change in place.
  AttrTypeReplacer replacer;
  replacer.addReplacement([](IntegerType type) -> std::optional<Type> {
    if (!type.isUnsigned())
      return std::nullopt;
    return IntegerType::get(type.getContext(), type.getWidth());
  });
  // Dense elements keep their type in their storage, out of the replacer's
  // reach: the same bits, reinterpreted.
  replacer.addReplacement(
      [](DenseIntElementsAttr attr) -> std::optional<Attribute> {
        Type elementType = attr.getElementType();
        if (!elementType.isUnsignedInteger())
          return std::nullopt;
        return attr.bitcast(IntegerType::get(
            attr.getContext(), elementType.getIntOrFloatBitWidth()));
      });
  replacer.recursivelyReplaceElementsIn(func, /*replaceAttrs=*/true,
                                        /*replaceLocs=*/false,
                                        /*replaceTypes=*/true);
  func.walk([](tensor::BitcastOp bitcast) {
    if (bitcast.getSource().getType() == bitcast.getType()) {
      bitcast.replaceAllUsesWith(bitcast.getSource());
      bitcast.erase();
    }
  });
}
