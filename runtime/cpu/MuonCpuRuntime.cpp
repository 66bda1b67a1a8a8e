//===- MuonCpuRuntime.cpp - GEMM entry points of lowered CPU code ---------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// `convert-matmul-to-blas` turns bufferized linalg matmuls into calls of the
// `_mlir_ciface_muon_cpu_*` functions below, which receive MLIR memref
// descriptors and run oneDNN's f32 or bf16 GEMM: C = op(A) · op(B) + beta·C,
// beta 1 as linalg.matmul, 0 where its accumulator was a zero fill.
//
//===----------------------------------------------------------------------===//

#include "SymmetricBlocks.h"

#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#define MUON_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

/// MLIR's memref descriptor (see mlir/ExecutionEngine/CRunnerUtils.h).
template <typename T, int Rank> struct StridedMemRef {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];
};

/// A strided rows × cols matrix as BLAS wants it: row-major with a leading
/// dimension, read transposed if it was stored column-major. Matrices with
/// neither dimension contiguous (rare) are copied.
template <typename T> struct BlasMatrix {
  const T *data;
  int64_t ld;
  bool columnMajor;
  std::vector<T> copy;

  BlasMatrix(const T *base, int64_t rows, int64_t cols, int64_t s0,
             int64_t s1) {
    if ((s1 == 1 || cols == 1) &&
        (rows == 1 || s0 >= std::max<int64_t>(cols, 1))) {
      data = base, columnMajor = false;
      ld = rows == 1 ? std::max<int64_t>(cols, 1) : s0;
      return;
    }
    if ((s0 == 1 || rows == 1) &&
        (cols == 1 || s1 >= std::max<int64_t>(rows, 1))) {
      data = base, columnMajor = true;
      ld = cols == 1 ? std::max<int64_t>(rows, 1) : s1;
      return;
    }
    copy.resize(rows * cols);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        copy[i * cols + j] = base[i * s0 + j * s1];
    data = copy.data(), ld = std::max<int64_t>(cols, 1), columnMajor = false;
  }

  /// oneDNN's operation flag: 'T' if stored transposed to how it is read.
  char op(bool transposed) const {
    return transposed != columnMajor ? 'T' : 'N';
  }
};

/// bf16 × bf16 → f32 through oneDNN's AVX512-BF16/AMX kernels. The symbol is
/// exported by libdnnl but declared only in oneDNN's internal headers.
extern "C" dnnl_status_t
dnnl_gemm_bf16bf16f32(char transa, char transb, dnnl_dim_t m, dnnl_dim_t n,
                      dnnl_dim_t k, float alpha, const uint16_t *a,
                      dnnl_dim_t lda, const uint16_t *b, dnnl_dim_t ldb,
                      float beta, float *c, dnnl_dim_t ldc);

dnnl_status_t dnnlGemm(char ta, char tb, int64_t m, int64_t n, int64_t k,
                       float alpha, const float *a, int64_t lda, const float *b,
                       int64_t ldb, float beta, float *c, int64_t ldc) {
  return dnnl_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
/// The stored `rows` × `cols` bf16 matrix `m` (leading dimension `ld`)
/// widened to a dense f32 one: exact, so a product of the copies is the
/// bf16 product with f32 accumulation.
static std::vector<float> widenBF16(const uint16_t *m, int64_t rows,
                                    int64_t cols, int64_t ld) {
  std::vector<float> wide(rows * cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      uint32_t bits = uint32_t(m[i * ld + j]) << 16;
      std::memcpy(&wide[i * cols + j], &bits, sizeof(bits));
    }
  return wide;
}

dnnl_status_t dnnlGemm(char ta, char tb, int64_t m, int64_t n, int64_t k,
                       float alpha, const uint16_t *a, int64_t lda,
                       const uint16_t *b, int64_t ldb, float beta, float *c,
                       int64_t ldc) {
  // CPUs without AVX512-BF16/AMX/AVX2-VNNI-2 have no bf16 kernel in oneDNN
  // (dnnl_unimplemented): their products run as f32 GEMMs on widened
  // copies, which a bf16 Newton–Schulz then pays for in copies and f32
  // speed. MUON_CPU_BF16_AS_F32=1 takes that path anywhere (tests).
  static std::atomic<bool> unimplemented{[] {
    const char *value = std::getenv("MUON_CPU_BF16_AS_F32");
    return value && std::string_view(value) == "1";
  }()};
  if (!unimplemented.load(std::memory_order_relaxed)) {
    dnnl_status_t status = dnnl_gemm_bf16bf16f32(ta, tb, m, n, k, alpha, a, lda,
                                                 b, ldb, beta, c, ldc);
    if (status != dnnl_unimplemented)
      return status;
    unimplemented.store(true, std::memory_order_relaxed);
  }
  bool transA = ta == 'T', transB = tb == 'T';
  std::vector<float> wideA = widenBF16(a, transA ? k : m, transA ? m : k, lda);
  std::vector<float> wideB = widenBF16(b, transB ? n : k, transB ? k : n, ldb);
  return dnnl_sgemm(ta, tb, m, n, k, alpha, wideA.data(), transA ? m : k,
                    wideB.data(), transB ? k : n, beta, c, ldc);
}

/// Products below this many multiply-adds run oneDNN on the calling thread
/// alone: cheaper than waking a team member for them.
constexpr int64_t kSingleThreadGemmWork = 1 << 24;

/// C = alpha·op(A)·op(B) + beta·C (beta 0: C not read) through oneDNN: its
/// f32 and bf16 GEMMs run on GCC's OpenMP team, the one threaded loops use
/// too (OpenMPEntryPoints.cpp), so that no second pool spins on the cores.
template <typename T>
void gemm(char ta, char tb, int64_t m, int64_t n, int64_t k, float alpha,
          const T *a, int64_t lda, const T *b, int64_t ldb, float beta,
          float *c, int64_t ldc) {
  int teamSize = omp_get_max_threads();
  bool alone = m * n * k < kSingleThreadGemmWork && teamSize > 1;
  if (alone)
    omp_set_num_threads(1);
  dnnl_status_t status =
      dnnlGemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  if (alone)
    omp_set_num_threads(teamSize);
  if (status != dnnl_success) {
    std::fprintf(stderr, "muon_cpu_runtime: oneDNN's GEMM failed (%d)\n",
                 static_cast<int>(status));
    std::abort();
  }
}

/// One GEMM C(m×n) = alpha · op(A) · op(B) + beta·C on strided matrices
/// (beta 0: C not read).
template <typename T>
void stridedGemm(const T *a, const int64_t *aSizes, const int64_t *aStrides,
                 bool transposeA, const T *b, const int64_t *bSizes,
                 const int64_t *bStrides, bool transposeB, float *c,
                 const int64_t *cSizes, const int64_t *cStrides, float alpha,
                 float beta) {
  int64_t m = cSizes[0], n = cSizes[1];
  int64_t k = transposeA ? aSizes[0] : aSizes[1];
  if (k == 0 && beta != 1.0f)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        c[i * cStrides[0] + j * cStrides[1]] =
            beta == 0.0f ? 0.0f : beta * c[i * cStrides[0] + j * cStrides[1]];
  if (m == 0 || n == 0 || k == 0)
    return;
  BlasMatrix<T> lhs(a, aSizes[0], aSizes[1], aStrides[0], aStrides[1]);
  BlasMatrix<T> rhs(b, bSizes[0], bSizes[1], bStrides[0], bStrides[1]);
  char ta = lhs.op(transposeA), tb = rhs.op(transposeB);
  if (cStrides[1] == 1 && cStrides[0] >= n) {
    gemm(ta, tb, m, n, k, alpha, lhs.data, lhs.ld, rhs.data, rhs.ld, beta, c,
         cStrides[0]);
    return;
  }
  std::vector<float> out(m * n);
  if (beta != 0.0f)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        out[i * n + j] = c[i * cStrides[0] + j * cStrides[1]];
  gemm(ta, tb, m, n, k, alpha, lhs.data, lhs.ld, rhs.data, rhs.ld, beta,
       out.data(), n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      c[i * cStrides[0] + j * cStrides[1]] = out[i * n + j];
}

template <typename T>
void matmul(StridedMemRef<T, 2> *a, StridedMemRef<T, 2> *b,
            StridedMemRef<float, 2> *c, int64_t transposeA, int64_t transposeB,
            float beta) {
  stridedGemm(a->aligned + a->offset, a->sizes, a->strides, transposeA,
              b->aligned + b->offset, b->sizes, b->strides, transposeB,
              c->aligned + c->offset, c->sizes, c->strides, 1.0f, beta);
}

/// Batches whose products are each below kSingleThreadGemmWork but together
/// at least this many multiply-adds are split over the team, one product per
/// thread at a time: attention's per-head products would otherwise all run
/// on the calling thread while the rest of the team waits.
constexpr int64_t kParallelBatchWork = 1 << 20;

template <typename T>
void batchMatmul(StridedMemRef<T, 3> *a, StridedMemRef<T, 3> *b,
                 StridedMemRef<float, 3> *c, int64_t transposeA,
                 int64_t transposeB, float beta) {
  int64_t batches = c->sizes[0];
  int64_t work =
      c->sizes[1] * c->sizes[2] * (transposeA ? a->sizes[1] : a->sizes[2]);
  bool acrossBatch = batches > 1 && work < kSingleThreadGemmWork &&
                     batches * work >= kParallelBatchWork;
#pragma omp parallel for schedule(static) if (acrossBatch)
  for (int64_t i = 0; i < batches; ++i)
    stridedGemm(a->aligned + a->offset + i * a->strides[0], a->sizes + 1,
                a->strides + 1, transposeA,
                b->aligned + b->offset + i * b->strides[0], b->sizes + 1,
                b->strides + 1, transposeB,
                c->aligned + c->offset + i * c->strides[0], c->sizes + 1,
                c->strides + 1, 1.0f, beta);
}

} // namespace

// beta: 1 accumulates into C, as linalg.matmul; 0 overwrites it (C not
// read), for a product whose accumulator was a zero fill.
MUON_EXPORT void _mlir_ciface_muon_cpu_matmul_f32(StridedMemRef<float, 2> *a,
                                                  StridedMemRef<float, 2> *b,
                                                  StridedMemRef<float, 2> *c,
                                                  int64_t ta, int64_t tb,
                                                  float beta) {
  matmul(a, b, c, ta, tb, beta);
}

MUON_EXPORT void _mlir_ciface_muon_cpu_matmul_bf16(
    StridedMemRef<uint16_t, 2> *a, StridedMemRef<uint16_t, 2> *b,
    StridedMemRef<float, 2> *c, int64_t ta, int64_t tb, float beta) {
  matmul(a, b, c, ta, tb, beta);
}

MUON_EXPORT void _mlir_ciface_muon_cpu_batch_matmul_f32(
    StridedMemRef<float, 3> *a, StridedMemRef<float, 3> *b,
    StridedMemRef<float, 3> *c, int64_t ta, int64_t tb, float beta) {
  batchMatmul(a, b, c, ta, tb, beta);
}

MUON_EXPORT void _mlir_ciface_muon_cpu_batch_matmul_bf16(
    StridedMemRef<uint16_t, 3> *a, StridedMemRef<uint16_t, 3> *b,
    StridedMemRef<float, 3> *c, int64_t ta, int64_t tb, float beta) {
  batchMatmul(a, b, c, ta, tb, beta);
}

//===----------------------------------------------------------------------===//
// The GPU pipeline's GEMM entry points, on CPU
//===----------------------------------------------------------------------===//
//
// `muon-gpu-pipeline` calls muon_gpu_gemm_{bf16,f32}: per batch index,
// D = alpha · op(A) · op(B) + beta · C, all four operands of one element type,
// accumulation in f32. The CUDA runtime runs them on cuBLASLt; these CPU
// versions let the GPU program run (and be tested) here, emulated.

namespace {

float toFloat(float value) { return value; }
float toFloat(uint16_t bf16) {
  uint32_t bits = static_cast<uint32_t>(bf16) << 16;
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

template <typename T> T fromFloat(float value);
template <> float fromFloat<float>(float value) { return value; }
/// Round to nearest even, as the GPU's f32 -> bf16 conversion; NaN stays NaN
/// (quieted). Branch-free, so that the epilogue loops vectorize.
template <> uint16_t fromFloat<uint16_t>(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  uint32_t rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
  uint32_t quiet = (bits >> 16) | 0x40u;
  return static_cast<uint16_t>((bits & 0x7fffffffu) > 0x7f800000u ? quiet
                                                                  : rounded);
}

/// Epilogues below this many elements stay on the calling thread.
constexpr int64_t kParallelEpilogueElements = 1 << 16;

/// Whether two strided memrefs' element ranges may overlap.
template <typename T, int Rank>
bool mayOverlap(const StridedMemRef<T, Rank> &x,
                const StridedMemRef<T, Rank> &y) {
  auto range = [](const StridedMemRef<T, Rank> &v) {
    int64_t last = 0;
    for (int i = 0; i < Rank; ++i) {
      if (v.sizes[i] == 0)
        return std::pair<const T *, const T *>(nullptr, nullptr);
      last += (v.sizes[i] - 1) * v.strides[i];
    }
    const T *first = v.aligned + v.offset;
    return std::pair<const T *, const T *>(first, first + last + 1);
  };
  auto [xBegin, xEnd] = range(x);
  auto [yBegin, yEnd] = range(y);
  return xBegin && yBegin && xBegin < yEnd && yBegin < xEnd;
}

/// D = alpha · op(A) · op(B) + beta · C for f32 with unit-stride rows of D:
/// BLAS applies alpha and beta in D's own storage, saving the product buffer
/// and the second pass over it (Newton–Schulz calls this 3× per iteration).
/// `symmetric`: the product is op(A)·op(A)ᵀ and C is symmetric; the upper
/// triangle is mirrored so that D is exactly symmetric, as the GPU runtime's
/// is. (The whole product is computed: OpenBLAS's ssyrk computed half, but
/// its pthread pool spun against the OpenMP team of threaded loops.) False
/// if D's layout does not allow it.
bool gemmIntoResult(StridedMemRef<float, 3> *a, StridedMemRef<float, 3> *b,
                    StridedMemRef<float, 3> *c, StridedMemRef<float, 3> *d,
                    float alpha, float beta, bool transposeA, bool transposeB,
                    bool symmetric) {
  int64_t m = d->sizes[1], n = d->sizes[2];
  int64_t ldd = d->strides[1];
  // D is written while A and B are read: only when they are disjoint.
  if (d->strides[2] != 1 || ldd < std::max<int64_t>(n, 1) ||
      mayOverlap(*a, *d) || mayOverlap(*b, *d))
    return false;
  for (int64_t batch = 0; batch < d->sizes[0]; ++batch) {
    float *result = d->aligned + d->offset + batch * d->strides[0];
    const float *addend = c->aligned + c->offset + batch * c->strides[0];
    // beta = 0 ignores C, which may be uninitialized (BLAS does not read D).
    if (beta != 0.0f && addend != result)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j)
          result[i * ldd + j] = addend[i * c->strides[1] + j * c->strides[2]];
    stridedGemm(a->aligned + a->offset + batch * a->strides[0], a->sizes + 1,
                a->strides + 1, transposeA,
                b->aligned + b->offset + batch * b->strides[0], b->sizes + 1,
                b->strides + 1, transposeB, result, d->sizes + 1,
                d->strides + 1, alpha, beta);
    if (symmetric)
      for (int64_t i = 1; i < m; ++i)
        for (int64_t j = 0; j < i; ++j)
          result[i * ldd + j] = result[j * ldd + i];
  }
  return true;
}

/// One row of D = alpha · product + beta · C. beta = 0 ignores C, which may
/// be uninitialized. Always inlined: so that it is compiled for each target
/// of epilogueRowBf16.
template <typename T>
[[gnu::always_inline]] inline void
epilogueRow(const float *product, const T *addend, int64_t cCol, T *result,
            int64_t dCol, int64_t n, float alpha, float beta) {
  if (beta == 0.0f && dCol == 1)
    for (int64_t j = 0; j < n; ++j)
      result[j] = fromFloat<T>(alpha * product[j]);
  else if (beta == 0.0f)
    for (int64_t j = 0; j < n; ++j)
      result[j * dCol] = fromFloat<T>(alpha * product[j]);
  else if (dCol == 1 && cCol == 1)
    for (int64_t j = 0; j < n; ++j)
      result[j] = fromFloat<T>(alpha * product[j] + beta * toFloat(addend[j]));
  else
    for (int64_t j = 0; j < n; ++j)
      result[j * dCol] =
          fromFloat<T>(alpha * product[j] + beta * toFloat(addend[j * cCol]));
}

/// The bf16 epilogue, the one that runs on every Newton–Schulz GEMM, in
/// AVX-512 where the CPU has it (the runtime is built for baseline x86-64).
__attribute__((target_clones("avx512f", "avx2", "default"))) void
epilogueRowBf16(const float *product, const uint16_t *addend, int64_t cCol,
                uint16_t *result, int64_t dCol, int64_t n, float alpha,
                float beta) {
  epilogueRow(product, addend, cCol, result, dCol, n, alpha, beta);
}

template <typename T>
void scaledBatchGemm(StridedMemRef<T, 3> *a, StridedMemRef<T, 3> *b,
                     StridedMemRef<T, 3> *c, StridedMemRef<T, 3> *d,
                     float alpha, float beta, bool transposeA,
                     bool transposeB) {
  if constexpr (std::is_same_v<T, float>)
    if (gemmIntoResult(a, b, c, d, alpha, beta, transposeA, transposeB,
                       /*symmetric=*/false))
      return;
  int64_t m = d->sizes[1], n = d->sizes[2];
  // Reused across calls: Newton–Schulz makes three per iteration, and a
  // fresh multi-megabyte vector each time is fresh pages to fault in.
  static thread_local std::vector<float> product;
  product.resize(m * n);
  const int64_t productSizes[2] = {m, n}, productStrides[2] = {n, 1};
  // Captured by address: inside the parallel loop `product` would name each
  // team member's own thread_local vector.
  float *scratch = product.data();
  for (int64_t batch = 0; batch < d->sizes[0]; ++batch) {
    stridedGemm(a->aligned + a->offset + batch * a->strides[0], a->sizes + 1,
                a->strides + 1, transposeA,
                b->aligned + b->offset + batch * b->strides[0], b->sizes + 1,
                b->strides + 1, transposeB, scratch, productSizes,
                productStrides, /*alpha=*/1.0f, /*beta=*/0.0f);
    const T *addend = c->aligned + c->offset + batch * c->strides[0];
    T *result = d->aligned + d->offset + batch * d->strides[0];
    int64_t cRow = c->strides[1], cCol = c->strides[2];
    int64_t dRow = d->strides[1], dCol = d->strides[2];
    // The epilogue on the GEMM's own OpenMP team (oneDNN's): on one thread
    // it took a third of a bf16 Newton-Schulz step while the team spun.
#pragma omp parallel for if (m * n >= kParallelEpilogueElements)
    for (int64_t i = 0; i < m; ++i)
      if constexpr (std::is_same_v<T, uint16_t>)
        epilogueRowBf16(scratch + i * n, addend + i * cRow, cCol,
                        result + i * dRow, dCol, n, alpha, beta);
      else
        epilogueRow(scratch + i * n, addend + i * cRow, cCol, result + i * dRow,
                    dCol, n, alpha, beta);
  }
}

} // namespace

// The i1 flags arrive as `int`: only their lowest bit is defined.
MUON_EXPORT void _mlir_ciface_muon_gpu_gemm_f32(
    StridedMemRef<float, 3> *a, StridedMemRef<float, 3> *b,
    StridedMemRef<float, 3> *c, StridedMemRef<float, 3> *d, float alpha,
    float beta, int transposeA, int transposeB) {
  scaledBatchGemm(a, b, c, d, alpha, beta, transposeA & 1, transposeB & 1);
}

MUON_EXPORT void _mlir_ciface_muon_gpu_gemm_bf16(
    StridedMemRef<uint16_t, 3> *a, StridedMemRef<uint16_t, 3> *b,
    StridedMemRef<uint16_t, 3> *c, StridedMemRef<uint16_t, 3> *d, float alpha,
    float beta, int transposeA, int transposeB) {
  scaledBatchGemm(a, b, c, d, alpha, beta, transposeA & 1, transposeB & 1);
}

// muon_gpu_gemm_f32_as_{tf32,bf16} (gemm-precision=tf32/bf16): the inputs
// rounded as tensor cores read them (to nearest, ties to even; the GPU may
// break ties otherwise), then the fp32 GEMM, so that the GPU emulation has
// the reduced precision's error.
namespace {

/// `value` with `mantissaBits` explicit mantissa bits (TF32: 10, bf16: 7).
float roundMantissa(float value, int mantissaBits) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  if ((bits & 0x7f800000u) == 0x7f800000u)
    return value; // inf and NaN stay
  int drop = 23 - mantissaBits;
  bits += ((1u << (drop - 1)) - 1) + ((bits >> drop) & 1u);
  bits &= ~((1u << drop) - 1);
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

/// A contiguous copy of `x` in `storage` with every element rounded.
StridedMemRef<float, 3> roundedCopy(const StridedMemRef<float, 3> &x,
                                    int mantissaBits,
                                    std::vector<float> &storage) {
  int64_t n0 = x.sizes[0], n1 = x.sizes[1], n2 = x.sizes[2];
  storage.resize(n0 * n1 * n2);
  for (int64_t i = 0; i < n0; ++i)
    for (int64_t j = 0; j < n1; ++j)
      for (int64_t k = 0; k < n2; ++k)
        storage[(i * n1 + j) * n2 + k] =
            roundMantissa(x.aligned[x.offset + i * x.strides[0] +
                                    j * x.strides[1] + k * x.strides[2]],
                          mantissaBits);
  return {storage.data(), storage.data(), 0, {n0, n1, n2}, {n1 * n2, n2, 1}};
}

void roundedInputGemm(StridedMemRef<float, 3> *a, StridedMemRef<float, 3> *b,
                      StridedMemRef<float, 3> *c, StridedMemRef<float, 3> *d,
                      float alpha, float beta, bool transposeA, bool transposeB,
                      int mantissaBits) {
  static thread_local std::vector<float> lhs, rhs;
  StridedMemRef<float, 3> roundedA = roundedCopy(*a, mantissaBits, lhs);
  StridedMemRef<float, 3> roundedB = roundedCopy(*b, mantissaBits, rhs);
  scaledBatchGemm(&roundedA, &roundedB, c, d, alpha, beta, transposeA,
                  transposeB);
}

} // namespace

MUON_EXPORT void _mlir_ciface_muon_gpu_gemm_f32_as_tf32(
    StridedMemRef<float, 3> *a, StridedMemRef<float, 3> *b,
    StridedMemRef<float, 3> *c, StridedMemRef<float, 3> *d, float alpha,
    float beta, int transposeA, int transposeB) {
  roundedInputGemm(a, b, c, d, alpha, beta, transposeA & 1, transposeB & 1,
                   /*mantissaBits=*/10);
}

MUON_EXPORT void _mlir_ciface_muon_gpu_gemm_f32_as_bf16(
    StridedMemRef<float, 3> *a, StridedMemRef<float, 3> *b,
    StridedMemRef<float, 3> *c, StridedMemRef<float, 3> *d, float alpha,
    float beta, int transposeA, int transposeB) {
  roundedInputGemm(a, b, c, d, alpha, beta, transposeA & 1, transposeB & 1,
                   /*mantissaBits=*/7);
}

// muon_gpu_syrk_{bf16,f32}: D = alpha · op(A) · op(A)ᵀ + beta · C with C
// symmetric, by the same block rows and mirror as the CUDA runtime
// (SymmetricBlocks.h), so that the emulated GPU program's tests cover the
// decomposition when MUON_GPU_SYMMETRIC_BLOCK sets its block rows. Unset, the
// CPU computes one product per matrix, as CPU-compiled Newton–Schulz calls
// these too: 256-row blocks saved only 3% of GPT-2's f32 step on 2 cores
// (docs/performance.md).
namespace {

template <typename T>
void symmetricRankK(StridedMemRef<T, 3> *a, StridedMemRef<T, 3> *c,
                    StridedMemRef<T, 3> *d, float alpha, float beta,
                    bool transA) {
  int64_t m = d->sizes[1];
  int64_t blockRows = muon::runtime::symmetricBlockRows(
      m, muon::runtime::symmetricBlockRowsSetting(/*unsetRows=*/0));
  if (blockRows >= m) {
    if constexpr (std::is_same_v<T, float>)
      if (gemmIntoResult(a, a, c, d, alpha, beta, transA, !transA,
                         /*symmetric=*/true))
        return;
    scaledBatchGemm(a, a, c, d, alpha, beta, transA, !transA);
    return;
  }
  muon::runtime::forEachUpperBlockRow(
      *a, transA, *c, *d, blockRows,
      [&](StridedMemRef<T, 3> lhs, StridedMemRef<T, 3> rhs,
          StridedMemRef<T, 3> addend, StridedMemRef<T, 3> result) {
        scaledBatchGemm(&lhs, &rhs, &addend, &result, alpha, beta, transA,
                        !transA);
        return true;
      });
  for (int64_t batch = 0; batch < d->sizes[0]; ++batch) {
    T *matrix = d->aligned + d->offset + batch * d->strides[0];
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < m; ++j)
        if (muon::runtime::isMirrored(i, j, blockRows))
          matrix[i * d->strides[1] + j * d->strides[2]] =
              matrix[j * d->strides[1] + i * d->strides[2]];
  }
}

} // namespace

MUON_EXPORT void _mlir_ciface_muon_gpu_syrk_f32(StridedMemRef<float, 3> *a,
                                                StridedMemRef<float, 3> *c,
                                                StridedMemRef<float, 3> *d,
                                                float alpha, float beta,
                                                int transposeA) {
  symmetricRankK(a, c, d, alpha, beta, transposeA & 1);
}

MUON_EXPORT void _mlir_ciface_muon_gpu_syrk_bf16(StridedMemRef<uint16_t, 3> *a,
                                                 StridedMemRef<uint16_t, 3> *c,
                                                 StridedMemRef<uint16_t, 3> *d,
                                                 float alpha, float beta,
                                                 int transposeA) {
  symmetricRankK(a, c, d, alpha, beta, transposeA & 1);
}
