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

/// Replaces `op` (on buffers, parallel dims first) by a block loop over its
/// parallel iteration space around a thread loop of up to `maxThreads`
/// threads: each thread combines a strided share of the reduction, a
/// `gpu.all_reduce` combines the threads, and thread 0 folds the result into
/// the output. Fails, leaving `op` untouched, when an output is not a plain
/// reduction that `gpu.all_reduce` implements (one combiner op with a
/// neutral element, 32-bit elements) or the loop ranges are not static.
/// A non-null `consumer` (see canFuseIntoCooperativeReduction) runs in the
/// same kernel after the all-reduce, over the same row; the caller erases
/// both ops.
mlir::LogicalResult
buildCooperativeReduction(mlir::RewriterBase &rewriter,
                          mlir::linalg::LinalgOp op, unsigned maxThreads,
                          mlir::linalg::LinalgOp consumer = nullptr);

/// Whether the element-wise `consumer` of `op`'s reduced values (the next
/// op that touches memory after `op`) may run in `op`'s cooperative kernel:
/// same iteration space, `op`'s parallel dims first, `op`'s outputs read
/// only at their own row and not written, `op`'s inputs written only at
/// the elements the same row reads.
bool canFuseIntoCooperativeReduction(mlir::linalg::LinalgOp op,
                                     mlir::linalg::LinalgOp consumer);

} // namespace muon

#endif // MUON_LIB_CONVERSION_LINALGTOTHREADLOOPS_COOPERATIVEREDUCTION_H
