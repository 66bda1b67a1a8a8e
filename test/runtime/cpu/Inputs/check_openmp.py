"""The CPU runtime's OpenMP entry points (runtime/cpu/OpenMPEntryPoints.cpp),
which threaded loops of compiled steps call, driven as LLVM's OpenMP
translation drives them: __kmpc_fork_call runs the outlined region once per
team thread with its captured arguments, and in it each thread's
__kmpc_for_static_init_8u block of a normalized inclusive range; the blocks
must tile the range exactly (empty blocks have upper = lower - 1), whatever
the trip count against the team size."""
import ctypes
import os
import sys
import threading

runtime = ctypes.CDLL(sys.argv[1])
threads = int(os.environ["OMP_NUM_THREADS"])
fork = runtime.__kmpc_fork_call
init = runtime.__kmpc_for_static_init_8u
init.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.c_int32,
                 ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_uint64),
                 ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_int64),
                 ctypes.c_int64, ctypes.c_int64]
barrier = runtime.__kmpc_barrier
barrier.argtypes = [ctypes.c_void_p, ctypes.c_int32]
STATIC = 34
MASK = (1 << 64) - 1

Microtask = ctypes.CFUNCTYPE(None, ctypes.POINTER(ctypes.c_int32),
                             ctypes.POINTER(ctypes.c_int32), ctypes.c_void_p,
                             ctypes.c_void_p)
lock = threading.Lock()
for trips in (0, 1, 2, 3, 5, 7, 1000):
    blocks, markers = [], []

    def region(gtid, btid, marker, other):
        last, lower, upper, stride = (ctypes.c_int32(), ctypes.c_uint64(0),
                                      ctypes.c_uint64((trips - 1) & MASK), ctypes.c_int64())
        init(None, gtid[0], STATIC, last, lower, upper, stride, 1, 0)
        barrier(None, gtid[0])
        with lock:
            blocks.append((lower.value, upper.value, last.value))
            markers.append((marker, other))

    fork.argtypes = [ctypes.c_void_p, ctypes.c_int32, Microtask, ctypes.c_void_p,
                     ctypes.c_void_p]
    fork(None, 2, Microtask(region), 0x1234, 0x5678)
    assert len(blocks) == threads, (trips, blocks)
    assert markers == [(0x1234, 0x5678)] * threads, markers
    covered = []
    for lower, upper, last in blocks:
        count = (upper - lower + 1) & MASK  # the caller's trip count
        covered += range(lower, lower + count)
        assert last == (count > 0 and lower + count == trips), (trips, blocks)
    assert sorted(covered) == list(range(trips)), (trips, blocks)
    sizes = sorted((u - l + 1) & MASK for l, u, _ in blocks)
    assert sizes[-1] - sizes[0] <= 1, (trips, blocks)  # balanced
print(f"{threads} threads: trip counts 0, 1, 2, 3, 5, 7, 1000 tiled exactly and balanced; "
      "captured arguments passed to every thread")
