//===- OptimAttrs.cpp - Attributes of the optim dialect -------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/IR/OptimAttrs.h"
#include "muon/Dialect/Optim/IR/OptimDialect.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"
#include <cmath>

using namespace mlir;
using namespace muon::optim;

#include "muon/Dialect/Optim/IR/OptimEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "muon/Dialect/Optim/IR/OptimAttrs.cpp.inc"

void OptimDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "muon/Dialect/Optim/IR/OptimAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// NSScheduleAttr
//===----------------------------------------------------------------------===//

/// Keller Jordan's quintic, tuned for fast growth of small singular values.
static constexpr std::array<double, 3> kQuintic = {3.4445, -4.7750, 2.0315};

/// Polar Express (Amsel et al., arXiv 2505.16932), safety factor included, as
/// used by modded-nanogpt.
static constexpr std::array<std::array<double, 3>, 5> kPolarExpress = {{
    {8.156554524902461, -22.48329292557795, 15.878769915207462},
    {4.042929935166739, -2.808917465908714, 0.5000178451051316},
    {3.8916678022926607, -2.772484153217685, 0.5060648178503393},
    {3.285753657755655, -2.3681294933425376, 0.46449024233003106},
    {2.3465413258596377, -1.7097828382687081, 0.42323551169305323},
}};

/// Restarts are Gram's alone, and each must come after the one before it.
static LogicalResult
verifyRestarts(function_ref<InFlightDiagnostic()> emitError,
               NSAlgorithm algorithm, DenseI64ArrayAttr restartsAttr) {
  if (!restartsAttr)
    return success();
  if (algorithm != NSAlgorithm::gram)
    return emitError() << "NS restarts need the 'gram' algorithm, got '"
                       << stringifyNSAlgorithm(algorithm) << "'";
  int64_t previous = 0;
  for (int64_t step : restartsAttr.asArrayRef()) {
    if (step <= previous)
      return emitError() << "NS restarts must be increasing steps >= 1, got "
                         << step << (previous ? " after " : "")
                         << (previous ? std::to_string(previous) : "");
    previous = step;
  }
  return success();
}

LogicalResult
NSScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                       NSScheduleKind kind, DenseF64ArrayAttr coefficientsAttr,
                       NSAlgorithm algorithm, DenseI64ArrayAttr restartsAttr) {
  if (failed(verifyRestarts(emitError, algorithm, restartsAttr)))
    return failure();
  ArrayRef<double> coefficients;
  if (coefficientsAttr)
    coefficients = coefficientsAttr.asArrayRef();
  if (kind != NSScheduleKind::custom) {
    if (!coefficients.empty())
      return emitError() << "NS schedule '" << stringifyNSScheduleKind(kind)
                         << "' takes no coefficients";
    return success();
  }
  if (coefficients.empty() || coefficients.size() % 3 != 0)
    return emitError() << "custom NS schedule needs one or more (a, b, c) "
                          "tuples, got "
                       << coefficients.size() << " coefficients";
  for (auto [index, c] : llvm::enumerate(coefficients))
    if (!std::isfinite(c))
      return emitError() << "custom NS schedule coefficient "
                         << StringRef("abc").substr(index % 3, 1)
                         << " of tuple " << index / 3 << " must be finite, got "
                         << (std::isnan(c) ? "NaN"
                             : c > 0       ? "+inf"
                                           : "-inf");
  return success();
}

Attribute NSScheduleAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseLess() || parser.parseKeyword(&keyword))
    return {};
  std::optional<NSScheduleKind> kind = symbolizeNSScheduleKind(keyword);
  if (!kind) {
    parser.emitError(loc, "unknown NS schedule '")
        << keyword << "', expected 'quintic', 'polar_express' or 'custom'";
    return {};
  }
  SmallVector<double> coefficients;
  if (*kind == NSScheduleKind::custom) {
    auto parseTuple = [&]() -> ParseResult {
      std::array<double, 3> abc;
      if (parser.parseLParen() || parser.parseFloat(abc[0]) ||
          parser.parseComma() || parser.parseFloat(abc[1]) ||
          parser.parseComma() || parser.parseFloat(abc[2]) ||
          parser.parseRParen())
        return failure();
      coefficients.append(abc.begin(), abc.end());
      return success();
    };
    if (parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, parseTuple,
                                       " in custom NS schedule"))
      return {};
  }
  NSAlgorithm algorithm = NSAlgorithm::automatic;
  DenseI64ArrayAttr restartsAttr;
  if (succeeded(parser.parseOptionalComma())) {
    SMLoc algorithmLoc = parser.getCurrentLocation();
    if (parser.parseKeyword(&keyword))
      return {};
    std::optional<NSAlgorithm> parsed = symbolizeNSAlgorithm(keyword);
    if (!parsed) {
      parser.emitError(algorithmLoc, "unknown NS algorithm '")
          << keyword << "', expected 'auto', 'standard' or 'gram'";
      return {};
    }
    algorithm = *parsed;
    if (succeeded(parser.parseOptionalKeyword("restarts"))) {
      SmallVector<int64_t> restarts;
      if (parser.parseCommaSeparatedList(
              AsmParser::Delimiter::Square,
              [&] { return parser.parseInteger(restarts.emplace_back()); },
              " in NS restarts"))
        return {};
      restartsAttr = DenseI64ArrayAttr::get(parser.getContext(), restarts);
    }
  }
  if (parser.parseGreater())
    return {};
  DenseF64ArrayAttr coefficientsAttr;
  if (!coefficients.empty())
    coefficientsAttr =
        DenseF64ArrayAttr::get(parser.getContext(), coefficients);
  return parser.getChecked<NSScheduleAttr>(loc, parser.getContext(), *kind,
                                           coefficientsAttr, algorithm,
                                           restartsAttr);
}

void NSScheduleAttr::print(AsmPrinter &printer) const {
  printer << '<' << stringifyNSScheduleKind(getKind());
  if (getKind() == NSScheduleKind::custom) {
    printer << " [";
    ArrayRef<double> coefficients = getCoefficientValues();
    for (size_t i = 0, e = coefficients.size(); i < e; i += 3) {
      if (i)
        printer << ", ";
      printer << '(';
      printer.printFloat(APFloat(coefficients[i]));
      printer << ", ";
      printer.printFloat(APFloat(coefficients[i + 1]));
      printer << ", ";
      printer.printFloat(APFloat(coefficients[i + 2]));
      printer << ')';
    }
    printer << ']';
  }
  if (getAlgorithm() != NSAlgorithm::automatic)
    printer << ", " << stringifyNSAlgorithm(getAlgorithm());
  if (DenseI64ArrayAttr restarts = getRestarts()) {
    printer << " restarts [";
    llvm::interleaveComma(restarts.asArrayRef(), printer);
    printer << ']';
  }
  printer << '>';
}

SmallVector<std::array<double, 3>>
NSScheduleAttr::getTuples(int64_t steps) const {
  SmallVector<std::array<double, 3>> tuples;
  for (int64_t i = 0; i < steps; ++i) {
    switch (getKind()) {
    case NSScheduleKind::quintic:
      tuples.push_back(kQuintic);
      break;
    case NSScheduleKind::polar_express:
      tuples.push_back(kPolarExpress[std::min<int64_t>(i, 4)]);
      break;
    case NSScheduleKind::custom: {
      // The verifier of the using op ties `steps` to the tuple count; past
      // the list the last tuple repeats, as for Polar Express.
      size_t t = std::min<size_t>(i, getNumTuples() - 1);
      ArrayRef<double> c = getCoefficientValues();
      tuples.push_back({c[3 * t], c[3 * t + 1], c[3 * t + 2]});
      break;
    }
    }
  }
  return tuples;
}

double NSScheduleAttr::getNormScale() const {
  return getKind() == NSScheduleKind::polar_express ? 1.02 : 1.0;
}

double NSScheduleAttr::getNormEps() const {
  return getKind() == NSScheduleKind::polar_express ? 1e-6 : 1e-7;
}

SmallVector<int64_t> NSScheduleAttr::getRestartSteps(int64_t steps) const {
  if (DenseI64ArrayAttr restarts = getRestarts())
    return llvm::to_vector(restarts.asArrayRef());
  // Every two steps: sparser restarts let R drift far from X Xᵀ in bf16
  // (docs/formulas.md has the measurements).
  SmallVector<int64_t> every2;
  for (int64_t step = 2; step < steps; step += 2)
    every2.push_back(step);
  return every2;
}

NSScheduleAttr NSScheduleAttr::withAlgorithm(NSAlgorithm algorithm) const {
  return get(getContext(), getKind(), getCoefficients(), algorithm,
             algorithm == NSAlgorithm::gram ? getRestarts()
                                            : DenseI64ArrayAttr());
}
