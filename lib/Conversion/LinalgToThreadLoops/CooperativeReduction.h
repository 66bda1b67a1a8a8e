//===- CooperativeReduction.h - one block per reduced element ---*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_CONVERSION_LINALGTOTHREADLOOPS_COOPERATIVEREDUCTION_H
#define MUON_LIB_CONVERSION_LINALGTOTHREADLOOPS_COOPERATIVEREDUCTION_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace muon {

/// Whether `op` or an op nested in it reads or writes a view of the buffer
/// `root` (a value with its view-like ops skipped); the view ops
/// themselves do not count.
bool touchesBuffer(mlir::Operation *op, mlir::Value root);

/// The `gpu.memset` of a constant (convert-memory-to-gpu's form of a
/// whole-buffer `linalg.fill`) that the kernel of `op`'s output `init` can
/// do without: earlier in `op`'s block, of the same buffer up to reshapes,
/// every element of which the reduction writes (its map picks distinct loop
/// dims, or 0 on unit dims), with nothing touching the buffer in between.
/// The kernel then starts from the constant, which an imported graph's
/// accumulators are all filled with, instead of loading it: one launch
/// fewer per reduction. Null if there is none.
mlir::gpu::MemsetOp getOverwrittenFill(mlir::linalg::LinalgOp op,
                                       mlir::OpOperand &init);

/// Replaces the reductions of `chain` (on buffers, parallel dims first,
/// each reducing the same dims; see canJoinCooperativeReduction) by a block
/// loop over their parallel iteration space around a thread loop of up to
/// `maxThreads` threads: for each reduction in turn, each thread combines a
/// strided share of the row, a `gpu.all_reduce` combines the threads, and
/// the next reduction reads the result from registers; thread 0 folds the
/// results into the outputs. A softmax's max and sum, or a LayerNorm's mean
/// and variance, are then one kernel. Fails, leaving the ops untouched,
/// when an output is not a plain reduction that `gpu.all_reduce` implements
/// (one combiner op with a neutral element, 32-bit elements) or the loop
/// ranges are not static. A non-null element-wise `consumer` runs in the
/// same kernel after the all-reduces, over the same row; the caller erases
/// the ops.
mlir::LogicalResult buildCooperativeReduction(
    mlir::RewriterBase &rewriter, llvm::ArrayRef<mlir::linalg::LinalgOp> chain,
    unsigned maxThreads, mlir::linalg::LinalgOp consumer = nullptr);

/// Whether `next` (the next op that touches memory after the reductions of
/// `chain`) may run in their cooperative kernel after them: an element-wise
/// op or a reduction over the same dims, with the same iteration space,
/// the chain's parallel dims first, the chain's outputs read only at their
/// own row and not written, the chain's inputs written only at the
/// elements the same row reads.
bool canJoinCooperativeReduction(llvm::ArrayRef<mlir::linalg::LinalgOp> chain,
                                 mlir::linalg::LinalgOp next);

} // namespace muon

#endif // MUON_LIB_CONVERSION_LINALGTOTHREADLOOPS_COOPERATIVEREDUCTION_H
