//===- SymmetricGemm.cpp - Symmetric products of Newton–Schulz ------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// `muon_gpu_syrk_{bf16,f32}`: per batch b,
//
//   D[b] = alpha · op(A[b]) · op(A[b])ᵀ + beta · C[b]
//
// with op(A) m×k and C symmetric (it is S in T = c·S·S + b·S). Large
// products run as one cuBLASLt GEMM per block row of the upper triangle
// (runtime/common/SymmetricBlocks.h) followed by one mirror kernel; small
// ones, where launches cost more than the saved work, as a single GEMM.
//
//===----------------------------------------------------------------------===//

#include "CublasLtGemm.h"
#include "RuntimeState.h"
#include "SymmetricBlocks.h"

#include <atomic>

using namespace muon::cuda;

extern "C" void *mgpuModuleLoad(void *data, size_t size);
extern "C" CUfunction mgpuModuleGetFunction(void *module, const char *name);

namespace {

/// The mirror kernels, compiled by nvcc at build time (SymmetricMirror.cu).
alignas(64) const unsigned char kSymmetricMirrorFatbin[] = {
#include "SymmetricMirrorFatbin.inc"
};

std::atomic<int64_t> &blockRowsSetting() {
  static std::atomic<int64_t> setting{
      muon::runtime::symmetricBlockRowsSetting()};
  return setting;
}

/// D(i, j) = D(j, i) below the block upper triangle, in one launch.
template <typename T>
void mirror(const char *kernel, const MemRef3D<T> &d, int64_t blockRows) {
  static void *module =
      mgpuModuleLoad(const_cast<unsigned char *>(kSymmetricMirrorFatbin), 0);
  CUfunction function = mgpuModuleGetFunction(module, kernel);
  if (!function)
    return;
  int64_t m = d.sizes[1], batch = d.sizes[0];
  int64_t tiles = (m + 31) / 32;
  if (tiles > 65535 || batch > 65535) {
    recordError(MUON_GPU_ERROR_INVALID_ARGUMENT,
                std::string(kernel) + ": " + std::to_string(batch) + " x " +
                    std::to_string(m) + "^2 exceeds the grid");
    return;
  }
  T *data = d.aligned + d.offset;
  int64_t rowStride = d.strides[1], colStride = d.strides[2],
          batchStride = d.strides[0];
  void *params[] = {&data,      &m,           &rowStride,
                    &colStride, &batchStride, &blockRows};
  ScopedContext context;
  if (!context.ok())
    return;
  check(cuLaunchKernel(function, tiles, tiles, batch, 32, 8, 1, 0, getStream(),
                       params, nullptr),
        "cuLaunchKernel (symmetric mirror)");
}

template <typename T>
void symmetricRankK(const char *name, const char *mirrorKernel,
                    cudaDataType_t type, MemRef3D<T> *a, MemRef3D<T> *c,
                    MemRef3D<T> *d, float alpha, float beta, bool transA) {
  if (hasError())
    return;
  int64_t m = d->sizes[1];
  int64_t opRows = transA ? a->sizes[2] : a->sizes[1];
  int64_t blockRows = muon::runtime::symmetricBlockRows(m, blockRowsSetting());
  // gemm checks the shapes; a D that is not square or aliases A (which
  // every block row reads whole) takes the plain product.
  bool aliasesA = d->aligned + d->offset == a->aligned + a->offset;
  if (blockRows >= m || d->sizes[2] != m || opRows != m || aliasesA) {
    gemm(name, type, a, a, c, d, alpha, beta, transA, !transA);
    return;
  }
  muon::runtime::forEachUpperBlockRow(
      *a, transA, *c, *d, blockRows,
      [&](MemRef3D<T> lhs, MemRef3D<T> rhs, MemRef3D<T> addend,
          MemRef3D<T> result) {
        gemm(name, type, &lhs, &rhs, &addend, &result, alpha, beta, transA,
             !transA);
        return !hasError();
      });
  if (!hasError() && d->sizes[0] > 0)
    mirror(mirrorKernel, *d, blockRows);
}

} // namespace

MUON_EXPORT void _mlir_ciface_muon_gpu_syrk_bf16(MemRef3D<uint16_t> *a,
                                                 MemRef3D<uint16_t> *c,
                                                 MemRef3D<uint16_t> *d,
                                                 float alpha, float beta,
                                                 uint8_t transA) {
  symmetricRankK("muon_gpu_syrk_bf16", "muon_symmetric_mirror_b16", CUDA_R_16BF,
                 a, c, d, alpha, beta, transA & 1);
}

MUON_EXPORT void _mlir_ciface_muon_gpu_syrk_f32(MemRef3D<float> *a,
                                                MemRef3D<float> *c,
                                                MemRef3D<float> *d, float alpha,
                                                float beta, uint8_t transA) {
  symmetricRankK("muon_gpu_syrk_f32", "muon_symmetric_mirror_b32", CUDA_R_32F,
                 a, c, d, alpha, beta, transA & 1);
}

MUON_EXPORT void muon_gpu_set_symmetric_block(int64_t rows) {
  blockRowsSetting() = rows < 0 ? 0 : rows;
}
