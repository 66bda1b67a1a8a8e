//===- AdamWToKernels.cpp - optim.adamw to one fused kernel ---------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// AdamW is element-wise: one kernel over the parameter, or over every
// parameter of a bucket, each read and written in its own buffer (one row
// per parameter, BucketBuffers.h). lr, the step counts and a run-time β₁
// stay device buffers: every thread loads them (its row's count where each
// member has its own) and computes the bias corrections once, before its
// elements.
//
//===----------------------------------------------------------------------===//

#include "BucketBuffers.h"
#include "KernelBuilders.h"
#include "KernelLowerings.h"

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"
#include "muon/Dialect/Optim/Utils/UpdateMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace muon::optim;

/// The member of `row` (one of rows [first, first + count)): the row itself
/// unless empty members (which have no row) come before it.
static Value getRowMember(OpBuilder &b, Location loc,
                          const BucketLayout &layout, Value row, int64_t first,
                          int64_t count) {
  Value member = row;
  for (int64_t r = first; r < first + count; ++r) {
    if (layout.rowMembers[r] == r)
      continue;
    Value isRow =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, row,
                              arith::ConstantIndexOp::create(b, loc, r));
    member = arith::SelectOp::create(
        b, loc, isRow,
        arith::ConstantIndexOp::create(b, loc, layout.rowMembers[r]), member);
  }
  return member;
}

FailureOr<SmallVector<Value>>
muon::optim::buildKernels(RewriterBase &rewriter, AdamWOp op,
                          ValueRange operands, ArrayRef<Value> destinations) {
  if (failed(checkSupportedOperandTypes(rewriter, op)))
    return failure();
  AdamWOp::Adaptor adaptor(operands, op);
  Location loc = op.getLoc();
  Type arithType =
      getArithmeticType(getElementTypeOrSelf(op.getParams().front()));

  // One row per parameter, read and written in its own buffers
  // (BucketBuffers.h); kernels of a few hundred rows at most.
  BucketLayout layout = BucketLayout::get(op.getParams().getTypes(), 0);
  SmallVector<BucketBuffer, 4> inputs, outputs;
  for (ValueRange members : {adaptor.getParams(), adaptor.getGrads(),
                             adaptor.getExpAvgs(), adaptor.getExpAvgSqs()})
    inputs.push_back(BucketBuffer::forOperands(rewriter, loc, members, layout,
                                               /*packed=*/false));
  for (ResultRange results :
       {op.getNewParams(), op.getNewExpAvgs(), op.getNewExpAvgSqs()})
    outputs.push_back(BucketBuffer::forResults(rewriter, loc, results, layout,
                                               /*packed=*/false, destinations));
  Value lr = toFlatBuffer(rewriter, loc, adaptor.getLr());
  Value step = toFlatBuffer(rewriter, loc, adaptor.getStep());
  Value beta1 = adaptor.getDynamicBeta1()
                    ? toFlatBuffer(rewriter, loc, adaptor.getDynamicBeta1())
                    : Value();
  bool perMemberSteps = cast<MemRefType>(step.getType()).getRank() == 1;
  SkipFlag skip(rewriter, loc, adaptor.getSkip());
  SmallVector<const BucketBuffer *> buckets;
  for (const BucketBuffer &bucket : llvm::concat<BucketBuffer>(inputs, outputs))
    buckets.push_back(&bucket);

  // Seven per-row buffers per row: kernels of at most so many rows.
  int64_t rowsPerKernel =
      std::max<int64_t>(1, kMaxRowBuffersPerKernel / int64_t(buckets.size()));
  for (int64_t first = 0; first < layout.getNumRows(); first += rowsPerKernel) {
    int64_t count = std::min(rowsPerKernel, layout.getNumRows() - first);
    std::optional<AdamWScalars> scalars;
    SmallVector<RowBuffer> rowBuffers;
    buildRaggedKernel(
        rewriter, loc, ArrayRef(layout.offsets).slice(first, count),
        ArrayRef(layout.sizes).slice(first, count),
        [&](OpBuilder &b, Location kloc, Value localRow) {
          Value rate = memref::LoadOp::create(b, kloc, lr, ValueRange());
          Value row = arith::AddIOp::create(
              b, kloc, localRow,
              arith::ConstantIndexOp::create(b, kloc, first));
          // A 1-d step holds one count per member.
          Value steps = memref::LoadOp::create(
              b, kloc, step,
              perMemberSteps
                  ? ValueRange(getRowMember(b, kloc, layout, row, first, count))
                  : ValueRange());
          scalars.emplace(
              op, StepScalars(b, kloc, arithType, rate, steps),
              beta1 ? memref::LoadOp::create(b, kloc, beta1, ValueRange())
                          .getResult()
                    : Value());
          rowBuffers =
              BucketBuffer::selectRow(b, kloc, buckets, row, first, count);
          skip.load(b, kloc);
        },
        [&](OpBuilder &b, Location kloc, Value, Value flat) {
          SmallVector<Value> args;
          for (const RowBuffer &input : ArrayRef(rowBuffers).take_front(4))
            args.push_back(BucketBuffer::load(b, kloc, input, flat, arithType));
          SmallVector<Value> results =
              scalars->build(b, kloc, args[0], args[1], args[2], args[3]);
          // W', M', V' update W, M, V.
          SmallVector<Value> olds = {args[0], args[2], args[3]};
          for (auto [result, old, output] : llvm::zip_equal(
                   results, olds, ArrayRef(rowBuffers).drop_front(4)))
            BucketBuffer::store(b, kloc, output,
                                skip.select(b, kloc, result, old), flat);
        });
  }

  SmallVector<Value> results;
  for (const BucketBuffer &output : outputs)
    llvm::append_range(results, output.getResults(rewriter, loc));
  return results;
}
