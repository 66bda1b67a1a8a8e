//===- CUDATarget.h - Checks of the chip and PTX version ------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_UTILS_CUDATARGET_H
#define MUON_UTILS_CUDATARGET_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace muon {

/// The PTX ISA version the kernels target unless the features name one:
/// sm_90 needs 7.8 or newer (LLVM defaults older), kernels with more than
/// 4 KB of parameters (buckets of many tensors, BucketBuffers.h) 8.1.
constexpr unsigned kDefaultPTXVersion = 86;

/// Fails unless `chip` names an SM architecture as NVPTX spells it: `sm_`, a
/// version, optionally an `a` or `f` suffix (sm_80, sm_90a). NVVM's target
/// checks parse the chip without validating it: an empty one crashes them.
llvm::Error verifyCUDAChip(llvm::StringRef chip);

/// The NVPTX features to generate `chip`'s code with: `features` with
/// `+ptx<version>` prepended when it names no PTX version (the default
/// version, or the chip's minimum when newer: sm_120 needs 8.7). Fails, where
/// NVPTX would abort code generation, on a chip NVPTX does not know or a PTX
/// version older than the chip's minimum.
llvm::Expected<std::string> resolveCUDAFeatures(llvm::StringRef chip,
                                                llvm::StringRef features);

} // namespace muon

#endif // MUON_UTILS_CUDATARGET_H
