//===- LinalgBuilders.h - Helpers building linalg on tensors ----*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Builders shared by the optim decompositions and lowerings: scalar constants
// and conversions, element-wise and reduction `linalg.generic`s, and the
// reshapes between a parameter and its matrix view.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_DIALECT_OPTIM_UTILS_LINALGBUILDERS_H
#define MUON_DIALECT_OPTIM_UTILS_LINALGBUILDERS_H

#include "muon/Dialect/Optim/IR/OptimOps.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace muon::optim {

/// True for the float types the lowerings compute in: f16, bf16, f32, f64.
bool isSupportedFloatType(mlir::Type type);

/// Fails the match of `op`, with an error on it, when a float operand has an
/// element type outside f16/bf16/f32/f64 (e.g. an f8 parameter).
mlir::LogicalResult checkSupportedOperandTypes(mlir::RewriterBase &rewriter,
                                               mlir::Operation *op);

/// The type element-wise math on `type` runs in: f32 for f16/bf16 (accuracy
/// of the update), else `type` itself.
mlir::FloatType getArithmeticType(mlir::Type type);

mlir::Value createFloatConstant(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Type type, double value);

/// Converts a float or (step-count) integer scalar to the float type `type`.
mlir::Value convertScalar(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value value, mlir::Type type);

/// Reads a 0-d tensor and converts its value to `type`.
mlir::Value extractScalar(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value tensor, mlir::Type type);

/// β·average + (1 − β)·sample: the update rule of every moment.
mlir::Value buildMovingAverage(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value beta, mlir::Value oneMinusBeta,
                               mlir::Value average, mlir::Value sample);

/// Body of a `linalg.generic`: receives the input elements converted to the
/// generic's arithmetic type and returns one value per result.
using GenericBodyFn = llvm::function_ref<llvm::SmallVector<mlir::Value>(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// Builds an all-parallel `linalg.generic` over the shape of `resultTypes`
/// (which share a shape). Inputs are read through `inputMaps` (identity when
/// empty), converted to `arithType` before `body`; its results are converted
/// to the element types of `resultTypes`.
llvm::SmallVector<mlir::Value> buildElementwise(
    mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange inputs,
    llvm::ArrayRef<mlir::AffineMap> inputMaps, mlir::TypeRange resultTypes,
    mlir::Type arithType, GenericBodyFn body);

/// Like `buildElementwise`, but computes in place of `target` (same-shaped
/// inputs; `body` sees the inputs, then the element of `target`), so that the
/// result bufferizes into `target`'s buffer, e.g. an `scf.for` iter_arg.
mlir::Value buildElementwiseUpdate(mlir::OpBuilder &b, mlir::Location loc,
                                   mlir::ValueRange inputs, mlir::Value target,
                                   mlir::Type arithType, GenericBodyFn body);

/// `value` with its elements converted to `elementType` (itself if equal).
mlir::Value convertElements(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value value, mlir::Type elementType);

/// Combines an accumulator with one input element (already in the
/// accumulator type).
using CombineFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::Value acc, mlir::Value element)>;

/// Reduces `input` over `reducedDims` into a fresh `accType` tensor of the
/// remaining dims filled with `init`: acc = combine(acc, element).
mlir::Value buildReduction(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value input,
                           llvm::ArrayRef<int64_t> reducedDims,
                           mlir::Type accType, double init, CombineFn combine);

/// Σ x² of `input` over `reducedDims`, accumulated in `accType`.
mlir::Value buildSumOfSquares(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value input,
                              llvm::ArrayRef<int64_t> reducedDims,
                              mlir::Type accType);

/// Affine map from the loops of a rank-`rank` generic to the dims `dims`.
mlir::AffineMap getProjectionMap(mlir::MLIRContext *ctx, unsigned rank,
                                 llvm::ArrayRef<int64_t> dims);

/// Groups consecutive dims into a reassociation of the given group sizes.
llvm::SmallVector<mlir::ReassociationIndices>
groupDims(llvm::ArrayRef<int64_t> groupSizes);

/// Collapses or expands the static `value` to `shape` along `reassociation`
/// (`value` itself when the rank already matches).
mlir::Value reshape(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                    llvm::ArrayRef<int64_t> shape,
                    llvm::ArrayRef<mlir::ReassociationIndices> reassociation);

/// Shape of the matrix form of a tensor seen through a matrix view:
/// [batch, rows, cols] with all batch dims collapsed into one, or
/// [rows, cols] when there is no batch.
llvm::SmallVector<int64_t> getMatrixFormShape(const MatrixShape &matrix);

/// Reassociation between a tensor of rank `rank` and its matrix form.
llvm::SmallVector<mlir::ReassociationIndices>
getMatrixFormReassociation(int64_t rank, const MatrixShape &matrix);

} // namespace muon::optim

#endif // MUON_DIALECT_OPTIM_UTILS_LINALGBUILDERS_H
