//===- OptimOps.cpp - Operations of the optim dialect ---------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/IR/OptimOps.h"
#include "muon/Dialect/Optim/IR/OptimBytecode.h"

#include "mlir/Bytecode/BytecodeImplementation.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"
#include <cmath>

using namespace mlir;
using namespace muon::optim;

//===----------------------------------------------------------------------===//
// Matrix views
//===----------------------------------------------------------------------===//

int64_t MatrixShape::getBatchSize() const {
  int64_t size = 1;
  for (int64_t extent : batch)
    size *= extent;
  return size;
}

MatrixShape muon::optim::getMatrixShape(ShapedType type, MatrixView view) {
  ArrayRef<int64_t> shape = type.getShape();
  assert(shape.size() >= 2 && "matrix view of a tensor of rank < 2");
  if (view == MatrixView::batch)
    return {llvm::to_vector(shape.drop_back(2)), shape[shape.size() - 2],
            shape.back()};
  int64_t cols = 1;
  for (int64_t extent : shape.drop_front())
    cols *= extent;
  return {{}, shape.front(), cols};
}

bool muon::optim::isSameOrTransposed(const MatrixShape &a,
                                     const MatrixShape &b) {
  return (a.rows == b.rows && a.cols == b.cols) ||
         (a.rows == b.cols && a.cols == b.rows);
}

bool muon::optim::isTransposedMember(const MatrixShape &first,
                                     const MatrixShape &member) {
  return (first.rows < first.cols && member.rows > member.cols) ||
         (first.rows > first.cols && member.rows < member.cols);
}

MatrixShape muon::optim::getBucketMatrixShape(TypeRange types,
                                              MatrixView view) {
  MatrixShape first = getMatrixShape(cast<ShapedType>(types.front()), view);
  MatrixShape bucket{{0}, 0, 0};
  for (Type type : types) {
    MatrixShape member = getMatrixShape(cast<ShapedType>(type), view);
    if (isTransposedMember(first, member))
      std::swap(member.rows, member.cols);
    bucket.batch.front() += member.getBatchSize();
    bucket.rows = std::max(bucket.rows, member.rows);
    bucket.cols = std::max(bucket.cols, member.cols);
  }
  return bucket;
}

//===----------------------------------------------------------------------===//
// Shared verification
//===----------------------------------------------------------------------===//

/// Hyper-parameters print as the user wrote them (0.1, not 1.000000e-01).
static std::string formatValue(double value) {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", value);
  return text;
}

/// Moment decay rates must lie in [0, 1): at 1 the state never moves.
static LogicalResult verifyDecay(Operation *op, StringRef name, double value) {
  if (value >= 0.0 && value < 1.0)
    return success();
  return op->emitOpError() << "expects '" << name << "' in [0, 1), got "
                           << formatValue(value);
}

static LogicalResult verifyNonNegative(Operation *op, StringRef name,
                                       double value) {
  if (std::isfinite(value) && value >= 0.0)
    return success();
  return op->emitOpError() << "expects '" << name
                           << "' to be finite and >= 0, got "
                           << formatValue(value);
}

static LogicalResult verifyPositive(Operation *op, StringRef name,
                                    double value) {
  if (std::isfinite(value) && value > 0.0)
    return success();
  return op->emitOpError() << "expects '" << name
                           << "' to be finite and > 0, got "
                           << formatValue(value);
}

/// Every tensor operand must be addressable with the 64-bit index type the
/// lowering computes offsets in: its size in bytes must fit in an int64_t.
static LogicalResult verifyAddressable(Operation *op) {
  for (Type type : op->getOperandTypes()) {
    auto shaped = cast<ShapedType>(type);
    int64_t bytes = llvm::divideCeil(shaped.getElementTypeBitWidth(), 8);
    for (int64_t extent : shaped.getShape())
      if (llvm::MulOverflow(bytes, extent, bytes))
        return op->emitOpError()
               << "operand of type " << type
               << " has more bytes than a 64-bit index can address";
  }
  return success();
}

static LogicalResult verifyMatrixRank(Operation *op, Type type) {
  int64_t rank = cast<ShapedType>(type).getRank();
  if (rank >= 2)
    return success();
  return op->emitOpError() << "expects a matrix operand (rank >= 2), got rank "
                           << rank << "; use optim.adamw for vectors";
}

/// Rules for every op that runs Newton–Schulz iterations.
static LogicalResult verifyNewtonSchulzConfig(Operation *op, Type operandType,
                                              int64_t steps,
                                              NSScheduleAttr schedule,
                                              std::optional<Type> computeType) {
  if (failed(verifyMatrixRank(op, operandType)))
    return failure();
  if (steps < 1)
    return op->emitOpError()
           << "expects at least one Newton-Schulz iteration, got " << steps;
  // Lowering materializes a table of per-iteration coefficients; beyond a
  // few dozen iterations NS has long converged (torch caps it below 100).
  if (steps > kMaxNewtonSchulzSteps)
    return op->emitOpError() << "expects at most " << kMaxNewtonSchulzSteps
                             << " Newton-Schulz iterations, got " << steps;
  // Attributes built with the unchecked `get` (C++ or Python builders in
  // release builds) skip the attribute verifier: a NaN or infinite
  // coefficient would poison every update.
  if (schedule && failed(NSScheduleAttr::verify(
                      [&] { return op->emitOpError(); }, schedule.getKind(),
                      schedule.getCoefficients(), schedule.getAlgorithm(),
                      schedule.getRestarts())))
    return failure();
  if (DenseI64ArrayAttr restarts = schedule ? schedule.getRestarts() : nullptr)
    for (int64_t step : restarts.asArrayRef())
      if (step >= steps)
        return op->emitOpError()
               << "restarts its Gram iteration before step " << step << " of "
               << steps << "; restarts must be below " << steps;
  if (schedule && schedule.getKind() == NSScheduleKind::custom &&
      static_cast<int64_t>(schedule.getNumTuples()) != steps)
    return op->emitOpError()
           << "has a custom NS schedule of " << schedule.getNumTuples()
           << " (a, b, c) tuples for " << steps << " iterations";
  if (computeType &&
      !isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(*computeType))
    return op->emitOpError()
           << "expects 'compute_type' to be f16, bf16, f32 or f64, got "
           << *computeType;
  for (int64_t extent : cast<ShapedType>(operandType).getShape())
    if (extent == 0)
      return op->emitOpError()
             << "cannot orthogonalize an empty matrix " << operandType;
  return success();
}

template <typename OpTy> static NSScheduleAttr getScheduleOrQuintic(OpTy op) {
  if (NSScheduleAttr schedule = op.getScheduleAttr())
    return schedule;
  return NSScheduleAttr::get(op.getContext(), NSScheduleKind::quintic);
}

template <typename OpTy>
static Type getComputeTypeOrElement(OpTy op, Value operand) {
  if (std::optional<Type> type = op.getComputeType())
    return *type;
  return getElementTypeOrSelf(operand.getType());
}

//===----------------------------------------------------------------------===//
// Members of an update (one parameter, or a bucket of them)
//===----------------------------------------------------------------------===//

/// One member's operands as themselves, several in brackets.
static ParseResult
parseMembers(OpAsmParser &parser,
             SmallVectorImpl<OpAsmParser::UnresolvedOperand> &operands) {
  if (failed(parser.parseOptionalLSquare()))
    return parser.parseOperand(operands.emplace_back());
  return failure(parser.parseOperandList(operands) || parser.parseRSquare());
}

static void printMembers(OpAsmPrinter &printer, Operation *,
                         OperandRange operands) {
  if (operands.size() == 1) {
    printer << operands.front();
    return;
  }
  printer << '[' << operands << ']';
}

static ParseResult parseMemberTypes(OpAsmParser &parser,
                                    SmallVectorImpl<Type> &types) {
  if (failed(parser.parseOptionalLSquare()))
    return parser.parseType(types.emplace_back());
  // An empty list parses, for the verifier to reject with its message.
  if (succeeded(parser.parseOptionalRSquare()))
    return success();
  return failure(parser.parseTypeList(types) || parser.parseRSquare());
}

static void printMemberTypes(OpAsmPrinter &printer, Operation *,
                             TypeRange types) {
  if (types.size() == 1) {
    printer << types.front();
    return;
  }
  printer << '[' << types << ']';
}

/// Muon²'s results have the operands' types (see OptimOps.td).
static ParseResult parseMemberTypes(OpAsmParser &parser,
                                    SmallVectorImpl<Type> &types,
                                    SmallVectorImpl<Type> &newParams,
                                    SmallVectorImpl<Type> &newMomenta) {
  if (failed(parseMemberTypes(parser, types)))
    return failure();
  newParams.assign(types);
  newMomenta.assign(types);
  return success();
}

static void printMemberTypes(OpAsmPrinter &printer, Operation *op,
                             TypeRange types, TypeRange, TypeRange) {
  printMemberTypes(printer, op, types);
}

static ParseResult parseTypesTwice(OpAsmParser &parser,
                                   SmallVectorImpl<Type> &types,
                                   SmallVectorImpl<Type> &copies) {
  Type type;
  OptionalParseResult first = parser.parseOptionalType(type);
  if (first.has_value()) {
    if (failed(*first))
      return failure();
    types.push_back(type);
    while (succeeded(parser.parseOptionalComma()))
      if (parser.parseType(types.emplace_back()))
        return failure();
  }
  copies.assign(types);
  return success();
}

static void printTypesTwice(OpAsmPrinter &printer, Operation *, TypeRange types,
                            TypeRange) {
  printer << types;
}

/// At least one parameter, all of one element type.
static LogicalResult verifyMembers(Operation *op, ValueRange params) {
  if (params.empty())
    return op->emitOpError() << "expects at least one parameter";
  Type elementType = getElementTypeOrSelf(params.front().getType());
  for (Value param : params.drop_front())
    if (getElementTypeOrSelf(param.getType()) != elementType)
      return op->emitOpError()
             << "expects every parameter to have element type " << elementType
             << ", got " << param.getType();
  return success();
}

/// verifyMembers and the Newton–Schulz rules for each parameter. Members of
/// any matrix shapes share a bucket: their orthogonalizations run as one
/// batch of getBucketMatrixShape's (transposed and zero-padded) matrices.
template <typename OpTy> static LogicalResult verifyMatrixMembers(OpTy op) {
  OperandRange params = op.getParams();
  if (failed(verifyMembers(op, params)))
    return failure();
  for (Value param : params)
    if (failed(verifyNewtonSchulzConfig(op, param.getType(), op.getNsSteps(),
                                        op.getScheduleAttr(),
                                        op.getComputeType())))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// Updates
//===----------------------------------------------------------------------===//

/// The number of parameters an update op updates (none for other ops).
static std::optional<unsigned> getNumMembers(Operation *op) {
  return TypeSwitch<Operation *, std::optional<unsigned>>(op)
      .Case<MuonOp, Muon2Op, AdamWOp>(
          [](auto update) { return unsigned(update.getParams().size()); })
      .Default([](Operation *) { return std::nullopt; });
}

OpResult muon::optim::getReplacingResult(OpOperand &operand) {
  Operation *op = operand.getOwner();
  std::optional<unsigned> members = getNumMembers(op);
  if (!members)
    return {};
  // getUpdatedOperand's index map, inverted; the gradients (list 1) and the
  // scalars after the last list have no result.
  unsigned index = operand.getOperandNumber();
  if (index >= *members && index < 2 * *members)
    return {};
  unsigned result = index < *members ? index : index - *members;
  return result < op->getNumResults() ? op->getResult(result) : OpResult();
}

OpOperand *muon::optim::getUpdatedOperand(OpResult result) {
  Operation *op = result.getOwner();
  std::optional<unsigned> members = getNumMembers(op);
  if (!members)
    return nullptr;
  // Result list k updates operand list k + 1 from the states on (list 1
  // holds the gradients); Muon²-F's factor lists are twice as long, but
  // are the last of both.
  unsigned index = result.getResultNumber();
  return &op->getOpOperand(index < *members ? index : index + *members);
}

Value muon::optim::getSkip(Operation *op) {
  return TypeSwitch<Operation *, Value>(op)
      .Case<MuonOp, Muon2Op, AdamWOp>(
          [](auto update) -> Value { return update.getSkip(); })
      .Default([](Operation *) { return Value(); });
}

//===----------------------------------------------------------------------===//
// Bytecode of the updates
//===----------------------------------------------------------------------===//

/// An update's properties: its attributes in name order (as ODS's default
/// encoding has them), then its operand and result list sizes, which files
/// record from optim version `sizesSince` on; older files leave them zero
/// for upgradeFromVersion (OptimBytecode.cpp) to set from the operands.
template <size_t Operands, size_t Results, typename... Attrs>
static LogicalResult
readUpdateProperties(DialectBytecodeReader &reader,
                     std::array<int32_t, Operands> &operandSizes,
                     std::array<int32_t, Results> *resultSizes,
                     uint64_t sizesSince, Attrs &...attrs) {
  if ((failed(reader.readOptionalAttribute(attrs)) || ...))
    return failure();
  operandSizes.fill(0);
  if (resultSizes)
    resultSizes->fill(0);
  if (getOptimBytecodeVersion(reader) < sizesSince)
    return success();
  // Lists added later (`skip`, version 3) are trailing: older sizes leave
  // them at zero.
  if (failed(reader.readSparseArray(MutableArrayRef(operandSizes))))
    return failure();
  return failure(resultSizes &&
                 failed(reader.readSparseArray(MutableArrayRef(*resultSizes))));
}

template <size_t Operands, size_t Results, typename... Attrs>
static void writeUpdateProperties(DialectBytecodeWriter &writer,
                                  std::array<int32_t, Operands> &operandSizes,
                                  std::array<int32_t, Results> *resultSizes,
                                  Attrs &...attrs) {
  (writer.writeOptionalAttribute(attrs), ...);
  writer.writeSparseArray(ArrayRef(operandSizes));
  if (resultSizes)
    writer.writeSparseArray(ArrayRef(*resultSizes));
}

//===----------------------------------------------------------------------===//
// MuonOp
//===----------------------------------------------------------------------===//

NSScheduleAttr MuonOp::getScheduleOrDefault() {
  return getScheduleOrQuintic(*this);
}

Type MuonOp::getComputeElementType() {
  return getComputeTypeOrElement(*this, getParams().front());
}

/// A run-time momentum operand replaces the attribute, which must keep its
/// default (properties hold it when the attribute is absent).
template <typename OpTy> static LogicalResult verifyDynamicMomentum(OpTy op) {
  if (!op.getDynamicMomentum() || op.getMomentum().convertToDouble() == 0.95)
    return success();
  return op.emitOpError(
             "reads momentum from its operand; the momentum attribute (")
         << op.getMomentum().convertToDouble() << ") would be ignored";
}

LogicalResult MuonOp::verify() {
  if (failed(verifyDynamicMomentum(*this)) ||
      failed(verifyAddressable(*this)) || failed(verifyMatrixMembers(*this)) ||
      failed(verifyDecay(*this, getMomentumAttrName(),
                         getMomentum().convertToDouble())))
    return failure();
  return verifyNonNegative(*this, getWeightDecayAttrName(),
                           getWeightDecay().convertToDouble());
}

LogicalResult MuonOp::readProperties(DialectBytecodeReader &reader,
                                     OperationState &state) {
  Properties &p = state.getOrAddProperties<Properties>();
  return readUpdateProperties<6, 0>(
      reader, p.operandSegmentSizes, nullptr, /*sizesSince=*/3, p.compute_type,
      p.lr_adjust, p.momentum, p.nesterov, p.ns_steps, p.schedule, p.view,
      p.weight_decay);
}

void MuonOp::writeProperties(DialectBytecodeWriter &writer) {
  Properties &p = getProperties();
  writeUpdateProperties<6, 0>(
      writer, p.operandSegmentSizes, nullptr, p.compute_type, p.lr_adjust,
      p.momentum, p.nesterov, p.ns_steps, p.schedule, p.view, p.weight_decay);
}

//===----------------------------------------------------------------------===//
// Muon2Op
//===----------------------------------------------------------------------===//

NSScheduleAttr Muon2Op::getScheduleOrDefault() {
  return getScheduleOrQuintic(*this);
}

Type Muon2Op::getComputeElementType() {
  return getComputeTypeOrElement(*this, getParams().front());
}

/// Shape of the row (…×A×1) or column (…×1×B) factor of Muon²-F.
static RankedTensorType getFactorType(RankedTensorType paramType,
                                      MatrixView view, bool rows) {
  MatrixShape matrix = getMatrixShape(paramType, view);
  SmallVector<int64_t> shape = matrix.batch;
  shape.push_back(rows ? matrix.rows : 1);
  shape.push_back(rows ? 1 : matrix.cols);
  return RankedTensorType::get(shape, paramType.getElementType());
}

LogicalResult Muon2Op::verify() {
  if (failed(verifyDynamicMomentum(*this)) ||
      failed(verifyAddressable(*this)) || failed(verifyMatrixMembers(*this)) ||
      failed(verifyDecay(*this, getMomentumAttrName(),
                         getMomentum().convertToDouble())) ||
      failed(verifyDecay(*this, getBeta2AttrName(),
                         getBeta2().convertToDouble())) ||
      failed(verifyPositive(*this, getEpsAttrName(),
                            getEps().convertToDouble())) ||
      failed(verifyNonNegative(*this, getWeightDecayAttrName(),
                               getWeightDecay().convertToDouble())))
    return failure();

  OperandRange params = getParams();
  OperandRange moments = getSecondMoments();
  size_t perParam = moments.size() / params.size();
  if ((perParam != 1 && perParam != 2) ||
      moments.size() != perParam * params.size())
    return emitOpError() << "expects one second-moment operand (full) or two "
                            "(factored rows and columns) per parameter, got "
                         << moments.size() << " for " << params.size();
  for (auto [i, param] : llvm::enumerate(params)) {
    auto paramType = cast<RankedTensorType>(param.getType());
    OperandRange own = moments.slice(i * perParam, perParam);
    if (perParam == 1) {
      if (own[0].getType() != paramType)
        return emitOpError() << "expects the second moment to have the "
                                "parameter's type "
                             << paramType << ", got " << own[0].getType();
      continue;
    }
    RankedTensorType rowType = getFactorType(paramType, getView(), true);
    RankedTensorType colType = getFactorType(paramType, getView(), false);
    if (own[0].getType() != rowType || own[1].getType() != colType)
      return emitOpError() << "expects factored second moments of types "
                           << rowType << " and " << colType << ", got "
                           << own[0].getType() << " and " << own[1].getType();
  }
  return success();
}

LogicalResult Muon2Op::readProperties(DialectBytecodeReader &reader,
                                      OperationState &state) {
  Properties &p = state.getOrAddProperties<Properties>();
  return readUpdateProperties(
      reader, p.operandSegmentSizes, &p.resultSegmentSizes, /*sizesSince=*/2,
      p.beta2, p.compute_type, p.eps, p.lr_adjust, p.momentum, p.nesterov,
      p.ns_steps, p.schedule, p.view, p.weight_decay);
}

void Muon2Op::writeProperties(DialectBytecodeWriter &writer) {
  Properties &p = getProperties();
  writeUpdateProperties(writer, p.operandSegmentSizes, &p.resultSegmentSizes,
                        p.beta2, p.compute_type, p.eps, p.lr_adjust, p.momentum,
                        p.nesterov, p.ns_steps, p.schedule, p.view,
                        p.weight_decay);
}

//===----------------------------------------------------------------------===//
// AdamWOp
//===----------------------------------------------------------------------===//

LogicalResult AdamWOp::verify() {
  // Properties hold the default when the attribute is absent.
  if (getDynamicBeta1() && getBeta1().convertToDouble() != 0.9)
    return emitOpError("reads beta1 from its operand; the beta1 attribute (")
           << getBeta1().convertToDouble() << ") would be ignored";
  if (failed(verifyAddressable(*this)) ||
      failed(verifyMembers(*this, getParams())) ||
      failed(verifyDecay(*this, getBeta1AttrName(),
                         getBeta1().convertToDouble())) ||
      failed(verifyDecay(*this, getBeta2AttrName(),
                         getBeta2().convertToDouble())) ||
      failed(
          verifyPositive(*this, getEpsAttrName(), getEps().convertToDouble())))
    return failure();
  auto stepType = cast<RankedTensorType>(getStep().getType());
  if (stepType.getRank() == 1 &&
      stepType.getDimSize(0) != int64_t(getParams().size()))
    return emitOpError("has ")
           << getParams().size() << " members but " << stepType.getDimSize(0)
           << " step counts; a 1-d step holds one count per member";
  return verifyNonNegative(*this, getWeightDecayAttrName(),
                           getWeightDecay().convertToDouble());
}

LogicalResult AdamWOp::readProperties(DialectBytecodeReader &reader,
                                      OperationState &state) {
  Properties &p = state.getOrAddProperties<Properties>();
  return readUpdateProperties<8, 0>(reader, p.operandSegmentSizes, nullptr,
                                    /*sizesSince=*/3, p.beta1, p.beta2,
                                    p.bias_correction, p.eps, p.variant,
                                    p.weight_decay);
}

void AdamWOp::writeProperties(DialectBytecodeWriter &writer) {
  Properties &p = getProperties();
  writeUpdateProperties<8, 0>(writer, p.operandSegmentSizes, nullptr, p.beta1,
                              p.beta2, p.bias_correction, p.eps, p.variant,
                              p.weight_decay);
}

//===----------------------------------------------------------------------===//
// ONNX training optimizers
//===----------------------------------------------------------------------===//

/// Checks each (name, value) with `verifyNonNegative`.
static LogicalResult
verifyNonNegative(Operation *op,
                  std::initializer_list<std::pair<StringRef, double>> values) {
  for (auto [name, value] : values)
    if (failed(verifyNonNegative(op, name, value)))
      return failure();
  return success();
}

LogicalResult MomentumOp::verify() {
  return verifyNonNegative(
      *this,
      {{getAlphaAttrName(), getAlpha().convertToDouble()},
       {getBetaAttrName(), getBeta().convertToDouble()},
       {getNormCoefficientAttrName(), getNormCoefficient().convertToDouble()}});
}

LogicalResult AdagradOp::verify() {
  return verifyNonNegative(
      *this,
      {{getDecayFactorAttrName(), getDecayFactor().convertToDouble()},
       {getEpsilonAttrName(), getEpsilon().convertToDouble()},
       {getNormCoefficientAttrName(), getNormCoefficient().convertToDouble()}});
}

LogicalResult AdamOp::verify() {
  // alpha = 1 or beta = 1 would divide by 1 − alpha^T = 0 at T > 0.
  if (failed(verifyDecay(*this, getAlphaAttrName(),
                         getAlpha().convertToDouble())) ||
      failed(
          verifyDecay(*this, getBetaAttrName(), getBeta().convertToDouble())) ||
      failed(verifyDecay(*this, getNormCoefficientPostAttrName(),
                         getNormCoefficientPost().convertToDouble())))
    return failure();
  return verifyNonNegative(
      *this,
      {{getEpsilonAttrName(), getEpsilon().convertToDouble()},
       {getNormCoefficientAttrName(), getNormCoefficient().convertToDouble()}});
}

//===----------------------------------------------------------------------===//
// NewtonSchulzOp
//===----------------------------------------------------------------------===//

NSScheduleAttr NewtonSchulzOp::getScheduleOrDefault() {
  return getScheduleOrQuintic(*this);
}

Type NewtonSchulzOp::getComputeElementType() {
  return getComputeTypeOrElement(*this, getInput());
}

LogicalResult NewtonSchulzOp::verify() {
  if (failed(verifyAddressable(*this)))
    return failure();
  return verifyNewtonSchulzConfig(*this, getInput().getType(), getSteps(),
                                  getScheduleAttr(), getComputeType());
}

//===----------------------------------------------------------------------===//
// QKClipOp
//===----------------------------------------------------------------------===//

/// W_q or W_k must split into `numHeads` chunks along the head axis.
static LogicalResult verifyHeadSplit(QKClipOp op, StringRef name,
                                     ShapedType type, int64_t numHeads,
                                     int64_t chunk) {
  auto axis = static_cast<int64_t>(op.getHeadAxis());
  int64_t extent = type.getDimSize(axis);
  // Divides rather than multiplies: huge head counts must not overflow.
  if (extent % numHeads == 0 && extent / numHeads == chunk)
    return success();
  return op.emitOpError() << "expects " << name << " to have " << numHeads
                          << " heads x " << chunk << " entries along head axis "
                          << axis << ", got " << extent;
}

LogicalResult QKClipOp::verify() {
  auto wqType = cast<ShapedType>(getWq().getType());
  auto wkType = cast<ShapedType>(getWk().getType());
  auto logitsType = cast<ShapedType>(getMaxLogits().getType());
  // I64Attr accessors are unsigned; negative values must stay negative here.
  auto numHeads = static_cast<int64_t>(getNumHeads());
  int64_t numKeyHeads = getNumKeyHeads();
  auto headAxis = static_cast<int64_t>(getHeadAxis());
  auto headDim = static_cast<int64_t>(getHeadDim());
  auto vHeadDim = static_cast<int64_t>(getVHeadDim());

  if (failed(verifyAddressable(*this)))
    return failure();
  if (wqType.getElementType() != wkType.getElementType() ||
      wqType.getRank() != wkType.getRank())
    return emitOpError() << "expects W_q and W_k of the same rank and element "
                            "type, got "
                         << wqType << " and " << wkType;
  if (headAxis < 0 || headAxis >= wqType.getRank())
    return emitOpError() << "expects 'head_axis' in [0, " << wqType.getRank()
                         << "), got " << headAxis;
  if (numHeads < 1 || numKeyHeads < 1 || headDim < 1)
    return emitOpError() << "expects positive 'num_heads', 'num_kv_heads' and "
                            "'head_dim'";
  if (numHeads % numKeyHeads != 0)
    return emitOpError() << "expects 'num_heads' (" << numHeads
                         << ") to be a multiple of 'num_kv_heads' ("
                         << numKeyHeads << ")";
  if (isMLA()) {
    auto ropeHeadDim = static_cast<int64_t>(*getRopeHeadDim());
    if (ropeHeadDim < 1)
      return emitOpError() << "expects a positive 'rope_head_dim', got "
                           << ropeHeadDim;
    if (numKeyHeads != numHeads)
      return emitOpError() << "MLA expects one key head per query head";
  }
  if (vHeadDim < 0 || (vHeadDim != 0 && !isMLA()))
    return emitOpError() << "'v_head_dim' is only meaningful for MLA "
                            "('rope_head_dim' set) and must be >= 0";
  // The per-head chunks (getQueryChunk, getKeyChunk) are these sums.
  int64_t chunk;
  if (llvm::AddOverflow(
          headDim, static_cast<int64_t>(getRopeHeadDim().value_or(0)), chunk) ||
      llvm::AddOverflow(headDim, vHeadDim, chunk))
    return emitOpError() << "expects 'head_dim' plus 'rope_head_dim' or "
                            "'v_head_dim' to fit in 64 bits";
  if (failed(
          verifyHeadSplit(*this, "W_q", wqType, numHeads, getQueryChunk())) ||
      failed(verifyHeadSplit(*this, "W_k", wkType, numKeyHeads, getKeyChunk())))
    return failure();
  if (logitsType.getRank() != 1 || logitsType.getDimSize(0) != numHeads)
    return emitOpError() << "expects 'max_logits' of shape [" << numHeads
                         << "] (one per query head), got " << logitsType;
  if (failed(
          verifyPositive(*this, getTauAttrName(), getTau().convertToDouble())))
    return failure();
  double alpha = getAlpha().convertToDouble();
  if (!(alpha >= 0.0 && alpha <= 1.0))
    return emitOpError() << "expects 'alpha' in [0, 1], got "
                         << formatValue(alpha);
  return success();
}

#define GET_OP_CLASSES
#include "muon/Dialect/Optim/IR/OptimOps.cpp.inc"
