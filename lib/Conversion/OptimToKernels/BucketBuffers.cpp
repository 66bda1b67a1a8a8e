//===- BucketBuffers.cpp - Bucket operands without packing copies ---------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "BucketBuffers.h"
#include "KernelBuilders.h"

#include "muon/Dialect/Optim/Transforms/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace muon::optim;

/// The index of the whole matrix a slice of a packed N×… tensor covers
/// (offsets [i, 0, …], sizes [1, dims…], unit strides, dim 0 dropped), or
/// nothing.
static std::optional<int64_t>
getMatrixIndex(OffsetSizeAndStrideOpInterface slice, RankedTensorType packed,
               RankedTensorType matrix) {
  if (matrix.getShape() != packed.getShape().drop_front() ||
      !slice.hasUnitStride())
    return std::nullopt;
  SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
  SmallVector<OpFoldResult> sizes = slice.getMixedSizes();
  std::optional<int64_t> index = getConstantIntValue(offsets[0]);
  if (!index || *index < 0 || *index >= packed.getDimSize(0) ||
      getConstantIntValue(sizes[0]) != 1)
    return std::nullopt;
  for (auto [offset, size, dim] : llvm::zip_equal(
           ArrayRef(offsets).drop_front(), ArrayRef(sizes).drop_front(),
           packed.getShape().drop_front()))
    if (!isZeroInteger(offset) || getConstantIntValue(size) != dim)
      return std::nullopt;
  return index;
}

/// The N whole tensors `packed` was built from by inserting each into a
/// `tensor.empty`, in order; nothing if it was built otherwise.
static std::optional<SmallVector<Value>> getPackedSources(Value packed) {
  auto type = cast<RankedTensorType>(packed.getType());
  SmallVector<Value> sources(type.getDimSize(0));
  Value current = packed;
  while (auto insert = current.getDefiningOp<tensor::InsertSliceOp>()) {
    std::optional<int64_t> index =
        getMatrixIndex(insert, type, insert.getSourceType());
    // A later insert of the same matrix would overwrite an earlier one;
    // such chains are not optim-bucket's and stay packed.
    if (!index || sources[*index])
      return std::nullopt;
    sources[*index] = insert.getSource();
    current = insert.getDest();
  }
  if (!current.getDefiningOp<tensor::EmptyOp>() ||
      llvm::any_of(sources, [](Value source) { return !source; }))
    return std::nullopt;
  return sources;
}

/// Whether every use of `result` extracts one whole matrix.
static bool isOnlyUnpacked(Value result) {
  auto type = cast<RankedTensorType>(result.getType());
  return !result.use_empty() &&
         llvm::all_of(result.getUsers(), [&](Operation *user) {
           auto slice = dyn_cast<tensor::ExtractSliceOp>(user);
           return slice && getMatrixIndex(slice, type, slice.getType());
         });
}

/// Packed dim 0 must be the bucket (a rank > 3 parameter under the batch
/// view has more matrices than entries: it stays packed).
static bool isBucketOf(Value tensor, int64_t numMatrices) {
  auto type = cast<RankedTensorType>(tensor.getType());
  return type.getRank() >= 3 && type.getDimSize(0) == numMatrices &&
         numMatrices > 1;
}

BucketBuffer BucketBuffer::forOperand(OpBuilder &b, Location loc,
                                      Value tensor, int64_t numMatrices) {
  auto type = cast<RankedTensorType>(tensor.getType());
  int64_t elements = type.getNumElements() / std::max<int64_t>(numMatrices, 1);
  if (isBucketOf(tensor, numMatrices))
    if (std::optional<SmallVector<Value>> sources = getPackedSources(tensor)) {
      SmallVector<Value> buffers;
      for (Value source : *sources)
        buffers.push_back(toFlatBuffer(b, loc, source));
      return BucketBuffer(std::move(buffers), elements, /*perMatrix=*/true);
    }
  return BucketBuffer({toFlatBuffer(b, loc, tensor)}, elements,
                      /*perMatrix=*/false);
}

BucketBuffer BucketBuffer::forResult(OpBuilder &b, Location loc, Value result,
                                     int64_t numMatrices) {
  auto type = cast<RankedTensorType>(result.getType());
  Type elementType = type.getElementType();
  int64_t elements = type.getNumElements() / std::max<int64_t>(numMatrices, 1);
  if (isBucketOf(result, numMatrices) && isOnlyUnpacked(result)) {
    SmallVector<Value> buffers, shaped;
    for (int64_t i = 0; i < numMatrices; ++i) {
      shaped.push_back(
          allocBuffer(b, loc, type.getShape().drop_front(), elementType));
      buffers.push_back(flatten(b, loc, shaped.back()));
    }
    return BucketBuffer(std::move(buffers), elements, /*perMatrix=*/true,
                        std::move(shaped));
  }
  return BucketBuffer({allocBuffer(b, loc, {type.getNumElements()}, elementType)},
                      elements, /*perMatrix=*/false);
}

SmallVector<RowBuffer>
BucketBuffer::selectRow(OpBuilder &b, Location loc,
                        ArrayRef<const BucketBuffer *> buckets, Value row) {
  SmallVector<RowBuffer> selected(buckets.size());
  SmallVector<Type> types;
  SmallVector<size_t> switched;
  int64_t numMatrices = 0;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  for (auto [i, bucket] : llvm::enumerate(buckets)) {
    if (!bucket->perMatrix) {
      selected[i] = {bucket->buffers.front(), zero};
      continue;
    }
    numMatrices = bucket->buffers.size();
    types.push_back(bucket->buffers.front().getType());
    switched.push_back(i);
  }
  if (switched.empty())
    return selected;
  SmallVector<int64_t> cases = llvm::to_vector(llvm::seq<int64_t>(numMatrices));
  auto choice = scf::IndexSwitchOp::create(b, loc, types, row, cases,
                                           cases.size());
  auto yieldMatrix = [&](Region &region, int64_t matrix) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&region.emplaceBlock());
    SmallVector<Value> buffers;
    for (size_t i : switched)
      buffers.push_back(buckets[i]->buffers[matrix]);
    scf::YieldOp::create(b, loc, buffers);
  };
  // Rows are always in range; the default is matrix 0 to keep it total.
  yieldMatrix(choice.getDefaultRegion(), 0);
  for (int64_t matrix : cases)
    yieldMatrix(choice.getCaseRegions()[matrix], matrix);
  for (auto [result, i] : llvm::zip_equal(choice.getResults(), switched)) {
    Value rowStart = arith::MulIOp::create(
        b, loc, row,
        arith::ConstantIndexOp::create(b, loc, buckets[i]->elements));
    selected[i] = {result, rowStart};
  }
  return selected;
}

Value BucketBuffer::load(OpBuilder &b, Location loc, const RowBuffer &row,
                         Value flat, Type type) {
  Value index = arith::SubIOp::create(b, loc, flat, row.rowStart);
  return loadAs(b, loc, row.buffer, index, type);
}

void BucketBuffer::store(OpBuilder &b, Location loc, const RowBuffer &row,
                         Value value, Value flat) {
  Value index = arith::SubIOp::create(b, loc, flat, row.rowStart);
  storeConverted(b, loc, value, row.buffer, index);
}

Value BucketBuffer::replaceResult(RewriterBase &rewriter, Location loc,
                                  Value result) const {
  auto type = cast<RankedTensorType>(result.getType());
  if (!perMatrix)
    return toResultTensor(rewriter, loc, buffers.front(), type);
  for (Operation *user : llvm::make_early_inc_range(result.getUsers())) {
    auto slice = cast<tensor::ExtractSliceOp>(user);
    int64_t index = *getMatrixIndex(slice, type, slice.getType());
    rewriter.replaceOp(slice, toResultTensor(rewriter, loc, shaped[index],
                                             slice.getType()));
  }
  return tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                 type.getElementType());
}
