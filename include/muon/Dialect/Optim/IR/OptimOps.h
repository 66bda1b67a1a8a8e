//===- OptimOps.h - Operations of the optim dialect -------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_DIALECT_OPTIM_IR_OPTIMOPS_H
#define MUON_DIALECT_OPTIM_IR_OPTIMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "muon/Dialect/Optim/IR/OptimAttrs.h"
#include "muon/Dialect/Optim/IR/OptimDialect.h"

namespace muon::optim {

/// The most Newton–Schulz iterations (`ns_steps`) the ops that run them
/// accept.
inline constexpr int64_t kMaxNewtonSchulzSteps = 100;

/// A tensor seen as a batch of matrices: `batch` leading extents (empty for a
/// single matrix) and a `rows` × `cols` matrix each.
struct MatrixShape {
  llvm::SmallVector<int64_t> batch;
  int64_t rows;
  int64_t cols;

  int64_t getBatchSize() const;
};

/// The matrices a tensor of rank >= 2 stands for under `view`: `flatten`
/// gives one dim0 × (product of the rest) matrix, `batch` treats all but the
/// last two dims as a batch.
MatrixShape getMatrixShape(mlir::ShapedType type, MatrixView view);

/// Whether `a`'s matrices are `b`'s or their transposes (batches aside).
bool isSameOrTransposed(const MatrixShape &a, const MatrixShape &b);

/// Whether a bucket member with `member`'s matrices joins the batch of a
/// bucket whose first member has `first`'s transposed: when one is wider
/// than tall and the other taller than wide (a square one never is).
bool isTransposedMember(const MatrixShape &first, const MatrixShape &member);

/// The matrices Newton–Schulz iterates on for the members `types` of a
/// bucket under `view`: each member's, transposed where isTransposedMember,
/// zero-padded to the largest rows and columns among them (exact: the
/// iteration maps [X 0; 0 0] to [NS(X) 0; 0 0]); `batch` holds the total
/// number of matrices.
MatrixShape getBucketMatrixShape(mlir::TypeRange types, MatrixView view);

} // namespace muon::optim

#define GET_OP_CLASSES
#include "muon/Dialect/Optim/IR/OptimOps.h.inc"

namespace muon::optim {

/// The operand a result of `optim.muon`, `optim.muon2` or `optim.adamw`
/// replaces: W' its parameter, a new state the same member's state (the
/// gradients, the second operand list, have no result); null for results of
/// other ops.
mlir::OpOperand *getUpdatedOperand(mlir::OpResult result);

/// The inverse of getUpdatedOperand: the result that replaces `operand`, if
/// any (constant time: bucketed ops have thousands of results).
mlir::OpResult getReplacingResult(mlir::OpOperand &operand);

/// The `skip` operand of those updates (null where absent, or for other
/// ops).
mlir::Value getSkip(mlir::Operation *op);

} // namespace muon::optim

#endif // MUON_DIALECT_OPTIM_IR_OPTIMOPS_H
