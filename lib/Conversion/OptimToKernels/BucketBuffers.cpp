//===- BucketBuffers.cpp - Bucket operands without packing copies ---------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "BucketBuffers.h"
#include "KernelBuilders.h"

#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace muon::optim;

namespace {
/// A whole row of a packed tensor: its flat offset and size.
struct RowExtent {
  int64_t offset, size;
};

/// One tensor inserted whole into a packing.
struct PackedSource {
  RowExtent extent;
  Value source;
};
} // namespace

/// The row a slice of `packed` (of type `part`) inserts or extracts whole:
/// N-D, offsets [i, 0, …] and sizes [1, dims…] (dim 0 dropped); 1-D, any
/// static [offset, offset + size). Nothing for other slices.
static std::optional<RowExtent>
getRowExtent(OffsetSizeAndStrideOpInterface slice, RankedTensorType packed,
             RankedTensorType part) {
  if (!slice.hasUnitStride())
    return std::nullopt;
  SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
  SmallVector<OpFoldResult> sizes = slice.getMixedSizes();
  std::optional<int64_t> offset = getConstantIntValue(offsets[0]);
  std::optional<int64_t> size = getConstantIntValue(sizes[0]);
  if (!offset || !size)
    return std::nullopt;
  if (packed.getRank() == 1)
    return RowExtent{*offset, *size};
  if (*size != 1 || part.getShape() != packed.getShape().drop_front())
    return std::nullopt;
  for (auto [o, s, dim] : llvm::zip_equal(ArrayRef(offsets).drop_front(),
                                          ArrayRef(sizes).drop_front(),
                                          packed.getShape().drop_front()))
    if (!isZeroInteger(o) || getConstantIntValue(s) != dim)
      return std::nullopt;
  int64_t rowElements = part.getNumElements();
  return RowExtent{*offset * rowElements, rowElements};
}

/// The tensors `packed` was built from by inserting each whole into a
/// `tensor.empty`, sorted by offset and covering it exactly once; nothing
/// if it was built otherwise.
static std::optional<SmallVector<PackedSource>> getPackedSources(Value packed) {
  auto type = cast<RankedTensorType>(packed.getType());
  if (!type.hasStaticShape() || type.getRank() == 0)
    return std::nullopt;
  SmallVector<PackedSource> sources;
  Value current = packed;
  while (auto insert = current.getDefiningOp<tensor::InsertSliceOp>()) {
    std::optional<RowExtent> extent =
        getRowExtent(insert, type, insert.getSourceType());
    if (!extent)
      return std::nullopt;
    sources.push_back({*extent, insert.getSource()});
    current = insert.getDest();
  }
  if (!current.getDefiningOp<tensor::EmptyOp>() || sources.size() < 2)
    return std::nullopt;
  llvm::sort(sources, [](const PackedSource &a, const PackedSource &b) {
    return a.extent.offset < b.extent.offset;
  });
  // Overlaps (an insert overwriting another) and gaps are not optim-bucket's.
  int64_t next = 0;
  for (const PackedSource &source : sources) {
    if (source.extent.offset != next || source.extent.size <= 0)
      return std::nullopt;
    next += source.extent.size;
  }
  if (next != type.getNumElements())
    return std::nullopt;
  return sources;
}

BucketLayout BucketLayout::get(Value packed) {
  BucketLayout layout;
  if (std::optional<SmallVector<PackedSource>> sources =
          getPackedSources(packed)) {
    for (const PackedSource &source : *sources) {
      layout.offsets.push_back(source.extent.offset);
      layout.sizes.push_back(source.extent.size);
    }
    return layout;
  }
  layout.offsets = {0};
  layout.sizes = {cast<RankedTensorType>(packed.getType()).getNumElements()};
  return layout;
}

/// The row of `layout` that `extent` is, or -1.
static int64_t findRow(const BucketLayout &layout, RowExtent extent) {
  const int64_t *it = llvm::lower_bound(layout.offsets, extent.offset);
  if (it == layout.offsets.end() || *it != extent.offset)
    return -1;
  int64_t row = it - layout.offsets.begin();
  return layout.sizes[row] == extent.size ? row : -1;
}

/// The flat buffer of an element-indexed operand: rank 0 becomes one
/// element (toFlatBuffer keeps it rank 0, as scalar operands are loaded).
static Value toElementBuffer(OpBuilder &b, Location loc, Value tensor) {
  if (cast<RankedTensorType>(tensor.getType()).getRank() == 0)
    tensor = reshape(b, loc, tensor, {1}, {});
  return toFlatBuffer(b, loc, tensor);
}

BucketBuffer BucketBuffer::forOperand(OpBuilder &b, Location loc, Value tensor,
                                      const BucketLayout &layout) {
  if (layout.getNumRows() > 1)
    if (std::optional<SmallVector<PackedSource>> sources =
            getPackedSources(tensor)) {
      bool same = llvm::all_of(llvm::enumerate(*sources), [&](auto source) {
        return findRow(layout, source.value().extent) ==
               int64_t(source.index());
      });
      if (same && int64_t(sources->size()) == layout.getNumRows()) {
        SmallVector<Value> buffers;
        for (const PackedSource &source : *sources)
          buffers.push_back(toElementBuffer(b, loc, source.source));
        return BucketBuffer(std::move(buffers), layout, /*perRow=*/true);
      }
    }
  return BucketBuffer({toElementBuffer(b, loc, tensor)}, layout,
                      /*perRow=*/false);
}

/// The unpacking use `slice` stands for: the slice itself, or its only
/// user if that reshapes it back to the parameter's shape.
static Operation *getUnpacked(tensor::ExtractSliceOp slice) {
  if (slice->hasOneUse())
    if (auto expand = dyn_cast<tensor::ExpandShapeOp>(*slice->user_begin()))
      return expand;
  return slice;
}

/// The row of `layout` each use of `result` extracts whole (one use per
/// row at most), or nothing.
static std::optional<SmallVector<tensor::ExtractSliceOp>>
getUnpackingSlices(Value result, const BucketLayout &layout) {
  auto type = cast<RankedTensorType>(result.getType());
  SmallVector<tensor::ExtractSliceOp> slices(layout.getNumRows());
  for (Operation *user : result.getUsers()) {
    auto slice = dyn_cast<tensor::ExtractSliceOp>(user);
    if (!slice)
      return std::nullopt;
    std::optional<RowExtent> extent =
        getRowExtent(slice, type, slice.getType());
    int64_t row = extent ? findRow(layout, *extent) : -1;
    if (row < 0 || slices[row])
      return std::nullopt;
    slices[row] = slice;
  }
  return slices;
}

BucketBuffer BucketBuffer::forResult(OpBuilder &b, Location loc, Value result,
                                     const BucketLayout &layout) {
  auto type = cast<RankedTensorType>(result.getType());
  Type elementType = type.getElementType();
  std::optional<SmallVector<tensor::ExtractSliceOp>> slices;
  if (layout.getNumRows() > 1 && !result.use_empty())
    slices = getUnpackingSlices(result, layout);
  if (!slices) {
    // In the result's shape, so that a returned result is the caller's
    // out-param rather than a copy into it.
    Value shaped = allocBuffer(b, loc, type.getShape(), elementType);
    return BucketBuffer({flatten(b, loc, shaped)}, layout, /*perRow=*/false,
                        {shaped});
  }
  SmallVector<Value> buffers, shaped;
  for (auto [slice, size] : llvm::zip_equal(*slices, layout.sizes)) {
    // Allocated in the shape the function returns, so that out-param
    // conversion makes it the caller's buffer.
    SmallVector<int64_t> shape = {size};
    if (slice)
      shape = llvm::to_vector(
          cast<RankedTensorType>(getUnpacked(slice)->getResult(0).getType())
              .getShape());
    shaped.push_back(allocBuffer(b, loc, shape, elementType));
    buffers.push_back(flatten(b, loc, shaped.back()));
  }
  return BucketBuffer(std::move(buffers), layout, /*perRow=*/true,
                      std::move(shaped));
}

/// Rows of one bucket differ in size: a row's buffer is seen as memref<?xT>.
static MemRefType getRowBufferType(Value buffer) {
  return MemRefType::get({ShapedType::kDynamic},
                         cast<MemRefType>(buffer.getType()).getElementType());
}

SmallVector<RowBuffer>
BucketBuffer::selectRow(OpBuilder &b, Location loc,
                        ArrayRef<const BucketBuffer *> buckets, Value row,
                        int64_t firstRow, int64_t numRows) {
  SmallVector<RowBuffer> selected(buckets.size());
  SmallVector<Type> types;
  SmallVector<size_t> switched;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  for (auto [i, bucket] : llvm::enumerate(buckets)) {
    if (!bucket->perRow) {
      selected[i] = {bucket->buffers.front(), zero};
      continue;
    }
    types.push_back(getRowBufferType(bucket->buffers.front()));
    switched.push_back(i);
  }
  if (switched.empty())
    return selected;
  // The buckets of one kernel are packings of one layout: one row start.
  const BucketLayout &layout = buckets[switched.front()]->layout;
  assert(llvm::all_of(switched,
                      [&](size_t i) {
                        return buckets[i]->layout.offsets == layout.offsets;
                      }) &&
         "per-row buckets of one kernel with different layouts");
  if (numRows < 0)
    numRows = layout.getNumRows() - firstRow;
  types.push_back(b.getIndexType());
  SmallVector<int64_t> cases =
      llvm::to_vector(llvm::seq<int64_t>(firstRow, firstRow + numRows));
  auto choice =
      scf::IndexSwitchOp::create(b, loc, types, row, cases, cases.size());
  auto yieldRow = [&](Region &region, int64_t r) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&region.emplaceBlock());
    SmallVector<Value> values;
    for (size_t i : switched) {
      Value buffer = buckets[i]->buffers[r];
      values.push_back(
          memref::CastOp::create(b, loc, getRowBufferType(buffer), buffer));
    }
    values.push_back(arith::ConstantIndexOp::create(b, loc, layout.offsets[r]));
    scf::YieldOp::create(b, loc, values);
  };
  // Rows are always in range; the default keeps the switch total.
  yieldRow(choice.getDefaultRegion(), firstRow);
  for (auto [region, r] : llvm::zip_equal(choice.getCaseRegions(), cases))
    yieldRow(region, r);
  Value rowStart = choice.getResults().back();
  for (auto [k, i] : llvm::enumerate(switched))
    selected[i] = {choice.getResult(k), rowStart};
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
  if (!perRow)
    return toResultTensor(rewriter, loc, shaped.front(), type);
  SmallVector<tensor::ExtractSliceOp> slices =
      *getUnpackingSlices(result, layout);
  for (auto [slice, buffer] : llvm::zip_equal(slices, shaped)) {
    if (!slice)
      continue;
    Operation *unpacked = getUnpacked(slice);
    auto unpackedType =
        cast<RankedTensorType>(unpacked->getResult(0).getType());
    // A replaced expand_shape leaves its slice dead, for the canonicalizer.
    rewriter.replaceOp(unpacked,
                       toResultTensor(rewriter, loc, buffer, unpackedType));
  }
  return tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                 type.getElementType());
}
