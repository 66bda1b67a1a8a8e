//===- GemmMatch.cpp - Contractions the runtime GEMMs compute -------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Utils/GemmMatch.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"

using namespace mlir;

namespace {
enum class DimKind { Batch, M, N, K };

/// The role of each loop dim from which operands use it.
FailureOr<SmallVector<DimKind>>
classifyDims(ArrayRef<AffineMap> maps,
             ArrayRef<utils::IteratorType> iterators) {
  SmallVector<DimKind> kinds;
  for (unsigned d = 0, e = iterators.size(); d < e; ++d) {
    bool a = maps[0].isFunctionOfDim(d), b = maps[1].isFunctionOfDim(d),
         c = maps[2].isFunctionOfDim(d);
    if (iterators[d] == utils::IteratorType::reduction && a && b && !c)
      kinds.push_back(DimKind::K);
    else if (iterators[d] == utils::IteratorType::parallel && c)
      kinds.push_back(a && b ? DimKind::Batch : a ? DimKind::M : DimKind::N);
    else
      return failure();
    if (c && !a && !b)
      return failure(); // a broadcast into the result
  }
  return kinds;
}
} // namespace

FailureOr<muon::GemmMatch> muon::matchGemm(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !linalg::isaContractionOpInterface(op))
    return failure();
  return matchGemm(op.getIndexingMapsArray(), op.getIteratorTypesArray());
}

FailureOr<muon::GemmMatch>
muon::matchGemm(ArrayRef<AffineMap> maps,
                ArrayRef<utils::IteratorType> iterators) {
  // A 0-d result (a dot product) has no matrix to write.
  if (maps.size() != 3 || maps[2].getNumResults() == 0 ||
      !llvm::all_of(maps,
                    [](AffineMap map) { return map.isProjectedPermutation(); }))
    return failure();
  FailureOr<SmallVector<DimKind>> kinds = classifyDims(maps, iterators);
  if (failed(kinds))
    return failure();
  GemmMatch match;
  // A product broadcast along the result's leading dims, as MLP-Mixer's
  // token mixing [M, K]·[b, K, N] -> [b, M, N]: classified N (A does not
  // read them), they are batch dims of B; per batch index, one plain GEMM.
  // (Leading dims A reads alone are M dims: C's rows span them.)
  SmallVector<unsigned> resultDims =
      llvm::map_to_vector(maps[2].getResults(), [](AffineExpr expr) {
        return cast<AffineDimExpr>(expr).getPosition();
      });
  auto leadEnd = llvm::find_if(resultDims, [&](unsigned dim) {
    return (*kinds)[dim] != (*kinds)[resultDims.front()];
  });
  DimKind lead = (*kinds)[resultDims.front()];
  auto hasKind = [&](DimKind kind) {
    return llvm::any_of(llvm::make_range(leadEnd, resultDims.end()),
                        [&](unsigned dim) { return (*kinds)[dim] == kind; });
  };
  if (lead == DimKind::N && hasKind(DimKind::M) && hasKind(DimKind::N)) {
    for (unsigned dim : llvm::make_range(resultDims.begin(), leadEnd))
      (*kinds)[dim] = DimKind::Batch;
    match.broadcastA = true;
  }

  // Each operand's dims as runs of one kind, batch dims first; the loop
  // dims of a kind must come in the same order in every operand that has
  // them.
  SmallVector<DimKind> runs[3];
  SmallVector<unsigned> order[4];
  bool seen[4] = {false, false, false, false};
  for (unsigned operand = 0; operand < 3; ++operand) {
    SmallVector<unsigned> dimsOfKind[4];
    SmallVector<int64_t> batchFirst, matrix;
    for (auto [position, expr] : llvm::enumerate(maps[operand].getResults())) {
      unsigned dim = cast<AffineDimExpr>(expr).getPosition();
      DimKind kind = (*kinds)[dim];
      dimsOfKind[static_cast<unsigned>(kind)].push_back(dim);
      (kind == DimKind::Batch ? batchFirst : matrix).push_back(position);
    }
    llvm::append_range(batchFirst, matrix);
    for (auto [index, position] : llvm::enumerate(batchFirst)) {
      unsigned dim =
          cast<AffineDimExpr>(maps[operand].getResult(position)).getPosition();
      DimKind kind = (*kinds)[dim];
      if (runs[operand].empty() || runs[operand].back() != kind) {
        runs[operand].push_back(kind);
        match.groups[operand].emplace_back();
      }
      match.groups[operand].back().push_back(index);
    }
    if (!isIdentityPermutation(batchFirst))
      match.permutations[operand] = std::move(batchFirst);
    for (unsigned kind = 0; kind < 4; ++kind) {
      if (dimsOfKind[kind].empty())
        continue;
      if (seen[kind] && order[kind] != dimsOfKind[kind])
        return failure();
      seen[kind] = true;
      order[kind] = dimsOfKind[kind];
    }
  }

  using K = DimKind;
  match.hasBatch = runs[2].front() == K::Batch;
  auto is = [&](unsigned operand, std::initializer_list<DimKind> matrix) {
    ArrayRef<DimKind> kindsOfRuns = runs[operand];
    if (match.hasBatch && !match.isBroadcast(operand)) {
      if (kindsOfRuns.front() != K::Batch)
        return false;
      kindsOfRuns = kindsOfRuns.drop_front();
    }
    return kindsOfRuns == ArrayRef<DimKind>(matrix);
  };
  if (!is(2, {K::M, K::N}))
    return failure();
  match.transposeA = is(0, {K::K, K::M});
  if (!match.transposeA && !is(0, {K::M, K::K}))
    return failure();
  match.transposeB = is(1, {K::N, K::K});
  if (!match.transposeB && !is(1, {K::K, K::N}))
    return failure();
  return match;
}
