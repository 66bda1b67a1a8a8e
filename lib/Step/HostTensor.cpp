//===- HostTensor.cpp - Dense tensors in host memory ----------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Step/HostTensor.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/MathExtras.h"

#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <unistd.h>

using namespace llvm;
using namespace muon;

StringRef muon::getElementTypeName(ElementType type) {
  switch (type) {
  case ElementType::F4E2M1FN:
    return "f4E2M1FN";
  case ElementType::F8E4M3FN:
    return "f8E4M3FN";
  case ElementType::F8E4M3FNUZ:
    return "f8E4M3FNUZ";
  case ElementType::F8E5M2:
    return "f8E5M2";
  case ElementType::F8E5M2FNUZ:
    return "f8E5M2FNUZ";
  case ElementType::F16:
    return "f16";
  case ElementType::BF16:
    return "bf16";
  case ElementType::F32:
    return "f32";
  case ElementType::F64:
    return "f64";
  case ElementType::I1:
    return "i1";
  case ElementType::I2:
    return "i2";
  case ElementType::I4:
    return "i4";
  case ElementType::U2:
    return "ui2";
  case ElementType::U4:
    return "ui4";
  case ElementType::I8:
    return "i8";
  case ElementType::I16:
    return "i16";
  case ElementType::I32:
    return "i32";
  case ElementType::I64:
    return "i64";
  case ElementType::U8:
    return "ui8";
  case ElementType::U16:
    return "ui16";
  case ElementType::U32:
    return "ui32";
  case ElementType::U64:
    return "ui64";
  }
  llvm_unreachable("unknown element type");
}

std::optional<ElementType> muon::parseElementTypeName(StringRef name) {
  return StringSwitch<std::optional<ElementType>>(name)
      .Case("f4E2M1FN", ElementType::F4E2M1FN)
      .Case("f8E4M3FN", ElementType::F8E4M3FN)
      .Case("f8E4M3FNUZ", ElementType::F8E4M3FNUZ)
      .Case("f8E5M2", ElementType::F8E5M2)
      .Case("f8E5M2FNUZ", ElementType::F8E5M2FNUZ)
      .Case("f16", ElementType::F16)
      .Case("bf16", ElementType::BF16)
      .Case("f32", ElementType::F32)
      .Case("f64", ElementType::F64)
      .Case("i1", ElementType::I1)
      .Case("i2", ElementType::I2)
      .Case("i4", ElementType::I4)
      .Case("ui2", ElementType::U2)
      .Case("ui4", ElementType::U4)
      .Case("i8", ElementType::I8)
      .Case("i16", ElementType::I16)
      .Case("i32", ElementType::I32)
      .Case("i64", ElementType::I64)
      .Case("ui8", ElementType::U8)
      .Case("ui16", ElementType::U16)
      .Case("ui32", ElementType::U32)
      .Case("ui64", ElementType::U64)
      .Default(std::nullopt);
}

StringRef muon::getSupportedElementTypeNames() {
  return "f4E2M1FN, f8E4M3FN, f8E4M3FNUZ, f8E5M2, f8E5M2FNUZ, f16, bf16, f32, "
         "f64, i1, "
         "i2, i4, i8, i16, i32, i64, ui2, ui4, ui8, ui16, ui32, ui64";
}

std::optional<ElementType> muon::getElementType(mlir::Type type) {
  if (isa<mlir::Float4E2M1FNType>(type))
    return ElementType::F4E2M1FN;
  if (isa<mlir::Float8E4M3FNType>(type))
    return ElementType::F8E4M3FN;
  if (isa<mlir::Float8E4M3FNUZType>(type))
    return ElementType::F8E4M3FNUZ;
  if (isa<mlir::Float8E5M2Type>(type))
    return ElementType::F8E5M2;
  if (isa<mlir::Float8E5M2FNUZType>(type))
    return ElementType::F8E5M2FNUZ;
  if (type.isF16())
    return ElementType::F16;
  if (type.isBF16())
    return ElementType::BF16;
  if (type.isF32())
    return ElementType::F32;
  if (type.isF64())
    return ElementType::F64;
  // Signless or unsigned: a signed integer type has no ABI (the lowering
  // makes every integer signless, and `muon.unsigned` marks unsigned ones).
  if (type.isUnsignedInteger()) {
    switch (type.getIntOrFloatBitWidth()) {
    case 2:
      return ElementType::U2;
    case 4:
      return ElementType::U4;
    case 8:
      return ElementType::U8;
    case 16:
      return ElementType::U16;
    case 32:
      return ElementType::U32;
    case 64:
      return ElementType::U64;
    default:
      return std::nullopt;
    }
  }
  if (type.isSignlessInteger(1))
    return ElementType::I1;
  if (type.isSignlessInteger(2))
    return ElementType::I2;
  if (type.isSignlessInteger(4))
    return ElementType::I4;
  if (type.isSignlessInteger(8))
    return ElementType::I8;
  if (type.isSignlessInteger(16))
    return ElementType::I16;
  if (type.isSignlessInteger(32))
    return ElementType::I32;
  if (type.isSignlessInteger(64))
    return ElementType::I64;
  return std::nullopt;
}

size_t muon::getElementByteWidth(ElementType type) {
  switch (type) {
  case ElementType::F4E2M1FN:
  case ElementType::F8E4M3FN:
  case ElementType::F8E4M3FNUZ:
  case ElementType::F8E5M2:
  case ElementType::F8E5M2FNUZ:
  case ElementType::I1:
  case ElementType::I2:
  case ElementType::I4:
  case ElementType::I8:
  case ElementType::U2:
  case ElementType::U4:
  case ElementType::U8:
    return 1;
  case ElementType::F16:
  case ElementType::BF16:
  case ElementType::I16:
  case ElementType::U16:
    return 2;
  case ElementType::F32:
  case ElementType::I32:
  case ElementType::U32:
    return 4;
  case ElementType::F64:
  case ElementType::I64:
  case ElementType::U64:
    return 8;
  }
  llvm_unreachable("unknown element type");
}

unsigned muon::getIntegerBitWidth(ElementType type) {
  switch (type) {
  case ElementType::I1:
    return 1;
  case ElementType::I2:
  case ElementType::U2:
    return 2;
  case ElementType::I4:
  case ElementType::U4:
    return 4;
  default:
    assert(!isFloatElementType(type) && "not an integer type");
    return 8 * getElementByteWidth(type);
  }
}

bool muon::isFloatElementType(ElementType type) {
  return travelsAsF32(type) || type == ElementType::F16 ||
         type == ElementType::F32 || type == ElementType::F64;
}

std::optional<ElementType> muon::getByteCarrier(ElementType type) {
  switch (type) {
  case ElementType::I2:
  case ElementType::I4:
    return ElementType::I8;
  case ElementType::U2:
  case ElementType::U4:
    return ElementType::U8;
  default:
    return std::nullopt;
  }
}

bool muon::travelsAsF32(ElementType type) {
  return type == ElementType::BF16 || type == ElementType::F4E2M1FN ||
         type == ElementType::F8E4M3FN || type == ElementType::F8E4M3FNUZ ||
         type == ElementType::F8E5M2 || type == ElementType::F8E5M2FNUZ;
}

bool muon::isUnsignedElementType(ElementType type) {
  return type == ElementType::U2 || type == ElementType::U4 ||
         type == ElementType::U8 || type == ElementType::U16 ||
         type == ElementType::U32 || type == ElementType::U64;
}

int64_t HostTensorType::getNumElements() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

std::optional<uint64_t> HostTensorType::getByteSize() const {
  int64_t size = getElementByteWidth(elementType);
  for (int64_t dim : shape)
    if (MulOverflow(size, dim, size))
      return std::nullopt;
  return size;
}

uint64_t muon::getHostMemoryBytes() {
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || pageSize <= 0)
    return std::numeric_limits<uint64_t>::max();
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize);
}

Error HostTensorType::checkByteSize(uint64_t maxBytes) const {
  std::optional<uint64_t> size = getByteSize();
  if (!size)
    return createStringError("a " + str() +
                             " tensor has more bytes than 64-bit sizes count");
  if (*size > maxBytes)
    return createStringError("a " + str() + " tensor takes " + Twine(*size) +
                             " bytes, more than the limit of " +
                             Twine(maxBytes) + " bytes");
  return Error::success();
}

std::string HostTensorType::str() const {
  std::string result;
  for (int64_t dim : shape)
    result += std::to_string(dim) + "x";
  return result + getElementTypeName(elementType).str();
}

//===----------------------------------------------------------------------===//
// Element access
//===----------------------------------------------------------------------===//

/// The semantics of the float types narrower than f32, which have no C++
/// counterpart.
static const fltSemantics &getNarrowSemantics(ElementType type) {
  switch (type) {
  case ElementType::F4E2M1FN:
    return APFloat::Float4E2M1FN();
  case ElementType::F8E4M3FN:
    return APFloat::Float8E4M3FN();
  case ElementType::F8E4M3FNUZ:
    return APFloat::Float8E4M3FNUZ();
  case ElementType::F8E5M2:
    return APFloat::Float8E5M2();
  case ElementType::F8E5M2FNUZ:
    return APFloat::Float8E5M2FNUZ();
  case ElementType::F16:
    return APFloat::IEEEhalf();
  case ElementType::BF16:
    return APFloat::BFloat();
  default:
    llvm_unreachable("not a narrow float type");
  }
}

/// Whether `type` is a float type narrower than f32.
static bool isNarrowFloat(ElementType type) {
  return isFloatElementType(type) && getElementByteWidth(type) < 4;
}

template <typename T> static T load(const uint8_t *ptr) {
  T value;
  std::memcpy(&value, ptr, sizeof(T));
  return value;
}

template <typename T> static void store(uint8_t *ptr, T value) {
  std::memcpy(ptr, &value, sizeof(T));
}

HostTensor::HostTensor(HostTensorType type) : type(std::move(type)) {
  std::optional<uint64_t> size = this->type.getByteSize();
  assert(size && "tensor size overflows");
  bytes.resize(*size);
}

double HostTensor::getDouble(int64_t index) const {
  const uint8_t *ptr =
      bytes.data() + index * getElementByteWidth(type.elementType);
  if (isNarrowFloat(type.elementType)) {
    const fltSemantics &semantics = getNarrowSemantics(type.elementType);
    unsigned width = APFloat::getSizeInBits(semantics);
    uint16_t bits =
        width == 16 ? load<uint16_t>(ptr) : *ptr & ((1u << width) - 1);
    APFloat value(semantics, APInt(width, bits));
    bool losesInfo;
    value.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven,
                  &losesInfo);
    return value.convertToDouble();
  }
  switch (type.elementType) {
  case ElementType::F32:
    return load<float>(ptr);
  case ElementType::F64:
    return load<double>(ptr);
  case ElementType::U64:
    return static_cast<double>(static_cast<uint64_t>(getInt(index)));
  default:
    return static_cast<double>(getInt(index));
  }
  llvm_unreachable("unknown element type");
}

int64_t HostTensor::getInt(int64_t index) const {
  const uint8_t *ptr =
      bytes.data() + index * getElementByteWidth(type.elementType);
  switch (type.elementType) {
  case ElementType::I1:
    // LLVM reads an i1 in memory as the low bit of its byte, an i2/i4 as its
    // low bits.
    return *ptr & 1;
  case ElementType::I2:
  case ElementType::I4:
    return SignExtend64(*ptr, getIntegerBitWidth(type.elementType));
  case ElementType::U2:
  case ElementType::U4:
    return *ptr & ((1u << getIntegerBitWidth(type.elementType)) - 1);
  case ElementType::I8:
    return load<int8_t>(ptr);
  case ElementType::I16:
    return load<int16_t>(ptr);
  case ElementType::I32:
    return load<int32_t>(ptr);
  case ElementType::I64:
  case ElementType::U64:
    return load<int64_t>(ptr);
  case ElementType::U8:
    return load<uint8_t>(ptr);
  case ElementType::U16:
    return load<uint16_t>(ptr);
  case ElementType::U32:
    return load<uint32_t>(ptr);
  default:
    llvm_unreachable("getInt on a float tensor");
  }
}

void HostTensor::setDouble(int64_t index, double value) {
  uint8_t *ptr = bytes.data() + index * getElementByteWidth(type.elementType);
  if (isNarrowFloat(type.elementType)) {
    // Out of range, the float8 types without infinities become NaN and
    // float4 its largest value (APFloat's conversion).
    APFloat narrowed(value);
    bool losesInfo;
    narrowed.convert(getNarrowSemantics(type.elementType),
                     APFloat::rmNearestTiesToEven, &losesInfo);
    uint64_t bits = narrowed.bitcastToAPInt().getZExtValue();
    if (getElementByteWidth(type.elementType) == 1)
      *ptr = static_cast<uint8_t>(bits);
    else
      store<uint16_t>(ptr, static_cast<uint16_t>(bits));
    return;
  }
  switch (type.elementType) {
  case ElementType::F32:
    store<float>(ptr, static_cast<float>(value));
    return;
  case ElementType::F64:
    store<double>(ptr, value);
    return;
  default:
    llvm_unreachable("setDouble on an integer tensor");
  }
}

void HostTensor::setInt(int64_t index, int64_t value) {
  uint8_t *ptr = bytes.data() + index * getElementByteWidth(type.elementType);
  switch (type.elementType) {
  case ElementType::I1:
    store<uint8_t>(ptr, value != 0);
    return;
  case ElementType::I2:
  case ElementType::I4:
  case ElementType::U2:
  case ElementType::U4: {
    unsigned bits = getIntegerBitWidth(type.elementType);
    int64_t kept = isUnsignedElementType(type.elementType)
                       ? static_cast<int64_t>(value & ((1u << bits) - 1))
                       : SignExtend64(static_cast<uint64_t>(value), bits);
    store<uint8_t>(ptr, static_cast<uint8_t>(kept));
    return;
  }
  case ElementType::I8:
  case ElementType::U8:
    store<uint8_t>(ptr, static_cast<uint8_t>(value));
    return;
  case ElementType::I16:
  case ElementType::U16:
    store<uint16_t>(ptr, static_cast<uint16_t>(value));
    return;
  case ElementType::I32:
  case ElementType::U32:
    store<uint32_t>(ptr, static_cast<uint32_t>(value));
    return;
  case ElementType::I64:
  case ElementType::U64:
    store<int64_t>(ptr, value);
    return;
  default:
    llvm_unreachable("setInt on a float tensor");
  }
}

HostTensor HostTensor::convertTo(ElementType elementType) const {
  assert(isFloatElementType(type.elementType) &&
         isFloatElementType(elementType) && "only floats convert");
  HostTensor result(HostTensorType{elementType, type.shape});
  for (int64_t i = 0, e = getNumElements(); i < e; ++i)
    result.setDouble(i, getDouble(i));
  return result;
}

Expected<HostTensor> HostTensor::narrowTo(ElementType elementType) const {
  assert(getByteCarrier(elementType) == type.elementType &&
         "narrows from the byte carrier only");
  HostTensor result(HostTensorType{elementType, type.shape});
  for (int64_t i = 0, e = getNumElements(); i < e; ++i) {
    int64_t value = getInt(i);
    result.setInt(i, value);
    if (result.getInt(i) != value)
      return createStringError("value " + Twine(value) + " at index " +
                               Twine(i) + " does not fit in " +
                               getElementTypeName(elementType));
  }
  return result;
}

double muon::getRelativeError(const HostTensor &got,
                              const HostTensor &expected) {
  assert(got.getShape() == expected.getShape() && "shape mismatch");
  double diffNorm = 0.0, expectedNorm = 0.0;
  for (int64_t i = 0, e = got.getNumElements(); i < e; ++i) {
    double want = expected.getDouble(i), value = got.getDouble(i);
    // NaN matches only NaN, as numpy's `allclose(equal_nan=True)` compares:
    // reference data (ONNX's node tests) expect NaN where an op must make one.
    // A NaN against a number makes the whole error NaN, which no threshold
    // accepts. Equal infinities match; any other difference involving an
    // infinity is infinitely wrong.
    if (std::isnan(value) && std::isnan(want))
      continue;
    if (std::isnan(value) || std::isnan(want))
      return std::numeric_limits<double>::quiet_NaN();
    if (std::isinf(value) || std::isinf(want)) {
      if (value != want)
        return std::numeric_limits<double>::infinity();
      continue;
    }
    double diff = value - want;
    diffNorm += diff * diff;
    expectedNorm += want * want;
  }
  // An all-zero expectation makes the error absolute instead of dividing by 0.
  return std::sqrt(diffNorm) /
         std::max(std::sqrt(expectedNorm), std::numeric_limits<double>::min());
}
