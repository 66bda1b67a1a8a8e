//===- CublasLtGemm.cpp - Strided-batched GEMMs through cuBLASLt ----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The GEMM entry points `--muon-gpu-pipeline` lowers Newton–Schulz products
// to. Per batch b:
//
//   D[b] = alpha · op(A[b]) · op(B[b]) + beta · C[b]
//
// with op = transpose where the flag is set, op(A) M×K, op(B) K×N, C and D
// M×N; D may alias C; beta = 0 ignores C. Operands are 3-D memref
// descriptors of device memory (batch stride = strides[0]); each matrix may
// be row- or column-contiguous. bf16 runs on tensor cores with fp32
// accumulation (CUBLAS_COMPUTE_32F); f32 stays fp32-exact unless
// muon_gpu_set_allow_tf32 says otherwise.
//
// cuBLASLt is column-major: a row-contiguous matrix is read as its transpose,
// and a row-contiguous D is computed as Dᵀ = op(B)ᵀ · op(A)ᵀ. The matmul
// descriptor, layouts and heuristic's choice are cached per shape, layout,
// alignment and context; the workspace is allocated once per stream.
//
//===----------------------------------------------------------------------===//

#include "CublasLtGemm.h"
#include "RuntimeState.h"

#include <cublasLt.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <mutex>

using namespace muon::cuda;

namespace {

/// cuBLAS's recommendation for Hopper; enough for every earlier GPU.
constexpr uint64_t kWorkspaceBytes = 32ull << 20;
/// The largest alignment cuBLASLt's heuristics distinguish.
constexpr uint64_t kMaxAlignment = 256;

std::atomic<bool> allowTF32{false};

bool checkCublas(cublasStatus_t status, const char *what) {
  if (status == CUBLAS_STATUS_SUCCESS)
    return true;
  recordError(MUON_GPU_ERROR_CUBLAS,
              std::string(what) + " failed: " + cublasLtGetStatusName(status) +
                  ": " + cublasLtGetStatusString(status));
  return false;
}

/// One batch of matrices as cuBLASLt stores it: column-major `rows × cols`
/// with a leading dimension, holding the logical matrix or its transpose.
struct Operand {
  char *data = nullptr;
  uint64_t rows = 0, cols = 0;
  int64_t ld = 0, batchStride = 0;
  /// The buffer holds the logical matrix transposed (it is row-contiguous).
  bool transposed = false;
  uint64_t alignment = kMaxAlignment;
};

/// Reads operand `name` of GEMM `gemm`; false (with an error recorded) if
/// neither of its matrix dimensions is contiguous or its rows overlap.
template <typename T>
bool getOperand(const char *gemm, const char *name, const MemRef3D<T> *memref,
                Operand &operand) {
  const int64_t *sizes = memref->sizes, *strides = memref->strides;
  int64_t rows = sizes[1], cols = sizes[2];
  if (strides[2] == 1 || cols == 1) {
    operand.transposed = true;
    operand.rows = cols, operand.cols = rows;
    operand.ld = strides[1];
  } else if (strides[1] == 1 || rows == 1) {
    operand.rows = rows, operand.cols = cols;
    operand.ld = strides[2];
  } else {
    recordError(MUON_GPU_ERROR_INVALID_ARGUMENT,
                std::string(gemm) + ": operand " + name + " (" +
                    std::to_string(rows) + "x" + std::to_string(cols) +
                    ", strides " + std::to_string(strides[1]) + ", " +
                    std::to_string(strides[2]) +
                    ") is contiguous in neither dimension");
    return false;
  }
  // A single stored column has no meaningful leading dimension.
  int64_t minLd = std::max<int64_t>(operand.rows, 1);
  if (operand.cols <= 1)
    operand.ld = std::max(operand.ld, minLd);
  if (operand.ld < minLd) {
    recordError(MUON_GPU_ERROR_INVALID_ARGUMENT,
                std::string(gemm) + ": operand " + name +
                    " has overlapping rows or columns (leading stride " +
                    std::to_string(operand.ld) + " < " + std::to_string(minLd) +
                    ")");
    return false;
  }
  operand.batchStride = sizes[0] > 1 ? strides[0] : 0;
  operand.data = reinterpret_cast<char *>(memref->aligned + memref->offset);
  uint64_t bits = reinterpret_cast<uintptr_t>(operand.data) |
                  uint64_t(operand.batchStride * int64_t(sizeof(T)));
  operand.alignment =
      bits ? std::min(bits & -bits, kMaxAlignment) : kMaxAlignment;
  return true;
}

/// A cached cuBLASLt problem: descriptors and the heuristic's algorithm.
struct Plan {
  cublasLtMatmulDesc_t matmul = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo;
};

/// Everything a plan depends on.
using PlanKey = std::array<int64_t, 23>;

struct DeviceState {
  cublasLtHandle_t handle = nullptr;
  std::map<PlanKey, Plan> plans;
  std::map<CUstream, CUdeviceptr> workspaces;
};

std::mutex stateMutex;
std::map<CUcontext, DeviceState> deviceStates;

cublasLtMatrixLayout_t createLayout(cudaDataType_t type, const Operand &op,
                                    int32_t batch) {
  cublasLtMatrixLayout_t layout = nullptr;
  if (!checkCublas(
          cublasLtMatrixLayoutCreate(&layout, type, op.rows, op.cols, op.ld),
          "cublasLtMatrixLayoutCreate"))
    return nullptr;
  if (batch > 1 &&
      (!checkCublas(cublasLtMatrixLayoutSetAttribute(
                        layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &batch,
                        sizeof(batch)),
                    "cublasLtMatrixLayoutSetAttribute") ||
       !checkCublas(cublasLtMatrixLayoutSetAttribute(
                        layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
                        &op.batchStride, sizeof(op.batchStride)),
                    "cublasLtMatrixLayoutSetAttribute"))) {
    cublasLtMatrixLayoutDestroy(layout);
    return nullptr;
  }
  return layout;
}

void destroyPlan(Plan &plan) {
  for (cublasLtMatrixLayout_t layout : {plan.a, plan.b, plan.c, plan.d})
    if (layout)
      cublasLtMatrixLayoutDestroy(layout);
  if (plan.matmul)
    cublasLtMatmulDescDestroy(plan.matmul);
}

/// Builds the plan for `d = first · second + c` (cuBLASLt's A, B, C, D) and
/// asks the heuristic for its best algorithm.
bool createPlan(cublasLtHandle_t handle, const char *gemm, cudaDataType_t type,
                cublasComputeType_t compute, const Operand &first,
                cublasOperation_t firstOp, const Operand &second,
                cublasOperation_t secondOp, const Operand &c, const Operand &d,
                int32_t batch, Plan &plan) {
  if (!checkCublas(cublasLtMatmulDescCreate(&plan.matmul, compute, CUDA_R_32F),
                   "cublasLtMatmulDescCreate") ||
      !checkCublas(cublasLtMatmulDescSetAttribute(plan.matmul,
                                                  CUBLASLT_MATMUL_DESC_TRANSA,
                                                  &firstOp, sizeof(firstOp)),
                   "cublasLtMatmulDescSetAttribute") ||
      !checkCublas(cublasLtMatmulDescSetAttribute(plan.matmul,
                                                  CUBLASLT_MATMUL_DESC_TRANSB,
                                                  &secondOp, sizeof(secondOp)),
                   "cublasLtMatmulDescSetAttribute"))
    return false;
  plan.a = createLayout(type, first, batch);
  plan.b = createLayout(type, second, batch);
  plan.c = createLayout(type, c, batch);
  plan.d = createLayout(type, d, batch);
  if (!plan.a || !plan.b || !plan.c || !plan.d)
    return false;

  cublasLtMatmulPreference_t preference = nullptr;
  if (!checkCublas(cublasLtMatmulPreferenceCreate(&preference),
                   "cublasLtMatmulPreferenceCreate"))
    return false;
  uint64_t workspace = kWorkspaceBytes;
  uint32_t alignments[] = {uint32_t(first.alignment),
                           uint32_t(second.alignment), uint32_t(c.alignment),
                           uint32_t(d.alignment)};
  bool ok =
      checkCublas(cublasLtMatmulPreferenceSetAttribute(
                      preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                      &workspace, sizeof(workspace)),
                  "cublasLtMatmulPreferenceSetAttribute");
  const cublasLtMatmulPreferenceAttributes_t alignmentAttrs[] = {
      CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES,
      CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
      CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES,
      CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES};
  for (int i = 0; ok && i < 4; ++i)
    ok = checkCublas(cublasLtMatmulPreferenceSetAttribute(
                         preference, alignmentAttrs[i], &alignments[i],
                         sizeof(alignments[i])),
                     "cublasLtMatmulPreferenceSetAttribute");
  cublasLtMatmulHeuristicResult_t result = {};
  int found = 0;
  ok = ok && checkCublas(cublasLtMatmulAlgoGetHeuristic(
                             handle, plan.matmul, plan.a, plan.b, plan.c,
                             plan.d, preference, 1, &result, &found),
                         "cublasLtMatmulAlgoGetHeuristic");
  cublasLtMatmulPreferenceDestroy(preference);
  if (ok && found == 0) {
    recordError(
        MUON_GPU_ERROR_CUBLAS,
        std::string(gemm) + ": cuBLASLt has no algorithm for " +
            std::to_string(batch) + " x (" + std::to_string(first.rows) + "x" +
            std::to_string(first.cols) + ") x (" + std::to_string(second.rows) +
            "x" + std::to_string(second.cols) + ")");
    ok = false;
  }
  plan.algo = result.algo;
  return ok;
}

/// The per-context state (handle, plan cache, workspaces), created on first
/// use. Callers hold stateMutex.
DeviceState *getDeviceState(CUcontext context) {
  DeviceState &state = deviceStates[context];
  if (!state.handle) {
    RelaxedCaptureMode relaxed;
    if (!checkCublas(cublasLtCreate(&state.handle), "cublasLtCreate")) {
      state.handle = nullptr;
      return nullptr;
    }
  }
  return &state;
}

CUdeviceptr getWorkspace(DeviceState &state, CUstream stream) {
  CUdeviceptr &workspace = state.workspaces[stream];
  if (!workspace) {
    // Plain (not stream-ordered) memory, allocated once and kept: usable by
    // every later call on this stream, captured or not.
    RelaxedCaptureMode relaxed;
    if (!check(cuMemAlloc(&workspace, kWorkspaceBytes),
               "cuMemAlloc (cuBLASLt workspace)"))
      workspace = 0;
  }
  return workspace;
}

} // namespace

template <typename T>
void muon::cuda::gemm(const char *name, cudaDataType_t type, MemRef3D<T> *a,
                      MemRef3D<T> *b, MemRef3D<T> *c, MemRef3D<T> *d,
                      float alpha, float beta, bool transA, bool transB,
                      GemmCompute computeKind) {
  if (hasError())
    return;
  int64_t batch = d->sizes[0];
  int64_t m = transA ? a->sizes[2] : a->sizes[1];
  int64_t k = transA ? a->sizes[1] : a->sizes[2];
  int64_t kB = transB ? b->sizes[2] : b->sizes[1];
  int64_t n = transB ? b->sizes[1] : b->sizes[2];
  auto shape = [](const MemRef3D<T> *x) {
    return std::to_string(x->sizes[0]) + "x" + std::to_string(x->sizes[1]) +
           "x" + std::to_string(x->sizes[2]);
  };
  bool useC = beta != 0.0f;
  if (a->sizes[0] != batch || b->sizes[0] != batch || k != kB ||
      d->sizes[1] != m || d->sizes[2] != n ||
      (useC &&
       (c->sizes[0] != batch || c->sizes[1] != m || c->sizes[2] != n))) {
    recordError(MUON_GPU_ERROR_INVALID_ARGUMENT,
                std::string(name) + ": shapes do not match: A " + shape(a) +
                    (transA ? "^T" : "") + ", B " + shape(b) +
                    (transB ? "^T" : "") + ", C " + shape(c) + ", D " +
                    shape(d));
    return;
  }
  if (batch == 0 || m == 0 || n == 0)
    return;
  if (k == 0 || batch > INT32_MAX) {
    recordError(MUON_GPU_ERROR_INVALID_ARGUMENT,
                std::string(name) +
                    ": unsupported problem (K = " + std::to_string(k) +
                    ", batch = " + std::to_string(batch) + ")");
    return;
  }

  Operand opA, opB, opC, opD;
  if (!getOperand(name, "A", a, opA) || !getOperand(name, "B", b, opB) ||
      !getOperand(name, "D", d, opD) ||
      (useC && !getOperand(name, "C", c, opC)))
    return;
  // beta = 0: cuBLASLt does not read C, so it may be anything; D stands in.
  if (!useC)
    opC = opD;
  bool inPlace = opC.data == opD.data;
  if (opC.transposed != opD.transposed ||
      (inPlace && (opC.ld != opD.ld || opC.batchStride != opD.batchStride))) {
    recordError(MUON_GPU_ERROR_INVALID_ARGUMENT,
                std::string(name) +
                    (inPlace ? ": C aliases D with a different layout"
                             : ": C and D must both be row- or both be "
                               "column-contiguous"));
    return;
  }
  opC.rows = opD.rows, opC.cols = opD.cols;

  // A row-contiguous D is computed as Dᵀ = op(B)ᵀ · op(A)ᵀ.
  bool swap = opD.transposed;
  const Operand &first = swap ? opB : opA;
  const Operand &second = swap ? opA : opB;
  bool firstOp = (swap ? !transB : transA) != first.transposed;
  bool secondOp = (swap ? !transA : transB) != second.transposed;
  cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  if (type == CUDA_R_32F && computeKind == GemmCompute::BF16)
    compute = CUBLAS_COMPUTE_32F_FAST_16BF;
  else if (type == CUDA_R_32F &&
           (computeKind == GemmCompute::TF32 || allowTF32))
    compute = CUBLAS_COMPUTE_32F_FAST_TF32;
  auto opOf = [](bool t) { return t ? CUBLAS_OP_T : CUBLAS_OP_N; };

  // Arguments are checked before the GPU is touched.
  ScopedContext context;
  if (!context.ok())
    return;
  // The caches are shared by all threads; the matmul itself runs unlocked
  // (cached plans live as long as the process).
  CUstream stream = getStream();
  Plan plan;
  cublasLtHandle_t handle;
  CUdeviceptr workspace;
  {
    std::lock_guard<std::mutex> lock(stateMutex);
    DeviceState *state = getDeviceState(context.get());
    if (!state)
      return;
    PlanKey key = {type,
                   compute,
                   firstOp,
                   secondOp,
                   batch,
                   int64_t(first.rows),
                   int64_t(first.cols),
                   first.ld,
                   first.batchStride,
                   int64_t(first.alignment),
                   int64_t(second.rows),
                   int64_t(second.cols),
                   second.ld,
                   second.batchStride,
                   int64_t(second.alignment),
                   int64_t(opD.rows),
                   int64_t(opD.cols),
                   opC.ld,
                   opC.batchStride,
                   int64_t(opC.alignment),
                   opD.ld,
                   opD.batchStride,
                   int64_t(opD.alignment)};
    auto [it, inserted] = state->plans.try_emplace(key);
    if (inserted && !createPlan(state->handle, name, type, compute, first,
                                opOf(firstOp), second, opOf(secondOp), opC, opD,
                                int32_t(batch), it->second)) {
      destroyPlan(it->second);
      state->plans.erase(it);
      return;
    }
    workspace = getWorkspace(*state, stream);
    if (!workspace)
      return;
    plan = it->second;
    handle = state->handle;
  }
  checkCublas(cublasLtMatmul(
                  handle, plan.matmul, &alpha, first.data, plan.a, second.data,
                  plan.b, &beta, opC.data, plan.c, opD.data, plan.d, &plan.algo,
                  reinterpret_cast<void *>(workspace), kWorkspaceBytes, stream),
              "cublasLtMatmul");
}

template void muon::cuda::gemm(const char *, cudaDataType_t,
                               MemRef3D<uint16_t> *, MemRef3D<uint16_t> *,
                               MemRef3D<uint16_t> *, MemRef3D<uint16_t> *,
                               float, float, bool, bool, GemmCompute);
template void muon::cuda::gemm(const char *, cudaDataType_t, MemRef3D<float> *,
                               MemRef3D<float> *, MemRef3D<float> *,
                               MemRef3D<float> *, float, float, bool, bool,
                               GemmCompute);

// i1 arguments arrive in a register whose upper bits MLIR leaves undefined.
MUON_EXPORT void
_mlir_ciface_muon_gpu_gemm_bf16(MemRef3D<uint16_t> *a, MemRef3D<uint16_t> *b,
                                MemRef3D<uint16_t> *c, MemRef3D<uint16_t> *d,
                                float alpha, float beta, uint8_t transA,
                                uint8_t transB) {
  gemm("muon_gpu_gemm_bf16", CUDA_R_16BF, a, b, c, d, alpha, beta, transA & 1,
       transB & 1);
}

MUON_EXPORT void _mlir_ciface_muon_gpu_gemm_f32(MemRef3D<float> *a,
                                                MemRef3D<float> *b,
                                                MemRef3D<float> *c,
                                                MemRef3D<float> *d, float alpha,
                                                float beta, uint8_t transA,
                                                uint8_t transB) {
  gemm("muon_gpu_gemm_f32", CUDA_R_32F, a, b, c, d, alpha, beta, transA & 1,
       transB & 1);
}

// f32 GEMMs compiled with gemm-precision=tf32/bf16: tensor cores on inputs
// rounded to TF32/bf16, f32 accumulation and output.
MUON_EXPORT void
_mlir_ciface_muon_gpu_gemm_f32_as_tf32(MemRef3D<float> *a, MemRef3D<float> *b,
                                       MemRef3D<float> *c, MemRef3D<float> *d,
                                       float alpha, float beta, uint8_t transA,
                                       uint8_t transB) {
  gemm("muon_gpu_gemm_f32_as_tf32", CUDA_R_32F, a, b, c, d, alpha, beta,
       transA & 1, transB & 1, GemmCompute::TF32);
}

MUON_EXPORT void
_mlir_ciface_muon_gpu_gemm_f32_as_bf16(MemRef3D<float> *a, MemRef3D<float> *b,
                                       MemRef3D<float> *c, MemRef3D<float> *d,
                                       float alpha, float beta, uint8_t transA,
                                       uint8_t transB) {
  gemm("muon_gpu_gemm_f32_as_bf16", CUDA_R_32F, a, b, c, d, alpha, beta,
       transA & 1, transB & 1, GemmCompute::BF16);
}

MUON_EXPORT void muon_gpu_set_allow_tf32(int allow) { allowTF32 = allow != 0; }
