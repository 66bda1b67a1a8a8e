//===- MuonCudaRuntime.cpp - Entry points of lowered GPU host code --------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The `mgpu*` functions that upstream MLIR's GPU-to-LLVM lowering and
// `gpu-module-to-binary` make host code call (the ABI of upstream's
// CudaRuntimeWrappers.cpp in LLVM 22, which Debian does not ship), adapted
// to a library called from a training loop:
//
// - Streams: every stream the host code creates is the caller's stream given
//   to muon_gpu_begin, so a compiled step is ordered with the caller's work
//   and can be captured in a CUDA graph. Destroying it does nothing, and
//   synchronizing it (or an event) does nothing either: the call returns
//   with its work enqueued, like any CUDA library, and a host-side wait would
//   be illegal during graph capture. Device-to-host copies into pageable
//   memory still complete before mgpuMemcpy returns (the driver waits).
// - Modules: the binary is registered at library load (a global constructor
//   of the step library) but loaded lazily into the context of the call that
//   first needs it, once per context: nothing touches the GPU at dlopen time,
//   a load failure becomes the call's status, and steps run on any device.
// - Memory: stream-ordered (cuMemAllocAsync / cuMemFreeAsync), so that
//   temporaries are captured as graph memory nodes.
// - Errors: recorded (RuntimeState.h), never fatal; once a call has failed,
//   later launches, copies and allocations of that call are skipped.
//
//===----------------------------------------------------------------------===//

#include "RuntimeState.h"

#include <map>
#include <mutex>
#include <utility>

using namespace muon::cuda;

namespace {

/// A GPU binary and what has been loaded from it, per context.
struct LazyModule {
  const void *data;
  /// For PTX (`--cuda-format=isa`): the JIT's optimization level; -1 for a
  /// cubin or fatbin.
  int jitOptLevel;
  std::mutex mutex;
  std::map<CUcontext, CUmodule> modules;
  /// Kernel names are constant strings of the step library.
  std::map<std::pair<CUcontext, const char *>, CUfunction> functions;
};

/// The pool that non-captured allocations of `context`'s device come from:
/// created with an unlimited release threshold, so that memory freed by one
/// step is reused by the next instead of being returned to the driver at
/// every synchronization (the default pool's behaviour). Kept apart from the
/// default pool, which other libraries in the process may configure.
std::mutex poolMutex;
std::map<CUcontext, CUmemoryPool> pools;

CUmemoryPool getMemoryPool(CUcontext context) {
  std::lock_guard<std::mutex> lock(poolMutex);
  CUmemoryPool &pool = pools[context];
  if (pool)
    return pool;
  CUdevice device;
  if (!check(cuCtxGetDevice(&device), "cuCtxGetDevice"))
    return nullptr;
  CUmemPoolProps props = {};
  props.allocType = CU_MEM_ALLOCATION_TYPE_PINNED;
  props.handleTypes = CU_MEM_HANDLE_TYPE_NONE;
  props.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  props.location.id = device;
  RelaxedCaptureMode relaxed;
  if (!check(cuMemPoolCreate(&pool, &props), "cuMemPoolCreate"))
    return pool = nullptr;
  cuuint64_t threshold = ~cuuint64_t(0);
  check(cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
                              &threshold),
        "cuMemPoolSetAttribute");
  return pool;
}

bool isCapturing(CUstream stream) {
  CUstreamCaptureStatus status = CU_STREAM_CAPTURE_STATUS_NONE;
  return check(cuStreamIsCapturing(stream, &status), "cuStreamIsCapturing") &&
         status != CU_STREAM_CAPTURE_STATUS_NONE;
}

} // namespace

//===----------------------------------------------------------------------===//
// Modules and launches
//===----------------------------------------------------------------------===//

MUON_EXPORT void *mgpuModuleLoad(void *data, size_t /*size*/) {
  return new LazyModule{data, /*jitOptLevel=*/-1, {}, {}, {}};
}

/// `data` is NUL-terminated PTX, compiled by the driver on first use.
MUON_EXPORT void *mgpuModuleLoadJIT(void *data, int optLevel) {
  return new LazyModule{data, optLevel, {}, {}, {}};
}

MUON_EXPORT void mgpuModuleUnload(void *handle) {
  auto *module = static_cast<LazyModule *>(handle);
  // Runs from the step library's destructors, possibly at process exit after
  // the driver has torn its contexts down: failures here help nobody.
  for (auto &[context, loaded] : module->modules)
    (void)cuModuleUnload(loaded);
  delete module;
}

MUON_EXPORT CUfunction mgpuModuleGetFunction(void *handle, const char *name) {
  ScopedContext context;
  if (hasError() || !context.ok())
    return nullptr;
  auto *module = static_cast<LazyModule *>(handle);
  std::lock_guard<std::mutex> lock(module->mutex);
  CUfunction &function = module->functions[{context.get(), name}];
  if (function)
    return function;
  CUmodule &loaded = module->modules[context.get()];
  if (!loaded) {
    RelaxedCaptureMode relaxed;
    CUjit_option option = CU_JIT_OPTIMIZATION_LEVEL;
    void *value = reinterpret_cast<void *>(intptr_t(module->jitOptLevel));
    bool jit = module->jitOptLevel >= 0;
    if (!check(cuModuleLoadDataEx(&loaded, module->data, jit ? 1 : 0,
                                  jit ? &option : nullptr,
                                  jit ? &value : nullptr),
               "cuModuleLoadDataEx")) {
      loaded = nullptr;
      return nullptr;
    }
  }
  if (!check(cuModuleGetFunction(&function, loaded, name),
             "cuModuleGetFunction"))
    function = nullptr;
  return function;
}

/// `paramsCount` is what LLVM 22's translation passes after `extra`; the
/// kernel's signature in the binary already fixes it.
MUON_EXPORT void mgpuLaunchKernel(CUfunction function, intptr_t gridX,
                                  intptr_t gridY, intptr_t gridZ,
                                  intptr_t blockX, intptr_t blockY,
                                  intptr_t blockZ, int32_t smem,
                                  CUstream stream, void **params, void **extra,
                                  size_t /*paramsCount*/) {
  ScopedContext context;
  if (hasError() || !context.ok() || !function)
    return;
  check(cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ,
                       smem, getStream(stream), params, extra),
        "cuLaunchKernel");
}

//===----------------------------------------------------------------------===//
// Streams and events
//===----------------------------------------------------------------------===//

MUON_EXPORT CUstream mgpuStreamCreate() { return getStream(); }

MUON_EXPORT void mgpuStreamDestroy(CUstream) {}

MUON_EXPORT void mgpuStreamSynchronize(CUstream) {}

MUON_EXPORT void mgpuStreamWaitEvent(CUstream stream, CUevent event) {
  if (hasError() || !event)
    return;
  check(cuStreamWaitEvent(getStream(stream), event, /*Flags=*/0),
        "cuStreamWaitEvent");
}

MUON_EXPORT CUevent mgpuEventCreate() {
  ScopedContext context;
  CUevent event = nullptr;
  if (hasError() || !context.ok())
    return nullptr;
  if (!check(cuEventCreate(&event, CU_EVENT_DISABLE_TIMING), "cuEventCreate"))
    return nullptr;
  return event;
}

MUON_EXPORT void mgpuEventDestroy(CUevent event) {
  if (event)
    check(cuEventDestroy(event), "cuEventDestroy");
}

MUON_EXPORT void mgpuEventSynchronize(CUevent) {}

MUON_EXPORT void mgpuEventRecord(CUevent event, CUstream stream) {
  if (hasError() || !event)
    return;
  check(cuEventRecord(event, getStream(stream)), "cuEventRecord");
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

MUON_EXPORT void *mgpuMemAlloc(uint64_t sizeBytes, CUstream stream,
                               bool isHostShared) {
  ScopedContext context;
  if (hasError() || !context.ok() || sizeBytes == 0)
    return nullptr;
  if (isHostShared) {
    recordError(MUON_GPU_ERROR_INVALID_ARGUMENT,
                "mgpuMemAlloc: host-shared (managed) allocations are not "
                "supported: they cannot be stream-ordered");
    return nullptr;
  }
  stream = getStream(stream);
  CUdeviceptr pointer = 0;
  // Graph capture records cuMemAllocAsync as a memory node; other
  // allocations come from the runtime's own pool.
  CUresult result;
  if (isCapturing(stream)) {
    result = cuMemAllocAsync(&pointer, sizeBytes, stream);
  } else {
    CUmemoryPool pool = getMemoryPool(context.get());
    if (!pool)
      return nullptr;
    result = cuMemAllocFromPoolAsync(&pointer, sizeBytes, pool, stream);
  }
  if (!check(result, "mgpuMemAlloc"))
    return nullptr;
  return reinterpret_cast<void *>(pointer);
}

/// Frees even after an error: skipping would leak a step's temporaries.
MUON_EXPORT void mgpuMemFree(void *pointer, CUstream stream) {
  if (!pointer)
    return;
  ScopedContext context;
  if (context.ok())
    check(cuMemFreeAsync(reinterpret_cast<CUdeviceptr>(pointer),
                         getStream(stream)),
          "mgpuMemFree");
}

MUON_EXPORT void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                            CUstream stream) {
  ScopedContext context;
  if (hasError() || !context.ok() || sizeBytes == 0)
    return;
  check(cuMemcpyAsync(reinterpret_cast<CUdeviceptr>(dst),
                      reinterpret_cast<CUdeviceptr>(src), sizeBytes,
                      getStream(stream)),
        "mgpuMemcpy");
}

MUON_EXPORT void mgpuMemset32(void *dst, unsigned int value, size_t count,
                              CUstream stream) {
  ScopedContext context;
  if (hasError() || !context.ok() || count == 0)
    return;
  check(cuMemsetD32Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                         getStream(stream)),
        "mgpuMemset32");
}

MUON_EXPORT void mgpuMemset16(void *dst, unsigned short value, size_t count,
                              CUstream stream) {
  ScopedContext context;
  if (hasError() || !context.ok() || count == 0)
    return;
  check(cuMemsetD16Async(reinterpret_cast<CUdeviceptr>(dst), value, count,
                         getStream(stream)),
        "mgpuMemset16");
}

//===----------------------------------------------------------------------===//
// Memory statistics
//===----------------------------------------------------------------------===//

/// High-water mark of the bytes in use in the runtime's pools (steps'
/// temporaries outside graph capture), summed over contexts; 0 if a query
/// fails. The caller's own tensors are not included.
MUON_EXPORT uint64_t muon_gpu_peak_temporary_bytes() {
  std::lock_guard<std::mutex> lock(poolMutex);
  uint64_t total = 0;
  for (auto &[context, pool] : pools) {
    cuuint64_t high = 0;
    if (pool && cuMemPoolGetAttribute(pool, CU_MEMPOOL_ATTR_USED_MEM_HIGH,
                                      &high) == CUDA_SUCCESS)
      total += high;
  }
  return total;
}

/// Restarts the high-water mark from the bytes in use now.
MUON_EXPORT void muon_gpu_reset_peak_temporary_bytes() {
  std::lock_guard<std::mutex> lock(poolMutex);
  for (auto &[context, pool] : pools) {
    cuuint64_t zero = 0;
    if (pool)
      (void)cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_USED_MEM_HIGH, &zero);
  }
}
