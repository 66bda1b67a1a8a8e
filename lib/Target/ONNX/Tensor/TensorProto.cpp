//===- TensorProto.cpp - Decoding ONNX TensorProto data -------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Target/ONNX/TensorProto.h"

#include "onnx/onnx_pb.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace llvm;
using namespace muon::onnx_import;
using onnx::TensorProto;

std::optional<size_t>
muon::onnx_import::getDataTypeByteWidth(int32_t dataType) {
  switch (dataType) {
  case TensorProto::BOOL:
  case TensorProto::INT8:
  case TensorProto::UINT8:
  case kFloat8E4M3FN:
  case kFloat8E4M3FNUZ:
  case kFloat8E5M2:
  case kFloat8E5M2FNUZ:
  case kUInt4:
  case kInt4:
  case kFloat4E2M1:
  case kUInt2:
  case kInt2:
    return 1;
  case TensorProto::INT16:
  case TensorProto::UINT16:
  case TensorProto::FLOAT16:
  case TensorProto::BFLOAT16:
    return 2;
  case TensorProto::FLOAT:
  case TensorProto::INT32:
  case TensorProto::UINT32:
    return 4;
  case TensorProto::DOUBLE:
  case TensorProto::INT64:
  case TensorProto::UINT64:
    return 8;
  default:
    return std::nullopt;
  }
}

std::string muon::onnx_import::getDataTypeName(int32_t dataType) {
  if (TensorProto::DataType_IsValid(dataType))
    return TensorProto::DataType_Name(
        static_cast<TensorProto::DataType>(dataType));
  static const char *const newer[] = {
      "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4",
      "INT4",         "FLOAT4E2M1",     "FLOAT8E8M0", "UINT2",          "INT2"};
  if (dataType >= kFloat8E4M3FN && dataType <= kInt2)
    return newer[dataType - kFloat8E4M3FN];
  return "<code " + std::to_string(dataType) + ">";
}

/// Copies `values` (the typed repeated field holding the tensor) into
/// `bytes`, narrowing each to `width` bytes; integers must fit.
template <typename T>
static Error copyTypedValues(const google::protobuf::RepeatedField<T> &values,
                             int32_t dataType, size_t width,
                             std::vector<uint8_t> &bytes) {
  for (auto [index, value] : llvm::enumerate(values)) {
    uint8_t *out = bytes.data() + index * width;
    if constexpr (std::is_integral_v<T>) {
      int64_t wide = value;
      bool fits = true;
      if (dataType == TensorProto::BOOL)
        fits = wide == 0 || wide == 1;
      else if (dataType == TensorProto::INT8)
        fits = isInt<8>(wide);
      else if (dataType == TensorProto::INT16)
        fits = isInt<16>(wide);
      else if (dataType == TensorProto::UINT8 || isFloat8DataType(dataType))
        fits = isUInt<8>(wide);
      else if (dataType == TensorProto::FLOAT16 ||
               dataType == TensorProto::BFLOAT16 ||
               dataType == TensorProto::UINT16)
        fits = isUInt<16>(wide);
      else if (dataType == TensorProto::UINT32)
        fits = isUInt<32>(static_cast<uint64_t>(value));
      if (!fits)
        return createStringError("value " + Twine(value) + " at index " +
                                 Twine(index) + " does not fit in " +
                                 getDataTypeName(dataType));
      // Little-endian: the low `width` bytes of the value.
      std::memcpy(out, &wide, width);
    } else {
      std::memcpy(out, &value, width);
    }
  }
  return Error::success();
}

unsigned muon::onnx_import::getPackedBitWidth(int32_t dataType) {
  switch (dataType) {
  case kUInt4:
  case kInt4:
  case kFloat4E2M1:
    return 4;
  case kUInt2:
  case kInt2:
    return 2;
  default:
    return 0;
  }
}

/// The `count` elements of a tensor of `bits`-bit values, packed 8 / bits
/// per byte with the first in the low bits (raw_data, or one byte per
/// int32_data entry), one per byte: signed integers sign-extended, the
/// others zero-extended.
static Expected<DecodedTensor> decodePacked(const TensorProto &tensor,
                                            DecodedTensor decoded,
                                            uint64_t count, unsigned bits) {
  uint64_t packedSize = divideCeil(count * bits, 8);
  std::vector<uint8_t> packed;
  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    if (raw.size() != packedSize)
      return createStringError("raw_data holds " + Twine(raw.size()) +
                               " bytes, but " + Twine(count) + " " +
                               getDataTypeName(decoded.dataType) +
                               " elements take " + Twine(packedSize));
    packed.assign(raw.begin(), raw.end());
  } else {
    if (static_cast<uint64_t>(tensor.int32_data_size()) != packedSize)
      return createStringError(
          "int32_data holds " + Twine(tensor.int32_data_size()) +
          " values, but " + Twine(count) + " " +
          getDataTypeName(decoded.dataType) + " elements pack into " +
          Twine(packedSize) + " bytes");
    for (auto [index, value] : llvm::enumerate(tensor.int32_data())) {
      if (!isUInt<8>(value))
        return createStringError("value " + Twine(value) + " at index " +
                                 Twine(index) + " is not a byte of packed " +
                                 getDataTypeName(decoded.dataType) +
                                 " elements");
      packed.push_back(static_cast<uint8_t>(value));
    }
  }
  bool isSigned = decoded.dataType == kInt4 || decoded.dataType == kInt2;
  decoded.bytes.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t bit = i * bits;
    unsigned value = (packed[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
    decoded.bytes[i] = static_cast<uint8_t>(
        isSigned ? SignExtend32(value, bits) : static_cast<int32_t>(value));
  }
  return decoded;
}

Expected<DecodedTensor>
muon::onnx_import::decodeTensor(const TensorProto &tensor,
                                uint64_t maxElements) {
  int32_t dataType = tensor.data_type();
  std::optional<size_t> width = getDataTypeByteWidth(dataType);
  if (!width)
    return createStringError(
        "unsupported data type " + getDataTypeName(dataType) +
        " (supported: FLOAT, DOUBLE, FLOAT16, BFLOAT16, FLOAT8E4M3FN, "
        "FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ, FLOAT4E2M1, "
        "INT2, INT4, INT8, INT16, INT32, INT64, UINT2, UINT4, UINT8, UINT16, "
        "UINT32, UINT64, BOOL)");
  if (tensor.data_location() == TensorProto::EXTERNAL ||
      tensor.external_data_size() > 0)
    return createStringError(
        "data stored outside the model (external data) is not supported; "
        "save the model with its tensors inline");
  if (tensor.has_segment())
    return createStringError("segmented tensors are not supported");

  DecodedTensor decoded;
  decoded.dataType = dataType;
  uint64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0)
      return createStringError("negative dimension " + Twine(dim));
    decoded.shape.push_back(dim);
    // Checked before anything is allocated: the product may overflow.
    if (dim != 0 && count > maxElements / static_cast<uint64_t>(dim))
      return createStringError("more than " + Twine(maxElements) +
                               " elements (the tensor size limit)");
    count *= static_cast<uint64_t>(dim);
  }

  if (unsigned bits = getPackedBitWidth(dataType))
    return decodePacked(tensor, std::move(decoded), count, bits);

  uint64_t byteSize = count * *width;
  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    if (raw.size() != byteSize)
      return createStringError("raw_data holds " + Twine(raw.size()) +
                               " bytes, but " + Twine(count) + " " +
                               getDataTypeName(dataType) + " elements take " +
                               Twine(byteSize));
    decoded.bytes.assign(raw.begin(), raw.end());
    return decoded;
  }

  auto checkCount = [&](int64_t stored, StringRef field) -> Error {
    if (static_cast<uint64_t>(stored) == count)
      return Error::success();
    return createStringError(field + " holds " + Twine(stored) +
                             " values, but the shape has " + Twine(count) +
                             " elements");
  };
  Error error = Error::success();
  switch (dataType) {
  case TensorProto::FLOAT:
    error = checkCount(tensor.float_data_size(), "float_data");
    break;
  case TensorProto::DOUBLE:
    error = checkCount(tensor.double_data_size(), "double_data");
    break;
  case TensorProto::INT64:
    error = checkCount(tensor.int64_data_size(), "int64_data");
    break;
  case TensorProto::UINT32:
  case TensorProto::UINT64:
    error = checkCount(tensor.uint64_data_size(), "uint64_data");
    break;
  default:
    error = checkCount(tensor.int32_data_size(), "int32_data");
    break;
  }
  if (error)
    return std::move(error);
  decoded.bytes.resize(byteSize);
  switch (dataType) {
  case TensorProto::FLOAT:
    error =
        copyTypedValues(tensor.float_data(), dataType, *width, decoded.bytes);
    break;
  case TensorProto::DOUBLE:
    error =
        copyTypedValues(tensor.double_data(), dataType, *width, decoded.bytes);
    break;
  case TensorProto::INT64:
    error =
        copyTypedValues(tensor.int64_data(), dataType, *width, decoded.bytes);
    break;
  case TensorProto::UINT32:
  case TensorProto::UINT64:
    error =
        copyTypedValues(tensor.uint64_data(), dataType, *width, decoded.bytes);
    break;
  default:
    error =
        copyTypedValues(tensor.int32_data(), dataType, *width, decoded.bytes);
    break;
  }
  if (error)
    return std::move(error);
  return decoded;
}

/// The external data file `location` names under `baseDir`, read once into
/// `files`; the location must stay inside baseDir, as ONNX requires.
static Expected<MemoryBufferRef> getExternalFile(StringRef location,
                                                 StringRef baseDir,
                                                 ExternalDataFiles &files) {
  if (location.empty() || sys::path::is_absolute(location) ||
      llvm::is_contained(llvm::make_range(sys::path::begin(location),
                                          sys::path::end(location)),
                         ".."))
    return createStringError("external data location '" + location +
                             "' is not a path inside the model's directory");
  auto [it, inserted] = files.try_emplace(location);
  if (inserted) {
    SmallString<256> path(baseDir);
    sys::path::append(path, location);
    ErrorOr<std::unique_ptr<MemoryBuffer>> file =
        MemoryBuffer::getFile(path, /*IsText=*/false,
                              /*RequiresNullTerminator=*/false);
    if (!file) {
      files.erase(it);
      return createStringError(file.getError(),
                               "cannot read external data '" + path +
                                   "': " + file.getError().message());
    }
    it->second = std::move(*file);
  }
  return it->second->getMemBufferRef();
}

Error muon::onnx_import::inlineExternalData(TensorProto &tensor,
                                            StringRef baseDir,
                                            ExternalDataFiles &files) {
  if (tensor.data_location() != TensorProto::EXTERNAL)
    return Error::success();
  StringRef location;
  std::optional<uint64_t> offset, length;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    StringRef key = entry.key(), value = entry.value();
    uint64_t number;
    if (key == "location") {
      location = value;
    } else if (key == "offset" || key == "length") {
      if (value.getAsInteger(10, number))
        return createStringError("external data " + key + " '" + value +
                                 "' is not a number");
      (key == "offset" ? offset : length) = number;
    }
  }
  Expected<MemoryBufferRef> file = getExternalFile(location, baseDir, files);
  if (!file)
    return file.takeError();
  // decodeTensor checks that the bytes fit the shape; without a length the
  // data runs to the end of the file.
  StringRef data = file->getBuffer();
  uint64_t start = offset.value_or(0);
  if (start > data.size() || (length && *length > data.size() - start))
    return createStringError("external data range [" + Twine(start) + ", " +
                             Twine(start + length.value_or(0)) +
                             ") lies past the end of '" + location + "' (" +
                             Twine(data.size()) + " bytes)");
  tensor.set_raw_data(
      data.substr(start, length.value_or(data.size() - start)).str());
  tensor.clear_external_data();
  tensor.set_data_location(TensorProto::DEFAULT);
  return Error::success();
}

Expected<DecodedTensor>
muon::onnx_import::readTensorProtoFile(StringRef path, uint64_t maxElements) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> file =
      MemoryBuffer::getFile(path, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false);
  if (!file)
    return createStringError(file.getError(), "cannot read '" + path + "': " +
                                                  file.getError().message());
  return parseTensorProto(path, (*file)->getBuffer(), maxElements);
}

Expected<muon::onnx_import::DecodedTensor>
muon::onnx_import::parseTensorProto(StringRef name, StringRef image,
                                    uint64_t maxElements) {
  TensorProto tensor;
  if (image.size() > static_cast<size_t>(INT32_MAX) ||
      !tensor.ParseFromArray(image.data(), static_cast<int>(image.size())))
    return createStringError(name +
                             ": not a serialized ONNX TensorProto (protobuf "
                             "parsing failed: wrong format or truncated)");
  if (!tensor.has_data_type() || tensor.data_type() == TensorProto::UNDEFINED)
    return createStringError(name + ": not a TensorProto (no data type)");
  Expected<DecodedTensor> decoded = decodeTensor(tensor, maxElements);
  if (!decoded)
    return createStringError(name + ": " + toString(decoded.takeError()));
  return decoded;
}
