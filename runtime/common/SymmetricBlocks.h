//===- SymmetricBlocks.h - Block rows of symmetric products -----*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Newton–Schulz multiplies symmetric matrices: S = X·Xᵀ and S·S (= S·Sᵀ).
// The runtimes' `muon_gpu_syrk_*` compute only the block upper triangle of
// such a product, as one GEMM per block row (rows [r, r + b) × columns
// [r, m)), and mirror the rest: with q block rows the GEMMs do (q + 1)/(2q)
// of the full product's work (62.5% for q = 4) in q launches plus one copy.
// The CUDA and CPU runtimes share this policy so that the CPU tests exercise
// the same decomposition the GPU runs.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_RUNTIME_COMMON_SYMMETRICBLOCKS_H
#define MUON_RUNTIME_COMMON_SYMMETRICBLOCKS_H

#include <algorithm>
#include <cstdint>
#include <cstdlib>

namespace muon::runtime {

/// Rows per block row by default: GEMMs of 1024 × m × k still fill an H100,
/// so products of m ≥ 2048 are split and smaller ones (launch-bound) are not.
constexpr int64_t kDefaultSymmetricBlockRows = 1024;

/// At most this many block rows: more launches than work saved beyond.
constexpr int64_t kMaxSymmetricBlocks = 8;

/// The rows per block row for an m×m product, about `blockRows` each (a
/// multiple of 64 when `blockRows` is, for aligned GEMM operands); m itself
/// (one full GEMM) if `blockRows` ≤ 0 or m < 2·blockRows. Block row i spans
/// rows [i·b, min(m, (i + 1)·b)).
inline int64_t symmetricBlockRows(int64_t m, int64_t blockRows) {
  // m / 2 < blockRows is m < 2·blockRows without overflow (blockRows up to
  // INT64_MAX from the environment).
  if (blockRows <= 0 || m / 2 < blockRows)
    return m;
  int64_t count = std::min(m / blockRows, kMaxSymmetricBlocks);
  int64_t rows = (m + count - 1) / count;
  int64_t granule = blockRows % 64 == 0 ? 64 : 1;
  return (rows + granule - 1) / granule * granule;
}

/// The block rows the runtime uses: MUON_GPU_SYMMETRIC_BLOCK if set (0
/// turns the decomposition off), else `unsetRows`. The variable is read once
/// per process.
inline int64_t
symmetricBlockRowsSetting(int64_t unsetRows = kDefaultSymmetricBlockRows) {
  // -1: unset or malformed.
  static const int64_t setting = [] {
    const char *text = std::getenv("MUON_GPU_SYMMETRIC_BLOCK");
    if (!text || !*text)
      return int64_t(-1);
    char *end = nullptr;
    long long value = std::strtoll(text, &end, 10);
    return *end == '\0' && value >= 0 ? int64_t(value) : int64_t(-1);
  }();
  return setting < 0 ? unsetRows : setting;
}

/// Calls `gemm(lhs, rhs, addend, result)` with sub-descriptors of the
/// rank-3 memref descriptors `a`, `c` and `d` for each block row [r0, r1)
/// of D's upper triangle: result = D[r0:r1, r0:m], lhs = rows r0:r1 of
/// op(A), rhs = rows r0:m of op(A) (op = transpose if `transA`), addend the
/// block of C at the result's place. `gemm` returns false to stop.
template <typename MemRef, typename GemmFn>
void forEachUpperBlockRow(const MemRef &a, bool transA, const MemRef &c,
                          const MemRef &d, int64_t blockRows, GemmFn gemm) {
  auto opRows = [&](int64_t begin, int64_t end) {
    MemRef rows = a;
    int dim = transA ? 2 : 1;
    rows.offset += begin * a.strides[dim];
    rows.sizes[dim] = end - begin;
    return rows;
  };
  auto block = [](const MemRef &x, int64_t r0, int64_t r1, int64_t c0,
                  int64_t c1) {
    MemRef sub = x;
    sub.offset += r0 * x.strides[1] + c0 * x.strides[2];
    sub.sizes[1] = r1 - r0;
    sub.sizes[2] = c1 - c0;
    return sub;
  };
  int64_t m = d.sizes[1];
  for (int64_t r0 = 0; r0 < m; r0 += blockRows) {
    int64_t r1 = std::min(m, r0 + blockRows);
    MemRef lhs = opRows(r0, r1), rhs = opRows(r0, m);
    MemRef addend = block(c, r0, r1, r0, m), result = block(d, r0, r1, r0, m);
    if (!gemm(lhs, rhs, addend, result))
      return;
  }
}

/// Whether (i, j) lies below the block upper triangle: the mirror's part.
inline bool isMirrored(int64_t i, int64_t j, int64_t blockRows) {
  return i / blockRows > j / blockRows;
}

} // namespace muon::runtime

#endif // MUON_RUNTIME_COMMON_SYMMETRICBLOCKS_H
