//===- TensorProtoReader.cpp - ONNX TensorProto .pb files -----------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Runner/TensorProtoReader.h"

#include "muon/Target/ONNX/TensorProto.h"
#include "onnx/onnx_pb.h"

#include <cstring>

using namespace llvm;
using namespace muon;

/// Our element type of an ONNX data type (booleans are one byte in both).
static std::optional<ElementType> getONNXElementType(int32_t dataType) {
  switch (dataType) {
  case onnx_import::kInt2:
    return ElementType::I2;
  case onnx_import::kInt4:
    return ElementType::I4;
  case onnx_import::kUInt2:
    return ElementType::U2;
  case onnx_import::kUInt4:
    return ElementType::U4;
  case onnx_import::kFloat4E2M1:
    return ElementType::F4E2M1FN;
  case onnx_import::kFloat8E4M3FN:
    return ElementType::F8E4M3FN;
  case onnx_import::kFloat8E4M3FNUZ:
    return ElementType::F8E4M3FNUZ;
  case onnx_import::kFloat8E5M2:
    return ElementType::F8E5M2;
  case onnx_import::kFloat8E5M2FNUZ:
    return ElementType::F8E5M2FNUZ;
  case onnx::TensorProto::FLOAT16:
    return ElementType::F16;
  case onnx::TensorProto::BFLOAT16:
    return ElementType::BF16;
  case onnx::TensorProto::FLOAT:
    return ElementType::F32;
  case onnx::TensorProto::DOUBLE:
    return ElementType::F64;
  case onnx::TensorProto::BOOL:
    return ElementType::I1;
  case onnx::TensorProto::INT8:
    return ElementType::I8;
  case onnx::TensorProto::INT16:
    return ElementType::I16;
  case onnx::TensorProto::INT32:
    return ElementType::I32;
  case onnx::TensorProto::INT64:
    return ElementType::I64;
  case onnx::TensorProto::UINT8:
    return ElementType::U8;
  case onnx::TensorProto::UINT16:
    return ElementType::U16;
  case onnx::TensorProto::UINT32:
    return ElementType::U32;
  case onnx::TensorProto::UINT64:
    return ElementType::U64;
  default:
    return std::nullopt;
  }
}

/// The host tensor of `decoded`, or an error naming `name` for data types
/// muon-run has no element type for (none today: the decoder accepts the same
/// types, but the two lists are kept apart).
static Expected<HostTensor>
toHostTensor(StringRef name, Expected<onnx_import::DecodedTensor> decoded) {
  if (!decoded)
    return decoded.takeError();
  std::optional<ElementType> elementType =
      getONNXElementType(decoded->dataType);
  if (!elementType)
    return createStringError(name + ": unsupported data type " +
                             onnx_import::getDataTypeName(decoded->dataType));
  HostTensor tensor(HostTensorType{*elementType, decoded->shape});
  // decodeTensor checked the byte count against the shape.
  assert(tensor.getBytes().size() == decoded->bytes.size());
  // An empty tensor has no buffer: memcpy from/to null is undefined even for
  // zero bytes (a fuzzer finding, test/fuzz/Inputs/tensor-proto).
  if (!decoded->bytes.empty())
    std::memcpy(tensor.getBytes().data(), decoded->bytes.data(),
                decoded->bytes.size());
  return tensor;
}

Expected<HostTensor> muon::readTensorProtoFile(StringRef path) {
  return toHostTensor(path, onnx_import::readTensorProtoFile(path));
}

Expected<HostTensor> muon::readTensorProto(StringRef name, StringRef image) {
  return toHostTensor(name, onnx_import::parseTensorProto(name, image));
}
