//===- Passes.h - Transforms of upstream dialects ---------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_TRANSFORMS_PASSES_H
#define MUON_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace muon {

#define GEN_PASS_DECL
#include "muon/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "muon/Transforms/Passes.h.inc"

} // namespace muon

#endif // MUON_TRANSFORMS_PASSES_H
