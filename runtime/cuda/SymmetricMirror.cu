//===- SymmetricMirror.cu - The lower blocks of a symmetric product -------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// After `muon_gpu_syrk_*` has computed the block upper triangle of each m×m
// matrix of a batch, D(i, j) = D(j, i) for every element below it
// (i / blockRows > j / blockRows). One launch for the whole batch: a 32×32
// tile per thread block, transposed through shared memory so that both the
// reads and the writes of a row-contiguous matrix are coalesced. Compiled by
// nvcc into a fatbin the runtime embeds and loads like a step's kernels.
//
//===----------------------------------------------------------------------===//

#include <cstdint>

namespace {

constexpr int kTile = 32;

/// Launched with blockDim (32, 8) and grid (tiles, tiles, batch); block
/// (x, y) writes the tile of rows [32y, 32y + 32) × columns [32x, 32x + 32).
template <typename T>
__device__ void mirror(T *data, int64_t m, int64_t rowStride, int64_t colStride,
                       int64_t batchStride, int64_t blockRows) {
  __shared__ T tile[kTile][kTile + 1];
  int64_t rowBegin = int64_t(blockIdx.y) * kTile;
  int64_t colBegin = int64_t(blockIdx.x) * kTile;
  int64_t lastRow = min(rowBegin + kTile, m) - 1;
  // Tiles with nothing below the block diagonal (half the grid) leave early.
  if (lastRow / blockRows <= colBegin / blockRows)
    return;
  T *matrix = data + int64_t(blockIdx.z) * batchStride;
  // tile[r][c] = D(colBegin + r, rowBegin + c): the upper source, read along
  // its rows.
  for (int r = threadIdx.y; r < kTile; r += blockDim.y) {
    int64_t i = colBegin + r, j = rowBegin + threadIdx.x;
    if (i < m && j < m)
      tile[r][threadIdx.x] = matrix[i * rowStride + j * colStride];
  }
  __syncthreads();
  for (int r = threadIdx.y; r < kTile; r += blockDim.y) {
    int64_t i = rowBegin + r, j = colBegin + threadIdx.x;
    if (i < m && j < m && i / blockRows > j / blockRows)
      matrix[i * rowStride + j * colStride] = tile[threadIdx.x][r];
  }
}

} // namespace

extern "C" __global__ void muon_symmetric_mirror_b16(uint16_t *data, int64_t m,
                                                     int64_t rowStride,
                                                     int64_t colStride,
                                                     int64_t batchStride,
                                                     int64_t blockRows) {
  mirror(data, m, rowStride, colStride, batchStride, blockRows);
}

extern "C" __global__ void muon_symmetric_mirror_b32(float *data, int64_t m,
                                                     int64_t rowStride,
                                                     int64_t colStride,
                                                     int64_t batchStride,
                                                     int64_t blockRows) {
  mirror(data, m, rowStride, colStride, batchStride, blockRows);
}
