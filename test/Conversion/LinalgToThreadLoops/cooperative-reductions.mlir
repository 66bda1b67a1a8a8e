// RUN: muon-opt %s -convert-linalg-to-thread-loops -split-input-file | FileCheck %s
// RUN: muon-opt %s -convert-linalg-to-thread-loops=cooperative-threshold=2048 -split-input-file | FileCheck %s --check-prefix=LONGER
// RUN: muon-opt %s -convert-linalg-to-thread-loops=cooperative-reductions=false -split-input-file | FileCheck %s --check-prefix=SERIAL
// RUN: muon-opt %s -convert-linalg-to-thread-loops=cooperative-threshold=1 -split-input-file | FileCheck %s --check-prefix=ONE
// RUN: muon-opt %s -convert-linalg-to-thread-loops=block-size=16 -split-input-file | FileCheck %s --check-prefix=SMALL

// A row sum of 1024 elements: a block per row (4 blocks), 256 threads that
// start at their thread index and step by 256 (consecutive threads on
// consecutive elements), a uniform all-reduce, and thread 0 storing the sum
// added to what the output held (read before the all-reduce, which no
// thread passes before all have arrived: the store cannot overtake a read).
// CHECK-LABEL: func.func @row_sum
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C4:.+]] = arith.constant 4 : index
// CHECK-DAG: %[[C256:.+]] = arith.constant 256 : index
// CHECK-DAG: %[[C1024:.+]] = arith.constant 1024 : index
// CHECK-DAG: %[[NEUTRAL:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: scf.parallel (%[[ROW:.+]]) = (%[[C0]]) to (%[[C4]])
// CHECK:   scf.parallel (%[[T:.+]]) = (%[[C0]]) to (%[[C256]])
// CHECK:     %[[PARTIAL:.+]] = scf.for %[[J:.+]] = %[[T]] to %[[C1024]] step %[[C256]] iter_args(%[[ACC:.+]] = %[[NEUTRAL]]) -> (f32)
// CHECK:       %[[X:.+]] = memref.load %{{.+}}[%[[ROW]], %[[J]]] : memref<4x1024xf32>
// CHECK:       %[[SUM:.+]] = arith.addf %[[X]], %[[ACC]] : f32
// CHECK:       scf.yield %[[SUM]]
// CHECK:     %[[OLD:.+]] = memref.load %{{.+}}[%[[ROW]]] : memref<4xf32>
// CHECK:     %[[ROWSUM:.+]] = gpu.all_reduce add %[[PARTIAL]] uniform
// CHECK:     %[[NEW:.+]] = arith.addf %[[ROWSUM]], %[[OLD]] : f32
// CHECK:     %[[FIRST:.+]] = arith.cmpi eq, %[[T]], %[[C0]]
// CHECK:     scf.if %[[FIRST]]
// CHECK:       memref.store %[[NEW]], %{{.+}}[%[[ROW]]] : memref<4xf32>
// CHECK-NOT: linalg.generic
// LONGER-LABEL: func.func @row_sum
// LONGER-NOT: gpu.all_reduce
// SERIAL-LABEL: func.func @row_sum
// SERIAL-NOT: gpu.all_reduce
// A block size below a warp is the number of threads per row.
// SMALL-LABEL: func.func @row_sum
// SMALL-DAG: %[[C16:.+]] = arith.constant 16 : index
// SMALL:   scf.parallel (%[[T:.+]]) = (%{{.+}}) to (%[[C16]])
// SMALL:     scf.for %{{.+}} = %[[T]] to %{{.+}} step %[[C16]]
// SMALL:     gpu.all_reduce add
func.func @row_sum(%a: memref<4x1024xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<4x1024xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %o : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// Two reduction dims (6 × 100 per output) flattened: each thread's flat
// index is split back into the two dims; the two parallel dims (2 × 3)
// collapse into one block loop of 6. A row max: neutral -inf; 160 threads
// (600 / 4 rounded up to whole warps).
// CHECK-LABEL: func.func @two_reduction_dims
// LONGER-LABEL: func.func @two_reduction_dims
// CHECK-DAG: %[[C160:.+]] = arith.constant 160 : index
// CHECK-DAG: %[[C600:.+]] = arith.constant 600 : index
// CHECK-DAG: %[[NEG_INF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[TWO_BY_ONE:.+]] = arith.muli %{{.+}}, %{{.+}} : index
// CHECK: %[[BLOCKS:.+]] = arith.muli %[[TWO_BY_ONE]], %{{.+}} : index
// CHECK: scf.parallel (%[[B:.+]]) = (%{{.+}}) to (%[[BLOCKS]])
// CHECK:   %[[J1:.+]] = arith.remsi %[[B]], %{{.+}}
// CHECK:   %[[I1:.+]] = arith.divsi %[[B]], %{{.+}}
// CHECK:   scf.parallel (%[[T:.+]]) = (%{{.+}}) to (%[[C160]])
// CHECK:     scf.for %[[J:.+]] = %[[T]] to %[[C600]] step %[[C160]] iter_args(%{{.+}} = %[[NEG_INF]])
// CHECK:       %[[C100:.+]] = arith.constant 100 : index
// CHECK:       %[[K:.+]] = arith.remui %[[J]], %[[C100]]
// CHECK:       %[[L:.+]] = arith.divui %[[J]], %[[C100]]
// CHECK:       memref.load %{{.+}}[%[[I1]], %[[J1]], %[[L]], %[[K]]] : memref<2x3x6x100xf32>
// CHECK:       arith.maximumf
// CHECK:     gpu.all_reduce maximumf %{{.+}} uniform
func.func @two_reduction_dims(%a: memref<2x3x6x100xf32>, %out: memref<2x3xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j, k, l) -> (i, j, k, l)>, affine_map<(i, j, k, l) -> (i, j)>],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%a : memref<2x3x6x100xf32>) outs(%out : memref<2x3xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.maximumf %x, %o : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// A column sum (a bias gradient: the reduction dim first) is interchanged
// so the block loop runs over the columns. Two outputs, a sum and a sum of
// squares (what a fused LayerNorm statistic computes), each get their own
// partial and all-reduce; linalg.index in the payload (interchanged with
// the dims: an affine.apply picking the row) reads the loop index.
// CHECK-LABEL: func.func @column_stats
// CHECK-DAG: %[[C8:.+]] = arith.constant 8 : index
// CHECK: scf.parallel (%[[COL:.+]]) = (%{{.+}}) to (%[[C8]])
// CHECK:   scf.for %[[ROW:.+]] = {{.+}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (f32, f32)
// CHECK:     memref.load %{{.+}}[%[[ROW]], %[[COL]]] : memref<512x8xf32>
// CHECK:     %[[INDEX:.+]] = affine.apply #{{.+}}(%[[COL]], %[[ROW]])
// CHECK:     arith.index_cast %[[INDEX]]
// CHECK:   gpu.all_reduce add
// CHECK:   gpu.all_reduce add
// CHECK:   scf.if
// CHECK-COUNT-2: memref.store
func.func @column_stats(%a: memref<512x8xf32>, %sum: memref<8xf32>, %squares: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<512x8xf32>) outs(%sum, %squares : memref<8xf32>, memref<8xf32>) {
  ^bb0(%x: f32, %s: f32, %q: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    %w = arith.sitofp %ii : i32 to f32
    %wx = arith.mulf %w, %x : f32
    %s2 = arith.addf %wx, %s : f32
    %xx = arith.mulf %x, %x : f32
    %q2 = arith.addf %xx, %q : f32
    linalg.yield %s2, %q2 : f32, f32
  }
  return
}

// -----

// A full reduction (the loss): one block of 256 threads instead of one
// thread.
// CHECK-LABEL: func.func @full_sum
// LONGER-LABEL: func.func @full_sum
// LONGER: gpu.all_reduce add
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK: scf.parallel (%{{.+}}) = (%{{.+}}) to (%[[C1]])
// CHECK:   memref.load %{{.+}}[] : memref<f32>
// CHECK:   gpu.all_reduce add
func.func @full_sum(%a: memref<64x100xf32>, %out: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>],
                  iterator_types = ["reduction", "reduction"]}
      ins(%a : memref<64x100xf32>) outs(%out : memref<f32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %o : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// Not plain reductions: an f16 sum (gpu.all_reduce's NVVM lowering shuffles
// 32-bit values) and a decaying accumulation (no single combiner) stay
// serial per thread.
// CHECK-LABEL: func.func @not_cooperative
// CHECK-NOT: gpu.all_reduce
// CHECK: return
func.func @not_cooperative(%h: memref<4x1024xf16>, %hout: memref<4xf16>,
                           %a: memref<4x1024xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%h : memref<4x1024xf16>) outs(%hout : memref<4xf16>) {
  ^bb0(%x: f16, %o: f16):
    %y = arith.addf %x, %o : f16
    linalg.yield %y : f16
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<4x1024xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %half = arith.constant 0.5 : f32
    %d = arith.mulf %o, %half : f32
    %y = arith.addf %x, %d : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// A bufferized softmax: row max, exp(x - max), row sum of the exps, their
// in-place division. Each element-wise op that reads the reduced values of
// its own row runs in the reduction's kernel after the all-reduce, reading
// them from registers: two kernels instead of four. The fills stay apart.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[X:[^:]+]]: memref<4x1024xf32>, %[[OUT:[^:]+]]: memref<4x1024xf32>, %[[STAT:[^:]+]]: memref<4xf32>)
// CHECK: scf.for %{{.+}} = %[[T:[^ ]+]] to %{{.+}} iter_args
// CHECK:       memref.load %[[X]][%[[ROW:[^,]+]],
// CHECK:       arith.maxnumf
// CHECK:     %[[OLD_MAX:.+]] = memref.load %[[STAT]][%[[ROW]]]
// CHECK:     %[[ROW_MAX:.+]] = gpu.all_reduce maxnumf
// CHECK:     %[[MAX:.+]] = arith.maxnumf %[[ROW_MAX]], %[[OLD_MAX]]
// CHECK:     scf.if
// CHECK:       memref.store %[[MAX]], %[[STAT]][%[[ROW]]]
// CHECK:     scf.for %[[J:.+]] = %[[T]] to
// CHECK-NOT:   memref.load %[[STAT]]
// CHECK:       %[[XJ:.+]] = memref.load %[[X]][%[[ROW]], %[[J]]]
// CHECK:       %[[D:.+]] = arith.subf %[[XJ]], %[[MAX]]
// CHECK:       %[[E:.+]] = math.exp %[[D]]
// CHECK:       memref.store %[[E]], %[[OUT]][%[[ROW]], %[[J]]]
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     gpu.all_reduce add
// CHECK:     scf.for
// CHECK:       arith.divf
// CHECK:       memref.store %{{.+}}, %[[OUT]]
// CHECK-NOT: linalg.generic
#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0)>
func.func @softmax(%x: memref<4x1024xf32>, %out: memref<4x1024xf32>, %stat: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %nan = arith.constant 0xFFC00000 : f32
  linalg.fill ins(%nan : f32) outs(%stat : memref<4xf32>)
  linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x1024xf32>) outs(%stat : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %m = arith.maxnumf %in, %acc : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x, %stat : memref<4x1024xf32>, memref<4xf32>) outs(%out : memref<4x1024xf32>) {
  ^bb0(%in: f32, %m: f32, %o: f32):
    %d = arith.subf %in, %m : f32
    %e = math.exp %d : f32
    linalg.yield %e : f32
  }
  linalg.fill ins(%zero : f32) outs(%stat : memref<4xf32>)
  linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "reduction"]}
      ins(%out : memref<4x1024xf32>) outs(%stat : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel"]}
      ins(%out, %stat : memref<4x1024xf32>, memref<4xf32>) outs(%out : memref<4x1024xf32>) {
  ^bb0(%e: f32, %s: f32, %o: f32):
    %p = arith.divf %e, %s : f32
    linalg.yield %p : f32
  }
  return
}

// -----

// An allocation of the consumer's output between the two (as bufferization
// places it) does not keep them apart: the kernel runs where the consumer
// was, after the allocation.
// CHECK-LABEL: func.func @alloc_between
// CHECK: %[[Y:.+]] = memref.alloc() : memref<4x1024xf32>
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     gpu.all_reduce add
// CHECK:     scf.for
// CHECK:       arith.divf
// CHECK:       memref.store %{{.+}}, %[[Y]]
// CHECK-NOT: scf.parallel
// CHECK: return %[[Y]]
#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0)>
func.func @alloc_between(%x: memref<4x1024xf32>, %sums: memref<4xf32>) -> memref<4x1024xf32> {
  linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x1024xf32>) outs(%sums : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  %y = memref.alloc() : memref<4x1024xf32>
  linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sums : memref<4x1024xf32>, memref<4xf32>) outs(%y : memref<4x1024xf32>) {
  ^bb0(%e: f32, %s: f32, %o: f32):
    %p = arith.divf %e, %s : f32
    linalg.yield %p : f32
  }
  return %y : memref<4x1024xf32>
}

// -----

// Not fused: a consumer reading the reduced values at another row (a
// column of them), one writing the reduction's input at other elements (a
// transposed in-place update), one over another iteration space: each
// reduction kernel ends after thread 0's store, and the consumers are
// kernels of their own.
// CHECK-LABEL: func.func @not_fused
// CHECK: gpu.all_reduce add
// CHECK: memref.store %{{.+}}, %{{.+}}[%{{.+}}] : memref<256xf32>
// CHECK-NEXT: }
// CHECK-NEXT: scf.reduce
// CHECK: gpu.all_reduce add
// CHECK: memref.store %{{.+}}, %{{.+}}[%{{.+}}] : memref<256xf32>
// CHECK-NEXT: }
// CHECK-NEXT: scf.reduce
// CHECK: gpu.all_reduce add
// CHECK: memref.store %{{.+}}, %{{.+}}[%{{.+}}] : memref<256xf32>
// CHECK-NEXT: }
// CHECK-NEXT: scf.reduce
// CHECK-NOT: gpu.all_reduce
#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
#r = affine_map<(d0, d1) -> (d0)>
#c = affine_map<(d0, d1) -> (d1)>
func.func @not_fused(%x: memref<256x256xf32>, %sums: memref<256xf32>, %y: memref<256x256xf32>,
                     %z: memref<256x8xf32>) {
  linalg.generic {indexing_maps = [#id, #r], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<256x256xf32>) outs(%sums : memref<256xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #c, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %sums : memref<256x256xf32>, memref<256xf32>) outs(%y : memref<256x256xf32>) {
  ^bb0(%in: f32, %s: f32, %o: f32):
    %d = arith.divf %in, %s : f32
    linalg.yield %d : f32
  }
  linalg.generic {indexing_maps = [#id, #r], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<256x256xf32>) outs(%sums : memref<256xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#r, #t], iterator_types = ["parallel", "parallel"]}
      ins(%sums : memref<256xf32>) outs(%x : memref<256x256xf32>) {
  ^bb0(%s: f32, %o: f32):
    %d = arith.divf %o, %s : f32
    linalg.yield %d : f32
  }
  linalg.generic {indexing_maps = [#id, #r], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<256x256xf32>) outs(%sums : memref<256xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%z : memref<256x8xf32>) outs(%z : memref<256x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %d = arith.mulf %in, %in : f32
    linalg.yield %d : f32
  }
  return
}

// -----

// A column reduction with many outputs (2048 columns of 64 rows): a thread
// per column, consecutive threads on consecutive elements of each row, no
// all-reduce. The same shape reduced along its rows is cooperative.
// CHECK-LABEL: func.func @columns_and_rows
// CHECK-COUNT-2: gpu.all_reduce add
// CHECK-NOT: gpu.all_reduce
#in = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @columns_and_rows(%x: memref<64x2048xf32>, %cols: memref<2048xf32>, %y: memref<2048x64xf32>, %rows: memref<2048xf32>,
                             %scale: memref<f32>) {
  linalg.generic {indexing_maps = [#in, #col], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<64x2048xf32>) outs(%cols : memref<2048xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#in, #row], iterator_types = ["parallel", "reduction"]}
      ins(%y : memref<2048x64xf32>) outs(%rows : memref<2048xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  // A 0-d first input (lr, a scale) does not decide the layout: the row
  // it reduces does.
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> ()>, #in, #row], iterator_types = ["parallel", "reduction"]}
      ins(%scale, %y : memref<f32>, memref<2048x64xf32>) outs(%rows : memref<2048xf32>) {
  ^bb0(%c: f32, %in: f32, %acc: f32):
    %p = arith.mulf %c, %in : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// With every reduction cooperative, an op without loops and one without
// reduction dims still take the element-wise path.
// ONE-LABEL: func.func @no_reduction
// ONE-NOT: gpu.all_reduce
// ONE: return
func.func @no_reduction(%a: memref<f32>, %b: memref<f32>, %x: memref<64xf32>, %y: memref<64xf32>) {
  linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []}
      ins(%a : memref<f32>) outs(%b : memref<f32>) {
  ^bb0(%in: f32, %o: f32):
    %d = arith.mulf %in, %in : f32
    linalg.yield %d : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%x : memref<64xf32>) outs(%y : memref<64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %d = arith.mulf %in, %in : f32
    linalg.yield %d : f32
  }
  return
}

// -----

// An accumulator filled just before (gpu.memset, as convert-memory-to-gpu
// leaves a linalg.fill) is not filled at all: the kernel starts from the
// constant instead of loading it, through a reshape of the filled buffer.
// CHECK-LABEL: func.func @filled_accumulator
// CHECK-SAME: (%{{[^:]+}}: memref<4x1024xf32>, %[[OUT:[^:]+]]: memref<4xf32>)
// CHECK-DAG: %[[NEG_INF:.+]] = arith.constant 0xFF800000 : f32
// CHECK-NOT: gpu.memset
// CHECK: %[[ROWMAX:.+]] = gpu.all_reduce maxnumf
// CHECK: %[[NEW:.+]] = arith.maxnumf %[[ROWMAX]], %[[NEG_INF]] : f32
// CHECK: memref.store %[[NEW]]
// Serially reduced, the same: each thread's register starts from the
// constant.
// SERIAL-LABEL: func.func @filled_accumulator
// SERIAL-DAG: %[[NEG_INF:.+]] = arith.constant 0xFF800000 : f32
// SERIAL-NOT: gpu.memset
// SERIAL: scf.for {{.+}} iter_args(%{{.+}} = %[[NEG_INF]]) -> (f32)
func.func @filled_accumulator(%a: memref<4x1024xf32>, %out: memref<4xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %column = memref.expand_shape %out [[0, 1]] output_shape [4, 1] : memref<4xf32> into memref<4x1xf32>
  gpu.memset %column, %ninf : memref<4x1xf32>, f32
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<4x1024xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.maxnumf %x, %o : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// The fill stays where the buffer is read in between (or the fill is not a
// constant): the kernel loads what the output holds.
// CHECK-LABEL: func.func @read_between
// CHECK: gpu.memset
// CHECK: memref.copy
// CHECK: memref.load %{{.+}}[%{{.+}}] : memref<4xf32>
// CHECK: gpu.all_reduce add
// CHECK-LABEL: func.func @not_constant
// CHECK: gpu.memset
// CHECK: memref.load %{{.+}}[%{{.+}}] : memref<4xf32>
// CHECK: gpu.all_reduce add
func.func @read_between(%a: memref<4x1024xf32>, %out: memref<4xf32>, %copy: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  gpu.memset %out, %zero : memref<4xf32>, f32
  memref.copy %out, %copy : memref<4xf32> to memref<4xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<4x1024xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %o : f32
    linalg.yield %y : f32
  }
  return
}

func.func @not_constant(%a: memref<4x1024xf32>, %out: memref<4xf32>, %init: f32) {
  gpu.memset %out, %init : memref<4xf32>, f32
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<4x1024xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %o : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// Reductions of the same rows in a row: a softmax's max, the sum of its
// exps (which reads the max) and the division (which reads both) run in
// one kernel. The sum's partials read the max from the register the first
// all-reduce left it in, not from memory; the fill of the sum's output
// between the two (a buffer the max does not touch) is absorbed like the
// max's; thread 0 stores both statistics after the second all-reduce.
// CHECK-LABEL: func.func @softmax_one_kernel
// CHECK-SAME: (%[[X:[^:]+]]: memref<4x1024xf32>, %[[MAX:[^:]+]]: memref<4xf32>, %[[SUM:[^:]+]]: memref<4xf32>, %[[OUT:[^:]+]]: memref<4x1024xf32>)
// CHECK-NOT: gpu.memset
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     scf.for
// CHECK:       arith.maxnumf
// CHECK:     %[[ROW_MAX:.+]] = gpu.all_reduce maxnumf
// CHECK:     %[[M:.+]] = arith.maxnumf %[[ROW_MAX]]
// CHECK:     scf.for
// CHECK-NOT:   memref.load %[[MAX]]
// CHECK:       arith.subf %{{.+}}, %[[M]]
// CHECK:       math.exp
// CHECK:     %[[ROW_SUM:.+]] = gpu.all_reduce add
// CHECK:     %[[S:.+]] = arith.addf %[[ROW_SUM]]
// CHECK:     scf.if
// CHECK:       memref.store %[[M]], %[[MAX]]
// CHECK:       memref.store %[[S]], %[[SUM]]
// CHECK:     scf.for
// CHECK:       arith.divf %{{.+}}, %[[S]]
// CHECK:       memref.store %{{.+}}, %[[OUT]]
// CHECK-NOT: scf.parallel
// CHECK: return
#rows = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
func.func @softmax_one_kernel(%x: memref<4x1024xf32>, %max: memref<4xf32>, %sum: memref<4xf32>,
                              %out: memref<4x1024xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  gpu.memset %max, %ninf : memref<4xf32>, f32
  linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x1024xf32>) outs(%max : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %m = arith.maxnumf %in, %acc : f32
    linalg.yield %m : f32
  }
  gpu.memset %sum, %zero : memref<4xf32>, f32
  linalg.generic {indexing_maps = [#rows, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %max : memref<4x1024xf32>, memref<4xf32>) outs(%sum : memref<4xf32>) {
  ^bb0(%in: f32, %m: f32, %acc: f32):
    %d = arith.subf %in, %m : f32
    %e = math.exp %d : f32
    %s = arith.addf %e, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#rows, #row, #row, #rows], iterator_types = ["parallel", "parallel"]}
      ins(%x, %max, %sum : memref<4x1024xf32>, memref<4xf32>, memref<4xf32>) outs(%out : memref<4x1024xf32>) {
  ^bb0(%in: f32, %m: f32, %s: f32, %o: f32):
    %d = arith.subf %in, %m : f32
    %e = math.exp %d : f32
    %p = arith.divf %e, %s : f32
    linalg.yield %p : f32
  }
  return
}

// -----

// Kept apart, a kernel each: a second reduction over other rows (more
// columns), one reading the first's result at another row, and one after
// a fill of the buffer the first reads.
// CHECK-LABEL: func.func @not_chained
// CHECK: gpu.all_reduce
// CHECK: scf.if
// CHECK: scf.parallel
// CHECK: gpu.all_reduce
// CHECK: scf.if
// CHECK: gpu.memset
// CHECK: scf.parallel
// CHECK: gpu.all_reduce
// CHECK: scf.if
// CHECK: scf.parallel
// CHECK: gpu.all_reduce
// CHECK: scf.if
// CHECK-NOT: gpu.all_reduce
// CHECK: return
#rows = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
func.func @not_chained(%x: memref<4x1024xf32>, %w: memref<4x2048xf32>, %a: memref<4xf32>,
                       %b: memref<4xf32>, %c: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x1024xf32>) outs(%a : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]}
      ins(%w : memref<4x2048xf32>) outs(%b : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  gpu.memset %x, %zero : memref<4x1024xf32>, f32
  linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x1024xf32>) outs(%c : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#rows, affine_map<(i, j) -> (3 - i)>, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %c : memref<4x1024xf32>, memref<4xf32>) outs(%a : memref<4xf32>) {
  ^bb0(%in: f32, %o: f32, %acc: f32):
    %d = arith.mulf %in, %o : f32
    %s = arith.addf %d, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Two column reductions over the same tokens (a LayerNorm's weight and
// bias gradients), each written with the reduced dim first: both are put
// in parallel-dims-first order before any kernel is built, so the second
// joins the first's kernel (two all-reduces, one launch).
// CHECK-LABEL: func.func @column_pair
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     gpu.all_reduce add
// CHECK:     gpu.all_reduce add
// CHECK:     scf.if
// CHECK-COUNT-2: memref.store
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @column_pair(%dy: memref<512x8xf32>, %xhat: memref<512x8xf32>, %dgamma: memref<8xf32>,
                       %dbeta: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(t, c) -> (t, c)>, affine_map<(t, c) -> (t, c)>, affine_map<(t, c) -> (c)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%dy, %xhat : memref<512x8xf32>, memref<512x8xf32>) outs(%dgamma : memref<8xf32>) {
  ^bb0(%g: f32, %x: f32, %acc: f32):
    %p = arith.mulf %g, %x : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(t, c) -> (t, c)>, affine_map<(t, c) -> (c)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%dy : memref<512x8xf32>) outs(%dbeta : memref<8xf32>) {
  ^bb0(%g: f32, %acc: f32):
    %s = arith.addf %g, %acc : f32
    linalg.yield %s : f32
  }
  return
}
