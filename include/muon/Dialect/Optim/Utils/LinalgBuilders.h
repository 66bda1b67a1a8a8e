//===- LinalgBuilders.h - Helpers building linalg on tensors ----*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// What the optim decompositions and lowerings add to the generic builders of
// muon/Utils/LinalgBuilders.h: the float types they compute in and the
// reshapes between a parameter and its matrix view.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_DIALECT_OPTIM_UTILS_LINALGBUILDERS_H
#define MUON_DIALECT_OPTIM_UTILS_LINALGBUILDERS_H

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace muon::optim {

// The generic builders, shared with the ONNX importer.
using muon::buildElementwise;
using muon::buildElementwiseUpdate;
using muon::buildReduction;
using muon::buildScalarGeneric;
using muon::buildSumOfSquares;
using muon::CombineFn;
using muon::convertElements;
using muon::convertScalar;
using muon::createFloatConstant;
using muon::GenericBodyFn;
using muon::getProjectionMap;
using muon::groupDims;
using muon::reshape;

/// True for the float types the lowerings compute in: f16, bf16, f32, f64.
bool isSupportedFloatType(mlir::Type type);

/// Fails the match of `op`, with an error on it, when a float operand has an
/// element type outside f16/bf16/f32/f64 (e.g. an f8 parameter).
mlir::LogicalResult checkSupportedOperandTypes(mlir::RewriterBase &rewriter,
                                               mlir::Operation *op);

/// The type element-wise math on `type` runs in: f32 for f16/bf16 (accuracy
/// of the update), else `type` itself.
mlir::FloatType getArithmeticType(mlir::Type type);

/// `target` (…×m×m, a tensor or a buffer) plus `a` on the diagonal of each
/// matrix, computed in getArithmeticType and in place: a buffer is updated
/// and null returned, a tensor's new value is returned.
mlir::Value buildAddToDiagonal(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value target, double a);

/// β·average + (1 − β)·sample: the update rule of every moment.
mlir::Value buildMovingAverage(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value beta, mlir::Value oneMinusBeta,
                               mlir::Value average, mlir::Value sample);

/// Shape of the matrix form of a tensor seen through a matrix view:
/// [batch, rows, cols] with all batch dims collapsed into one, or
/// [rows, cols] when there is no batch.
llvm::SmallVector<int64_t> getMatrixFormShape(const MatrixShape &matrix);

/// Reassociation between a tensor of rank `rank` and its matrix form.
llvm::SmallVector<mlir::ReassociationIndices>
getMatrixFormReassociation(int64_t rank, const MatrixShape &matrix);

/// `value` seen through `view` as its matrix form (getMatrixFormShape).
mlir::Value toMatrixForm(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value value, MatrixView view);

/// `form`, the matrix form of a tensor of `type` seen through `view`, back
/// in `type`.
mlir::Value fromMatrixForm(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value form, mlir::RankedTensorType type,
                           MatrixView view);

/// A matrix-form tensor ([batch?, A, B]) with its two matrix dims swapped.
mlir::Value transposeMatrices(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value form);

/// The matrices of `members` (tensors seen through `view` as A×B matrices,
/// A×B being the first member's shape, or as their transposes B×A) stacked
/// into one K×A×B tensor, K their total count: the batched Newton–Schulz
/// input of a bucket, a B×A member transposed. Each member's matrix form is
/// inserted into a `tensor.empty`, so that the producer of a member can
/// write its part in place (empty-tensor elimination).
mlir::Value packMatrices(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::ValueRange members, MatrixView view);

/// The inverse of packMatrices: each member's part of `packed`, extracted,
/// transposed back where packMatrices transposed it, and reshaped back to
/// `memberTypes`.
llvm::SmallVector<mlir::Value>
unpackMatrices(mlir::OpBuilder &b, mlir::Location loc, mlir::Value packed,
               mlir::TypeRange memberTypes, MatrixView view);

/// Applies the `skip` operand of the update `op`, if it has one, to
/// `results` (one value per result of `op`): each is replaced by a select
/// of its operand (`operands`: op's operands, or what a conversion remapped
/// them to) where skip is non-zero (buildUnlessFlagged).
void applySkip(mlir::OpBuilder &b, mlir::Operation *op,
               mlir::ValueRange operands,
               llvm::MutableArrayRef<mlir::Value> results);

} // namespace muon::optim

#endif // MUON_DIALECT_OPTIM_UTILS_LINALGBUILDERS_H
