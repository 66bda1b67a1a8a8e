//===- BucketBuffers.h - Bucket operands without packing copies -*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// `optim-bucket` packs N same-shaped parameters into one N×… tensor
// (tensor.insert_slice into tensor.empty) and unpacks the results with
// tensor.extract_slice. Bufferized as is, that is a copy in and a copy out
// of every tensor of every parameter: three times the traffic of the fused
// kernels themselves, and one memcpy launch per copy. A BucketBuffer sees
// through the packing instead: one flat buffer per matrix (the parameter's
// own memory), the kernels selecting the buffer of their row once per
// thread. Only what Newton–Schulz needs batched (its input and iterates)
// stays packed, in the kernels' own temporaries.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_CONVERSION_OPTIMTOKERNELS_BUCKETBUFFERS_H
#define MUON_LIB_CONVERSION_OPTIMTOKERNELS_BUCKETBUFFERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

namespace muon::optim {

/// A buffer of a bucket's row (matrix) inside a kernel, and the flat index
/// of the row's first element in it (0 for a matrix's own buffer).
struct RowBuffer {
  mlir::Value buffer;
  mlir::Value rowStart;
};

/// The N matrices of `elements` elements each of a bucket operand or result:
/// one flat N·elements buffer, or N flat buffers of one matrix each.
class BucketBuffer {
public:
  /// The buffer(s) of operand `tensor` (N × … matrices): per matrix if it is
  /// a packing of N whole tensors, else packed.
  static BucketBuffer forOperand(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value tensor, int64_t numMatrices);

  /// Fresh buffer(s) for `result`: per matrix if every use of it extracts
  /// one whole matrix, else packed.
  static BucketBuffer forResult(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value result, int64_t numMatrices);

  /// Inside a kernel, once per thread: the buffer of `row` of each of
  /// `buckets`, chosen by one `scf.index_switch` (the row is uniform across
  /// a thread block, so the branch does not diverge).
  static llvm::SmallVector<RowBuffer>
  selectRow(mlir::OpBuilder &b, mlir::Location loc,
            llvm::ArrayRef<const BucketBuffer *> buckets, mlir::Value row);

  /// Element `flat` (row-major over the bucket) of `row`'s buffer, as
  /// `type`; stores convert to the buffer's element type.
  static mlir::Value load(mlir::OpBuilder &b, mlir::Location loc,
                          const RowBuffer &row, mlir::Value flat,
                          mlir::Type type);
  static void store(mlir::OpBuilder &b, mlir::Location loc,
                    const RowBuffer &row, mlir::Value value, mlir::Value flat);

  /// The tensor replacing `result` (the result BucketBuffer::forResult was
  /// given): per matrix, every extracting use is replaced by its matrix's
  /// tensor first, and the returned value is a dead placeholder.
  mlir::Value replaceResult(mlir::RewriterBase &rewriter, mlir::Location loc,
                            mlir::Value result) const;

  bool isPerMatrix() const { return perMatrix; }

private:
  BucketBuffer(llvm::SmallVector<mlir::Value> buffers, int64_t elements,
               bool perMatrix, llvm::SmallVector<mlir::Value> shaped = {})
      : buffers(std::move(buffers)), shaped(std::move(shaped)),
        elements(elements), perMatrix(perMatrix) {}

  /// Flat views the kernels index.
  llvm::SmallVector<mlir::Value> buffers;
  /// Per-matrix results: the allocations in the matrix's shape, which
  /// become the function's out-params when returned.
  llvm::SmallVector<mlir::Value> shaped;
  int64_t elements;
  bool perMatrix;
};

} // namespace muon::optim

#endif // MUON_LIB_CONVERSION_OPTIMTOKERNELS_BUCKETBUFFERS_H
