//===- InputSpecFuzzer.cpp - Fuzz muon-run's tensor flag grammar ----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The input is one `--input=`/`--expected_output=` value (`2x2xf32=1,2,3,4`,
// `f32=0.02`, ...) or, after a newline, an `--output=` value. Parsing must
// give a tensor or an error; file references (`@...`) are not followed, the
// .npy reader has its own target. Inline tensors are capped at 1 MiB so
// that large splats are errors here rather than libFuzzer out-of-memory
// reports; muon-run's cap is the machine's memory.
//
//===----------------------------------------------------------------------===//

#include "muon/Runner/InputSpec.h"

#include <cstdlib>

using namespace muon;

static constexpr uint64_t kMaxTensorBytes = 1 << 20;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  auto [spec, output] = text.split('\n');
  if (!spec.starts_with("@")) {
    llvm::Expected<HostTensor> tensor = parseTensorSpec(spec, kMaxTensorBytes);
    if (tensor) {
      if (tensor->getBytes().size() > kMaxTensorBytes)
        std::abort();
    } else {
      llvm::consumeError(tensor.takeError());
    }
  }
  llvm::Expected<OutputSpec> outputSpec = parseOutputSpec(output);
  if (!outputSpec)
    llvm::consumeError(outputSpec.takeError());
  return 0;
}
