//===- TensorProtoReader.h - ONNX TensorProto .pb files ---------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Reads one serialized onnx.TensorProto (the `.pb` files of ONNX backend test
// data sets) into a HostTensor, for muon-run's `--input=@x.pb` and
// `--expected_output=@y.pb`. Data types: FLOAT16, BFLOAT16, FLOAT, DOUBLE,
// BOOL, INT32, INT64. Sizes are checked against the stored data before
// anything is allocated, as for .npy files.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_RUNNER_TENSORPROTOREADER_H
#define MUON_RUNNER_TENSORPROTOREADER_H

#include "muon/Step/HostTensor.h"
#include "llvm/Support/Error.h"

namespace muon {

/// Reads the TensorProto in the file at `path`; errors name the file.
llvm::Expected<HostTensor> readTensorProtoFile(llvm::StringRef path);

/// The same for the serialized TensorProto `image`; errors name `name`.
llvm::Expected<HostTensor> readTensorProto(llvm::StringRef name,
                                           llvm::StringRef image);

} // namespace muon

#endif // MUON_RUNNER_TENSORPROTOREADER_H
