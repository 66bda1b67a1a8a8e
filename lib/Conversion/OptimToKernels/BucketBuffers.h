//===- BucketBuffers.h - Kernels over the members of a bucket --*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// An update op of `optim-bucket` carries its N parameters as separate
// operands (and results). Its kernels run over rows (a matrix of a Muon
// bucket, a parameter of an AdamW one) numbered as if the members were
// concatenated, and read and write each row in its member's own buffer: the
// kernels choose their row's buffers once per thread. Nothing is packed but
// what Newton–Schulz needs batched (its input and iterates, the kernels' own
// temporaries), unless a kernel would take more buffers than its parameter
// space holds: then the members are copied into one packed buffer.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_CONVERSION_OPTIMTOKERNELS_BUCKETBUFFERS_H
#define MUON_LIB_CONVERSION_OPTIMTOKERNELS_BUCKETBUFFERS_H

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Utils/KernelMemory.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

namespace muon::optim {

/// The rows of a bucket's kernels in its members: row r is the flat
/// elements [offsets[r], offsets[r] + sizes[r]) of the members' (virtual)
/// concatenation and lies in member rowMembers[r], which starts at
/// memberStarts[rowMembers[r]].
struct BucketLayout {
  llvm::SmallVector<int64_t> offsets, sizes, rowMembers, memberStarts;

  /// Rows of `rowElements` elements (the members' sizes are multiples of
  /// it), or, for 0, one row per member.
  static BucketLayout get(mlir::TypeRange memberTypes, int64_t rowElements);
  int64_t getNumRows() const { return offsets.size(); }
  int64_t getNumElements() const {
    return offsets.empty() ? 0 : offsets.back() + sizes.back();
  }
};

/// A row's buffer inside a kernel, and the flat index of its member's first
/// element in it (0 for a member's own buffer).
struct RowBuffer {
  mlir::Value buffer;
  mlir::Value rowStart;
};

/// The buffers of one per-parameter operand or result list of a bucket: one
/// flat buffer per member, or one packed buffer of all members.
class BucketBuffer {
public:
  /// The members' own buffers (`members`, contiguous or copied to be), or
  /// (`packed`) a copy of them into one.
  static BucketBuffer forOperands(mlir::OpBuilder &b, mlir::Location loc,
                                  mlir::ValueRange members,
                                  const BucketLayout &layout, bool packed);

  /// Buffers for the results `members`: each in its member's shape — the
  /// buffer `destinations` holds for the result (its number indexes it;
  /// none: a fresh one, so that a returned result becomes the caller's
  /// out-param) —, or one packed buffer copied into those at the end.
  static BucketBuffer forResults(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::ResultRange members,
                                 const BucketLayout &layout, bool packed,
                                 llvm::ArrayRef<mlir::Value> destinations);

  /// Inside a kernel, once per thread: the buffer of `row` of each of
  /// `buckets` (of one layout), chosen by one `scf.index_switch` over the
  /// kernel's rows [firstRow, firstRow + numRows) where members have their
  /// own buffers (rows are uniform across a thread block, so the branch
  /// does not diverge); numRows < 0: all rows.
  static llvm::SmallVector<RowBuffer>
  selectRow(mlir::OpBuilder &b, mlir::Location loc,
            llvm::ArrayRef<const BucketBuffer *> buckets, mlir::Value row,
            int64_t firstRow = 0, int64_t numRows = -1);

  /// Element `flat` (of the concatenation) through `row`'s buffer, as
  /// `type`; stores convert to the buffer's element type.
  static mlir::Value load(mlir::OpBuilder &b, mlir::Location loc,
                          const RowBuffer &row, mlir::Value flat,
                          mlir::Type type);
  static void store(mlir::OpBuilder &b, mlir::Location loc,
                    const RowBuffer &row, mlir::Value value, mlir::Value flat);

  /// The result buffers (forResults), one per member in its shape.
  llvm::SmallVector<mlir::Value> getResults(mlir::OpBuilder &b,
                                            mlir::Location loc) const;

private:
  BucketBuffer(llvm::SmallVector<mlir::Value> buffers, BucketLayout layout,
               llvm::SmallVector<mlir::Value> shaped = {},
               llvm::SmallVector<mlir::Type> types = {},
               llvm::SmallVector<mlir::Value> destinations = {})
      : buffers(std::move(buffers)), shaped(std::move(shaped)),
        types(std::move(types)), destinations(std::move(destinations)),
        layout(std::move(layout)) {}

  bool isPacked() const { return buffers.size() == 1; }

  /// Flat views the kernels index: one per member, or one packed.
  llvm::SmallVector<mlir::Value> buffers;
  /// Results: the buffers behind `buffers`, the members' types, and (packed)
  /// each member's destination (null: fresh).
  llvm::SmallVector<mlir::Value> shaped;
  llvm::SmallVector<mlir::Type> types;
  llvm::SmallVector<mlir::Value> destinations;
  BucketLayout layout;
};

/// The rows (matrices) of a Muon bucket as Newton–Schulz sees them: R×C
/// (getBucketMatrixShape), the first member's orientation. A member whose
/// matrices are the other way round (isTransposedMember) iterates
/// transposed (NS(Uᵀ) = NS(U)ᵀ); a smaller one is zero-padded (NS([X 0;
/// 0 0]) = [NS(X) 0; 0 0]). The kernels run over R·C elements per row in
/// the member's orientation: the one writing Newton–Schulz's input writes
/// zeros outside the member's matrix, and the indices map (buildPackedIndex,
/// buildMemberIndex). Rows are uniform across a thread block, so the
/// selects do not diverge.
class BucketRows {
public:
  /// One row per matrix of `memberTypes` seen through `view`, in order.
  BucketRows(mlir::TypeRange memberTypes, MatrixView view);

  /// The bucket's padded R×C (no batch).
  const MatrixShape &getMatrix() const { return matrix; }
  bool hasTransposed() const;
  /// Whether some member is smaller than R×C (or C×R).
  bool isPadded() const { return padded; }

  /// i1: whether `row` is a transposed row.
  mlir::Value buildIsTransposed(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value row) const;

  /// The flat index in the bucket's packed R×C matrices of the element at
  /// `flat` in `row`'s orientation: (p, q) of a C×R row is (q, p) there.
  mlir::Value buildPackedIndex(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value row, mlir::Value flat) const;

  /// `fn` of the row's member matrix shape (its own orientation), selected
  /// by row.
  mlir::Value
  buildPerRow(mlir::OpBuilder &b, mlir::Location loc, mlir::Value row,
              llvm::function_ref<mlir::Value(const MatrixShape &)> fn) const;

  /// Padded buckets: the row's member rows, columns and first element in
  /// the members' concatenation (BucketLayout::getMatrices), once per thread.
  struct RowShape {
    mlir::Value rows, cols, start;
  };
  RowShape buildRowShape(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value row) const;
  /// Padded buckets: whether the element at `flat` of `row` (R·C per row,
  /// the member's orientation) lies in its member's matrix, and its index
  /// in the members' concatenation.
  std::pair<mlir::Value, mlir::Value>
  buildMemberIndex(mlir::OpBuilder &b, mlir::Location loc, mlir::Value row,
                   mlir::Value flat, const RowShape &shape) const;

private:
  /// Consecutive rows of one member shape and orientation.
  struct Range {
    int64_t first, last;
    MatrixShape member;
    bool transposed;
    /// The first row's start in the members' concatenation.
    int64_t start;
  };
  MatrixShape matrix;
  llvm::SmallVector<Range> ranges;
  bool padded = false;
};

/// A Muon bucket's rows in its members' buffers: one per matrix, of the
/// member's own size.
BucketLayout getMatrixLayout(mlir::TypeRange memberTypes, MatrixView view);

} // namespace muon::optim

#endif // MUON_LIB_CONVERSION_OPTIMTOKERNELS_BUCKETBUFFERS_H
