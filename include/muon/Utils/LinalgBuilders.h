//===- LinalgBuilders.h - Builders of linalg/tensor IR ----------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// IR builders the ONNX importer and the lowerings share: empty and filled
// tensors, numpy-broadcasting element-wise generics, reshapes, transposes and
// reductions, all on static shapes.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_UTILS_LINALGBUILDERS_H
#define MUON_UTILS_LINALGBUILDERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace muon {

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

/// Reshapes a static tensor to `shape` (same element count): one
/// collapse_shape or expand_shape where dimensions group contiguously, else a
/// collapse to 1-D and an expand; all bufferize to views.
mlir::Value buildReshape(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value value, llvm::ArrayRef<int64_t> shape);

/// `linalg.transpose` by `perm` (result dim i = input dim perm[i]).
mlir::Value buildTranspose(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value value, llvm::ArrayRef<int64_t> perm);

enum class ReduceKind { Sum, Max };

/// Reduces `value` over the sorted, unique `axes`; with `keepDims` the
/// reduced dimensions stay as size 1.
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
