//===- RuntimeState.h - Per-thread state of the CUDA runtime ----*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// What the runtime's entry points share: the calling thread's current stream
// and context (set by muon_gpu_begin), the first error of the current call,
// and checked wrappers that record CUDA and cuBLASLt failures instead of
// aborting: the runtime lives inside a user's process (a training loop), so
// an error must reach the caller as a status code.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_RUNTIME_CUDA_RUNTIMESTATE_H
#define MUON_RUNTIME_CUDA_RUNTIMESTATE_H

#include "muon_gpu_runtime.h"

#include <cuda.h>

#include <string>

#define MUON_EXPORT extern "C" __attribute__((visibility("default")))

namespace muon::cuda {

/// Records `message` with status `code` as the calling thread's error unless
/// an earlier one of the same call is already recorded (the first error is
/// the cause; later ones are usually its consequences).
void recordError(int code, const std::string &message);

/// Whether the calling thread's current call has failed. Entry points that
/// enqueue work skip it then: a failed allocation must not turn into a
/// kernel writing through a null pointer.
bool hasError();

/// Checks a CUDA driver result; on failure records "`what`: NAME: text".
bool check(CUresult result, const char *what);

/// The stream the current call enqueues on: the one given to
/// muon_gpu_begin, or `requested` if the host code names another one.
CUstream getStream(CUstream requested = nullptr);

/// Makes a context current for the lifetime of the object if none is: the
/// primary context of the default device (mgpuSetDefaultDevice). Calls made
/// between muon_gpu_begin and muon_gpu_end already have one.
class ScopedContext {
public:
  ScopedContext();
  ~ScopedContext();
  /// False (with an error recorded) if no context could be made current.
  bool ok() const { return context != nullptr; }
  CUcontext get() const { return context; }

private:
  CUcontext context = nullptr;
  bool pushed = false;
};

/// Lets one-time setup (module loading, workspace allocation, library
/// handles) run while the caller captures a CUDA graph in the global or
/// thread-local capture mode, which forbid such calls otherwise. The setup
/// enqueues nothing, so the captured graph is unaffected.
class RelaxedCaptureMode {
public:
  RelaxedCaptureMode();
  ~RelaxedCaptureMode();

private:
  CUstreamCaptureMode previous;
};

} // namespace muon::cuda

#endif // MUON_RUNTIME_CUDA_RUNTIMESTATE_H
