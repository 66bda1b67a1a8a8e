//===- BucketBuffers.cpp - Kernels over the members of a bucket -----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "BucketBuffers.h"
#include "KernelBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace muon::optim;

BucketLayout BucketLayout::get(TypeRange memberTypes, int64_t rowElements) {
  BucketLayout layout;
  int64_t start = 0;
  for (auto [member, type] : llvm::enumerate(memberTypes)) {
    int64_t elements = cast<ShapedType>(type).getNumElements();
    layout.memberStarts.push_back(start);
    int64_t size = rowElements > 0 ? rowElements : elements;
    for (int64_t offset = start; offset < start + elements; offset += size) {
      layout.offsets.push_back(offset);
      layout.sizes.push_back(size);
      layout.rowMembers.push_back(member);
    }
    start += elements;
  }
  return layout;
}

/// The part of the packed buffer `packed` from `start` on, as long as the
/// flat buffer `like`.
static Value getMemberView(OpBuilder &b, Location loc, Value packed,
                           int64_t start, Value like) {
  int64_t elements = cast<MemRefType>(like.getType()).getNumElements();
  return memref::SubViewOp::create(
      b, loc, packed, ArrayRef<OpFoldResult>{b.getIndexAttr(start)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(elements)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
}

BucketBuffer BucketBuffer::forOperands(OpBuilder &b, Location loc,
                                       ValueRange members,
                                       const BucketLayout &layout,
                                       bool packed) {
  SmallVector<Value> buffers = llvm::map_to_vector(members, [&](Value member) {
    return flatten(b, loc, toFlatBuffer(b, loc, member));
  });
  if (!packed || members.size() == 1)
    return BucketBuffer(std::move(buffers), layout);
  Value concatenated =
      allocBuffer(b, loc, {layout.getNumElements()},
                  cast<MemRefType>(buffers.front().getType()).getElementType());
  for (auto [buffer, start] : llvm::zip_equal(buffers, layout.memberStarts))
    memref::CopyOp::create(b, loc, buffer,
                           getMemberView(b, loc, concatenated, start, buffer));
  return BucketBuffer({concatenated}, layout);
}

BucketBuffer BucketBuffer::forResults(OpBuilder &b, Location loc,
                                      ResultRange members,
                                      const BucketLayout &layout, bool packed,
                                      ArrayRef<Value> destinations) {
  SmallVector<Type> types(members.getTypes());
  SmallVector<Value> memberDestinations =
      llvm::map_to_vector(members, [&](OpResult result) {
        return destinations.empty() ? Value()
                                    : destinations[result.getResultNumber()];
      });
  Type elementType = getElementTypeOrSelf(types.front());
  SmallVector<Value> shaped;
  if (packed && types.size() > 1) {
    shaped.push_back(
        allocBuffer(b, loc, {layout.getNumElements()}, elementType));
  } else {
    for (auto [type, destination] : llvm::zip_equal(types, memberDestinations))
      shaped.push_back(
          destination
              ? destination
              : allocBuffer(b, loc, cast<RankedTensorType>(type).getShape(),
                            elementType));
    memberDestinations.clear();
  }
  SmallVector<Value> buffers = llvm::map_to_vector(
      shaped, [&](Value buffer) { return flatten(b, loc, buffer); });
  return BucketBuffer(std::move(buffers), layout, std::move(shaped),
                      std::move(types), std::move(memberDestinations));
}

/// Members of one bucket differ in size: a buffer is seen as memref<?xT>.
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
    if (bucket->isPacked()) {
      selected[i] = {bucket->buffers.front(), zero};
      continue;
    }
    types.push_back(getRowBufferType(bucket->buffers.front()));
    switched.push_back(i);
  }
  if (switched.empty())
    return selected;
  const BucketLayout &layout = buckets[switched.front()]->layout;
  assert(llvm::all_of(switched,
                      [&](size_t i) {
                        return buckets[i]->layout.offsets == layout.offsets;
                      }) &&
         "per-member buffers of one kernel with different layouts");
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
    int64_t member = layout.rowMembers[r];
    SmallVector<Value> values;
    for (size_t i : switched) {
      Value buffer = buckets[i]->buffers[member];
      values.push_back(
          memref::CastOp::create(b, loc, getRowBufferType(buffer), buffer));
    }
    values.push_back(
        arith::ConstantIndexOp::create(b, loc, layout.memberStarts[member]));
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

SmallVector<Value> BucketBuffer::getResults(OpBuilder &b, Location loc) const {
  if (shaped.size() == types.size())
    return shaped;
  // Packed: each member's part, copied into its destination or a buffer of
  // its own.
  SmallVector<Value> results;
  for (auto [i, type, start] : llvm::enumerate(types, layout.memberStarts)) {
    auto memberType = cast<RankedTensorType>(type);
    Value member = !destinations.empty() && destinations[i]
                       ? destinations[i]
                       : allocBuffer(b, loc, memberType.getShape(),
                                     memberType.getElementType());
    Value flat = flatten(b, loc, member);
    memref::CopyOp::create(
        b, loc, getMemberView(b, loc, shaped.front(), start, flat), flat);
    results.push_back(member);
  }
  return results;
}

BucketLayout muon::optim::getMatrixLayout(TypeRange memberTypes,
                                          MatrixView view) {
  BucketLayout layout;
  int64_t start = 0;
  for (auto [member, type] : llvm::enumerate(memberTypes)) {
    MatrixShape matrix = getMatrixShape(cast<ShapedType>(type), view);
    layout.memberStarts.push_back(start);
    for (int64_t i = 0; i < matrix.getBatchSize(); ++i) {
      layout.offsets.push_back(start);
      layout.sizes.push_back(matrix.rows * matrix.cols);
      layout.rowMembers.push_back(member);
      start += matrix.rows * matrix.cols;
    }
  }
  return layout;
}

BucketRows::BucketRows(TypeRange memberTypes, MatrixView view)
    : matrix(getBucketMatrixShape(memberTypes, view)) {
  matrix.batch.clear();
  MatrixShape first =
      getMatrixShape(cast<ShapedType>(memberTypes.front()), view);
  int64_t row = 0, start = 0;
  for (Type type : memberTypes) {
    MatrixShape member = getMatrixShape(cast<ShapedType>(type), view);
    int64_t count = member.getBatchSize();
    bool transposed = isTransposedMember(first, member);
    member.batch.clear();
    padded |= member.rows * member.cols != matrix.rows * matrix.cols;
    Range *last = ranges.empty() ? nullptr : &ranges.back();
    if (last && last->transposed == transposed &&
        last->member.rows == member.rows && last->member.cols == member.cols)
      last->last += count;
    else
      ranges.push_back({row, row + count, member, transposed, start});
    row += count;
    start += count * member.rows * member.cols;
  }
}

bool BucketRows::hasTransposed() const {
  return llvm::any_of(ranges,
                      [](const Range &range) { return range.transposed; });
}

static Value buildInRange(OpBuilder &b, Location loc, Value row, int64_t first,
                          int64_t last) {
  auto index = [&](int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  };
  return arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, row,
                            index(first)),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, row,
                            index(last)));
}

Value BucketRows::buildIsTransposed(OpBuilder &b, Location loc,
                                    Value row) const {
  Value result;
  for (const Range &range : ranges) {
    if (!range.transposed)
      continue;
    Value inRange = buildInRange(b, loc, row, range.first, range.last);
    result = result ? arith::OrIOp::create(b, loc, result, inRange) : inRange;
  }
  return result ? result : arith::ConstantIntOp::create(b, loc, 0, 1);
}

Value BucketRows::buildPackedIndex(OpBuilder &b, Location loc, Value row,
                                   Value flat) const {
  if (!hasTransposed())
    return flat;
  auto index = [&](int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  };
  // The row's own matrix is C×R: element e = p·R + q.
  Value start =
      arith::MulIOp::create(b, loc, row, index(matrix.rows * matrix.cols));
  Value e = arith::SubIOp::create(b, loc, flat, start);
  Value p = arith::DivUIOp::create(b, loc, e, index(matrix.rows));
  Value q = arith::RemUIOp::create(b, loc, e, index(matrix.rows));
  Value packed = arith::AddIOp::create(
      b, loc, start,
      arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, q, index(matrix.cols)), p));
  return arith::SelectOp::create(b, loc, buildIsTransposed(b, loc, row), packed,
                                 flat);
}

Value BucketRows::buildPerRow(
    OpBuilder &b, Location loc, Value row,
    function_ref<Value(const MatrixShape &)> fn) const {
  Value result = fn(ranges.front().member);
  for (const Range &range : ArrayRef(ranges).drop_front())
    result = arith::SelectOp::create(
        b, loc, buildInRange(b, loc, row, range.first, range.last),
        fn(range.member), result);
  return result;
}

BucketRows::RowShape BucketRows::buildRowShape(OpBuilder &b, Location loc,
                                               Value row) const {
  auto index = [&](int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  };
  RowShape shape;
  shape.rows = buildPerRow(b, loc, row, [&](const MatrixShape &member) {
    return index(member.rows);
  });
  shape.cols = buildPerRow(b, loc, row, [&](const MatrixShape &member) {
    return index(member.cols);
  });
  // A range's rows are consecutive matrices of its size.
  Value start = index(ranges.front().start);
  for (auto [i, range] : llvm::enumerate(ranges)) {
    Value offset = arith::AddIOp::create(
        b, loc, index(range.start),
        arith::MulIOp::create(
            b, loc, arith::SubIOp::create(b, loc, row, index(range.first)),
            index(range.member.rows * range.member.cols)));
    start =
        i == 0 ? offset
               : arith::SelectOp::create(
                     b, loc, buildInRange(b, loc, row, range.first, range.last),
                     offset, start);
  }
  shape.start = start;
  return shape;
}

std::pair<Value, Value>
BucketRows::buildMemberIndex(OpBuilder &b, Location loc, Value row, Value flat,
                             const RowShape &shape) const {
  auto index = [&](int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  };
  // The row's R·C elements in its member's orientation: C×R when transposed.
  Value width = arith::SelectOp::create(b, loc, buildIsTransposed(b, loc, row),
                                        index(matrix.rows), index(matrix.cols));
  Value e = arith::SubIOp::create(
      b, loc, flat,
      arith::MulIOp::create(b, loc, row, index(matrix.rows * matrix.cols)));
  Value i = arith::DivUIOp::create(b, loc, e, width);
  Value j = arith::RemUIOp::create(b, loc, e, width);
  Value inside = arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, i, shape.rows),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, j, shape.cols));
  Value member = arith::AddIOp::create(
      b, loc, shape.start,
      arith::AddIOp::create(b, loc,
                            arith::MulIOp::create(b, loc, i, shape.cols), j));
  return {inside, member};
}
