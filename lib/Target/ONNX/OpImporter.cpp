//===- OpImporter.cpp - Per-op ONNX node importers ------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Target/ONNX/OpImporter.h"

#include "TypeConversion.h"
#include "muon/Target/ONNX/TensorProto.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace muon::onnx_import;
using onnx::AttributeProto;

/// "" and "ai.onnx" both name the default domain.
static StringRef normalizeDomain(StringRef domain) {
  return domain == "ai.onnx" ? StringRef() : domain;
}

/// Registry key: domain and op type cannot contain '\0'.
static std::string getKey(StringRef domain, StringRef opType) {
  return (normalizeDomain(domain) + Twine('\0') + opType).str();
}

void OpImporterRegistry::add(StringRef domain, StringRef opType, OpImportFn fn,
                             OpsetRange versions) {
  if (versions.until == 0)
    versions.until = getLatestOpset(normalizeDomain(domain));
  importers[getKey(domain, opType)] = {std::move(fn), versions};
}

const RegisteredImporter *OpImporterRegistry::lookup(StringRef domain,
                                                     StringRef opType) const {
  auto it = importers.find(getKey(domain, opType));
  return it == importers.end() ? nullptr : &it->second;
}

void OpImporterRegistry::setFlag(StringRef domain, ArrayRef<StringRef> opTypes,
                                 bool RegisteredImporter::*flag) {
  for (StringRef opType : opTypes) {
    auto it = importers.find(getKey(domain, opType));
    assert(it != importers.end() && "op must be registered first");
    it->second.*flag = true;
  }
}

void OpImporterRegistry::acceptUnsigned(StringRef domain,
                                        ArrayRef<StringRef> opTypes) {
  setFlag(domain, opTypes, &RegisteredImporter::acceptsUnsigned);
}

void OpImporterRegistry::acceptMinifloats(StringRef domain,
                                          ArrayRef<StringRef> opTypes) {
  setFlag(domain, opTypes, &RegisteredImporter::acceptsMinifloats);
}

int64_t OpImporterRegistry::getLatestOpset(StringRef domain) {
  // Each registration's `since` was checked against ONNX 1.23's operator
  // history (onnx.defs); a newer opset may redefine any op.
  return normalizeDomain(domain).empty() ? 28 : 1;
}

int64_t NodeContext::getNumResults() const { return node.output_size(); }

std::optional<RankedTensorType>
NodeContext::getDeclaredResultType(unsigned index) const {
  return index < declaredResultTypes.size() ? declaredResultTypes[index]
                                            : std::nullopt;
}

Value NodeContext::getOperand(unsigned index) const {
  return index < operands.size() ? operands[index] : Value();
}

std::optional<ArrayRef<Value>>
NodeContext::getSequenceOperand(unsigned index) const {
  if (index >= sequenceOperands.size() || !sequenceOperands[index])
    return std::nullopt;
  return ArrayRef<Value>(*sequenceOperands[index]);
}

const AttributeProto *NodeContext::getAttr(StringRef name) const {
  readAttrs.insert(name);
  for (const AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

/// The attribute `name` if present with type `type`; a present attribute of
/// another type is reported at the node and yields null.
static const AttributeProto *getTypedAttr(const NodeContext &ctx,
                                          StringRef name,
                                          AttributeProto::AttributeType type) {
  const AttributeProto *attr = ctx.getAttr(name);
  if (!attr)
    return nullptr;
  // Old exporters leave `type` unset; trust the populated field then.
  if (attr->has_type() && attr->type() != type) {
    ctx.emitError() << "attribute '" << name << "' must be of type "
                    << AttributeProto::AttributeType_Name(type) << ", got "
                    << AttributeProto::AttributeType_Name(attr->type());
    ctx.hadAttributeError = true;
    return nullptr;
  }
  return attr;
}

std::optional<int64_t> NodeContext::getIntAttr(StringRef name) const {
  if (const AttributeProto *attr =
          getTypedAttr(*this, name, AttributeProto::INT))
    return attr->i();
  return std::nullopt;
}

const onnx::GraphProto *NodeContext::getGraphAttr(StringRef name) const {
  if (const AttributeProto *attr =
          getTypedAttr(*this, name, AttributeProto::GRAPH))
    return &attr->g();
  return nullptr;
}

std::optional<float> NodeContext::getFloatAttr(StringRef name) const {
  if (const AttributeProto *attr =
          getTypedAttr(*this, name, AttributeProto::FLOAT))
    return attr->f();
  return std::nullopt;
}

std::optional<std::string> NodeContext::getStringAttr(StringRef name) const {
  if (const AttributeProto *attr =
          getTypedAttr(*this, name, AttributeProto::STRING))
    return attr->s();
  return std::nullopt;
}

std::optional<SmallVector<int64_t>>
NodeContext::getIntsAttr(StringRef name) const {
  if (const AttributeProto *attr =
          getTypedAttr(*this, name, AttributeProto::INTS))
    return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
  return std::nullopt;
}

Type NodeContext::convertDataType(int32_t dataType) const {
  return getElementType(builder.getContext(), dataType);
}

std::optional<DenseElementsAttr>
NodeContext::getTensorAttr(StringRef name) const {
  const AttributeProto *attr =
      getTypedAttr(*this, name, AttributeProto::TENSOR);
  if (!attr)
    return std::nullopt;
  llvm::Expected<DecodedTensor> decoded = decodeTensor(attr->t());
  Type elementType =
      decoded ? getElementType(builder.getContext(), decoded->dataType)
              : Type();
  if (!decoded || !elementType) {
    InFlightDiagnostic diag = emitError() << "attribute '" << name << "': ";
    if (!decoded)
      diag << llvm::toString(decoded.takeError());
    else
      diag << "unsupported element type " << getDataTypeName(decoded->dataType);
    hadAttributeError = true;
    return std::nullopt;
  }
  return getDenseAttr(RankedTensorType::get(decoded->shape, elementType),
                      *decoded);
}

std::optional<SmallVector<float>>
NodeContext::getFloatsAttr(StringRef name) const {
  if (const AttributeProto *attr =
          getTypedAttr(*this, name, AttributeProto::FLOATS))
    return SmallVector<float>(attr->floats().begin(), attr->floats().end());
  return std::nullopt;
}

StringRef NodeContext::getName() const {
  if (!node.name().empty())
    return node.name();
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName();
  return node.op_type();
}

InFlightDiagnostic NodeContext::emitError() const {
  StringRef domain = normalizeDomain(node.domain());
  return mlir::emitError(loc)
         << "node '" << getName() << "' (" << node.op_type() << ", domain '"
         << (domain.empty() ? StringRef("ai.onnx") : domain) << "'): ";
}
