//===- Assign.cpp - Route AdamW updates to Muon / Muon² -------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The policy users of Muon apply by hand: hidden weight matrices get Muon,
// everything else (embeddings, output head, vectors) keeps AdamW. Parameters
// are recognized by the `onnx.name` the importer puts on function arguments.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/IR/OptimDialect.h"
#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/Transforms/Passes.h"

#include "HeadLayout.h"
#include "ParameterInfo.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Regex.h"

namespace muon::optim {
#define GEN_PASS_DEF_OPTIMASSIGNPASS
#include "muon/Dialect/Optim/Transforms/Passes.h.inc"
} // namespace muon::optim

using namespace mlir;
using namespace muon::optim;

/// Whether `user` reads `param` at positions computed from data: a
/// `tensor.extract` in a linalg body with an index that is not an iteration
/// index (the ONNX importer's Gather).
static bool isDataDependentRead(Operation *user) {
  auto extract = dyn_cast<tensor::ExtractOp>(user);
  if (!extract || !extract->getParentOfType<linalg::LinalgOp>())
    return false;
  return llvm::any_of(extract.getIndices(), [](Value index) {
    return !index.getDefiningOp<linalg::IndexOp>() &&
           !matchPattern(index, m_Constant());
  });
}

/// Whether `name` calls its parameter one of `words` (lower case): a module
/// on its path is named so (`embeddings.word.weight`), or the parameter's own
/// module (or the parameter, when held directly: `pos_embed`) begins or ends
/// with one (`embed_tokens`, `word_embeddings`, `lm_head`). A word inside a
/// longer name (`multi_head_attention`) or ending a module above the
/// parameter's own (`time_embedding.linear_1`, an MLP named for its purpose)
/// does not: muon_mlir.optim routes by the same rule.
static bool isNamedAs(StringRef name, ArrayRef<StringRef> words) {
  SmallVector<StringRef> path;
  llvm::SplitString(name, path, "./:");
  if (path.empty())
    return false;
  auto isWord = [&](StringRef part) {
    return llvm::any_of(
        words, [&](StringRef word) { return part.equals_insensitive(word); });
  };
  if (llvm::any_of(path, isWord))
    return true;
  while (path.size() > 1 && (path.back() == "weight" || path.back() == "bias"))
    path.pop_back();
  StringRef own = path.back();
  return isWord(own.split('_').first) || isWord(own.rsplit('_').second);
}

/// Why a parameter is treated as an embedding, or std::nullopt.
static std::optional<std::string> getEmbeddingReason(Value param,
                                                     StringRef name) {
  for (Operation *user : param.getUsers()) {
    if (user->getName().getStringRef().contains("gather"))
      return "embedding (used by " + user->getName().getStringRef().str() + ")";
    if (isDataDependentRead(user))
      return std::string("embedding (rows looked up by index in ") +
             user->getParentOfType<linalg::LinalgOp>()
                 ->getName()
                 .getStringRef()
                 .str() +
             ")";
  }
  if (isNamedAs(name,
                {"embed", "embedding", "embeddings", "emb", "wte", "wpe"}))
    return "embedding (by name)";
  return std::nullopt;
}

/// The flatten view [dim0, product of the others] of a parameter of rank > 2
/// when the step reads it as that matrix (a collapse_shape to it, as the
/// ONNX importer reads convolution kernels [O, I, k...] for its GEMMs):
/// Muon then orthogonalizes that view (`view = flatten`), as users of Muon
/// do for convolutions. std::nullopt otherwise.
static std::optional<std::pair<int64_t, int64_t>> getFlattenView(Value param) {
  for (Operation *user : param.getUsers()) {
    auto collapse = dyn_cast<tensor::CollapseShapeOp>(user);
    if (collapse && collapse.getResultType().getRank() == 2 &&
        collapse.getReassociationIndices().front().size() == 1)
      return std::make_pair(collapse.getResultType().getDimSize(0),
                            collapse.getResultType().getDimSize(1));
  }
  return std::nullopt;
}

/// Whether `param` is read, up to views, by a contraction on the path that
/// ends in a scalar float result of its function (the loss): the output
/// head, whose gradient is the loss's own. The walk goes back from each such
/// result through every op but stops at contractions, so hidden layers
/// further back are not reached.
static bool feedsLoss(Value param) {
  auto func = param.getParentRegion()->getParentOfType<FunctionOpInterface>();
  if (!func || func.getFunctionBody().empty())
    return false;
  SmallVector<Value> worklist;
  for (Block &block : func.getFunctionBody())
    if (Operation *terminator = block.getTerminator();
        terminator && terminator->hasTrait<OpTrait::ReturnLike>())
      for (Value result : terminator->getOperands())
        if (auto type = dyn_cast<RankedTensorType>(result.getType());
            type && type.getRank() == 0 &&
            isa<FloatType>(type.getElementType()))
          worklist.push_back(result);
  llvm::SmallPtrSet<Operation *, 32> visited;
  while (!worklist.empty()) {
    Operation *def = worklist.pop_back_val().getDefiningOp();
    if (!def || !visited.insert(def).second ||
        isa<OptimDialect>(def->getDialect()))
      continue;
    if (isa<linalg::ContractionOpInterface>(def) &&
        !isa<linalg::GenericOp>(def)) {
      if (llvm::any_of(def->getOperands(), [&](Value operand) {
            return heads::getViewRoot(operand) == param;
          }))
        return true;
      continue;
    }
    llvm::append_range(worklist, def->getOperands());
    // Bodies read captured tensors too (the loss's label lookup).
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(def->getRegions(), captured);
    llvm::append_range(worklist, captured);
  }
  return false;
}

/// Whether `param` (up to views: slices, broadcasts) is added to an
/// activation, as learned position embeddings are.
static bool isAddedToActivations(Value param) {
  SmallVector<Value> worklist = {param};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (heads::getViewSource(user) == value) {
        llvm::append_range(worklist, user->getResults());
        continue;
      }
      auto generic = dyn_cast<linalg::GenericOp>(user);
      Operation *body = generic ? heads::getBinaryBody(generic) : nullptr;
      if (!isa_and_nonnull<arith::AddFOp>(body))
        continue;
      Value other = generic.getDpsInputs()[1 - use.getOperandNumber()];
      if (use.getOperandNumber() < 2 && !heads::isLeaf(other))
        return true;
    }
  }
  return false;
}

static bool isOutputHead(StringRef name) {
  return isNamedAs(name, {"lm_head", "head", "classifier", "unembed"});
}

namespace {
struct OptimAssignPass
    : public muon::optim::impl::OptimAssignPassBase<OptimAssignPass> {
  using OptimAssignPassBase::OptimAssignPassBase;

  void runOnOperation() override;

private:
  /// Checks and converts the options; errors are unlocated (they concern no
  /// op).
  LogicalResult parseOptions(SmallVectorImpl<llvm::Regex> &includes,
                             SmallVectorImpl<llvm::Regex> &excludes);
  /// Replaces `op` by optim.muon / optim.muon2 (and erases the step counts
  /// picked for it, which they do not read).
  Operation *rewrite(RewriterBase &rewriter, AdamWOp op);
  Operation *rewriteAsMatrixUpdate(RewriterBase &rewriter, AdamWOp op);
};
} // namespace

LogicalResult
OptimAssignPass::parseOptions(SmallVectorImpl<llvm::Regex> &includes,
                              SmallVectorImpl<llvm::Regex> &excludes) {
  if (nsSteps < 0 || nsSteps > kMaxNewtonSchulzSteps)
    return emitError(UnknownLoc::get(&getContext()))
           << "optim-assign: ns-steps must be in [0, " << kMaxNewtonSchulzSteps
           << "] (0: the op's default), got " << static_cast<int64_t>(nsSteps);
  if (!(momentum >= 0.0 && momentum < 1.0))
    return emitError(UnknownLoc::get(&getContext()))
           << "optim-assign: momentum must lie in [0, 1), got "
           << static_cast<double>(momentum);
  for (auto [patterns, regexes, flag] :
       {std::make_tuple(&include, &includes, "include"),
        std::make_tuple(&exclude, &excludes, "exclude")}) {
    regexes->clear();
    for (const std::string &pattern : *patterns) {
      llvm::Regex regex(pattern);
      std::string error;
      if (!regex.isValid(error))
        return emitError(UnknownLoc::get(&getContext()))
               << "optim-assign: bad " << flag << " pattern '" << pattern
               << "': " << error;
      regexes->push_back(std::move(regex));
    }
  }
  return success();
}

/// Why `param` keeps AdamW, or std::nullopt when it moves to Muon.
static std::optional<std::string>
getKeepReason(Value param, StringRef name, ArrayRef<llvm::Regex> includes,
              ArrayRef<llvm::Regex> excludes) {
  auto matches = [&](ArrayRef<llvm::Regex> regexes) {
    return llvm::any_of(regexes,
                        [&](const llvm::Regex &r) { return r.match(name); });
  };
  if (matches(excludes))
    return std::string("excluded by name");
  if (!includes.empty() && !matches(includes))
    return std::string("not matched by an include pattern");
  int64_t rank = cast<RankedTensorType>(param.getType()).getRank();
  if (rank < 2 || (rank > 2 && !getFlattenView(param)))
    return "rank-" + std::to_string(rank) + " parameter" +
           (rank > 2 ? " not read as a matrix" : "");
  if (std::optional<std::string> reason = getEmbeddingReason(param, name))
    return reason;
  if (feedsLoss(param))
    return std::string("output head (its product feeds the loss)");
  if (isAddedToActivations(param))
    return std::string("position embedding (added to activations)");
  if (isOutputHead(name))
    return std::string("output head (by name)");
  return std::nullopt;
}

/// Erases the op defining `value` if nothing uses it and it has no effects,
/// then its operands' producers the same way: the step counts picked for a
/// member that became a Muon update.
static void eraseDeadProducers(RewriterBase &rewriter, Value value) {
  Operation *producer = value.getDefiningOp();
  if (!producer || !isOpTriviallyDead(producer))
    return;
  SmallVector<Value> operands(producer->getOperands());
  rewriter.eraseOp(producer);
  for (Value operand : operands)
    eraseDeadProducers(rewriter, operand);
}

Operation *OptimAssignPass::rewrite(RewriterBase &rewriter, AdamWOp op) {
  Value steps = op.getStep();
  Operation *newOp = rewriteAsMatrixUpdate(rewriter, op);
  eraseDeadProducers(rewriter, steps);
  return newOp;
}

Operation *OptimAssignPass::rewriteAsMatrixUpdate(RewriterBase &rewriter,
                                                  AdamWOp op) {
  rewriter.setInsertionPoint(op);
  Location loc = op.getLoc();
  MLIRContext *ctx = &getContext();
  auto configure = [&](auto newOp) {
    newOp.setMomentumAttr(rewriter.getF64FloatAttr(momentum));
    newOp.setWeightDecayAttr(op.getWeightDecayAttr());
    newOp.setLrAdjustAttr(LrAdjustAttr::get(ctx, lrAdjust));
    if (schedule != NSScheduleKind::quintic)
      newOp.setScheduleAttr(NSScheduleAttr::get(ctx, schedule));
    if (nsSteps > 0)
      newOp.setNsStepsAttr(rewriter.getI64IntegerAttr(nsSteps));
    if (nsCompute == NewtonSchulzCompute::BF16)
      newOp.setComputeTypeAttr(TypeAttr::get(rewriter.getBF16Type()));
    if (Value skip = op.getSkip())
      newOp.getSkipMutable().assign(skip);
  };
  if (algorithm == HiddenMatrixOptimizer::Muon2) {
    auto muon2 =
        Muon2Op::create(rewriter, loc, op.getParams(), op.getGrads(),
                        op.getExpAvgs(), op.getExpAvgSqs(), op.getLr());
    configure(muon2);
    rewriter.replaceOp(op, muon2.getResults());
    return muon2;
  }
  auto muon = MuonOp::create(rewriter, loc, op.getParams(), op.getGrads(),
                             op.getExpAvgs(), op.getLr());
  configure(muon);
  // Muon has no second moment: V passes through unchanged.
  SmallVector<Value> replacements(muon.getResults());
  llvm::append_range(replacements, op.getExpAvgSqs());
  rewriter.replaceOp(op, replacements);
  return muon;
}

/// The step counts of `op`'s members `members`: its step where it is shared,
/// else a 1-d tensor of theirs.
static Value pickStepCounts(RewriterBase &rewriter, AdamWOp op,
                            ArrayRef<unsigned> members) {
  Value steps = op.getStep();
  if (cast<ShapedType>(steps.getType()).getRank() == 0)
    return steps;
  Location loc = op.getLoc();
  SmallVector<Value> counts = llvm::map_to_vector(members, [&](unsigned i) {
    Value index = arith::ConstantIndexOp::create(rewriter, loc, i);
    return Value(tensor::ExtractOp::create(rewriter, loc, steps, index));
  });
  return tensor::FromElementsOp::create(rewriter, loc, counts);
}

/// An `optim.adamw` of `op`'s members `members` (its lr, step and
/// attributes), built before `op`, which then no longer has results used.
static AdamWOp extractMembers(RewriterBase &rewriter, AdamWOp op,
                              ArrayRef<unsigned> members) {
  auto pick = [&](auto range) {
    return llvm::map_to_vector(members,
                               [&](unsigned i) -> Value { return range[i]; });
  };
  SmallVector<SmallVector<Value>> lists = {
      pick(op.getParams()), pick(op.getGrads()), pick(op.getExpAvgs()),
      pick(op.getExpAvgSqs())};
  rewriter.setInsertionPoint(op);
  TypeRange types = ValueRange(lists[0]).getTypes();
  auto subset = AdamWOp::create(
      rewriter, op.getLoc(), types, types, types, lists[0], lists[1], lists[2],
      lists[3], op.getLr(), pickStepCounts(rewriter, op, members), op.getSkip(),
      op.getDynamicBeta1(), op.getBeta1Attr(), op.getBeta2Attr(),
      op.getEpsAttr(), op.getWeightDecayAttr(), op.getBiasCorrectionAttr(),
      op.getVariantAttr());
  subset->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  for (auto [k, i] : llvm::enumerate(members))
    for (auto [from, to] :
         {std::make_pair(op.getNewParams(), subset.getNewParams()),
          std::make_pair(op.getNewExpAvgs(), subset.getNewExpAvgs()),
          std::make_pair(op.getNewExpAvgSqs(), subset.getNewExpAvgSqs())})
      rewriter.replaceAllUsesWith(from[i], to[k]);
  return subset;
}

void OptimAssignPass::runOnOperation() {
  SmallVector<llvm::Regex> includes, excludes;
  if (failed(parseOptions(includes, excludes)))
    return signalPassFailure();
  SmallVector<AdamWOp> updates;
  getOperation()->walk([&](AdamWOp op) { updates.push_back(op); });
  IRRewriter rewriter(&getContext());
  for (AdamWOp op : updates) {
    SmallVector<unsigned> kept, moved;
    for (auto [i, param] : llvm::enumerate(op.getParams())) {
      std::string name = getParameterNameOrUnnamed(param);
      std::optional<std::string> keep =
          getKeepReason(param, name, includes, excludes);
      (keep ? kept : moved).push_back(i);
      if (keep && report)
        op.emitRemark() << "optim-assign: '" << name << "' " << param.getType()
                        << " keeps optim.adamw: " << *keep;
    }
    if (moved.empty())
      continue;
    // A bucket (several parameters in one op) is routed member by member:
    // each member that moves gets an op of its own, the rest stay a bucket.
    SmallVector<AdamWOp> singles = {op};
    if (op.getParams().size() > 1) {
      if (!kept.empty())
        extractMembers(rewriter, op, kept);
      singles = llvm::map_to_vector(
          moved, [&](unsigned i) { return extractMembers(rewriter, op, i); });
      rewriter.eraseOp(op);
    }
    for (AdamWOp single : singles) {
      Value param = single.getParams().front();
      std::optional<std::pair<int64_t, int64_t>> view =
          cast<RankedTensorType>(param.getType()).getRank() > 2
              ? getFlattenView(param)
              : std::nullopt;
      Operation *newOp = rewrite(rewriter, single);
      if (report) {
        InFlightDiagnostic remark =
            newOp->emitRemark()
            << "optim-assign: '" << getParameterNameOrUnnamed(param) << "' "
            << param.getType() << " -> " << newOp->getName() << ": ";
        if (view)
          remark << "convolution kernel, orthogonalized as its flatten view "
                 << view->first << "x" << view->second;
        else
          remark << "hidden matrix";
      }
      if (failed(verify(newOp)))
        return signalPassFailure();
    }
  }
}
