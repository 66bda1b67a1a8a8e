//===- LinalgBuilders.h - Builders of linalg/tensor IR ----------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// IR builders the ONNX importer and the lowerings share: scalar constants and
// conversions, empty and filled tensors, element-wise generics (explicit or
// numpy-broadcasting maps), reshapes, transposes and reductions, all on static
// shapes.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_UTILS_LINALGBUILDERS_H
#define MUON_UTILS_LINALGBUILDERS_H

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace muon {

/// A float constant of `type`, `value` rounded to nearest-even.
mlir::Value createFloatConstant(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Type type, double value);

/// Converts a float or (step-count) integer scalar to the float type `type`.
mlir::Value convertScalar(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value value, mlir::Type type);

/// Body of a `linalg.generic`: receives the input elements converted to the
/// generic's arithmetic type and returns one value per result.
using GenericBodyFn = llvm::function_ref<llvm::SmallVector<mlir::Value>(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// Scalars computed once from 0-d tensors (lr, the step count): a 0-d
/// `linalg.generic` whose body gets the tensors' elements and returns the
/// scalars, each yielded as a 0-d tensor (of its type). Element-wise generics
/// take them as inputs rather than capturing host reads: on a CPU they are
/// computed once and loaded per element; the GPU pipeline's elementwise
/// fusion recomputes them in each consumer, so the device reads the tensors.
llvm::SmallVector<mlir::Value> buildScalarGeneric(mlir::OpBuilder &b,
                                                  mlir::Location loc,
                                                  mlir::ValueRange scalars,
                                                  GenericBodyFn body);

/// Builds an all-parallel `linalg.generic` over the shape of `resultTypes`
/// (which share a shape). Inputs are read through `inputMaps` (identity when
/// empty, a broadcast `(d...) -> ()` for a 0-d input), converted to
/// `arithType` before `body`; its results are converted to the element types
/// of `resultTypes` (a null `arithType`: no conversions).
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

/// `value` where the 0-d integer tensor `flag` holds zero, else `old` (of
/// `value`'s type): an update skipped when a check fails. Element-wise, so
/// it fuses into `value`'s producer.
mlir::Value buildUnlessFlagged(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value flag, mlir::Value value,
                               mlir::Value old);

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

using ScalarBodyFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// A parallel `linalg.generic` producing a tensor of `resultShape` x
/// `elementType`; each input is broadcast numpy-style (right-aligned, size-1
/// dimensions repeated) through its indexing map.
mlir::Value buildBroadcastMap(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::ValueRange inputs,
                              llvm::ArrayRef<int64_t> resultShape,
                              mlir::Type elementType, ScalarBodyFn body);

/// `tensor.empty` of the given shape.
mlir::Value buildEmpty(mlir::OpBuilder &b, mlir::Location loc,
                       llvm::ArrayRef<int64_t> shape, mlir::Type elementType);

/// A tensor of the given shape filled with `value` (`linalg.fill`).
mlir::Value buildFilled(mlir::OpBuilder &b, mlir::Location loc,
                        llvm::ArrayRef<int64_t> shape, mlir::TypedAttr value);

/// Reshapes a static tensor, or a buffer with the identity layout, to
/// `shape` (same element count): one collapse_shape or expand_shape where
/// dimensions group contiguously, else a collapse to 1-D and an expand; all
/// views of the buffer.
mlir::Value buildReshape(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value value, llvm::ArrayRef<int64_t> shape);

/// `linalg.transpose` by `perm` (result dim i = input dim perm[i]).
mlir::Value buildTranspose(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value value, llvm::ArrayRef<int64_t> perm);

enum class ReduceKind { Sum, Prod, Max, Min };

/// `lhs` combined with `rhs` by `kind` (floats: maximumf/minimumf, which
/// propagate NaN; integers: signed, or unsigned with `isUnsigned`; bools:
/// false < true).
mlir::Value buildCombine(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value lhs, mlir::Value rhs, ReduceKind kind,
                         bool isUnsigned = false);

/// Reduces `value` over the sorted, unique `axes`; with `keepDims` the
/// reduced dimensions stay as size 1. Unsigned integers (`uiN` elements)
/// order unsigned; the reduction computes on their signless bits.
mlir::Value buildReduce(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::Value value, llvm::ArrayRef<int64_t> axes,
                        bool keepDims, ReduceKind kind);

/// `value` (float or integer element type) as an arith constant of `type`.
mlir::Value buildScalar(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type,
                        double value);

/// The shape `shape` with the dimensions in `axes` set to 1.
llvm::SmallVector<int64_t> getKeptDimsShape(llvm::ArrayRef<int64_t> shape,
                                            llvm::ArrayRef<int64_t> axes);

} // namespace muon

#endif // MUON_UTILS_LINALGBUILDERS_H
