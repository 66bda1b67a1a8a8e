//===- InputShapeInference.h - Graph input shapes from consumers -*- C++
//-*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Shapes a node requires of one operand given another operand's static type.
// The importer uses them to give symbolic dimensions of graph inputs a value
// the rest of the graph determines: torch exports logits reshaped to (-1, V)
// with a static batch, and generate_artifacts then declares the loss's
// targets with symbolic dimensions.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_TARGET_ONNX_INPUTSHAPEINFERENCE_H
#define MUON_LIB_TARGET_ONNX_INPUTSHAPEINFERENCE_H

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>

namespace onnx {
class NodeProto;
} // namespace onnx

namespace muon::onnx_import {

/// The shape of rank `rank` that `node` requires of operand `position`, as
/// far as its other operands determine it (ShapedType::kDynamic where they do
/// not); std::nullopt when the node relates no operand's shape to it.
/// `getOperandType` gives an operand's static type, or null when unknown.
std::optional<llvm::SmallVector<int64_t>> inferOperandShape(
    const onnx::NodeProto &node, unsigned position, int64_t rank,
    llvm::function_ref<mlir::RankedTensorType(unsigned)> getOperandType);

} // namespace muon::onnx_import

#endif // MUON_LIB_TARGET_ONNX_INPUTSHAPEINFERENCE_H
