//===- Passes.h - Transforms of upstream dialects ---------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_TRANSFORMS_PASSES_H
#define MUON_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "muon/Pass/ListedOptions.h"

namespace muon {

/// The function attribute `muon-assertions-to-status` sets: the message of
/// each status code, code i + 1 at position i.
inline constexpr llvm::StringLiteral kStatusMessagesAttrName =
    "muon.status_messages";

#define GEN_PASS_DECL
#include "muon/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "muon/Transforms/Passes.h.inc"

} // namespace muon

#endif // MUON_TRANSFORMS_PASSES_H
