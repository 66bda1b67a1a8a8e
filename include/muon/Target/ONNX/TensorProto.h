//===- TensorProto.h - Decoding ONNX TensorProto data -----------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Turns an onnx::TensorProto (an initializer, or a test-data `.pb` file) into
// a shape and a dense row-major little-endian byte buffer, checking before any
// allocation that the element count stays under a limit and agrees with the
// stored data. Shared by the importer (initializers) and muon-run (`.pb`
// inputs and expected outputs).
//
//===----------------------------------------------------------------------===//

#ifndef MUON_TARGET_ONNX_TENSORPROTO_H
#define MUON_TARGET_ONNX_TENSORPROTO_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace muon::onnx_import {

/// Tensors with more elements than this (2^31) are rejected unless a caller
/// passes another limit: no single tensor of a model protobuf can carry more
/// data than protobuf's 2 GiB message limit anyway.
inline constexpr uint64_t kDefaultMaxTensorElements = uint64_t(1) << 31;

/// A decoded tensor: ONNX data type, shape and element bytes (booleans take
/// one byte each, 16-bit floats their IEEE/bfloat16 bit pattern, 4- and
/// 2-bit elements a byte each: signed integers sign-extended).
struct DecodedTensor {
  int32_t dataType;
  llvm::SmallVector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

/// The data types onnx.proto added after the version the importer builds
/// against (Debian's libonnx predates IR version 9), numbered as there.
enum NewerDataType : int32_t {
  kFloat8E4M3FN = 17,
  kFloat8E4M3FNUZ = 18,
  kFloat8E5M2 = 19,
  kFloat8E5M2FNUZ = 20,
  kUInt4 = 21,
  kInt4 = 22,
  kFloat4E2M1 = 23,
  kFloat8E8M0 = 24,
  kUInt2 = 25,
  kInt2 = 26,
};

/// Whether `dataType` is one of the four FLOAT8 types the importer reads.
inline bool isFloat8DataType(int32_t dataType) {
  return dataType >= kFloat8E4M3FN && dataType <= kFloat8E5M2FNUZ;
}

/// The width of the elements of INT4, UINT4, FLOAT4E2M1 (4), INT2 and UINT2
/// (2), which tensors store packed; 0 for the other data types.
unsigned getPackedBitWidth(int32_t dataType);

/// Bytes per element of a supported ONNX data type once decoded (FLOAT,
/// DOUBLE, FLOAT16, BFLOAT16, FLOAT8*, FLOAT4E2M1, INT2/4/8/16/32/64,
/// UINT2/4/8/16/32/64, BOOL; the packed ones take a byte each); std::nullopt
/// for the others.
std::optional<size_t> getDataTypeByteWidth(int32_t dataType);

/// ONNX's name of a data type ("FLOAT", "INT64", ...), or "<code N>".
std::string getDataTypeName(int32_t dataType);

/// Decodes `tensor`; errors say what is wrong (unsupported or undefined data
/// type, negative or too many elements, external or segmented data, data
/// size disagreeing with the shape, out-of-range values).
llvm::Expected<DecodedTensor>
decodeTensor(const onnx::TensorProto &tensor,
             uint64_t maxElements = kDefaultMaxTensorElements);

/// Files of external data by location, each read once (see
/// inlineExternalData).
using ExternalDataFiles = llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>>;

/// Moves the data of a tensor stored outside the model (data_location
/// EXTERNAL: `location`, `offset`, `length` keys, as torch.onnx.export and
/// onnx.save_model(save_as_external_data=True) write it) into its raw_data,
/// from the file `location` names relative to `baseDir` (the model's
/// directory), so that decodeTensor reads it like inline data. A tensor
/// stored inline is left as it is. Errors: an absolute location or one
/// leaving baseDir, a missing file, a range past its end, a length other
/// than the shape's byte size.
llvm::Error inlineExternalData(onnx::TensorProto &tensor,
                               llvm::StringRef baseDir,
                               ExternalDataFiles &files);

/// Reads a file holding one serialized TensorProto (the `.pb` files of ONNX
/// backend test data). Errors are prefixed with the path.
llvm::Expected<DecodedTensor>
readTensorProtoFile(llvm::StringRef path,
                    uint64_t maxElements = kDefaultMaxTensorElements);

/// The same for the serialized TensorProto `image`; errors are prefixed with
/// `name`.
llvm::Expected<DecodedTensor>
parseTensorProto(llvm::StringRef name, llvm::StringRef image,
                 uint64_t maxElements = kDefaultMaxTensorElements);

} // namespace muon::onnx_import

#endif // MUON_TARGET_ONNX_TENSORPROTO_H
