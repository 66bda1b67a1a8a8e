//===- TensorProtoFuzzer.cpp - Fuzz muon-run's .pb tensor reader ----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Any byte string is a candidate ONNX TensorProto (`--input=@x.pb`): the
// reader must return a tensor or an error, never crash or allocate more than
// the input describes with data. A tensor it returns holds exactly the bytes
// its shape and element type need.
//
//===----------------------------------------------------------------------===//

#include "muon/Runner/TensorProtoReader.h"

#include <cstdlib>

using namespace muon;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef image(reinterpret_cast<const char *>(data), size);
  llvm::Expected<HostTensor> tensor = readTensorProto("fuzz.pb", image);
  if (!tensor) {
    llvm::consumeError(tensor.takeError());
    return 0;
  }
  std::optional<uint64_t> bytes = tensor->getType().getByteSize();
  if (!bytes || tensor->getBytes().size() != *bytes)
    std::abort();
  return 0;
}
