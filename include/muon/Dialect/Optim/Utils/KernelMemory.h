//===- KernelMemory.h - Device temporaries of a Muon-family bucket -*- C++
//-*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// What the fused-kernel lowering of an `optim.muon` / `optim.muon2` bucket
// (OptimToKernels) allocates besides the caller's buffers, so that
// `optim-bucket` can keep each bucket within a memory budget. For N
// matrices iterated as R×C (padded), s = min(R, C), element type e and
// Newton–Schulz compute type c, the most bytes live at once are
//
//   while the GEMMs run: 2·N·R·C·|c| (two iterates) + k·N·s²·|c|
//                        (k = 2 for the standard iteration: S and its
//                        polynomial; the Gram iteration's pool of R, Z,
//                        R·Z and Q: up to 4)
//   before them:         N·R·C·|min(e, c)| (U) + N·R·C·|c| (X₀)
//
// plus, for a bucket too large for one kernel's parameter space, packed
// copies of its members' tensors (`isPackedMuonBucket`).
//===----------------------------------------------------------------------===//

#ifndef MUON_DIALECT_OPTIM_UTILS_KERNELMEMORY_H
#define MUON_DIALECT_OPTIM_UTILS_KERNELMEMORY_H

#include "muon/Dialect/Optim/IR/OptimOps.h"

namespace muon::optim {

/// At most this many per-row buffers per kernel: each is a kernel argument
/// (a 1-D memref descriptor, 40 bytes), and kernel parameters are limited to
/// 32 KB (PTX 8.1+). Larger buckets take several kernels (AdamW) or are
/// packed (Muon).
constexpr int64_t kMaxRowBuffersPerKernel = 600;

/// Whether the fused kernels of a Muon-family bucket of `numMembers`
/// parameters read and write packed copies of its members' tensors: its
/// first kernel takes five buffers per member.
inline bool isPackedMuonBucket(int64_t numMembers) {
  return numMembers * 5 > kMaxRowBuffersPerKernel;
}

/// What decides a Muon-family bucket's temporaries.
struct MuonBucketShape {
  /// The matrix every member's matrices are iterated as (padded).
  MatrixShape matrix;
  int64_t numMatrices;
  int64_t numMembers;
  mlir::Type elementType, computeType;
  NSScheduleAttr schedule;
  int64_t steps;
  /// Muon²'s second moment: two more packed tensors per member.
  bool secondMoment;
};

/// An upper bound on the device bytes the fused-kernel lowering of the
/// bucket holds at once (see the file comment), or nothing on overflow.
std::optional<int64_t>
getMuonBucketTemporaryBytes(const MuonBucketShape &shape);

} // namespace muon::optim

#endif // MUON_DIALECT_OPTIM_UTILS_KERNELMEMORY_H
