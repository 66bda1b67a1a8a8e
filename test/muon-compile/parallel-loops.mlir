// By default (--parallel-loops), loop nests of at least `--parallel-min-work`
// innermost iterations run on OpenMP threads: the library calls the CPU
// runtime's OpenMP entry points (GCC's libgomp team, shared with oneDNN's
// GEMMs), not LLVM's libomp, and its results are equal with 1, 2 and 3
// threads, to a serial build (--parallel-loops=false) and to numpy (a
// GELU-like element-wise op over 512 x 256, a row softmax's max and sum over
// 256 rows, an 8 x 8 op below the threshold).

// RUN: rm -rf %t && mkdir -p %t
// RUN: muon-compile %s -o %t/libthreads.so
// RUN: muon-compile %s --parallel-loops=false -o %t/libserial.so
// RUN: readelf -d %t/libthreads.so | FileCheck %s --check-prefix=THREADS
// RUN: readelf -d %t/libserial.so | FileCheck %s --check-prefix=SERIAL
// RUN: muon-opt %s --muon-cpu-pipeline | FileCheck %s --check-prefix=IR
// RUN: muon-opt %s --muon-cpu-pipeline=parallel-loops=false | FileCheck %s --check-prefix=SERIAL-IR
// RUN: for n in 1 2 3; do env OMP_NUM_THREADS=$n %python %S/Inputs/check_parallel_loops.py %t/libthreads.so %t/libserial.so; done | FileCheck %s --check-prefix=PY

// SERIAL-IR-NOT: omp.

// THREADS-NOT: libomp
// THREADS: NEEDED{{.*}}libmuon_cpu_runtime
// THREADS-NOT: libomp
// SERIAL-NOT: libomp

// Three loop nests large enough (the element-wise op, the max and the sum
// rows); the 256-element fills and the 8 x 8 op run on the calling thread.
// IR-COUNT-3: omp.parallel
// IR-NOT: omp.parallel

// PY: OMP_NUM_THREADS=1: equal to the serial build bit for bit; within 1e-6 of numpy
// PY: OMP_NUM_THREADS=2: equal
// PY: OMP_NUM_THREADS=3: equal

func.func @step(%x: tensor<512x256xf32>, %s: tensor<256x256xf32>,
                %small: tensor<8x8xf32>)
    -> (tensor<512x256xf32>, tensor<256xf32>, tensor<8x8xf32>) {
  %e = tensor.empty() : tensor<512x256xf32>
  %y = linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<512x256xf32>) outs(%e : tensor<512x256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %h = arith.constant 0.5 : f32
    %t = math.tanh %a : f32
    %one = arith.constant 1.0 : f32
    %p = arith.addf %t, %one : f32
    %q = arith.mulf %a, %p : f32
    %r = arith.mulf %q, %h : f32
    linalg.yield %r : f32
  } -> tensor<512x256xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<256xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%e1 : tensor<256xf32>) -> tensor<256xf32>
  %m = linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
      iterator_types = ["parallel", "reduction"]}
      ins(%s : tensor<256x256xf32>) outs(%m0 : tensor<256xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maxnumf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<256xf32>) -> tensor<256xf32>
  %sum = linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>,
                       affine_map<(i, j) -> (i)>],
      iterator_types = ["parallel", "reduction"]}
      ins(%s, %m : tensor<256x256xf32>, tensor<256xf32>) outs(%s0 : tensor<256xf32>) {
  ^bb0(%a: f32, %mx: f32, %acc: f32):
    %d = arith.subf %a, %mx : f32
    %x2 = math.exp %d : f32
    %r = arith.addf %x2, %acc : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %e2 = tensor.empty() : tensor<8x8xf32>
  %z = linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%small : tensor<8x8xf32>) outs(%e2 : tensor<8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.addf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<8x8xf32>
  return %y, %sum, %z : tensor<512x256xf32>, tensor<256xf32>, tensor<8x8xf32>
}
