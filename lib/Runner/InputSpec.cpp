//===- InputSpec.cpp - iree-run-module style tensor flags -----------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Runner/InputSpec.h"

#include "muon/Runner/Npy.h"
#include "muon/Runner/TensorProtoReader.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <cstring>

using namespace llvm;
using namespace muon;

/// Parses `2x2xf32` (or `f32` for a 0-d tensor).
static Expected<HostTensorType> parseTensorType(StringRef text) {
  SmallVector<StringRef> parts;
  text.split(parts, 'x');
  HostTensorType type;
  for (StringRef dim : ArrayRef(parts).drop_back()) {
    int64_t size;
    if (dim.getAsInteger(10, size) || size < 0)
      return createStringError("bad dimension '" + dim + "' in '" + text +
                               "' (expected static sizes like 2x2xf32)");
    type.shape.push_back(size);
  }
  std::optional<ElementType> elementType = parseElementTypeName(parts.back());
  if (!elementType)
    return createStringError(
        "unsupported element type '" + parts.back() + "' in '" + text +
        "' (supported: " + getSupportedElementTypeNames() + ")");
  type.elementType = *elementType;
  if (!type.getByteSize())
    return createStringError("shape '" + text + "' is too large");
  return type;
}

/// Parses one literal of `elementType` and stores it at `index`.
static Error parseElement(StringRef text, HostTensor &tensor, int64_t index) {
  ElementType elementType = tensor.getElementType();
  auto invalid = [&] {
    return createStringError("'" + text + "' is not a valid " +
                             getElementTypeName(elementType) + " value");
  };
  if (isFloatElementType(elementType)) {
    double value;
    if (text.getAsDouble(value))
      return invalid();
    tensor.setDouble(index, value);
    // Written as inf, or too large for the type: not silently infinite.
    if (std::isinf(tensor.getDouble(index)) &&
        !text.contains_insensitive("inf"))
      return createStringError("'" + text + "' is out of the range of " +
                               getElementTypeName(elementType));
    return Error::success();
  }
  if (elementType == ElementType::I1) {
    if (text == "true" || text == "1")
      tensor.setInt(index, 1);
    else if (text == "false" || text == "0")
      tensor.setInt(index, 0);
    else
      return invalid();
    return Error::success();
  }
  unsigned bits = getIntegerBitWidth(elementType);
  auto doesNotFit = [&] {
    return createStringError("'" + text + "' does not fit in " +
                             getElementTypeName(elementType));
  };
  if (isUnsignedElementType(elementType)) {
    uint64_t value;
    if (text.starts_with("-"))
      return doesNotFit();
    if (text.getAsInteger(10, value))
      return invalid();
    if (bits < 64 && !isUIntN(bits, value))
      return doesNotFit();
    tensor.setInt(index, static_cast<int64_t>(value));
    return Error::success();
  }
  int64_t value;
  if (text.getAsInteger(10, value))
    return invalid();
  if (bits < 64 && !isIntN(bits, value))
    return doesNotFit();
  tensor.setInt(index, value);
  return Error::success();
}

/// Parses `<type>=<values>`.
static Expected<HostTensor> parseInlineTensor(StringRef spec,
                                              uint64_t maxBytes) {
  auto [typeText, valuesText] = spec.split('=');
  if (typeText.size() == spec.size())
    return createStringError(
        "expected '@file.npy', '@file.pb' or '<shape>x<type>=<values>' such as "
        "'2x2xf32=1,2,3,4'");
  Expected<HostTensorType> type = parseTensorType(typeText);
  if (!type)
    return type.takeError();
  if (Error error = type->checkByteSize(maxBytes))
    return std::move(error);

  // Brackets only group rows for the reader; the shape comes from the type.
  SmallVector<StringRef> fields;
  valuesText.split(fields, ',');
  if (fields.size() > 1)
    for (StringRef field : fields)
      if (field.trim(" \t\n[]").empty())
        return createStringError("empty value between commas in '" +
                                 valuesText + "'");
  SmallVector<StringRef> values;
  SplitString(valuesText, values, " \t\n,[]");
  HostTensor tensor(std::move(*type));
  int64_t count = tensor.getNumElements();
  bool splat = values.size() == 1;
  if (!splat && static_cast<int64_t>(values.size()) != count)
    return createStringError(
        typeText + " takes " + Twine(count) +
        (count == 1 ? " value" : " values (or 1 to fill it)") + ", got " +
        Twine(values.size()));
  if (splat && count > 0) {
    // Parse once and copy the bytes: text-to-float conversion is slow enough
    // to dominate a splat over millions of elements.
    if (Error error = parseElement(values.front(), tensor, 0))
      return std::move(error);
    MutableArrayRef<uint8_t> bytes = tensor.getBytes();
    size_t width = getElementByteWidth(tensor.getElementType());
    for (size_t offset = width; offset < bytes.size(); offset += width)
      std::memcpy(&bytes[offset], bytes.data(), width);
    return tensor;
  }
  for (int64_t i = 0; i < count; ++i)
    if (Error error = parseElement(values[i], tensor, i))
      return std::move(error);
  return tensor;
}

Expected<HostTensor> muon::parseTensorSpec(StringRef spec, uint64_t maxBytes) {
  if (spec.consume_front("@")) {
    // A device or a FIFO (/dev/zero) would be read without end.
    llvm::sys::fs::file_status status;
    if (!llvm::sys::fs::status(spec, status) &&
        !llvm::sys::fs::is_regular_file(status))
      return createStringError("'" + spec +
                               "': not a regular file (inputs are read whole)");
    return spec.ends_with(".pb") ? readTensorProtoFile(spec)
                                 : readNpyFile(spec);
  }
  return parseInlineTensor(spec, maxBytes);
}

Expected<SmallVector<HostTensor>>
muon::parseTensorSpecs(StringRef flag, ArrayRef<std::string> specs,
                       uint64_t maxBytes) {
  SmallVector<HostTensor> tensors;
  for (StringRef spec : specs) {
    Expected<HostTensor> tensor = parseTensorSpec(spec, maxBytes);
    if (!tensor)
      return createStringError("--" + flag + "='" + spec +
                               "': " + toString(tensor.takeError()));
    tensors.push_back(std::move(*tensor));
  }
  return tensors;
}

Expected<OutputSpec> muon::parseOutputSpec(StringRef spec) {
  if (spec == "-")
    return OutputSpec{std::nullopt};
  if (spec.size() > 1 && spec.starts_with("@"))
    return OutputSpec{spec.drop_front().str()};
  return createStringError("--output='" + spec +
                           "': expected '@file.npy' or '-'");
}
