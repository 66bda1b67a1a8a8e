//===- OpenMPEntryPoints.cpp - LLVM's OpenMP calls on GCC's team ----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Loops the CPU pipeline runs on threads (`parallel-loops`) reach LLVM IR as
// calls of LLVM's OpenMP runtime ABI (`__kmpc_*`, emitted by MLIR's OpenMP
// translation). oneDNN, which runs the runtime's bf16 and f32 GEMMs, is built
// on GCC's OpenMP (libgomp). Linking the loops against LLVM's libomp gave a
// step two thread pools spinning against each other on the same cores; these
// definitions run the loops on libgomp's team instead, the one the GEMMs use.
//
// Only what the translation of `omp.parallel` + `omp.wsloop` with the static
// schedule calls is provided; any other schedule is reported and aborts.
//
//===----------------------------------------------------------------------===//

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>

#define MUON_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

/// libomp's `ident_t` (source location): never read here.
struct Ident;
using Microtask = void (*)(int32_t *, int32_t *, ...);

/// kmp_sch_static: iterations split in one contiguous block per thread.
constexpr int32_t kStaticSchedule = 34;
/// Captured values a parallel region may pass (LLVM's outliner passes one
/// pointer per captured value or aggregate).
constexpr int kMaxArguments = 32;

template <size_t... I>
void invokeWith(Microtask microtask, int32_t *gtid, int32_t *btid,
                void **arguments, std::index_sequence<I...>) {
  using Outlined =
      void (*)(int32_t *, int32_t *, decltype((void)I, (void *)nullptr)...);
  reinterpret_cast<Outlined>(microtask)(gtid, btid, arguments[I]...);
}

template <size_t... N> constexpr auto makeInvokers(std::index_sequence<N...>) {
  using Invoker = void (*)(Microtask, int32_t *, int32_t *, void **);
  return std::array<Invoker, sizeof...(N)>{
      [](Microtask microtask, int32_t *gtid, int32_t *btid, void **arguments) {
        invokeWith(microtask, gtid, btid, arguments,
                   std::make_index_sequence<N>());
      }...};
}

[[noreturn]] void fail(const char *message) {
  std::fprintf(stderr, "muon_cpu_runtime: %s\n", message);
  std::abort();
}

} // namespace

MUON_EXPORT int32_t __kmpc_global_thread_num(Ident *) {
  return omp_get_thread_num();
}

MUON_EXPORT void __kmpc_fork_call(Ident *, int32_t argc, Microtask microtask,
                                  ...) {
  static constexpr auto invokers =
      makeInvokers(std::make_index_sequence<kMaxArguments + 1>());
  if (argc < 0 || argc > kMaxArguments)
    fail("a parallel region captures more values than this runtime passes");
  void *arguments[kMaxArguments];
  va_list list;
  va_start(list, microtask);
  for (int32_t i = 0; i < argc; ++i)
    arguments[i] = va_arg(list, void *);
  va_end(list);
#pragma omp parallel
  {
    int32_t gtid = omp_get_thread_num(), btid = gtid;
    invokers[argc](microtask, &gtid, &btid, arguments);
  }
}

/// This thread's block of the normalized, inclusive iteration range
/// [*lower, *upper] (step `increment`): an empty block comes back as
/// upper = lower - 1, which the caller's trip count (upper - lower + 1) reads
/// as zero.
MUON_EXPORT void __kmpc_for_static_init_8u(Ident *, int32_t, int32_t schedule,
                                           int32_t *isLast, uint64_t *lower,
                                           uint64_t *upper, int64_t *stride,
                                           int64_t increment, int64_t) {
  if (schedule != kStaticSchedule || increment <= 0)
    fail("a threaded loop asks for a schedule other than static (only "
         "schedule(static) with a positive step is provided)");
  uint64_t step = static_cast<uint64_t>(increment);
  uint64_t trips = *upper < *lower ? 0 : (*upper - *lower) / step + 1;
  uint64_t threads = omp_get_num_threads(), thread = omp_get_thread_num();
  uint64_t base = trips / threads, extra = trips % threads;
  uint64_t first = thread * base + std::min(thread, extra);
  uint64_t count = base + (thread < extra ? 1 : 0);
  uint64_t start = *lower + first * step;
  *isLast = count > 0 && first + count == trips;
  *lower = start;
  *upper = count ? start + (count - 1) * step : start - 1;
  *stride = static_cast<int64_t>(trips * step);
}

MUON_EXPORT void __kmpc_for_static_fini(Ident *, int32_t) {}

MUON_EXPORT void __kmpc_barrier(Ident *, int32_t) {
#pragma omp barrier
}
