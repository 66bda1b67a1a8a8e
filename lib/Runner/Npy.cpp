//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The format (numpy.lib.format): the magic "\x93NUMPY", a major and a minor
// version byte, the header length (uint16 in version 1, uint32 in versions 2
// and 3, little-endian), then the header: a Python dict literal such as
// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with
// spaces and a newline, then the raw elements.
//
//===----------------------------------------------------------------------===//

#include "muon/Runner/Npy.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/LogicalResult.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace llvm;
using namespace muon;

static constexpr StringLiteral kMagic("\x93NUMPY");

/// The .npy dtype string of `type`; bf16, the float8 types (travelsAsF32)
/// and the 2- and 4-bit integers (getByteCarrier) have none.
static StringRef getNpyDescr(ElementType type) {
  switch (type) {
  case ElementType::F16:
    return "<f2";
  case ElementType::F32:
    return "<f4";
  case ElementType::F64:
    return "<f8";
  case ElementType::I1:
    return "|b1";
  case ElementType::I8:
    return "|i1";
  case ElementType::I16:
    return "<i2";
  case ElementType::I32:
    return "<i4";
  case ElementType::I64:
    return "<i8";
  case ElementType::U8:
    return "|u1";
  case ElementType::U16:
    return "<u2";
  case ElementType::U32:
    return "<u4";
  case ElementType::U64:
    return "<u8";
  case ElementType::I2:
  case ElementType::I4:
  case ElementType::U2:
  case ElementType::U4:
  case ElementType::BF16:
  case ElementType::F4E2M1FN:
  case ElementType::F8E4M3FN:
  case ElementType::F8E4M3FNUZ:
  case ElementType::F8E5M2:
  case ElementType::F8E5M2FNUZ:
    break;
  }
  llvm_unreachable("no .npy dtype");
}

/// Only the spellings NumPy writes on little-endian hosts are accepted; a
/// '>' byte order would need swapping and is rejected by the caller.
static std::optional<ElementType> parseNpyDescr(StringRef descr) {
  return StringSwitch<std::optional<ElementType>>(descr)
      .Case("<f2", ElementType::F16)
      .Case("<f4", ElementType::F32)
      .Case("<f8", ElementType::F64)
      .Case("|b1", ElementType::I1)
      .Case("|i1", ElementType::I8)
      .Case("<i2", ElementType::I16)
      .Case("<i4", ElementType::I32)
      .Case("<i8", ElementType::I64)
      .Case("|u1", ElementType::U8)
      .Case("<u2", ElementType::U16)
      .Case("<u4", ElementType::U32)
      .Case("<u8", ElementType::U64)
      .Default(std::nullopt);
}

namespace {
/// A recursive-descent reader for the small Python literal subset NumPy
/// writes in a .npy header: a dict of strings, booleans and int tuples.
class HeaderParser {
public:
  explicit HeaderParser(StringRef text) : rest(text) {}

  /// Skips whitespace, then consumes `c` if it comes next.
  bool consume(char c) {
    rest = rest.ltrim();
    return rest.consume_front(StringRef(&c, 1));
  }

  FailureOr<StringRef> parseString() {
    rest = rest.ltrim();
    if (rest.empty() || (rest[0] != '\'' && rest[0] != '"'))
      return failure();
    char quote = rest[0];
    size_t end = rest.find(quote, 1);
    if (end == StringRef::npos)
      return failure();
    StringRef value = rest.slice(1, end);
    rest = rest.drop_front(end + 1);
    return value;
  }

  FailureOr<bool> parseBool() {
    rest = rest.ltrim();
    if (rest.consume_front("True"))
      return true;
    if (rest.consume_front("False"))
      return false;
    return failure();
  }

  /// Parses `()`, `(3,)` or `(2, 3)`.
  FailureOr<SmallVector<int64_t>> parseShape() {
    if (!consume('('))
      return failure();
    SmallVector<int64_t> shape;
    while (!consume(')')) {
      rest = rest.ltrim();
      size_t digits =
          std::min(rest.find_first_not_of("0123456789"), rest.size());
      int64_t dim;
      if (rest.take_front(digits).getAsInteger(10, dim))
        return failure();
      shape.push_back(dim);
      rest = rest.drop_front(digits);
      if (!consume(',') && !peek(')'))
        return failure();
    }
    return shape;
  }

  /// Whether `c` comes next, after whitespace, without consuming it.
  bool peek(char c) {
    rest = rest.ltrim();
    return rest.starts_with(StringRef(&c, 1));
  }

  bool atEnd() const { return rest.trim().empty(); }

private:
  StringRef rest;
};
} // namespace

/// The dtype, order and shape of a .npy header, checked field by field.
struct NpyHeader {
  ElementType elementType;
  SmallVector<int64_t> shape;
};

static Expected<NpyHeader> parseHeader(StringRef path, StringRef text) {
  auto malformed = [&](const Twine &what) {
    return createStringError(path + ": malformed .npy header: " + what);
  };
  HeaderParser parser(text);
  if (!parser.consume('{'))
    return malformed("expected a dict");
  std::optional<StringRef> descr;
  std::optional<bool> fortranOrder;
  std::optional<SmallVector<int64_t>> shape;
  while (!parser.consume('}')) {
    FailureOr<StringRef> key = parser.parseString();
    if (failed(key) || !parser.consume(':'))
      return malformed("expected a quoted key and ':'");
    if (*key == "descr") {
      FailureOr<StringRef> value = parser.parseString();
      if (failed(value))
        return createStringError(
            path + ": unsupported dtype (structured arrays are not supported)");
      descr = *value;
    } else if (*key == "fortran_order") {
      FailureOr<bool> value = parser.parseBool();
      if (failed(value))
        return malformed("'fortran_order' must be True or False");
      fortranOrder = *value;
    } else if (*key == "shape") {
      FailureOr<SmallVector<int64_t>> value = parser.parseShape();
      if (failed(value))
        return malformed("'shape' must be a tuple of non-negative integers");
      shape = std::move(*value);
    } else {
      return malformed("unexpected key '" + *key + "'");
    }
    // Python allows a trailing comma; without one the dict must end here.
    if (!parser.consume(',') && !parser.peek('}'))
      return malformed("expected ',' or '}' after the value of '" + *key + "'");
  }
  if (!parser.atEnd())
    return malformed("unexpected text after the dict");
  if (!descr || !fortranOrder || !shape)
    return malformed("'descr', 'fortran_order' and 'shape' are required");

  if (*fortranOrder)
    return createStringError(
        path + ": Fortran-order arrays are not supported (save a "
               "C-contiguous array, e.g. numpy.ascontiguousarray)");
  std::optional<ElementType> elementType = parseNpyDescr(*descr);
  if (!elementType) {
    StringRef why = descr->starts_with(">") ? " (big-endian)" : "";
    return createStringError(
        path + ": unsupported dtype '" + *descr + "'" + why +
        "; supported: <f2 <f4 <f8 |i1 <i2 <i4 <i8 |u1 <u2 <u4 <u8 |b1");
  }
  return NpyHeader{*elementType, std::move(*shape)};
}

Expected<HostTensor> muon::readNpyFile(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> file =
      MemoryBuffer::getFile(path, /*IsText=*/false,
                            /*RequiresNullTerminator=*/false);
  if (!file)
    return createStringError(file.getError(), "cannot read '" + path + "': " +
                                                  file.getError().message());
  return readNpy(path, (*file)->getBuffer());
}

Expected<HostTensor> muon::readNpy(StringRef path, StringRef image) {
  if (!image.consume_front(kMagic))
    return createStringError(path + ": not a .npy file (bad magic string)");
  if (image.size() < 2)
    return createStringError(path + ": truncated header");
  unsigned major = static_cast<uint8_t>(image[0]);
  unsigned minor = static_cast<uint8_t>(image[1]);
  image = image.drop_front(2);
  if (major < 1 || major > 3)
    return createStringError(path + ": unsupported .npy version " +
                             Twine(major) + "." + Twine(minor));
  // Version 1 has a 16-bit header length; versions 2 and 3 a 32-bit one.
  size_t lengthBytes = major == 1 ? 2 : 4;
  if (image.size() < lengthBytes)
    return createStringError(path + ": truncated header");
  uint32_t headerLength = 0;
  for (size_t i = 0; i < lengthBytes; ++i)
    headerLength |= static_cast<uint32_t>(static_cast<uint8_t>(image[i]))
                    << (8 * i);
  image = image.drop_front(lengthBytes);
  if (image.size() < headerLength)
    return createStringError(path + ": truncated header");

  Expected<NpyHeader> header =
      parseHeader(path, image.take_front(headerLength));
  if (!header)
    return header.takeError();
  image = image.drop_front(headerLength);

  HostTensorType type{header->elementType, header->shape};
  std::optional<uint64_t> byteSize = type.getByteSize();
  if (!byteSize)
    return createStringError(path + ": shape too large");
  if (image.size() != *byteSize)
    return createStringError(
        path + ": " + (image.size() < *byteSize ? "truncated" : "oversized") +
        " data: a " + type.str() + " array takes " + Twine(*byteSize) +
        " bytes, found " + Twine(image.size()));
  HostTensor tensor(std::move(type));
  // An empty tensor has no buffer: memcpy from/to null is undefined even for
  // 0 bytes.
  if (!image.empty())
    std::memcpy(tensor.getBytes().data(), image.data(), image.size());
  // An i1 is loaded as its low bit (or compared whole): another byte would
  // be a different value to different code.
  if (tensor.getElementType() == ElementType::I1)
    for (auto [index, byte] : enumerate(tensor.getBytes()))
      if (byte > 1)
        return createStringError(path + ": element " + Twine(index) +
                                 " of the bool array is the byte " +
                                 Twine(unsigned(byte)) + ", not 0 or 1");
  return tensor;
}

/// The header dict, padded so that the data starts 64-byte aligned as NumPy
/// itself does; `prefix` is the size of what precedes it.
static std::string formatHeader(ElementType elementType,
                                ArrayRef<int64_t> shape, size_t prefix) {
  std::string dict;
  raw_string_ostream os(dict);
  os << "{'descr': '" << getNpyDescr(elementType)
     << "', 'fortran_order': False, 'shape': (";
  interleave(shape, os, ", ");
  os << (shape.size() == 1 ? ",), }" : "), }");
  size_t total = alignTo(prefix + dict.size() + 1, 64);
  dict.append(total - prefix - dict.size() - 1, ' ');
  return dict + "\n";
}

void muon::writeNpy(raw_ostream &os, const HostTensor &tensor) {
  if (travelsAsF32(tensor.getElementType()))
    return writeNpy(os, tensor.convertTo(ElementType::F32));
  if (std::optional<ElementType> carrier =
          getByteCarrier(tensor.getElementType())) {
    HostTensor wide(HostTensorType{*carrier, tensor.getType().shape});
    for (int64_t i = 0, e = tensor.getNumElements(); i < e; ++i)
      wide.setInt(i, tensor.getInt(i));
    return writeNpy(os, wide);
  }

  // Version 1.0 unless the header outgrows its 16-bit length (rank > ~10^4).
  size_t prefix = kMagic.size() + 2 + 2;
  std::string header =
      formatHeader(tensor.getElementType(), tensor.getShape(), prefix);
  unsigned lengthBytes = 2;
  if (header.size() > 0xffff) {
    prefix = kMagic.size() + 2 + 4;
    header = formatHeader(tensor.getElementType(), tensor.getShape(), prefix);
    lengthBytes = 4;
  }
  os << kMagic << static_cast<char>(lengthBytes == 2 ? 1 : 2) << '\x00';
  for (unsigned i = 0; i < lengthBytes; ++i)
    os << static_cast<char>((header.size() >> (8 * i)) & 0xff);
  os << header;
  ArrayRef<uint8_t> bytes = tensor.getBytes();
  if (!bytes.empty())
    os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
}

Error muon::writeNpyFile(StringRef path, const HostTensor &tensor) {
  std::error_code ec;
  raw_fd_ostream os(path, ec);
  if (ec)
    return createStringError(ec,
                             "cannot write '" + path + "': " + ec.message());
  writeNpy(os, tensor);
  os.close();
  if (os.has_error())
    return createStringError(os.error(), "cannot write '" + path +
                                             "': " + os.error().message());
  return Error::success();
}
