//===- MuonUpdate.h - The order of a Muon/Muon² update ----------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The one sequence of a Muon/Muon² update, shared by the decomposition into
// linalg on tensors (optim-decompose) and the fused kernels the update ops
// bufferize to (lib/Conversion/OptimToKernels), which differ only in how
// they emit loops:
//   momentum (and second moment, preconditioning) → Newton–Schulz of U →
//   W' = W·(1 − lr·wd) − lr·adjust·O.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_DIALECT_OPTIM_UTILS_MUONUPDATE_H
#define MUON_DIALECT_OPTIM_UTILS_MUONUPDATE_H

#include "muon/Dialect/Optim/Utils/UpdateMath.h"

namespace muon::optim {

/// Builds the update of `op` (an `optim.muon` or `optim.muon2`) through
/// `emitter`, which provides, with emitter-defined handles (tensors,
/// buffers):
///   Moments emitMoments(OpBuilder &, const MuonUpdateMath &);
///       the loop(s) over G, M (and V): M', V' and the Newton–Schulz input U
///   Ortho emitOrthogonalize(OpBuilder &, const Moments &);
///       Newton–Schulz of U
///   SmallVector<Value> emitParamUpdate(OpBuilder &, const MuonUpdateMath &,
///                                      Ortho);
///       the loop(s) computing W' of each member; returns them
///   SmallVector<Value> results(OpBuilder &, ArrayRef<Value> newParams,
///                              const Moments &);
///       the values replacing the op's results, in their order
/// The emitter decides how a bucket's members share the loops; Newton–Schulz
/// runs once, on all members' matrices.
/// The per-element arithmetic of every loop is `MuonUpdateMath`'s.
template <typename Emitter>
llvm::SmallVector<mlir::Value>
buildMuonUpdate(mlir::OpBuilder &b, mlir::Operation *op, Emitter &emitter) {
  MuonUpdateMath math(b, op->getLoc(), op);
  auto moments = emitter.emitMoments(b, math);
  auto ortho = emitter.emitOrthogonalize(b, moments);
  llvm::SmallVector<mlir::Value> newParams =
      emitter.emitParamUpdate(b, math, ortho);
  return emitter.results(b, newParams, moments);
}

} // namespace muon::optim

#endif // MUON_DIALECT_OPTIM_UTILS_MUONUPDATE_H
