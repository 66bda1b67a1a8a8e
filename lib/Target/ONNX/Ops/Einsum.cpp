//===- Einsum.cpp - ONNX Einsum importer ----------------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Einsum (torch.einsum) as one linalg.generic per operand after the first,
// contracting it into the product so far (left to right, as ORT does; a
// single operand is one generic of its own): a loop per index, the kept
// indices parallel and in their order, the summed ones reductions after
// them; each operand reads its indices through its indexing map and the
// body accumulates their product into a zero-filled result. A contraction
// ("bhqd,bhkd->bhqk", "bij,bjk->bik") is then a multiply-accumulate generic
// with projected-permutation maps, which convert-matmul-to-blas runs as a
// (batched) GEMM where its dims group.
//
// The equation: letters (a–z, A–Z), one "..." per term for broadcast dims
// (aligned from the right, numpy-style: a dim of size 1 broadcasts), and an
// optional "->" output; without one, the output is the ellipsis dims and
// then the letters used exactly once, in ASCII order (numpy's). A letter
// repeated within an input term reads its diagonal ("ii->i", the trace
// "ii->", "bii->bi"): the operand's dims of that letter share one loop, so
// its indexing map names the loop twice. Rejected: a letter repeated in the
// output, an explicit output that drops the ellipsis dims, letters of one
// index with different sizes, and an output letter no input has.
//
// Forward only: ORT has no gradient for Einsum.
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <map>

using namespace mlir;
using namespace muon::onnx_import;

namespace {
/// The letters of one term and where its "..." sits (std::nullopt: none).
struct Term {
  std::string letters;
  std::optional<size_t> ellipsis;
};

/// An index of the einsum: a letter, or the k-th ellipsis dim.
struct Index {
  char letter = 0;
  int64_t ellipsisDim = -1;
  bool operator==(const Index &other) const {
    return letter == other.letter && ellipsisDim == other.ellipsisDim;
  }
};

/// A tensor and the index of each of its dims.
struct Operand {
  Value value;
  SmallVector<Index> indices;
};
} // namespace

/// Parses one term ("bij", "...d", "") of the equation; only input terms
/// may repeat a letter (a diagonal).
static FailureOr<Term> parseTerm(NodeContext &ctx, StringRef text,
                                 bool isOutput) {
  Term term;
  for (size_t i = 0; i < text.size();) {
    if (text.substr(i).starts_with("...")) {
      if (term.ellipsis)
        return ctx.emitError() << "term '" << text << "' has two ellipses";
      term.ellipsis = term.letters.size();
      i += 3;
      continue;
    }
    char c = text[i++];
    if (!llvm::isAlpha(c))
      return ctx.emitError() << "unexpected character '" << c
                             << "' in equation term '" << text << "'";
    if (isOutput && term.letters.find(c) != std::string::npos)
      return ctx.emitError()
             << "index '" << c << "' repeats in the output '" << text << "'";
    term.letters.push_back(c);
  }
  return term;
}

/// The indices of `term` on an operand of `rank` dims whose "..." spans the
/// last ones of `numEllipsis` ellipsis dims.
static SmallVector<Index> expandTerm(const Term &term, int64_t rank,
                                     int64_t numEllipsis) {
  SmallVector<Index> indices;
  int64_t spanned = rank - static_cast<int64_t>(term.letters.size());
  for (size_t i = 0; i <= term.letters.size(); ++i) {
    if (term.ellipsis == i)
      for (int64_t k = numEllipsis - spanned; k < numEllipsis; ++k)
        indices.push_back({0, k});
    if (i < term.letters.size())
      indices.push_back({term.letters[i], -1});
  }
  return indices;
}

/// Sum over the indices not in `result` of the product of `operands` (one
/// or two), with the result's dims in `result`'s order: one generic, its
/// output's loops first. An index spans the largest of its dims; a dim of
/// size 1 of a larger index is read at 0 (an ellipsis broadcast).
static Operand buildContraction(OpBuilder &b, Location loc,
                                ArrayRef<Operand> operands,
                                ArrayRef<Index> result, bool isFloat) {
  SmallVector<Index> loops(result);
  SmallVector<int64_t> sizes(result.size(), 1);
  for (const Operand &operand : operands) {
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(operand.value.getType()).getShape();
    for (auto [index, size] : llvm::zip(operand.indices, shape)) {
      auto *it = llvm::find(loops, index);
      if (it == loops.end()) {
        loops.push_back(index);
        sizes.push_back(size);
      } else if (sizes[it - loops.begin()] == 1) {
        sizes[it - loops.begin()] = size;
      }
    }
  }
  MLIRContext *context = b.getContext();
  auto getMap = [&](ArrayRef<Index> indices, ArrayRef<int64_t> shape) {
    SmallVector<AffineExpr> exprs;
    for (auto [index, size] : llvm::zip(indices, shape)) {
      unsigned loop = llvm::find(loops, index) - loops.begin();
      exprs.push_back(size == 1 && sizes[loop] != 1
                          ? getAffineConstantExpr(0, context)
                          : getAffineDimExpr(loop, context));
    }
    return AffineMap::get(loops.size(), 0, exprs, context);
  };
  SmallVector<AffineMap> maps;
  SmallVector<Value> inputs;
  for (const Operand &operand : operands) {
    inputs.push_back(operand.value);
    maps.push_back(
        getMap(operand.indices,
               cast<RankedTensorType>(operand.value.getType()).getShape()));
  }
  ArrayRef<int64_t> shape = ArrayRef(sizes).take_front(result.size());
  maps.push_back(getMap(result, shape));
  SmallVector<utils::IteratorType> iterators(result.size(),
                                             utils::IteratorType::parallel);
  iterators.append(loops.size() - result.size(),
                   utils::IteratorType::reduction);
  Type elementType = getElementTypeOrSelf(inputs.front().getType());
  Value init = buildFilled(b, loc, shape, b.getZeroAttr(elementType));
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, init, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        // acc + a·b: the multiply-accumulate body GEMM matching looks for.
        Value product = args[0];
        if (args.size() == 3)
          product =
              isFloat
                  ? arith::MulFOp::create(nb, nl, args[0], args[1]).getResult()
                  : arith::MulIOp::create(nb, nl, args[0], args[1]).getResult();
        Value sum = isFloat
                        ? arith::AddFOp::create(nb, nl, args.back(), product)
                              .getResult()
                        : arith::AddIOp::create(nb, nl, args.back(), product)
                              .getResult();
        linalg::YieldOp::create(nb, nl, sum);
      });
  return Operand{generic.getResult(0), SmallVector<Index>(result)};
}

static ImportResult importEinsum(NodeContext &ctx) {
  std::optional<std::string> attr = ctx.getStringAttr("equation");
  if (!attr)
    return ctx.emitError() << "expects attribute 'equation'";
  std::string equation;
  for (char c : *attr)
    if (c != ' ')
      equation.push_back(c);
  StringRef text(equation);
  auto [lhs, rhs] = text.split("->");
  bool explicitOutput = lhs.size() != text.size();
  SmallVector<StringRef> termTexts;
  lhs.split(termTexts, ',');
  unsigned numInputs = ctx.operands.size();
  if (numInputs == 0 || termTexts.size() != numInputs)
    return ctx.emitError() << "equation '" << *attr << "' has "
                           << termTexts.size() << " input term(s) for "
                           << numInputs << " input(s)";
  FailureOr<Type> elementType = getCommonElementType(ctx);
  if (failed(elementType))
    return failure();
  bool isFloat = isa<FloatType>(*elementType);
  if (!isFloat && !elementType->isSignlessInteger())
    return ctx.emitError() << "unsupported element type " << *elementType;

  // Each operand's indices; ellipsis dims aligned from the right.
  SmallVector<Term> terms;
  SmallVector<RankedTensorType> types;
  int64_t numEllipsis = 0;
  for (unsigned i = 0; i < numInputs; ++i) {
    FailureOr<Term> term = parseTerm(ctx, termTexts[i], /*isOutput=*/false);
    FailureOr<RankedTensorType> type = getOperandType(ctx, i);
    if (failed(term) || failed(type))
      return failure();
    int64_t spanned =
        type->getRank() - static_cast<int64_t>(term->letters.size());
    if (spanned < 0 || (spanned > 0 && !term->ellipsis))
      return ctx.emitError() << "term '" << termTexts[i] << "' does not fit "
                             << "input #" << i << " of type " << *type;
    numEllipsis = std::max(numEllipsis, spanned);
    terms.push_back(*term);
    types.push_back(*type);
  }
  // Each index's size, checked across operands (a size-1 ellipsis dim
  // broadcasts).
  SmallVector<Index> loops;
  SmallVector<int64_t> sizes;
  SmallVector<SmallVector<Index>> operandIndices;
  std::map<char, unsigned> uses; // ASCII order: the implicit output's
  for (unsigned i = 0; i < numInputs; ++i) {
    SmallVector<Index> indices =
        expandTerm(terms[i], types[i].getRank(), numEllipsis);
    for (auto [index, size] : llvm::zip(indices, types[i].getShape())) {
      if (index.letter)
        ++uses[index.letter];
      auto *it = llvm::find(loops, index);
      if (it == loops.end()) {
        loops.push_back(index);
        sizes.push_back(size);
        continue;
      }
      int64_t &known = sizes[it - loops.begin()];
      if (known == size || (index.letter == 0 && size == 1))
        continue;
      if (index.letter == 0 && known == 1) {
        known = size;
        continue;
      }
      InFlightDiagnostic diag = ctx.emitError();
      if (index.letter)
        diag << "index '" << index.letter << "'";
      else
        diag << "ellipsis dim " << index.ellipsisDim;
      return diag << " has sizes " << known << " and " << size;
    }
    operandIndices.push_back(std::move(indices));
  }

  // The output's indices.
  SmallVector<Index> output;
  if (explicitOutput) {
    FailureOr<Term> term = parseTerm(ctx, rhs, /*isOutput=*/true);
    if (failed(term))
      return failure();
    if (numEllipsis > 0 && !term->ellipsis)
      return ctx.emitError() << "the output '" << rhs << "' drops the "
                             << "inputs' ellipsis dims, which is not "
                                "supported";
    output = expandTerm(*term, term->letters.size() + numEllipsis, numEllipsis);
    for (char c : term->letters)
      if (!uses.count(c))
        return ctx.emitError()
               << "output index '" << c << "' is in no input term";
  } else {
    for (int64_t k = 0; k < numEllipsis; ++k)
      output.push_back({0, k});
    for (auto [letter, count] : uses)
      if (count == 1)
        output.push_back({letter, -1});
  }

  // Left to right, each operand contracted into the product so far, which
  // keeps the indices a later operand or the output has (ORT's order too).
  SmallVector<Operand> operands;
  for (unsigned i = 0; i < numInputs; ++i)
    operands.push_back({ctx.getOperand(i), operandIndices[i]});
  Operand product = operands.front();
  // A single operand is summed and transposed on its own.
  unsigned steps = std::max(numInputs - 1, 1u);
  for (unsigned step = 1; step <= steps; ++step) {
    SmallVector<Operand> pair = {product};
    if (step < numInputs)
      pair.push_back(operands[step]);
    SmallVector<Index> kept;
    if (step == steps) {
      kept = output;
    } else {
      auto laterOperands = ArrayRef(operands).drop_front(step + 1);
      for (const Operand &operand : pair)
        for (const Index &index : operand.indices)
          if (!llvm::is_contained(kept, index) &&
              (llvm::is_contained(output, index) ||
               llvm::any_of(laterOperands, [&](const Operand &later) {
                 return llvm::is_contained(later.indices, index);
               })))
            kept.push_back(index);
    }
    product = buildContraction(ctx.builder, ctx.loc, pair, kept, isFloat);
  }
  return SmallVector<Value>{product.value};
}

void muon::onnx_import::populateEinsumImporters(OpImporterRegistry &registry) {
  registry.add("", "Einsum", importEinsum, {/*since=*/12});
}
