//===- Bucket.cpp - Batch same-shaped optimizer updates -------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Groups the optim.muon / optim.muon2 / optim.adamw ops of a block that can
// run as one op (same per-slice shape, hyper-parameters and scalar operands)
// and replaces each group by one op on tensors packed along a new leading
// dim: a batch of matrices for the Muon updates, one long vector for AdamW.
// The analysis (which ops share a bucket) is done for the whole block before
// anything is rewritten.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Transforms/Passes.h"
#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

namespace muon::optim {
#define GEN_PASS_DEF_OPTIMBUCKETPASS
#include "muon/Dialect/Optim/Transforms/Passes.h.inc"
} // namespace muon::optim

using namespace mlir;
using namespace muon::optim;

//===----------------------------------------------------------------------===//
// Candidates
//===----------------------------------------------------------------------===//

namespace {
/// Ops with equal keys may share a bucket: same op name, same slice type
/// (the packed tensor's type without its leading dim: A×B for matrices, a
/// scalar shape for AdamW), same resolved hyper-parameters and the same
/// SSA values for the shared scalar operands (lr, and AdamW's step).
using BucketKey =
    std::tuple<OperationName, RankedTensorType, DictionaryAttr, Value, Value>;

/// One op that may join a bucket, and how its tensors are packed.
struct Candidate {
  Operation *op;
  /// Shape of each per-parameter operand once reshaped for packing:
  /// [A, B] (one matrix, inserted rank-reduced), [N, A, B] (a batch view)
  /// or [n] (AdamW, flattened).
  SmallVector<int64_t> partShape;
  /// Reassociation between the parameter's shape and `partShape`.
  SmallVector<ReassociationIndices> reassociation;
  /// Extent of the op's slice along the packed tensor's leading dim.
  int64_t extent;
  /// The leading operands are per-parameter tensors; the rest are shared.
  unsigned numPacked;
  /// Name of the matrix-view attribute, null for AdamW.
  StringAttr viewAttrName;
};
} // namespace

/// Hyper-parameters every Newton–Schulz based update shares with its bucket,
/// with optional attributes resolved to their meaning so that an explicit
/// default equals an absent one.
template <typename OpTy>
static SmallVector<NamedAttribute> getMuonConfig(Builder &b, OpTy op) {
  return {
      NamedAttribute(op.getMomentumAttrName(),
                     b.getF64FloatAttr(op.getMomentum().convertToDouble())),
      NamedAttribute(op.getNesterovAttrName(), b.getBoolAttr(op.getNesterov())),
      NamedAttribute(op.getWeightDecayAttrName(),
                     b.getF64FloatAttr(op.getWeightDecay().convertToDouble())),
      NamedAttribute(op.getNsStepsAttrName(),
                     b.getI64IntegerAttr(op.getNsSteps())),
      NamedAttribute(op.getLrAdjustAttrName(),
                     LrAdjustAttr::get(op.getContext(), op.getLrAdjust())),
      NamedAttribute(op.getScheduleAttrName(), op.getScheduleOrDefault()),
      NamedAttribute(op.getComputeTypeAttrName(),
                     TypeAttr::get(op.getComputeElementType()))};
}

/// A Muon-family candidate: every matrix of the view becomes one A×B slice.
template <typename OpTy>
static std::pair<BucketKey, Candidate>
describeMatrixUpdate(OpTy op, ArrayRef<NamedAttribute> config) {
  auto type = cast<RankedTensorType>(op.getParam().getType());
  MatrixShape matrix = getMatrixShape(type, op.getView());
  auto sliceType =
      RankedTensorType::get({matrix.rows, matrix.cols}, type.getElementType());
  Candidate candidate{op,
                      getMatrixFormShape(matrix),
                      getMatrixFormReassociation(type.getRank(), matrix),
                      matrix.getBatchSize(),
                      op->getNumOperands() - 1,
                      op.getViewAttrName()};
  BucketKey key{op->getName(), sliceType,
                DictionaryAttr::get(op.getContext(), config), op.getLr(),
                Value()};
  return {key, std::move(candidate)};
}

/// The key and packing of `op`, or nothing if `op` cannot be bucketed.
static std::optional<std::pair<BucketKey, Candidate>>
describeCandidate(Operation *op) {
  Builder b(op->getContext());
  return TypeSwitch<Operation *,
                    std::optional<std::pair<BucketKey, Candidate>>>(op)
      .Case([&](MuonOp muon) {
        return describeMatrixUpdate(muon, getMuonConfig(b, muon));
      })
      .Case(
          [&](Muon2Op muon2) -> std::optional<std::pair<BucketKey, Candidate>> {
            // Factored moments are per matrix but not parameter-shaped; they
            // are left for later (they would need their own packing).
            if (muon2.isFactored())
              return std::nullopt;
            SmallVector<NamedAttribute> config = getMuonConfig(b, muon2);
            config.push_back(NamedAttribute(
                muon2.getBeta2AttrName(),
                b.getF64FloatAttr(muon2.getBeta2().convertToDouble())));
            config.push_back(NamedAttribute(
                muon2.getEpsAttrName(),
                b.getF64FloatAttr(muon2.getEps().convertToDouble())));
            return describeMatrixUpdate(muon2, config);
          })
      .Case([&](AdamWOp adamw) {
        auto type = cast<RankedTensorType>(adamw.getParam().getType());
        // A 0-d parameter expands to one element (empty reassociation).
        SmallVector<ReassociationIndices> reassociation;
        if (type.getRank() > 0)
          reassociation = groupDims({type.getRank()});
        Candidate candidate{adamw,
                            {type.getNumElements()},
                            std::move(reassociation),
                            type.getNumElements(),
                            adamw->getNumOperands() - 2,
                            StringAttr()};
        auto getF64 = [&](APFloat value) {
          return b.getF64FloatAttr(value.convertToDouble());
        };
        DictionaryAttr config = b.getDictionaryAttr({
            NamedAttribute(adamw.getBeta1AttrName(), getF64(adamw.getBeta1())),
            NamedAttribute(adamw.getBeta2AttrName(), getF64(adamw.getBeta2())),
            NamedAttribute(adamw.getEpsAttrName(), getF64(adamw.getEps())),
            NamedAttribute(adamw.getWeightDecayAttrName(),
                           getF64(adamw.getWeightDecay())),
            NamedAttribute(adamw.getBiasCorrectionAttrName(),
                           b.getBoolAttr(adamw.getBiasCorrection())),
            NamedAttribute(adamw.getVariantAttrName(), adamw.getVariantAttr()),
        });
        BucketKey key{adamw->getName(),
                      RankedTensorType::get({}, type.getElementType()), config,
                      adamw.getLr(), adamw.getStep()};
        return std::make_pair(key, std::move(candidate));
      })
      .Default([](Operation *) { return std::nullopt; });
}

//===----------------------------------------------------------------------===//
// Grouping
//===----------------------------------------------------------------------===//

namespace {
/// Ops of one block that will be replaced by one op at the position of the
/// last of them.
struct Bucket {
  RankedTensorType sliceType;
  SmallVector<Candidate> members;
  /// Earliest op of the block that uses a result of a member (null: none).
  Operation *firstUser = nullptr;
  /// Bytes of the packed parameter, which must stay addressable.
  int64_t bytes = 0;
};
} // namespace

/// Bytes of the parameter `op` updates (its first operand); the verifiers
/// have checked that this fits in an int64_t.
static int64_t getParamBytes(Operation *op) {
  auto type = cast<ShapedType>(op->getOperand(0).getType());
  return type.getNumElements() *
         llvm::divideCeil(type.getElementTypeBitWidth(), 8);
}

/// The earlier of two ops of one block, either of which may be null.
static Operation *getEarlier(Operation *a, Operation *b) {
  if (!a || !b)
    return a ? a : b;
  return a->isBeforeInBlock(b) ? a : b;
}

/// Earliest op of `op`'s block that uses a result of `op`, directly or from
/// a nested region.
static Operation *getFirstUser(Operation *op) {
  Operation *first = nullptr;
  for (Operation *user : op->getUsers())
    first = getEarlier(first, op->getBlock()->findAncestorOpInBlock(*user));
  return first;
}

/// Splits the candidates of `block` into buckets, in program order. An op
/// joins the open bucket of its key only if no member's result is used
/// before the op (the bucket is rebuilt at the op's position, which must
/// still dominate every use, and an op depending on a member through any
/// chain of ops has such a use); otherwise it opens a new bucket.
static SmallVector<Bucket> collectBuckets(Block &block) {
  SmallVector<Bucket> buckets;
  llvm::DenseMap<BucketKey, unsigned> openBucket;
  for (Operation &op : block) {
    std::optional<std::pair<BucketKey, Candidate>> described =
        describeCandidate(&op);
    if (!described)
      continue;
    auto &[key, candidate] = *described;
    int64_t bytes = getParamBytes(&op);
    auto [it, inserted] = openBucket.try_emplace(key, buckets.size());
    if (!inserted) {
      Bucket &bucket = buckets[it->second];
      int64_t packedBytes;
      if ((!bucket.firstUser || op.isBeforeInBlock(bucket.firstUser)) &&
          !llvm::AddOverflow(bucket.bytes, bytes, packedBytes)) {
        bucket.firstUser = getEarlier(bucket.firstUser, getFirstUser(&op));
        bucket.members.push_back(std::move(candidate));
        bucket.bytes = packedBytes;
        continue;
      }
      it->second = buckets.size();
    }
    buckets.push_back({std::get<RankedTensorType>(key),
                       {std::move(candidate)},
                       getFirstUser(&op),
                       bytes});
  }
  return buckets;
}

//===----------------------------------------------------------------------===//
// Rewriting
//===----------------------------------------------------------------------===//

namespace {
/// Offsets, sizes and unit strides of the slice [offset, offset + extent) of
/// the leading dim of a packed tensor whose slices have type `sliceType`.
struct SliceBounds {
  SmallVector<OpFoldResult> offsets, sizes, strides;

  SliceBounds(OpBuilder &b, RankedTensorType sliceType, int64_t offset,
              int64_t extent)
      : offsets(sliceType.getRank() + 1, b.getIndexAttr(0)),
        sizes({b.getIndexAttr(extent)}),
        strides(sliceType.getRank() + 1, b.getIndexAttr(1)) {
    offsets.front() = b.getIndexAttr(offset);
    for (int64_t dim : sliceType.getShape())
      sizes.push_back(b.getIndexAttr(dim));
  }
};
} // namespace

/// Replaces the members of `bucket` by one op of the same kind on packed
/// operands, inserted before the last member.
static void rewriteBucket(RewriterBase &rewriter, const Bucket &bucket) {
  const Candidate &first = bucket.members.front();
  Operation *last = bucket.members.back().op;
  SmallVector<Location> locs = llvm::map_to_vector(
      bucket.members, [](const Candidate &c) { return c.op->getLoc(); });
  Location loc = rewriter.getFusedLoc(locs);
  rewriter.setInsertionPoint(last);

  int64_t total = 0;
  for (const Candidate &member : bucket.members)
    total += member.extent;
  SmallVector<int64_t> packedShape = {total};
  llvm::append_range(packedShape, bucket.sliceType.getShape());
  auto packedType =
      RankedTensorType::get(packedShape, bucket.sliceType.getElementType());

  SmallVector<Value> operands;
  for (unsigned i = 0; i < first.numPacked; ++i) {
    Value packed = tensor::EmptyOp::create(rewriter, loc, packedShape,
                                           packedType.getElementType());
    int64_t offset = 0;
    for (const Candidate &member : bucket.members) {
      Value part = reshape(rewriter, loc, member.op->getOperand(i),
                           member.partShape, member.reassociation);
      SliceBounds slice(rewriter, bucket.sliceType, offset, member.extent);
      packed = tensor::InsertSliceOp::create(rewriter, loc, part, packed,
                                             slice.offsets, slice.sizes,
                                             slice.strides);
      offset += member.extent;
    }
    operands.push_back(packed);
  }
  llvm::append_range(operands,
                     first.op->getOperands().drop_front(first.numPacked));

  // Members have equal hyper-parameters: the first one's attributes serve,
  // with the view switched to a batch of the stacked matrices.
  NamedAttrList attributes(first.op->getAttrDictionary());
  if (first.viewAttrName)
    attributes.set(
        first.viewAttrName,
        MatrixViewAttr::get(rewriter.getContext(), MatrixView::batch));
  SmallVector<Type> resultTypes(first.op->getNumResults(), packedType);
  OperationState state(loc, first.op->getName(), operands, resultTypes,
                       attributes.getAttrs());
  Operation *packedOp = rewriter.create(state);

  int64_t offset = 0;
  for (const Candidate &member : bucket.members) {
    SliceBounds slice(rewriter, bucket.sliceType, offset, member.extent);
    auto partType =
        RankedTensorType::get(member.partShape, packedType.getElementType());
    SmallVector<Value> replacements;
    for (auto [packedResult, result] :
         llvm::zip_equal(packedOp->getResults(), member.op->getResults())) {
      Value part = tensor::ExtractSliceOp::create(rewriter, loc, partType,
                                                  packedResult, slice.offsets,
                                                  slice.sizes, slice.strides);
      replacements.push_back(
          reshape(rewriter, loc, part,
                  cast<RankedTensorType>(result.getType()).getShape(),
                  member.reassociation));
    }
    rewriter.replaceOp(member.op, replacements);
    offset += member.extent;
  }
}

BucketStatistics muon::optim::bucketOptimizerUpdates(RewriterBase &rewriter,
                                                     Block &block,
                                                     unsigned minBucketSize) {
  BucketStatistics statistics;
  // Rewriting one bucket keeps the others valid: it only erases its own
  // members, and their results are rebuilt at the last member, before every
  // use (see collectBuckets).
  for (const Bucket &bucket : collectBuckets(block)) {
    if (bucket.members.size() < std::max(minBucketSize, 2u))
      continue;
    rewriteBucket(rewriter, bucket);
    ++statistics.numBuckets;
    statistics.numBucketedOps += bucket.members.size();
  }
  return statistics;
}

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {
struct OptimBucketPass
    : public muon::optim::impl::OptimBucketPassBase<OptimBucketPass> {
  using OptimBucketPassBase::OptimBucketPassBase;

  void runOnOperation() override {
    // Collected first: rewriting adds ops, never blocks.
    SmallVector<Block *> blocks;
    getOperation()->walk([&](Block *block) { blocks.push_back(block); });
    IRRewriter rewriter(&getContext());
    for (Block *block : blocks) {
      BucketStatistics statistics =
          bucketOptimizerUpdates(rewriter, *block, minBucketSize);
      numBuckets += statistics.numBuckets;
      numBucketedOps += statistics.numBucketedOps;
    }
  }
};
} // namespace
