//===- InputSpec.h - iree-run-module style tensor flags ---------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The value grammar of muon-run's `--input=`, `--expected_output=` and
// `--output=` flags, which follows iree-run-module:
//
//   @path.npy          the array stored in a .npy file
//   @path.pb           the onnx.TensorProto stored in a .pb file
//   2x2xf32=1,2,3,4    an inline tensor, values in row-major order
//   4xf32=0.5          a single value fills the whole shape
//   f32=0.02           a 0-d tensor
//
// Inline values are separated by commas and/or whitespace; brackets are
// ignored, so a printed result such as `2x2xf32=[1 2][3 4]` reads back.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_RUNNER_INPUTSPEC_H
#define MUON_RUNNER_INPUTSPEC_H

#include "muon/Step/HostTensor.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace muon {

/// Parses one tensor value (`@x.npy`, `@x.pb` or an inline literal). An
/// inline literal whose type takes more than `maxBytes` is an error, checked
/// before allocating (a file allocates no more than the file holds).
llvm::Expected<HostTensor>
parseTensorSpec(llvm::StringRef spec, uint64_t maxBytes = getHostMemoryBytes());

/// Parses every value given to `flag`; errors quote the flag and the value.
llvm::Expected<llvm::SmallVector<HostTensor>>
parseTensorSpecs(llvm::StringRef flag, llvm::ArrayRef<std::string> specs,
                 uint64_t maxBytes = getHostMemoryBytes());

/// Where `--output=` sends a result: a .npy file, or standard output.
struct OutputSpec {
  /// The .npy file to write; std::nullopt prints the result.
  std::optional<std::string> npyPath;
};

/// Parses `@path.npy` or `-`.
llvm::Expected<OutputSpec> parseOutputSpec(llvm::StringRef spec);

} // namespace muon

#endif // MUON_RUNNER_INPUTSPEC_H
