//===- LinalgBuilders.cpp - Helpers building linalg on tensors ------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace muon::optim;

bool muon::optim::isSupportedFloatType(Type type) {
  return isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(type);
}

LogicalResult muon::optim::checkSupportedOperandTypes(RewriterBase &rewriter,
                                                      Operation *op) {
  for (Value operand : op->getOperands()) {
    Type type = getElementTypeOrSelf(operand.getType());
    if (!isa<FloatType>(type) || isSupportedFloatType(type))
      continue;
    op->emitOpError() << "cannot be lowered: element type " << type
                      << " is not one of f16, bf16, f32, f64";
    return rewriter.notifyMatchFailure(op, "unsupported element type");
  }
  return success();
}

FloatType muon::optim::getArithmeticType(Type type) {
  if (isa<Float16Type, BFloat16Type>(type))
    return Float32Type::get(type.getContext());
  return cast<FloatType>(type);
}

Value muon::optim::buildAddToDiagonal(OpBuilder &b, Location loc, Value target,
                                      double a) {
  auto type = cast<ShapedType>(target.getType());
  int64_t rank = type.getRank();
  Type elementType = type.getElementType();
  FloatType arithType = getArithmeticType(elementType);
  bool onTensor = isa<RankedTensorType>(type);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, onTensor ? TypeRange{type} : TypeRange{}, ValueRange{},
      ValueRange{target}, ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank)},
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value row = linalg::IndexOp::create(nb, nloc, rank - 2);
        Value col = linalg::IndexOp::create(nb, nloc, rank - 1);
        Value onDiagonal =
            arith::CmpIOp::create(nb, nloc, arith::CmpIPredicate::eq, row, col);
        // Selected in the arithmetic type: a bf16 select (or the phi LLVM
        // makes of it) is promoted through __truncsfbf2 on hosts without
        // AVX512-BF16; an off-diagonal element converts back exactly.
        Value wide = convertScalar(nb, nloc, args[0], arithType);
        Value shifted = arith::AddFOp::create(
            nb, nloc, wide, createFloatConstant(nb, nloc, arithType, a));
        linalg::YieldOp::create(
            nb, nloc,
            ValueRange{convertScalar(
                nb, nloc,
                arith::SelectOp::create(nb, nloc, onDiagonal, shifted, wide),
                elementType)});
      });
  return onTensor ? generic.getResult(0) : Value();
}

Value muon::optim::buildMovingAverage(OpBuilder &b, Location loc, Value beta,
                                      Value oneMinusBeta, Value average,
                                      Value sample) {
  Value decayed = arith::MulFOp::create(b, loc, beta, average);
  Value added = arith::MulFOp::create(b, loc, oneMinusBeta, sample);
  return arith::AddFOp::create(b, loc, decayed, added);
}

SmallVector<int64_t>
muon::optim::getMatrixFormShape(const MatrixShape &matrix) {
  if (matrix.batch.empty())
    return {matrix.rows, matrix.cols};
  return {matrix.getBatchSize(), matrix.rows, matrix.cols};
}

SmallVector<ReassociationIndices>
muon::optim::getMatrixFormReassociation(int64_t rank,
                                        const MatrixShape &matrix) {
  if (matrix.batch.empty())
    return groupDims({1, rank - 1});
  return groupDims({rank - 2, 1, 1});
}

Value muon::optim::toMatrixForm(OpBuilder &b, Location loc, Value value,
                                MatrixView view) {
  auto type = cast<RankedTensorType>(value.getType());
  MatrixShape matrix = getMatrixShape(type, view);
  return reshape(b, loc, value, getMatrixFormShape(matrix),
                 getMatrixFormReassociation(type.getRank(), matrix));
}

Value muon::optim::fromMatrixForm(OpBuilder &b, Location loc, Value form,
                                  RankedTensorType type, MatrixView view) {
  return reshape(
      b, loc, form, type.getShape(),
      getMatrixFormReassociation(type.getRank(), getMatrixShape(type, view)));
}

Value muon::optim::transposeMatrices(OpBuilder &b, Location loc, Value form) {
  int64_t rank = cast<RankedTensorType>(form.getType()).getRank();
  SmallVector<int64_t> permutation =
      llvm::to_vector(llvm::seq<int64_t>(rank - 2));
  permutation.append({rank - 1, rank - 2});
  return muon::buildTranspose(b, loc, form, permutation);
}

namespace {
/// Where one member lies in a packing of matrices: rows
/// [offset, offset + count) of the K×A×B tensor, its own matrices being
/// A×B (`matrix`, possibly transposed relative to its own shape).
struct PackedPart {
  MatrixShape matrix;
  int64_t offset;
  /// The member's matrices are B×A: transposed into the packing.
  bool transposed;

  /// Offsets, sizes and strides of the part's slice of the packing; a
  /// single matrix is inserted rank-reduced (its form has no batch dim).
  void getSlice(mlir::OpBuilder &b, SmallVectorImpl<OpFoldResult> &offsets,
                SmallVectorImpl<OpFoldResult> &sizes,
                SmallVectorImpl<OpFoldResult> &strides) const {
    offsets.assign(
        {b.getIndexAttr(offset), b.getIndexAttr(0), b.getIndexAttr(0)});
    sizes.assign({b.getIndexAttr(matrix.getBatchSize()),
                  b.getIndexAttr(matrix.rows), b.getIndexAttr(matrix.cols)});
    strides.assign(3, b.getIndexAttr(1));
  }
};
} // namespace

/// The parts of members of `types`, in order (getBucketMatrixShape's
/// orientation; each at the top left of its padded matrices).
static SmallVector<PackedPart> getPackedParts(TypeRange types,
                                              MatrixView view) {
  SmallVector<PackedPart> parts;
  int64_t total = 0;
  MatrixShape first = getMatrixShape(cast<ShapedType>(types.front()), view);
  for (Type type : types) {
    MatrixShape matrix = getMatrixShape(cast<ShapedType>(type), view);
    bool transposed = isTransposedMember(first, matrix);
    if (transposed)
      std::swap(matrix.rows, matrix.cols);
    parts.push_back({matrix, total, transposed});
    total += matrix.getBatchSize();
  }
  return parts;
}

Value muon::optim::packMatrices(OpBuilder &b, Location loc, ValueRange members,
                                MatrixView view) {
  SmallVector<PackedPart> parts = getPackedParts(members.getTypes(), view);
  MatrixShape matrix = getBucketMatrixShape(members.getTypes(), view);
  Type elementType = getElementTypeOrSelf(members.front().getType());
  Value packed = tensor::EmptyOp::create(
      b, loc,
      ArrayRef<int64_t>{matrix.getBatchSize(), matrix.rows, matrix.cols},
      elementType);
  // Smaller members leave zeros around them (Newton–Schulz keeps them).
  if (llvm::any_of(parts, [&](const PackedPart &part) {
        return part.matrix.rows != matrix.rows ||
               part.matrix.cols != matrix.cols;
      }))
    packed = linalg::FillOp::create(
                 b, loc, createFloatConstant(b, loc, elementType, 0.0), packed)
                 .getResult(0);
  for (auto [member, part] : llvm::zip_equal(members, parts)) {
    Value form = toMatrixForm(b, loc, member, view);
    if (part.transposed)
      form = transposeMatrices(b, loc, form);
    SmallVector<OpFoldResult> offsets, sizes, strides;
    part.getSlice(b, offsets, sizes, strides);
    packed = tensor::InsertSliceOp::create(b, loc, form, packed, offsets, sizes,
                                           strides);
  }
  return packed;
}

SmallVector<Value> muon::optim::unpackMatrices(OpBuilder &b, Location loc,
                                               Value packed,
                                               TypeRange memberTypes,
                                               MatrixView view) {
  SmallVector<Value> members;
  SmallVector<PackedPart> parts = getPackedParts(memberTypes, view);
  for (auto [type, part] : llvm::zip_equal(memberTypes, parts)) {
    auto memberType = cast<RankedTensorType>(type);
    SmallVector<int64_t> formShape = getMatrixFormShape(part.matrix);
    SmallVector<OpFoldResult> offsets, sizes, strides;
    part.getSlice(b, offsets, sizes, strides);
    Value form = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get(formShape, memberType.getElementType()),
        packed, offsets, sizes, strides);
    if (part.transposed)
      form = transposeMatrices(b, loc, form);
    members.push_back(fromMatrixForm(b, loc, form, memberType, view));
  }
  return members;
}

void muon::optim::applySkip(OpBuilder &b, Operation *op, ValueRange operands,
                            MutableArrayRef<Value> results) {
  Value skipOperand = getSkip(op);
  if (!skipOperand)
    return;
  // `operands` may be the converted ones: the same position as op's. Other
  // optional operands (momentum, beta1) may follow skip.
  auto isSkip = [&](OpOperand &operand) {
    return operand.get() == skipOperand;
  };
  Value skip =
      operands[llvm::find_if(op->getOpOperands(), isSkip)->getOperandNumber()];
  for (auto [result, value] : llvm::zip_equal(op->getResults(), results)) {
    OpOperand *updated = getUpdatedOperand(result);
    value = muon::buildUnlessFlagged(b, op->getLoc(), skip, value,
                                     operands[updated->getOperandNumber()]);
  }
}
