"""The CPU runtime's caching allocator through its C entry points: pointers
aligned as asked, usable in full, a freed block handed out again for the same
size, and with MUON_HOST_CACHE_MB=0 nothing cached (every block freed to
malloc; reuse then is up to glibc, not asserted)."""
import ctypes
import os
import sys

runtime = ctypes.CDLL(sys.argv[1])
alloc = runtime._mlir_memref_to_llvm_alloc
alloc.restype, alloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
aligned = runtime._mlir_memref_to_llvm_aligned_alloc
aligned.restype, aligned.argtypes = ctypes.c_void_p, [ctypes.c_size_t, ctypes.c_size_t]
free = runtime._mlir_memref_to_llvm_free
free.argtypes = [ctypes.c_void_p]

sizes = [1, 63, 64, 4095, 4097, 1 << 20, 3 << 20]
blocks = []
for size in sizes:
    for alignment in (1, 16, 64, 128, 4096):
        pointer = aligned(alignment, size)
        assert pointer % max(alignment, 64) == 0, (size, alignment, pointer)
        ctypes.memset(pointer, 0xAB, size)  # the whole block is writable
        blocks.append(pointer)
    plain = alloc(size)
    assert plain % 64 == 0
    blocks.append(plain)
for pointer in blocks:
    free(pointer)
free(None)

cached = os.environ.get("MUON_HOST_CACHE_MB") != "0"
reused = 0
for size in sizes:
    first = alloc(size)
    free(first)
    again = alloc(size)
    reused += again == first
    free(again)
if cached:
    assert reused == len(sizes), f"{reused} of {len(sizes)} sizes reused a cached block"
print(f"aligned and writable for {len(sizes)} sizes x 5 alignments; "
      f"cache {'on: every size reused its block' if cached else 'off'}")
