//===- Passes.h - Passes of the optim dialect -------------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_DIALECT_OPTIM_TRANSFORMS_PASSES_H
#define MUON_DIALECT_OPTIM_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "muon/Dialect/Optim/IR/OptimAttrs.h"
#include "muon/Pass/ListedOptions.h"

namespace mlir {
class Block;
class RewritePatternSet;
class RewriterBase;
} // namespace mlir

namespace muon::optim {

/// What `optim-assign` moves hidden matrices to.
enum class HiddenMatrixOptimizer { Muon, Muon2 };

/// The element type `optim-assign` gives Newton–Schulz's GEMMs.
enum class NewtonSchulzCompute { Input, BF16 };

#define GEN_PASS_DECL
#include "muon/Dialect/Optim/Transforms/Passes.h.inc"

/// How `bucketOptimizerUpdates` forms buckets (`optim-bucket`'s options).
struct BucketOptions {
  unsigned minBucketSize = 2;
  double padWaste = 0.125;
  /// Estimated kernel temporaries one Muon-family bucket may hold (0: no
  /// limit).
  int64_t maxTemporaryBytes = 0;
  /// A remark on each Muon-family bucket with its estimate.
  bool reportTemporaryBytes = false;
};

/// What `bucketOptimizerUpdates` did.
struct BucketStatistics {
  unsigned numBuckets = 0;
  unsigned numBucketedOps = 0;
};

/// Replaces each bucket of at least `minBucketSize` (and 2) optim.muon,
/// optim.muon2 (full second moment) or optim.adamw ops of `block` that can
/// run as one op by that op on packed operands, Muon-family shapes
/// zero-padded into larger ones where Newton–Schulz costs at most
/// `padWaste` more, and Muon-family buckets kept within
/// `maxTemporaryBytes` of estimated temporaries (see `optim-bucket`).
BucketStatistics bucketOptimizerUpdates(mlir::RewriterBase &rewriter,
                                        mlir::Block &block,
                                        const BucketOptions &options);

#define GEN_PASS_REGISTRATION
#include "muon/Dialect/Optim/Transforms/Passes.h.inc"

} // namespace muon::optim

#endif // MUON_DIALECT_OPTIM_TRANSFORMS_PASSES_H
