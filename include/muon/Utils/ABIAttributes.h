//===- ABIAttributes.h - Attributes the step ABI reads -----------*- C++
//-*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Discardable attributes on a function's arguments and results that change
// how callers pass them (muon-run, muon-compile's C header, muon_mlir.aot)
// but not what the compiled code does.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_UTILS_ABIATTRIBUTES_H
#define MUON_UTILS_ABIATTRIBUTES_H

#include "llvm/ADT/StringRef.h"

namespace muon {

/// Unit attribute on an argument or result whose integers are unsigned. The
/// compiled code, like arith, sees signless integers (the ops choose the
/// signedness); callers see ui8..ui64 (`.npy` `<u4`, C `uint32_t`, numpy
/// `uint32`). The ONNX importer sets it for UINT8..UINT64 tensors.
inline constexpr llvm::StringLiteral kUnsignedAttrName = "muon.unsigned";

} // namespace muon

#endif // MUON_UTILS_ABIATTRIBUTES_H
