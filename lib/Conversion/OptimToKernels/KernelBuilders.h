//===- KernelBuilders.h - Kernels as block × thread loop nests --*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Every fused kernel is emitted as two nested `scf.parallel`s on memrefs: the
// outer one over (block, row) becomes the grid, the inner one over the
// threads of a block becomes the block (`gpu-map-parallel-loops` maps nest
// level 0 to blocks and level 1 to threads). The same IR lowers to plain
// loops on CPU, which is how the fused arithmetic is tested without a GPU.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_CONVERSION_OPTIMTOKERNELS_KERNELBUILDERS_H
#define MUON_LIB_CONVERSION_OPTIMTOKERNELS_KERNELBUILDERS_H

#include "mlir/IR/Builders.h"

namespace muon::optim {

/// Threads per block of every kernel.
constexpr int64_t kThreadsPerBlock = 256;

/// Per-row reductions accumulate into this many slots (thread i adds into
/// slot i mod kReductionSlots) so that atomics on one address do not
/// serialize a whole matrix; readers sum the slots.
constexpr int64_t kReductionSlots = 32;

/// Runs once per thread of row `row` before its elements (scalars loaded
/// from device buffers, reductions of a previous kernel).
using KernelPrologueFn = llvm::function_ref<void(
    mlir::OpBuilder &, mlir::Location, mlir::Value row)>;
/// Computes the element at `flatIndex` = row · elements + (index in the
/// row) of flat buffers; returns the updated accumulators.
using KernelBodyFn = llvm::function_ref<llvm::SmallVector<mlir::Value>(
    mlir::OpBuilder &, mlir::Location, mlir::Value row, mlir::Value flatIndex,
    mlir::ValueRange accumulators)>;
/// Runs once per thread after its elements, with the thread's index within
/// the row (0 .. threads per row) and its final accumulators.
using KernelEpilogueFn =
    llvm::function_ref<void(mlir::OpBuilder &, mlir::Location, mlir::Value row,
                            mlir::Value thread, mlir::ValueRange accumulators)>;

/// Emits a kernel over `rows` independent rows of `elements` elements each.
/// Consecutive threads take consecutive elements (coalesced); each thread
/// handles up to a few elements of its row, strided by the row's threads.
void buildKernel(mlir::OpBuilder &b, mlir::Location loc, int64_t rows,
                 int64_t elements, mlir::ValueRange accumulatorInits,
                 KernelPrologueFn prologue, KernelBodyFn body,
                 KernelEpilogueFn epilogue);

/// Computes the element at `flatIndex` of row `row` of a ragged kernel.
using RaggedBodyFn = llvm::function_ref<void(
    mlir::OpBuilder &, mlir::Location, mlir::Value row, mlir::Value flatIndex)>;

/// Emits an element-wise kernel (no reductions) over rows of different
/// lengths, row r being the flat elements [offsets[r], offsets[r] +
/// sizes[r]) — the parameters of an AdamW bucket. Every row gets its own
/// blocks of up to kThreadsPerBlock × 16 consecutive elements, so a block,
/// and the prologue of each of its threads, belongs to one row; the grid is
/// one-dimensional.
void buildRaggedKernel(mlir::OpBuilder &b, mlir::Location loc,
                       llvm::ArrayRef<int64_t> offsets,
                       llvm::ArrayRef<int64_t> sizes, KernelPrologueFn prologue,
                       RaggedBodyFn body);

/// The per-row sums of a kernel over `rows` rows of `elements` elements
/// (buildKernel), in f64 so that they do not overflow for entries beyond
/// ~1e19, as the CPU lowering's norms do not. Each thread adds its partial
/// in the kernel's epilogue (accumulate); finish() leaves the sums in a
/// rows × kReductionSlots buffer that buildSlotSum reads. By default the
/// threads add atomically into slot (thread mod kReductionSlots), in an
/// order that varies from run to run on a GPU; `deterministic`, each thread
/// stores its partial in a slot of its own and finish() sums them in a
/// fixed order, by kernels of up to 16 partials per thread and a last
/// one-thread-per-row kernel.
class RowSums {
public:
  RowSums(mlir::OpBuilder &b, mlir::Location loc, int64_t rows,
          int64_t elements, bool deterministic);

  /// The epilogue's part: `thread`'s partial sum of `row`.
  void accumulate(mlir::OpBuilder &b, mlir::Location loc, mlir::Value row,
                  mlir::Value thread, mlir::Value partial) const;

  /// After the kernel: the slots buildSlotSum reads.
  mlir::Value finish(mlir::OpBuilder &b, mlir::Location loc) const;

private:
  int64_t rows, threads;
  /// rows × kReductionSlots (atomic), or rows × threads (deterministic).
  mlir::Value partials;
  bool deterministic;
};

/// acc + x², with x (any float) widened to acc's f64.
mlir::Value accumulateSquare(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value acc, mlir::Value x);

/// Σ over the slots of `row` of a rows × slots f64 buffer, in order.
mlir::Value buildSlotSum(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value slots, mlir::Value row);

/// `buffer[index]` converted to `type`.
mlir::Value loadAs(mlir::OpBuilder &b, mlir::Location loc, mlir::Value buffer,
                   mlir::ValueRange index, mlir::Type type);

/// Stores `value` converted to the element type of `buffer`.
void storeConverted(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                    mlir::Value buffer, mlir::ValueRange index);

/// An update's `skip` operand as its kernels apply it: each thread loads the
/// flag in its prologue (load) and stores, for every result element, the
/// element it updates where the flag is set (select).
class SkipFlag {
public:
  /// `buffer`: the 0-d integer buffer of `skip`, null where the op has none.
  SkipFlag(mlir::OpBuilder &b, mlir::Location loc, mlir::Value buffer);

  void load(mlir::OpBuilder &b, mlir::Location loc);
  /// `updated`, or `old` where the loaded flag is set.
  mlir::Value select(mlir::OpBuilder &b, mlir::Location loc,
                     mlir::Value updated, mlir::Value old) const;

private:
  mlir::Value buffer, skipped;
};

//===----------------------------------------------------------------------===//
// The kernels' buffers
//===----------------------------------------------------------------------===//

/// An operand's buffer as the kernels index it: collapsed to one dim (rank 0
/// stays), and copied first if it is a strided view.
mlir::Value toFlatBuffer(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value buffer);

/// A fresh buffer of `shape` (device memory in the GPU pipeline).
mlir::Value allocBuffer(mlir::OpBuilder &b, mlir::Location loc,
                        llvm::ArrayRef<int64_t> shape, mlir::Type elementType);

/// `buffer` collapsed (or, rank 0, expanded) to one dim.
mlir::Value flatten(mlir::OpBuilder &b, mlir::Location loc, mlir::Value buffer);

} // namespace muon::optim

#endif // MUON_LIB_CONVERSION_OPTIMTOKERNELS_KERNELBUILDERS_H
