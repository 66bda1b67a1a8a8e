//===- TypeConversion.cpp - ONNX types and tensors to MLIR ----------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "TypeConversion.h"
#include "muon/Target/ONNX/TensorProto.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace muon::onnx_import;

Type muon::onnx_import::getElementType(MLIRContext *context, int32_t dataType) {
  Builder b(context);
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case kFloat4E2M1:
    return b.getType<Float4E2M1FNType>();
  case kFloat8E4M3FN:
    return b.getType<Float8E4M3FNType>();
  case kFloat8E4M3FNUZ:
    return b.getType<Float8E4M3FNUZType>();
  case kFloat8E5M2:
    return b.getType<Float8E5M2Type>();
  case kFloat8E5M2FNUZ:
    return b.getType<Float8E5M2FNUZType>();
  case kInt2:
    return b.getIntegerType(2);
  case kInt4:
    return b.getIntegerType(4);
  case onnx::TensorProto::INT8:
    return b.getI8Type();
  case onnx::TensorProto::INT16:
    return b.getI16Type();
  case onnx::TensorProto::INT32:
    return b.getI32Type();
  case onnx::TensorProto::INT64:
    return b.getI64Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  // Unsigned while importing (see isUnsignedTensor); signless after.
  case kUInt2:
    return IntegerType::get(context, 2, IntegerType::Unsigned);
  case kUInt4:
    return IntegerType::get(context, 4, IntegerType::Unsigned);
  case onnx::TensorProto::UINT8:
    return IntegerType::get(context, 8, IntegerType::Unsigned);
  case onnx::TensorProto::UINT16:
    return IntegerType::get(context, 16, IntegerType::Unsigned);
  case onnx::TensorProto::UINT32:
    return IntegerType::get(context, 32, IntegerType::Unsigned);
  case onnx::TensorProto::UINT64:
    return IntegerType::get(context, 64, IntegerType::Unsigned);
  default:
    return {};
  }
}

DenseElementsAttr
muon::onnx_import::getDenseAttr(RankedTensorType type,
                                const DecodedTensor &decoded) {
  if (type.getElementType().isInteger(1)) {
    SmallVector<bool> bits(decoded.bytes.begin(), decoded.bytes.end());
    return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  }
  ArrayRef<char> raw(reinterpret_cast<const char *>(decoded.bytes.data()),
                     decoded.bytes.size());
  return DenseElementsAttr::getFromRawBuffer(type, raw);
}

FailureOr<Type> ONNXTypeConverter::convertElementType(int32_t dataType,
                                                      Location loc,
                                                      StringRef name) {
  if (Type type = getElementType(context, dataType))
    return type;
  return emitError(loc)
         << "'" << name << "' has unsupported element type "
         << getDataTypeName(dataType)
         << " (supported: FLOAT, DOUBLE, FLOAT16, BFLOAT16, "
            "FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, "
            "FLOAT8E5M2FNUZ, FLOAT4E2M1, INT2, INT4, INT8, INT16, INT32, "
            "INT64, UINT2, UINT4, UINT8, UINT16, UINT32, "
            "UINT64, BOOL)";
}

bool ONNXTypeConverter::exceedsSizeLimit(ArrayRef<int64_t> shape) const {
  uint64_t count = 1;
  for (int64_t dim : shape) {
    if (dim != 0 &&
        count > options.maxTensorElements / static_cast<uint64_t>(dim))
      return true;
    count *= static_cast<uint64_t>(dim);
  }
  return false;
}

LogicalResult ONNXTypeConverter::checkSize(ArrayRef<int64_t> shape,
                                           Location loc, StringRef name) {
  if (exceedsSizeLimit(shape))
    return emitError(loc) << "'" << name << "' has more than "
                          << options.maxTensorElements
                          << " elements (the tensor size limit)";
  return success();
}

FailureOr<RankedTensorType>
ONNXTypeConverter::convertTensorProtoType(const onnx::TensorProto &tensor,
                                          Location loc) {
  FailureOr<Type> elementType =
      convertElementType(tensor.data_type(), loc, tensor.name());
  if (failed(elementType))
    return failure();
  SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  if (llvm::any_of(shape, [](int64_t dim) { return dim < 0; }))
    return emitError(loc) << "initializer '" << tensor.name()
                          << "' has a negative dimension";
  if (failed(checkSize(shape, loc, tensor.name())))
    return failure();
  return RankedTensorType::get(shape, *elementType);
}

const onnx::TypeProto &
muon::onnx_import::getPresentType(const onnx::TypeProto &type) {
  return type.has_optional_type()
             ? getPresentType(type.optional_type().elem_type())
             : type;
}

std::optional<int64_t> ONNXTypeConverter::lookupDim(StringRef name) const {
  auto given = options.dimValues.find(name);
  if (given != options.dimValues.end())
    return given->second;
  auto inferred = inferredDims.find(name);
  if (inferred != inferredDims.end())
    return inferred->second;
  return std::nullopt;
}

bool ONNXTypeConverter::hasUnboundDims(const onnx::ValueInfoProto &info) const {
  const onnx::TypeProto &type = getPresentType(info.type());
  return type.has_tensor_type() &&
         llvm::any_of(type.tensor_type().shape().dim(),
                      [&](const onnx::TensorShapeProto_Dimension &dim) {
                        return !dim.has_dim_value() && dim.has_dim_param() &&
                               !lookupDim(dim.dim_param());
                      });
}

void ONNXTypeConverter::bindDims(const onnx::ValueInfoProto &info,
                                 ArrayRef<int64_t> shape) {
  const onnx::TypeProto &type = getPresentType(info.type());
  if (!type.has_tensor_type())
    return;
  const auto &dims = type.tensor_type().shape().dim();
  if (dims.size() != static_cast<int>(shape.size()))
    return;
  for (auto [dim, size] : llvm::zip_equal(dims, shape))
    if (!dim.has_dim_value() && dim.has_dim_param() &&
        !ShapedType::isDynamic(size))
      bindDim(dim.dim_param(), size);
}

FailureOr<RankedTensorType>
ONNXTypeConverter::convertTensorType(const onnx::TypeProto &type, Location loc,
                                     StringRef name) {
  auto fail = [&] { return emitError(loc) << "'" << name << "' "; };
  if (!type.has_tensor_type()) {
    StringRef kind = type.has_sequence_type()        ? "a sequence"
                     : type.has_map_type()           ? "a map"
                     : type.has_optional_type()      ? "an optional"
                     : type.has_sparse_tensor_type() ? "a sparse tensor"
                                                     : "of unknown type";
    return fail() << "is " << kind << "; only tensors"
                  << (type.has_sequence_type()
                          ? " (and sequences given with --onnx-sequence)"
                          : "")
                  << " are supported";
  }
  const onnx::TypeProto_Tensor &tensor = type.tensor_type();
  if (!tensor.has_shape())
    return fail() << "has no shape; only static shapes are supported";
  SmallVector<int64_t> shape;
  for (auto [index, dim] : llvm::enumerate(tensor.shape().dim())) {
    if (!dim.has_dim_value() && dim.has_dim_param()) {
      if (std::optional<int64_t> value = lookupDim(dim.dim_param())) {
        shape.push_back(*value);
        continue;
      }
      return fail() << "has a dynamic dimension " << index << " ('"
                    << dim.dim_param()
                    << "'); only static shapes are supported: give its "
                       "value with --onnx-dim="
                    << dim.dim_param() << "=N";
    }
    if (!dim.has_dim_value())
      return fail() << "has a dynamic dimension " << index
                    << "; only static shapes are supported";
    if (dim.dim_value() < 0)
      return fail() << "has a negative dimension " << index;
    shape.push_back(dim.dim_value());
  }
  if (failed(checkSize(shape, loc, name)))
    return failure();
  FailureOr<Type> elementType =
      convertElementType(tensor.elem_type(), loc, name);
  if (failed(elementType))
    return failure();
  return RankedTensorType::get(shape, *elementType);
}

FailureOr<ValueTypes> ONNXTypeConverter::parseSequenceTypes(StringRef spec,
                                                            Location loc,
                                                            StringRef name) {
  ValueTypes result;
  result.isSequence = true;
  if (spec.trim().empty())
    return result; // An empty sequence.
  SmallVector<StringRef> parts;
  spec.split(parts, ',');
  for (StringRef part : parts) {
    part = part.trim();
    Type type = part.empty()
                    ? Type()
                    : parseType(("tensor<" + part + ">").str(), context,
                                nullptr, /*isKnownNullTerminated=*/false);
    auto tensor = dyn_cast_or_null<RankedTensorType>(type);
    if (!tensor || !tensor.hasStaticShape())
      return emitError(loc) << "sequence '" << name << "': bad element type '"
                            << part << "' (expected static types such as "
                            << "4x8xf32,8xf32)";
    if (failed(checkSize(tensor.getShape(), loc, name)))
      return failure();
    result.types.push_back(tensor);
  }
  return result;
}

FailureOr<ValueTypes>
ONNXTypeConverter::convertValueInfo(const onnx::ValueInfoProto &info,
                                    Location loc) {
  if (getPresentType(info.type()).has_sequence_type()) {
    auto spec = options.sequenceTypes.find(info.name());
    if (spec == options.sequenceTypes.end())
      return emitError(loc)
             << "'" << info.name()
             << "' is a sequence; give the static types of its elements "
                "with --onnx-sequence="
             << info.name() << "=<type>,<type>,... (e.g. 4x8xf32,8xf32)";
    return parseSequenceTypes(spec->second, loc, info.name());
  }
  FailureOr<RankedTensorType> type =
      convertTensorType(getPresentType(info.type()), loc, info.name());
  if (failed(type))
    return failure();
  return ValueTypes{{*type}, false};
}

std::optional<RankedTensorType>
ONNXTypeConverter::getStaticType(const onnx::ValueInfoProto &info) {
  if (!getPresentType(info.type()).has_tensor_type())
    return std::nullopt;
  // A declaration that is not static is simply not compared: drop the
  // conversion's diagnostics.
  ScopedDiagnosticHandler quiet(context,
                                [](Diagnostic &) { return success(); });
  FailureOr<RankedTensorType> type = convertTensorType(
      getPresentType(info.type()), UnknownLoc::get(context), info.name());
  if (failed(type))
    return std::nullopt;
  return *type;
}

FailureOr<Value> ONNXTypeConverter::createConstant(
    OpBuilder &builder, const onnx::TensorProto &tensor, Location loc) {
  FailureOr<RankedTensorType> type = convertTensorProtoType(tensor, loc);
  if (failed(type))
    return failure();
  llvm::Expected<DecodedTensor> decoded =
      decodeTensor(tensor, options.maxTensorElements);
  if (!decoded)
    return emitError(loc) << "initializer '" << tensor.name()
                          << "': " << llvm::toString(decoded.takeError());
  return arith::ConstantOp::create(builder, loc, getDenseAttr(*type, *decoded))
      .getResult();
}
