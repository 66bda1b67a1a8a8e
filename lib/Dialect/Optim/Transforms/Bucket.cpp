//===- Bucket.cpp - Batch same-shaped optimizer updates -------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Groups the optim.muon / optim.muon2 / optim.adamw ops of a block that can
// run as one op (same per-slice shape up to transposition, or a near-equal
// one zero-padded to it; same hyper-parameters and scalar operands) and
// replaces each group by one op over all their parameters: a batch of
// matrices for the Muon updates, one long vector for AdamW.
// The analysis (which ops share a bucket) is done for the whole block before
// anything is rewritten.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Transforms/Passes.h"
#include "muon/Dialect/Optim/Utils/KernelMemory.h"
#include "muon/Dialect/Optim/Utils/LinalgBuilders.h"
#include "muon/Dialect/Optim/Utils/NSCostModel.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"
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
/// (A×B and the element type for matrices, a scalar of the element type for
/// AdamW), same resolved hyper-parameters and the same SSA values for the
/// shared scalar operands (lr, AdamW's step or Muon's run-time momentum,
/// and `skip`).
using BucketKey = std::tuple<OperationName, RankedTensorType, DictionaryAttr,
                             Value, Value, Value>;

/// One op that may join a bucket (itself one parameter or a bucket).
struct Candidate {
  Operation *op;
  /// Its matrix view where a member has rank > 2 and is not read as a batch
  /// (it joins the bucket as its matrix form); nothing otherwise.
  std::optional<MatrixView> reshapedView;
  /// Parameters it updates: each per-parameter operand and result group
  /// (params, grads, states) has this many entries.
  unsigned numMembers;
  /// The trailing operands every member shares (lr, step, skip, momentum).
  unsigned numShared;
  /// Muon family: whether its first member's matrices are tall (A > B), and
  /// how many matrices it updates.
  bool tall = false;
  int64_t numMatrices = 0;
};
} // namespace

/// Hyper-parameters every Newton–Schulz based update shares with its bucket,
/// with optional attributes resolved to their meaning so that an explicit
/// default equals an absent one. (Not the view: a bucket sees its members'
/// matrices as a batch, see rewriteBucket.)
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

/// A Muon-family candidate: its members' matrices are A×B or B×A, which
/// share a bucket (keyed by the wide orientation).
template <typename OpTy>
static std::pair<BucketKey, Candidate>
describeMatrixUpdate(OpTy op, ArrayRef<NamedAttribute> config) {
  auto type = cast<RankedTensorType>(op.getParams().front().getType());
  MatrixShape matrix = getMatrixShape(type, op.getView());
  auto sliceType = RankedTensorType::get(
      {std::min(matrix.rows, matrix.cols), std::max(matrix.rows, matrix.cols)},
      type.getElementType());
  BucketKey key{op->getName(),
                sliceType,
                DictionaryAttr::get(op.getContext(), config),
                op.getLr(),
                op.getDynamicMomentum(),
                op.getSkip()};
  std::optional<MatrixView> reshapedView;
  if (op.getView() != MatrixView::batch)
    reshapedView = op.getView();
  int64_t numMatrices = 0;
  for (Type param : op.getParams().getTypes())
    numMatrices +=
        getMatrixShape(cast<ShapedType>(param), op.getView()).getBatchSize();
  return {key, Candidate{op, reshapedView, unsigned(op.getParams().size()),
                         1 + unsigned(op.getSkip() != nullptr) +
                             unsigned(op.getDynamicMomentum() != nullptr),
                         matrix.rows > matrix.cols, numMatrices}};
}

/// The key of `op`, or nothing if `op` cannot be bucketed.
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
            // are left for later (they would need their own lowering).
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
      .Case([&](AdamWOp adamw)
                -> std::optional<std::pair<BucketKey, Candidate>> {
        // Counts per member make the op a bucket already; merging it would
        // need its counts concatenated with another's. A run-time β₁ comes
        // from a step that builds its buckets itself (muon_mlir.optim).
        if (cast<ShapedType>(adamw.getStep().getType()).getRank() != 0 ||
            adamw.getDynamicBeta1())
          return std::nullopt;
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
        Type elementType =
            getElementTypeOrSelf(adamw.getParams().front().getType());
        BucketKey key{adamw->getName(), RankedTensorType::get({}, elementType),
                      config,           adamw.getLr(),
                      adamw.getStep(),  adamw.getSkip()};
        return std::make_pair(
            key,
            Candidate{adamw, std::nullopt, unsigned(adamw.getParams().size()),
                      2 + unsigned(adamw.getSkip() != nullptr)});
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
  SmallVector<Candidate> members;
  /// Earliest op of the block that uses a result of a member (null: none).
  Operation *firstUser = nullptr;
  /// Bytes of the members' parameters, which a packing of them (the
  /// lowering's Newton–Schulz input) must be able to address.
  int64_t bytes = 0;
  /// Parameters and (Muon family) matrices of the members.
  int64_t numMembers = 0, numMatrices = 0;
  /// Estimated kernel temporaries (nothing: they overflow int64_t).
  std::optional<int64_t> temporaryBytes;
};
} // namespace

/// The estimated kernel temporaries (KernelMemory.h) of a bucket of `key`
/// with `numMembers` parameters and `numMatrices` matrices, `first` one of
/// its members; 0 for AdamW (updated in place), nothing on overflow.
static std::optional<int64_t> getTemporaryBytes(const BucketKey &key,
                                                const Candidate &first,
                                                int64_t numMembers,
                                                int64_t numMatrices) {
  auto describe = [&](auto op) -> std::optional<int64_t> {
    RankedTensorType slice = std::get<1>(key);
    return getMuonBucketTemporaryBytes(
        {MatrixShape{{}, slice.getDimSize(0), slice.getDimSize(1)}, numMatrices,
         numMembers, slice.getElementType(), op.getComputeElementType(),
         op.getScheduleOrDefault(), static_cast<int64_t>(op.getNsSteps()),
         isa<Muon2Op>(op.getOperation())});
  };
  return TypeSwitch<Operation *, std::optional<int64_t>>(first.op)
      .Case([&](MuonOp op) { return describe(op); })
      .Case([&](Muon2Op op) { return describe(op); })
      .Default([](Operation *) { return 0; });
}

/// Bytes of the parameters `candidate` updates (its leading operands), or
/// nothing if their sum overflows.
static std::optional<int64_t> getParamBytes(const Candidate &candidate) {
  int64_t total = 0;
  for (Value param :
       candidate.op->getOperands().take_front(candidate.numMembers)) {
    auto type = cast<ShapedType>(param.getType());
    if (llvm::AddOverflow(
            total,
            type.getNumElements() *
                llvm::divideCeil(type.getElementTypeBitWidth(), 8),
            total))
      return std::nullopt;
  }
  return total;
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

/// Newton–Schulz FLOPs per step of a wide slice type (m×n, m ≤ n).
static double getSliceFlops(RankedTensorType slice) {
  return getStandardNSFlops({{}, slice.getDimSize(0), slice.getDimSize(1)},
                            /*steps=*/1);
}

/// Replaces the slice type of each Muon-family key by the cheapest larger
/// slice of the same other key fields whose Newton–Schulz costs at most
/// 1 + `padWaste` times its own (see `optim-bucket`). Slices are considered
/// from the most expensive down; one that no larger slice takes is a bucket
/// shape of its own.
static void
padShapes(MutableArrayRef<std::pair<BucketKey, Candidate>> candidates,
          double padWaste) {
  auto withoutSlice = [](const BucketKey &key) {
    BucketKey erased = key;
    std::get<1>(erased) = RankedTensorType();
    return erased;
  };
  llvm::MapVector<BucketKey, llvm::SetVector<RankedTensorType>> slices;
  for (auto &[key, candidate] : candidates)
    if (std::get<1>(key).getRank() == 2)
      slices[withoutSlice(key)].insert(std::get<1>(key));
  llvm::DenseMap<std::pair<BucketKey, RankedTensorType>, RankedTensorType>
      padded;
  for (auto &[erased, shapes] : slices) {
    SmallVector<RankedTensorType> order(shapes.begin(), shapes.end());
    llvm::stable_sort(order, [](RankedTensorType a, RankedTensorType b) {
      return getSliceFlops(a) > getSliceFlops(b);
    });
    SmallVector<RankedTensorType> bucketShapes;
    for (RankedTensorType slice : order) {
      RankedTensorType best;
      for (RankedTensorType larger : bucketShapes) {
        bool fits = slice.getDimSize(0) <= larger.getDimSize(0) &&
                    slice.getDimSize(1) <= larger.getDimSize(1);
        if (fits &&
            getSliceFlops(larger) <= (1 + padWaste) * getSliceFlops(slice) &&
            (!best || getSliceFlops(larger) < getSliceFlops(best)))
          best = larger;
      }
      if (best)
        padded[{erased, slice}] = best;
      else
        bucketShapes.push_back(slice);
    }
  }
  for (auto &[key, candidate] : candidates)
    if (std::get<1>(key).getRank() == 2)
      if (RankedTensorType bucketShape =
              padded.lookup({withoutSlice(key), std::get<1>(key)}))
        std::get<1>(key) = bucketShape;
}

/// Splits the candidates of `block` into buckets, in program order. An op
/// joins the open bucket of its key only if no member's result is used
/// before the op (the bucket is rebuilt at the op's position, which must
/// still dominate every use, and an op depending on a member through any
/// chain of ops has such a use) and, with a budget, the bucket's estimated
/// temporaries stay within it; otherwise it opens a new bucket.
static SmallVector<Bucket> collectBuckets(Block &block,
                                          const BucketOptions &options) {
  SmallVector<std::pair<BucketKey, Candidate>> candidates;
  for (Operation &op : block)
    if (std::optional<std::pair<BucketKey, Candidate>> described =
            describeCandidate(&op))
      candidates.push_back(std::move(*described));
  if (options.padWaste > 0)
    padShapes(candidates, options.padWaste);

  SmallVector<Bucket> buckets;
  llvm::DenseMap<BucketKey, unsigned> openBucket;
  for (auto &[key, candidate] : candidates) {
    Operation &op = *candidate.op;
    std::optional<int64_t> bytes = getParamBytes(candidate);
    if (!bytes)
      continue;
    auto [it, inserted] = openBucket.try_emplace(key, buckets.size());
    if (!inserted) {
      Bucket &bucket = buckets[it->second];
      int64_t packedBytes;
      std::optional<int64_t> temporaryBytes = getTemporaryBytes(
          key, candidate, bucket.numMembers + candidate.numMembers,
          bucket.numMatrices + candidate.numMatrices);
      bool fitsBudget =
          options.maxTemporaryBytes <= 0 ||
          (temporaryBytes && *temporaryBytes <= options.maxTemporaryBytes);
      if ((!bucket.firstUser || op.isBeforeInBlock(bucket.firstUser)) &&
          !llvm::AddOverflow(bucket.bytes, *bytes, packedBytes) && fitsBudget) {
        bucket.firstUser = getEarlier(bucket.firstUser, getFirstUser(&op));
        bucket.members.push_back(candidate);
        bucket.bytes = packedBytes;
        bucket.numMembers += candidate.numMembers;
        bucket.numMatrices += candidate.numMatrices;
        bucket.temporaryBytes = temporaryBytes;
        continue;
      }
      it->second = buckets.size();
    }
    buckets.push_back({{candidate},
                       getFirstUser(&op),
                       *bytes,
                       candidate.numMembers,
                       candidate.numMatrices,
                       getTemporaryBytes(key, candidate, candidate.numMembers,
                                         candidate.numMatrices)});
  }
  return buckets;
}

//===----------------------------------------------------------------------===//
// Rewriting
//===----------------------------------------------------------------------===//

/// `value` of `member` as the bucket op takes it: its matrix form where the
/// member reads it through a view other than a batch.
static Value toBucketForm(OpBuilder &b, Location loc, const Candidate &member,
                          Value value) {
  if (!member.reshapedView ||
      cast<RankedTensorType>(value.getType()).getRank() <= 2)
    return value;
  return toMatrixForm(b, loc, value, *member.reshapedView);
}

/// The members of a Muon-family bucket with the orientation most of its
/// matrices have first: the lowerings run Newton–Schulz in the first
/// member's orientation and transpose the others in and out.
static SmallVector<Candidate> orderByOrientation(const Bucket &bucket) {
  SmallVector<Candidate> members(bucket.members);
  int64_t tall = 0, wide = 0;
  for (const Candidate &member : members)
    (member.tall ? tall : wide) += member.numMatrices;
  if (!tall || !wide)
    return members;
  bool majorityTall = tall > wide;
  std::stable_partition(
      members.begin(), members.end(),
      [&](const Candidate &member) { return member.tall == majorityTall; });
  return members;
}

/// Replaces the members of `bucket` by one op of the same kind whose
/// operand and result lists are the members', inserted before the last
/// member. A Muon-family bucket reads its members' matrices as a batch.
static Operation *rewriteBucket(RewriterBase &rewriter, const Bucket &bucket) {
  Operation *last = bucket.members.back().op;
  SmallVector<Candidate> members = orderByOrientation(bucket);
  const Candidate &first = members.front();
  SmallVector<Location> locs = llvm::map_to_vector(
      members, [](const Candidate &c) { return c.op->getLoc(); });
  Location loc = rewriter.getFusedLoc(locs);
  rewriter.setInsertionPoint(last);

  // Each per-parameter list (params, grads, states; new params, new
  // states) is the concatenation of the members' lists.
  unsigned numMembers = 0;
  for (const Candidate &member : members)
    numMembers += member.numMembers;
  unsigned numOperandLists =
      (first.op->getNumOperands() - first.numShared) / first.numMembers;
  unsigned numResultLists = first.op->getNumResults() / first.numMembers;
  SmallVector<Value> operands;
  SmallVector<Type> resultTypes;
  for (unsigned list = 0; list < numOperandLists; ++list)
    for (const Candidate &member : members)
      for (Value operand : member.op->getOperands().slice(
               list * member.numMembers, member.numMembers))
        operands.push_back(toBucketForm(rewriter, loc, member, operand));
  llvm::append_range(operands,
                     first.op->getOperands().take_back(first.numShared));
  // Results have the types of the members' first operand list.
  for (unsigned list = 0; list < numResultLists; ++list)
    llvm::append_range(resultTypes,
                       TypeRange(ValueRange(operands).take_front(numMembers)));

  // Members have equal hyper-parameters: the first one's attributes serve.
  NamedAttrList attributes(first.op->getAttrDictionary());
  if (attributes.get("view"))
    attributes.set(
        "view", MatrixViewAttr::get(rewriter.getContext(), MatrixView::batch));
  // Every list has numMembers entries; the shared ones keep their sizes
  // (an absent `skip` has none).
  auto segments = [&](StringRef name, unsigned lists) {
    auto sizes = dyn_cast_or_null<DenseI32ArrayAttr>(attributes.get(name));
    if (!sizes)
      return;
    SmallVector<int32_t> resized(lists, numMembers);
    llvm::append_range(resized, sizes.asArrayRef().drop_front(lists));
    attributes.set(name, rewriter.getDenseI32ArrayAttr(resized));
  };
  segments("operandSegmentSizes", numOperandLists);
  segments("resultSegmentSizes", numResultLists);
  OperationState state(loc, first.op->getName(), operands, resultTypes,
                       attributes.getAttrs());
  Operation *bucketOp = rewriter.create(state);

  unsigned offset = 0;
  for (const Candidate &member : members) {
    SmallVector<Value> replacements;
    for (unsigned list = 0; list < numResultLists; ++list)
      for (auto [result, original] :
           llvm::zip_equal(bucketOp->getResults().slice(
                               list * numMembers + offset, member.numMembers),
                           member.op->getResults().slice(
                               list * member.numMembers, member.numMembers))) {
        auto type = cast<RankedTensorType>(original.getType());
        replacements.push_back(type == result.getType()
                                   ? result
                                   : fromMatrixForm(rewriter, loc, result, type,
                                                    *member.reshapedView));
      }
    rewriter.replaceOp(member.op, replacements);
    offset += member.numMembers;
  }
  return bucketOp;
}

BucketStatistics
muon::optim::bucketOptimizerUpdates(RewriterBase &rewriter, Block &block,
                                    const BucketOptions &options) {
  BucketStatistics statistics;
  // Rewriting one bucket keeps the others valid: it only erases its own
  // members, and their results are rebuilt at the last member, before every
  // use (see collectBuckets). A candidate that is a bucket already counts
  // as one op.
  for (const Bucket &bucket : collectBuckets(block, options)) {
    if (bucket.members.size() < std::max(options.minBucketSize, 2u))
      continue;
    Operation *bucketOp = rewriteBucket(rewriter, bucket);
    if (options.reportTemporaryBytes && !isa<AdamWOp>(bucketOp)) {
      InFlightDiagnostic remark = bucketOp->emitRemark()
                                  << "bucket of " << bucket.numMatrices
                                  << " matrices: ";
      if (bucket.temporaryBytes)
        remark << *bucket.temporaryBytes << " bytes of temporaries";
      else
        remark << "temporaries overflow int64_t";
    }
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
    // Written so that NaN fails; infinity pads every shape into the largest.
    double waste = padWaste;
    int64_t temporaryBytes = maxTemporaryBytes;
    if (!(waste >= 0.0) || temporaryBytes < 0) {
      // Option errors concern no op: unlocated.
      InFlightDiagnostic diag = emitError(UnknownLoc::get(&getContext()));
      if (temporaryBytes < 0)
        diag << "optim-bucket: max-temporary-bytes must be >= 0, got "
             << temporaryBytes;
      else
        diag << "optim-bucket: pad-waste must be a number >= 0, got "
             << llvm::formatv("{0}", waste).str();
      return signalPassFailure();
    }
    // Collected first: rewriting adds ops, never blocks.
    SmallVector<Block *> blocks;
    getOperation()->walk([&](Block *block) { blocks.push_back(block); });
    IRRewriter rewriter(&getContext());
    for (Block *block : blocks) {
      BucketStatistics statistics = bucketOptimizerUpdates(
          rewriter, *block,
          {minBucketSize, padWaste, maxTemporaryBytes, reportTemporaryBytes});
      numBuckets += statistics.numBuckets;
      numBucketedOps += statistics.numBucketedOps;
    }
  }
};
} // namespace
