//===- Passes.h - Conversion passes of muon-mlir ----------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_CONVERSION_PASSES_H
#define MUON_CONVERSION_PASSES_H

// The dialects the passes depend on (getDependentDialects).
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "muon/Conversion/GPUToHostLoops/GPUToHostLoops.h"
#include "muon/Conversion/LinalgReductionsToLoops/LinalgReductionsToLoops.h"
#include "muon/Conversion/LinalgToThreadLoops/LinalgToThreadLoops.h"
#include "muon/Conversion/MatmulToBlas/MatmulToBlas.h"
#include "muon/Conversion/MemoryToGPU/MemoryToGPU.h"
#include "muon/Conversion/OptimToLinalg/OptimToLinalg.h"
#include "muon/Conversion/ScatterAddToLoops/ScatterAddToLoops.h"
#include "muon/Pass/ListedOptions.h"

namespace muon {

#define GEN_PASS_REGISTRATION
#include "muon/Conversion/Passes.h.inc"

} // namespace muon

#endif // MUON_CONVERSION_PASSES_H
