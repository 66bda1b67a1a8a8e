"""Where OpenBLAS's threads start to pay: sgemm time with one thread and
with all of them, for the GEMM shapes of small training steps, through
Debian's libopenblas (the library the CPU runtime links). The runtime keeps
products below MUON_CPU_SMALL_GEMM multiply-adds on the calling thread
(runtime/cpu/MuonCpuRuntime.cpp); this prints the crossover to set it from.

    .venv/bin/python bench/cpu_gemm_threads.py [--repetitions 200]
"""

import argparse
import ctypes
import os
import time

import numpy as np

BLAS = ctypes.CDLL("libopenblas.so.0")
ROW_MAJOR, NO_TRANS = 101, 111
F32P = ctypes.POINTER(ctypes.c_float)


def sgemm(a, b, c):
    m, k = a.shape
    n = b.shape[1]
    BLAS.cblas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, ctypes.c_float(1.0),
                     a.ctypes.data_as(F32P), k, b.ctypes.data_as(F32P), n,
                     ctypes.c_float(1.0), c.ctypes.data_as(F32P), n)


def median_us(m, n, k, threads, repetitions):
    BLAS.openblas_set_num_threads(threads)
    a, b = np.ones((m, k), np.float32), np.ones((k, n), np.float32)
    c = np.zeros((m, n), np.float32)
    for _ in range(10):
        sgemm(a, b, c)
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        sgemm(a, b, c)
        times.append(time.perf_counter() - start)
    return 1e6 * float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=200)
    args = parser.parse_args()
    cores = os.cpu_count()
    print(f"{'m x n x k':>18} {'MACs':>10} {'1 thread us':>12} {f'{cores} threads us':>12}")
    crossover = None
    for m, n, k in [(256, 64, 64), (256, 64, 256), (256, 256, 64), (256, 192, 64),
                    (512, 64, 256), (512, 256, 64), (1024, 64, 256), (1024, 256, 64),
                    (512, 512, 128), (1024, 256, 256), (1024, 1024, 64), (1024, 512, 256),
                    (1024, 1024, 256), (2048, 1024, 256)]:
        one = median_us(m, n, k, 1, args.repetitions)
        many = median_us(m, n, k, cores, args.repetitions)
        print(f"{f'{m}x{n}x{k}':>18} {m * n * k:>10} {one:>12.1f} {many:>12.1f}")
        if crossover is None and many < 0.9 * one:
            crossover = m * n * k
    print(f"threads first save >10% at {crossover} multiply-adds")


if __name__ == "__main__":
    main()
