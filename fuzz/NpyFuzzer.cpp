//===- NpyFuzzer.cpp - Fuzz muon-run's .npy reader ------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Any byte string is a candidate .npy file: the reader must return a tensor
// or an error, never crash, read out of bounds or allocate more than the
// input holds. A tensor it returns must survive a write and a read back.
//
//===----------------------------------------------------------------------===//

#include "muon/Runner/Npy.h"

#include <cstdlib>

using namespace muon;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef image(reinterpret_cast<const char *>(data), size);
  llvm::Expected<HostTensor> tensor = readNpy("fuzz.npy", image);
  if (!tensor) {
    llvm::consumeError(tensor.takeError());
    return 0;
  }
  // The element bytes came from the input, so they cannot outnumber it.
  if (tensor->getBytes().size() > size)
    std::abort();

  std::string written;
  llvm::raw_string_ostream os(written);
  writeNpy(os, *tensor);
  llvm::Expected<HostTensor> reread = readNpy("written.npy", written);
  if (!reread || reread->getType() != tensor->getType() ||
      reread->getBytes() != tensor->getBytes())
    std::abort();
  return 0;
}
