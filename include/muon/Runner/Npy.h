//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Reads and writes single arrays in the NumPy .npy format (versions 1.0, 2.0
// and 3.0), little-endian and C order only: the dtypes are '<f2', '<f4',
// '<f8', '<i4', '<i8' and '|b1'. NumPy has no bfloat16, so bf16 tensors are
// written as '<f4'; readers convert back where a bf16 value is expected.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_RUNNER_NPY_H
#define MUON_RUNNER_NPY_H

#include "muon/Step/HostTensor.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

namespace muon {

/// Reads the array in the .npy file at `path`. Errors name the file and what
/// is wrong with it (bad magic, header, unsupported dtype, Fortran order,
/// truncated data).
llvm::Expected<HostTensor> readNpyFile(llvm::StringRef path);

/// Reads the array in `image`, the bytes of a .npy file; errors start with
/// `path`. No more is allocated than `image` holds.
llvm::Expected<HostTensor> readNpy(llvm::StringRef path, llvm::StringRef image);

/// Writes `tensor` as a .npy file: version 1.0, or 2.0 for a header too long
/// for version 1's 16-bit length.
void writeNpy(llvm::raw_ostream &os, const HostTensor &tensor);

/// Writes `tensor` to the file `path` (see `writeNpy`).
llvm::Error writeNpyFile(llvm::StringRef path, const HostTensor &tensor);

} // namespace muon

#endif // MUON_RUNNER_NPY_H
