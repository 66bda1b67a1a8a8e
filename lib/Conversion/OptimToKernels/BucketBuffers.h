//===- BucketBuffers.h - Bucket operands without packing copies -*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// `optim-bucket` packs the tensors of a bucket into one: N same-shaped
// matrices stacked into N×A×B (Muon), or parameters of any shapes flattened
// and concatenated into one vector (AdamW), with tensor.insert_slice into
// tensor.empty, and unpacks the results with tensor.extract_slice (+
// expand_shape). Bufferized as is, that is a copy in and a copy out of every
// tensor of every parameter — more traffic than the fused kernels' own, and
// one memcpy launch per copy. A BucketBuffer sees through the packing
// instead: one buffer per packed tensor (the parameter's own memory, or the
// caller's out-param for a result), the kernels choosing their row's buffer
// once per thread. Only what Newton–Schulz needs batched (its input and
// iterates) stays packed, in the kernels' own temporaries.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_CONVERSION_OPTIMTOKERNELS_BUCKETBUFFERS_H
#define MUON_LIB_CONVERSION_OPTIMTOKERNELS_BUCKETBUFFERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

namespace muon::optim {

/// At most this many per-row buffers per kernel: each is a kernel argument
/// (a 1-D memref descriptor, 40 bytes), and kernel parameters are limited to
/// 32 KB (PTX 8.1+). Larger buckets take several kernels (AdamW) or stay
/// packed (Muon).
constexpr int64_t kMaxRowBuffersPerKernel = 600;

/// Where the tensors of a packing lie in its flat (row-major) elements: row
/// r is [offsets[r], offsets[r] + sizes[r]).
struct BucketLayout {
  llvm::SmallVector<int64_t> offsets, sizes;

  /// The layout of `packed` if it is a packing of whole tensors (N-D: N
  /// slices of dim 0; 1-D: a concatenation), else one row of everything.
  static BucketLayout get(mlir::Value packed);
  /// One row of `elements`.
  static BucketLayout whole(int64_t elements) { return {{0}, {elements}}; }
  int64_t getNumRows() const { return offsets.size(); }
};

/// A row's buffer inside a kernel, and the flat index of the row's first
/// element in it (0 for a row's own buffer).
struct RowBuffer {
  mlir::Value buffer;
  mlir::Value rowStart;
};

/// The rows of a bucket operand or result: one flat buffer of the packed
/// tensor, or one flat buffer per row.
class BucketBuffer {
public:
  /// The buffer(s) of operand `tensor`: per row if `layout` is its packing.
  static BucketBuffer forOperand(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value tensor,
                                 const BucketLayout &layout);

  /// Fresh buffer(s) for `result`: per row if every use of it extracts one
  /// row of `layout`, else packed.
  static BucketBuffer forResult(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value result, const BucketLayout &layout);

  /// Inside a kernel, once per thread: the buffer of `row` of each of
  /// `buckets`, chosen by one `scf.index_switch` over the kernel's rows
  /// [firstRow, firstRow + numRows) (rows are uniform across a thread
  /// block, so the branch does not diverge); numRows < 0: all rows.
  static llvm::SmallVector<RowBuffer>
  selectRow(mlir::OpBuilder &b, mlir::Location loc,
            llvm::ArrayRef<const BucketBuffer *> buckets, mlir::Value row,
            int64_t firstRow = 0, int64_t numRows = -1);

  /// Element `flat` (of the packed tensor) through `row`'s buffer, as
  /// `type`; stores convert to the buffer's element type.
  static mlir::Value load(mlir::OpBuilder &b, mlir::Location loc,
                          const RowBuffer &row, mlir::Value flat,
                          mlir::Type type);
  static void store(mlir::OpBuilder &b, mlir::Location loc,
                    const RowBuffer &row, mlir::Value value, mlir::Value flat);

  /// The tensor replacing `result` (the result forResult was given): per
  /// row, every unpacking use is replaced by its row's tensor first and the
  /// returned value is a dead placeholder.
  mlir::Value replaceResult(mlir::RewriterBase &rewriter, mlir::Location loc,
                            mlir::Value result) const;

private:
  BucketBuffer(llvm::SmallVector<mlir::Value> buffers, BucketLayout layout,
               bool perRow, llvm::SmallVector<mlir::Value> shaped = {})
      : buffers(std::move(buffers)), shaped(std::move(shaped)),
        layout(std::move(layout)), perRow(perRow) {}

  /// Flat views the kernels index.
  llvm::SmallVector<mlir::Value> buffers;
  /// Results: the allocations in the result's shape (packed) or the
  /// unpacked tensors' shapes (per row), which become the function's
  /// out-params when returned.
  llvm::SmallVector<mlir::Value> shaped;
  BucketLayout layout;
  bool perRow;
};

} // namespace muon::optim

#endif // MUON_LIB_CONVERSION_OPTIMTOKERNELS_BUCKETBUFFERS_H
