//===- HostTensor.h - Dense tensors in host memory --------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The values muon-run moves between files, the command line and JIT-compiled
// code: a dense, row-major buffer with an element type and a static shape.
// The byte layout of each element type is the one the LLVM lowering of a
// memref uses, so a buffer can be handed to compiled code as is.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_STEP_HOSTTENSOR_H
#define MUON_STEP_HOSTTENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class Type;
} // namespace mlir

namespace muon {

/// Element types muon-run can pass to and from compiled code.
/// Unsigned integers (U8..U64, spelled `ui8`..`ui64`) are signless in the
/// compiled code; a function marks them with `muon.unsigned`
/// (muon/Utils/ABIAttributes.h). The float8 types (ONNX's FLOAT8E4M3FN,
/// FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ) are one byte of their bits,
/// f4E2M1FN (FLOAT4E2M1) one byte whose low 4 bits hold its bits,
/// the 2- and 4-bit integers (ONNX's INT2/INT4/UINT2/UINT4) one byte each,
/// whose low bits hold the value (as LLVM stores an i4).
enum class ElementType {
  F4E2M1FN,
  F8E4M3FN,
  F8E4M3FNUZ,
  F8E5M2,
  F8E5M2FNUZ,
  F16,
  BF16,
  F32,
  F64,
  I1,
  I2,
  I4,
  I8,
  I16,
  I32,
  I64,
  U2,
  U4,
  U8,
  U16,
  U32,
  U64
};

/// The MLIR spelling of `type` ("f32", "i1", ...).
llvm::StringRef getElementTypeName(ElementType type);

/// Parses an MLIR element type spelling; std::nullopt if unsupported.
std::optional<ElementType> parseElementTypeName(llvm::StringRef name);

/// The supported element types, comma separated, for error messages.
llvm::StringRef getSupportedElementTypeNames();

/// Maps an MLIR element type to ours (unsigned integers from `uiN`);
/// std::nullopt if unsupported.
std::optional<ElementType> getElementType(mlir::Type type);

/// Bytes per element in memory (i1, i2 and i4 take a whole byte, as in LLVM).
size_t getElementByteWidth(ElementType type);

/// Bits of an integer element's value: its type's width (1, 2, 4, ..., 64).
unsigned getIntegerBitWidth(ElementType type);

bool isFloatElementType(ElementType type);

/// Whether .npy files have no dtype for `type` (bf16, float8, float4): such
/// tensors are written as f32 and read from f32 files.
bool travelsAsF32(ElementType type);

/// The 8-bit integer type .npy files carry a 2- or 4-bit integer type as
/// (i8 for signed, ui8 for unsigned ones); std::nullopt for other types.
std::optional<ElementType> getByteCarrier(ElementType type);

bool isUnsignedElementType(ElementType type);

/// Bytes of physical memory of this machine: the default limit on what
/// muon-run allocates for tensors, so that a huge shape is an error rather
/// than an abort in the allocator.
uint64_t getHostMemoryBytes();

/// Element type and static shape of a tensor.
struct HostTensorType {
  ElementType elementType;
  llvm::SmallVector<int64_t> shape;

  int64_t getNumElements() const;

  /// The bytes a tensor of this type takes, or std::nullopt when that
  /// overflows: sizes from files and flags are checked before allocating.
  std::optional<uint64_t> getByteSize() const;

  /// Succeeds if a tensor of this type takes at most `maxBytes`; the error
  /// says how much it would take.
  llvm::Error checkByteSize(uint64_t maxBytes) const;

  /// The `2x2xf32` spelling used on the command line (`f32` for rank 0).
  std::string str() const;
  /// The MLIR spelling, `tensor<2x2xf32>`.
  std::string getTensorTypeName() const { return "tensor<" + str() + ">"; }

  bool operator==(const HostTensorType &other) const {
    return elementType == other.elementType && shape == other.shape;
  }
  bool operator!=(const HostTensorType &other) const {
    return !(*this == other);
  }
};

/// A dense row-major tensor owning its bytes.
class HostTensor {
public:
  /// A zero-filled tensor of `type`, whose size the caller has checked
  /// (`checkByteSize`).
  explicit HostTensor(HostTensorType type);

  const HostTensorType &getType() const { return type; }
  ElementType getElementType() const { return type.elementType; }
  llvm::ArrayRef<int64_t> getShape() const { return type.shape; }
  int64_t getNumElements() const { return type.getNumElements(); }

  /// The raw element bytes, `getNumElements() * getElementByteWidth()` long.
  llvm::MutableArrayRef<uint8_t> getBytes() { return bytes; }
  llvm::ArrayRef<uint8_t> getBytes() const { return bytes; }

  /// Element `index` (row-major) widened to double; integers convert exactly
  /// up to 2^53, which is all comparisons and printing need.
  double getDouble(int64_t index) const;
  /// Element `index` of an integer tensor (a u64 one's bits for values
  /// past INT64_MAX: isUnsignedElementType says how to read it).
  int64_t getInt(int64_t index) const;

  /// Stores `value` at `index`, rounding to nearest even for narrower floats.
  void setDouble(int64_t index, double value);
  /// Stores `value` at `index` of an integer tensor, truncating to its width
  /// (2- and 4-bit ones keep it sign- or zero-extended in their byte).
  void setInt(int64_t index, int64_t value);

  /// A copy converted to the float type `elementType`; this tensor must hold
  /// floats too (see travelsAsF32).
  HostTensor convertTo(ElementType elementType) const;
  /// A copy narrowed to the 2- or 4-bit integer type `elementType` from its
  /// byte carrier (getByteCarrier), or an error naming the first value out
  /// of its range.
  llvm::Expected<HostTensor> narrowTo(ElementType elementType) const;

private:
  HostTensorType type;
  std::vector<uint8_t> bytes;
};

/// The relative Frobenius error ||got - expected|| / max(||expected||, tiny),
/// the measure `--expected_output` thresholds. Both tensors must have the
/// same shape. NaN matches NaN at the same position; a NaN against a number
/// makes the error NaN (never "close").
double getRelativeError(const HostTensor &got, const HostTensor &expected);

} // namespace muon

#endif // MUON_STEP_HOSTTENSOR_H
