//===- HostAllocator.cpp - Caching allocator of lowered CPU code ----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The host pipelines lower `memref.alloc`/`dealloc` to MLIR's generic
// allocation functions (`finalize-memref-to-llvm{use-generic-functions}`),
// defined here. A compiled step allocates and frees the same temporaries on
// every call; glibc hands large freed blocks back to the kernel (heap trim,
// mmap above its threshold), so the next call page-faults them in again.
// Once a framework's allocations have moved glibc's thresholds that cost the
// char transformer's step ~55% (docs/performance.md). Freed blocks are kept
// here instead, by size, up to a cap (`MUON_HOST_CACHE_MB`, default 1024;
// 0 turns caching off), and reused by the next allocation of that size.
//
// With `MUON_HOST_GUARD=1` (the test suite sets it) every buffer is followed
// by a guard zone that freeing checks: a loop or an emulated kernel that
// wrote past its buffer aborts with a message instead of corrupting a
// neighbour silently. (Emulated device memory is host memory, so an
// undersized device buffer shows up here before it faults on a GPU.)
//
//===----------------------------------------------------------------------===//

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#define MUON_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

/// Stored just below every pointer handed out: the block to give back to
/// malloc and the key it is cached under.
struct BlockHeader {
  void *base;
  size_t capacity;
  /// The bytes asked for (where the guard zone starts).
  size_t size;
};

/// Bytes of the guard zone after each buffer, and their value.
constexpr size_t kGuardBytes = 64;
constexpr unsigned char kGuardValue = 0xA5;

bool guarded() {
  static const bool enabled = [] {
    const char *value = std::getenv("MUON_HOST_GUARD");
    return value && *value && std::strcmp(value, "0") != 0;
  }();
  return enabled;
}

/// Alignment of every pointer handed out (a cache line; also what AVX-512
/// loads prefer); larger requests are honored.
constexpr size_t kMinAlignment = 64;

size_t roundUp(size_t value, size_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

class BlockCache {
public:
  BlockCache() {
    const char *limit = std::getenv("MUON_HOST_CACHE_MB");
    limitBytes = (limit ? std::strtoull(limit, nullptr, 10) : 1024) << 20;
  }

  /// A block of `capacity` bytes: a cached one, else a new one (null if
  /// malloc fails).
  void *take(size_t capacity) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = free.find(capacity);
      if (it != free.end() && !it->second.empty()) {
        void *base = it->second.back();
        it->second.pop_back();
        cachedBytes -= capacity;
        return base;
      }
    }
    return std::malloc(capacity);
  }

  void give(void *base, size_t capacity) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (cachedBytes + capacity <= limitBytes) {
        free[capacity].push_back(base);
        cachedBytes += capacity;
        return;
      }
    }
    std::free(base);
  }

private:
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void *>> free;
  size_t cachedBytes = 0;
  size_t limitBytes;
};

BlockCache &cache() {
  // Never destroyed: code of a step may still free blocks while the process
  // runs its exit handlers.
  static BlockCache *instance = new BlockCache();
  return *instance;
}

void *allocate(size_t alignment, size_t size) {
  if (alignment < kMinAlignment)
    alignment = kMinAlignment;
  if (alignment & (alignment - 1))
    return nullptr;
  // Sizes are rounded so that a step's temporaries of nearly equal sizes
  // share blocks; the slack holds the header and the alignment (malloc's
  // blocks are 16-byte aligned: the header ends at most alignment +
  // sizeof(BlockHeader) bytes in).
  size_t granule = size < 4096 ? kMinAlignment : 4096;
  size_t guard = guarded() ? kGuardBytes : 0;
  size_t capacity =
      roundUp(size + guard, granule) + alignment + sizeof(BlockHeader);
  void *base = cache().take(capacity);
  if (!base)
    return nullptr;
  uintptr_t user = roundUp(
      reinterpret_cast<uintptr_t>(base) + sizeof(BlockHeader), alignment);
  auto *header = reinterpret_cast<BlockHeader *>(user) - 1;
  header->base = base;
  header->capacity = capacity;
  header->size = size;
  if (guard)
    std::memset(reinterpret_cast<char *>(user) + size, kGuardValue, guard);
  return reinterpret_cast<void *>(user);
}

/// Aborts if the guard zone after `pointer`'s buffer was written.
void checkGuard(const void *pointer, const BlockHeader &header) {
  const auto *zone = static_cast<const unsigned char *>(pointer) + header.size;
  for (size_t i = 0; i < kGuardBytes; ++i) {
    if (zone[i] == kGuardValue)
      continue;
    std::fprintf(stderr,
                 "muon: a loop or kernel wrote past a buffer of %zu bytes "
                 "(byte %zu after its end changed; MUON_HOST_GUARD)\n",
                 header.size, i);
    std::abort();
  }
}

} // namespace

MUON_EXPORT void *_mlir_memref_to_llvm_alloc(size_t size) {
  return allocate(kMinAlignment, size);
}

MUON_EXPORT void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment,
                                                     size_t size) {
  return allocate(alignment, size);
}

MUON_EXPORT void _mlir_memref_to_llvm_free(void *pointer) {
  if (!pointer)
    return;
  auto *header = reinterpret_cast<BlockHeader *>(pointer) - 1;
  if (guarded())
    checkGuard(pointer, *header);
  cache().give(header->base, header->capacity);
}
