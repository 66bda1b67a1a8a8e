//===- Passes.h - Passes of the optim dialect -------------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_DIALECT_OPTIM_TRANSFORMS_PASSES_H
#define MUON_DIALECT_OPTIM_TRANSFORMS_PASSES_H

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
#include "mlir/Pass/Pass.h"

namespace mlir {
class Block;
class RewritePatternSet;
class RewriterBase;
} // namespace mlir

namespace muon::optim {

#define GEN_PASS_DECL
#include "muon/Dialect/Optim/Transforms/Passes.h.inc"

/// Patterns rewriting optim.muon / optim.muon2 into moment math around
/// optim.newton_schulz.
void populateOptimDecomposePatterns(mlir::RewritePatternSet &patterns);

/// What `bucketOptimizerUpdates` did.
struct BucketStatistics {
  unsigned numBuckets = 0;
  unsigned numBucketedOps = 0;
};

/// Replaces each bucket of at least `minBucketSize` (and 2) optim.muon,
/// optim.muon2 (full second moment) or optim.adamw ops of `block` that can
/// run as one op by that op on packed operands (see `optim-bucket`).
BucketStatistics bucketOptimizerUpdates(mlir::RewriterBase &rewriter,
                                        mlir::Block &block,
                                        unsigned minBucketSize);

/// Patterns lowering optim.muon, optim.muon2 (full second moment) and
/// optim.adamw to fused kernels and runtime GEMM calls
/// (`convert-optim-to-kernels`).
void populateOptimToKernelsConversionPatterns(
    mlir::RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "muon/Dialect/Optim/Transforms/Passes.h.inc"

} // namespace muon::optim

#endif // MUON_DIALECT_OPTIM_TRANSFORMS_PASSES_H
