//===- RuntimeState.cpp - Per-thread state of the CUDA runtime ------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "RuntimeState.h"

#include <mutex>

using namespace muon::cuda;

namespace {

/// The calling thread's view of the runtime between muon_gpu_begin and
/// muon_gpu_end; the message outlives the call for muon_gpu_last_error.
struct ThreadState {
  CUstream stream = nullptr;
  bool pushedContext = false;
  int status = MUON_GPU_SUCCESS;
  std::string message;
};

thread_local ThreadState threadState;

/// Device whose primary context serves calls on the legacy stream from a
/// thread without a current context; thread-local as upstream's wrappers.
thread_local int32_t defaultDevice = 0;

bool initDriver() {
  static CUresult result = cuInit(/*Flags=*/0);
  return check(result, "cuInit");
}

/// The primary context of `device`, retained once for the process: the
/// context torch and the CUDA runtime API use, so device pointers from them
/// are valid in it.
CUcontext getPrimaryContext(int32_t device) {
  static std::mutex mutex;
  static constexpr int kMaxDevices = 64;
  static CUcontext contexts[kMaxDevices] = {};
  if (!initDriver())
    return nullptr;
  if (device < 0 || device >= kMaxDevices) {
    recordError(MUON_GPU_ERROR_INVALID_ARGUMENT,
                "device ordinal " + std::to_string(device) + " out of range");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(mutex);
  if (!contexts[device]) {
    CUdevice handle;
    if (!check(cuDeviceGet(&handle, device), "cuDeviceGet") ||
        !check(cuDevicePrimaryCtxRetain(&contexts[device], handle),
               "cuDevicePrimaryCtxRetain"))
      return nullptr;
  }
  return contexts[device];
}

/// The context to run in when the caller names no stream of its own: the
/// thread's current one (torch makes its device's primary context current),
/// else the default device's primary context.
CUcontext getFallbackContext() {
  CUcontext current = nullptr;
  if (!initDriver() || !check(cuCtxGetCurrent(&current), "cuCtxGetCurrent"))
    return nullptr;
  return current ? current : getPrimaryContext(defaultDevice);
}

/// The legacy (0, CU_STREAM_LEGACY) and per-thread default streams belong to
/// whatever context is current.
bool isDefaultStream(CUstream stream) {
  return stream == nullptr || stream == CU_STREAM_LEGACY ||
         stream == CU_STREAM_PER_THREAD;
}

} // namespace

void muon::cuda::recordError(int code, const std::string &message) {
  if (threadState.status != MUON_GPU_SUCCESS)
    return;
  threadState.status = code;
  threadState.message = message;
}

bool muon::cuda::hasError() { return threadState.status != MUON_GPU_SUCCESS; }

bool muon::cuda::check(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS)
    return true;
  std::string message =
      std::string(what) + " failed: CUresult " + std::to_string(result);
  // Both fail for results this driver does not know, and in the toolkit's
  // stub library (CUDA_ERROR_STUB_LIBRARY), which answers every call so.
  const char *name = nullptr, *text = nullptr;
  if (cuGetErrorName(result, &name) == CUDA_SUCCESS && name)
    message += std::string(" ") + name;
  if (cuGetErrorString(result, &text) == CUDA_SUCCESS && text)
    message += std::string(": ") + text;
  recordError(MUON_GPU_ERROR_CUDA, message);
  return false;
}

CUstream muon::cuda::getStream(CUstream requested) {
  return requested ? requested : threadState.stream;
}

ScopedContext::ScopedContext() {
  CUcontext current = nullptr;
  if (!initDriver() || !check(cuCtxGetCurrent(&current), "cuCtxGetCurrent"))
    return;
  if (current) {
    context = current;
    return;
  }
  CUcontext primary = getPrimaryContext(defaultDevice);
  if (primary && check(cuCtxPushCurrent(primary), "cuCtxPushCurrent")) {
    context = primary;
    pushed = true;
  }
}

ScopedContext::~ScopedContext() {
  if (pushed)
    check(cuCtxPopCurrent(nullptr), "cuCtxPopCurrent");
}

RelaxedCaptureMode::RelaxedCaptureMode()
    : previous(CU_STREAM_CAPTURE_MODE_RELAXED) {
  check(cuThreadExchangeStreamCaptureMode(&previous),
        "cuThreadExchangeStreamCaptureMode");
}

RelaxedCaptureMode::~RelaxedCaptureMode() {
  check(cuThreadExchangeStreamCaptureMode(&previous),
        "cuThreadExchangeStreamCaptureMode");
}

//===----------------------------------------------------------------------===//
// C API
//===----------------------------------------------------------------------===//

MUON_EXPORT void muon_gpu_begin(void *stream) {
  ThreadState &state = threadState;
  state = ThreadState();
  state.stream = static_cast<CUstream>(stream);
  CUcontext context = nullptr;
  if (isDefaultStream(state.stream)) {
    context = getFallbackContext();
  } else if (initDriver()) {
    check(cuStreamGetCtx(state.stream, &context), "cuStreamGetCtx");
  }
  CUcontext current = nullptr;
  if (!context || !check(cuCtxGetCurrent(&current), "cuCtxGetCurrent") ||
      current == context)
    return;
  state.pushedContext = check(cuCtxPushCurrent(context), "cuCtxPushCurrent");
}

MUON_EXPORT int muon_gpu_end(void) {
  ThreadState &state = threadState;
  if (state.pushedContext)
    check(cuCtxPopCurrent(nullptr), "cuCtxPopCurrent");
  state.pushedContext = false;
  state.stream = nullptr;
  return state.status;
}

MUON_EXPORT const char *muon_gpu_last_error(void) {
  return threadState.message.c_str();
}

MUON_EXPORT void mgpuSetDefaultDevice(int32_t device) {
  defaultDevice = device;
}
