/*===- muon_gpu_runtime.h - C API of the muon CUDA runtime --------*- C -*-===*
 *
 * Part of the muon-mlir project.
 *
 *===----------------------------------------------------------------------===*
 *
 * What libmuon_cuda_runtime.so exports besides the entry points lowered host
 * code calls (`mgpu*`, `_mlir_ciface_muon_gpu_{gemm,syrk}_*`): the status
 * protocol around one compiled call (docs/ABI.md), GEMM switches and memory
 * statistics.
 *
 *===----------------------------------------------------------------------===*/

#ifndef MUON_GPU_RUNTIME_H
#define MUON_GPU_RUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes returned by muon_gpu_end() and the compiled entry points. */
enum {
  MUON_GPU_SUCCESS = 0,
  MUON_GPU_ERROR_CUDA = 1,             /* a CUDA driver call failed */
  MUON_GPU_ERROR_CUBLAS = 2,           /* a cuBLASLt call failed */
  MUON_GPU_ERROR_INVALID_ARGUMENT = 3, /* a descriptor or request the runtime
                                          cannot serve */
};

/* Starts a call on the calling thread: `stream` (a CUstream / cudaStream_t,
 * NULL for the legacy default stream) becomes the stream every mgpu* call
 * enqueues on, its context is made current, and the thread's error is
 * cleared. */
void muon_gpu_begin(void *stream);

/* Ends the call started by muon_gpu_begin: restores the previous context and
 * returns MUON_GPU_SUCCESS or the code of the first error recorded since. */
int muon_gpu_end(void);

/* The message of the first error of the calling thread's last call ("" if it
 * succeeded). Valid until the thread's next call. */
const char *muon_gpu_last_error(void);

/* Lets f32 GEMMs use TF32 tensor cores (CUBLAS_COMPUTE_32F_FAST_TF32):
 * faster, but inputs are rounded to 10 mantissa bits. Off by default so that
 * f32 steps stay f32-exact. Process-wide. */
void muon_gpu_set_allow_tf32(int allow);

/* Rows per block row of the symmetric products of Newton–Schulz
 * (muon_gpu_syrk_*): products of m >= 2 * rows compute their block upper
 * triangle in block rows and mirror the rest; 0 makes every product one full
 * GEMM. Default: MUON_GPU_SYMMETRIC_BLOCK or 1024. Process-wide. */
void muon_gpu_set_symmetric_block(int64_t rows);

/* The most device memory the runtime's own pools have held at once for the
 * temporaries of compiled steps (not counting the caller's tensors, nor
 * allocations made during CUDA graph capture), summed over devices, since
 * the first step or the last reset. */
uint64_t muon_gpu_peak_temporary_bytes(void);
void muon_gpu_reset_peak_temporary_bytes(void);

#ifdef __cplusplus
}
#endif

#endif /* MUON_GPU_RUNTIME_H */
