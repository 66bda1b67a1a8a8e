//===- ScatterAddOp.cpp - optim.scatter_add -------------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Verification, memory effects and bufferization of the destination-style
// scatter-add. The op bufferizes in place on its destination, like a linalg
// op on its init: the loops that `convert-scatter-add-to-loops` makes of the
// buffer form then accumulate into the buffer the producer of `dest` wrote.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/IR/OptimOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace muon::optim;

LogicalResult ScatterAddOp::verify() {
  auto updatesType = cast<ShapedType>(getUpdates().getType());
  auto indicesType = cast<ShapedType>(getIndices().getType());
  auto destType = cast<ShapedType>(getDest().getType());
  if (!updatesType.hasRank() || !indicesType.hasRank() || !destType.hasRank())
    return emitOpError("expects ranked operands");
  bool tensors = isa<TensorType>(destType);
  if (isa<TensorType>(updatesType) != tensors ||
      isa<TensorType>(indicesType) != tensors)
    return emitOpError("expects all operands to be tensors or all buffers");
  int64_t rank = destType.getRank();
  int64_t axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError() << "expects 'axis' in [0, " << rank << "), got "
                         << axis;
  // Indices are signed and become 64-bit offsets: an i1 `true` would read
  // as -1 (the last row), and a wider index would be truncated into range
  // instead of being skipped.
  unsigned indexWidth = indicesType.getElementTypeBitWidth();
  if (indexWidth < 2 || indexWidth > 64)
    return emitOpError() << "expects indices of a signed integer type of 2 to "
                            "64 bits, got "
                         << indicesType.getElementType();
  if (updatesType.getElementType() != destType.getElementType())
    return emitOpError() << "expects updates of dest's element type "
                         << destType.getElementType() << ", got "
                         << updatesType.getElementType();
  ArrayRef<int64_t> destShape = destType.getShape();
  SmallVector<int64_t> expected(destShape.take_front(axis));
  llvm::append_range(expected, indicesType.getShape());
  llvm::append_range(expected, destShape.drop_front(axis + 1));
  if (succeeded(verifyCompatibleShape(expected, updatesType.getShape())))
    return success();
  std::string shape;
  llvm::raw_string_ostream os(shape);
  llvm::interleave(
      expected, os,
      [&](int64_t extent) {
        if (ShapedType::isDynamic(extent))
          os << '?';
        else
          os << extent;
      },
      "x");
  return emitOpError() << "expects updates of shape dest[:axis] + indices + "
                          "dest[axis+1:] = "
                       << shape << ", got " << updatesType;
}

void ScatterAddOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  // On tensors the op is pure; on buffers it reads every operand and
  // writes its destination.
  if (!hasPureBufferSemantics())
    return;
  for (OpOperand &operand : getOperation()->getOpOperands())
    effects.emplace_back(MemoryEffects::Read::get(), &operand,
                         SideEffects::DefaultResource::get());
  effects.emplace_back(MemoryEffects::Write::get(), &getDestMutable(),
                       SideEffects::DefaultResource::get());
}

bool ScatterAddOp::bufferizesToMemoryRead(OpOperand &, const AnalysisState &) {
  // dest is accumulated into, so it is read as well.
  return true;
}

bool ScatterAddOp::bufferizesToMemoryWrite(OpOperand &operand,
                                           const AnalysisState &) {
  return isDpsInit(&operand);
}

AliasingValueList ScatterAddOp::getAliasingValues(OpOperand &operand,
                                                  const AnalysisState &) {
  if (!isDpsInit(&operand))
    return {};
  return {{getResult(), BufferRelation::Equivalent}};
}

LogicalResult ScatterAddOp::bufferize(RewriterBase &rewriter,
                                      const BufferizationOptions &options,
                                      BufferizationState &state) {
  SmallVector<Value> buffers;
  for (Value operand : getOperation()->getOperands()) {
    FailureOr<Value> buffer = getBuffer(rewriter, operand, options, state);
    if (failed(buffer))
      return failure();
    buffers.push_back(*buffer);
  }
  ScatterAddOp::create(rewriter, getLoc(), /*result=*/Type(), buffers[0],
                       buffers[1], buffers[2], getAxisAttr());
  replaceOpWithBufferizedValues(rewriter, getOperation(), buffers[2]);
  return success();
}
