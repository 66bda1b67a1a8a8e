//===- LinalgBuilders.cpp - Helpers building linalg on tensors ------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace muon::optim;

bool muon::optim::isSupportedFloatType(Type type) {
  return isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(type);
}

LogicalResult muon::optim::checkSupportedOperandTypes(RewriterBase &rewriter,
                                                      Operation *op) {
  for (Value operand : op->getOperands()) {
    Type type = getElementTypeOrSelf(operand.getType());
    if (!isa<FloatType>(type) || isSupportedFloatType(type))
      continue;
    op->emitOpError() << "cannot be lowered: element type " << type
                      << " is not one of f16, bf16, f32, f64";
    return rewriter.notifyMatchFailure(op, "unsupported element type");
  }
  return success();
}

FloatType muon::optim::getArithmeticType(Type type) {
  if (isa<Float16Type, BFloat16Type>(type))
    return Float32Type::get(type.getContext());
  return cast<FloatType>(type);
}

Value muon::optim::buildMovingAverage(OpBuilder &b, Location loc, Value beta,
                                      Value oneMinusBeta, Value average,
                                      Value sample) {
  Value decayed = arith::MulFOp::create(b, loc, beta, average);
  Value added = arith::MulFOp::create(b, loc, oneMinusBeta, sample);
  return arith::AddFOp::create(b, loc, decayed, added);
}

SmallVector<int64_t>
muon::optim::getMatrixFormShape(const MatrixShape &matrix) {
  if (matrix.batch.empty())
    return {matrix.rows, matrix.cols};
  return {matrix.getBatchSize(), matrix.rows, matrix.cols};
}

SmallVector<ReassociationIndices>
muon::optim::getMatrixFormReassociation(int64_t rank,
                                        const MatrixShape &matrix) {
  if (matrix.batch.empty())
    return groupDims({1, rank - 1});
  return groupDims({rank - 2, 1, 1});
}
