// RUN: muon-opt %s -convert-linalg-to-thread-loops="block-size=64 cooperative-reductions=false" -split-input-file | FileCheck %s

// An element-wise op on a 4×48 buffer: one parallel loop over the 192
// collapsed elements, tiled by the block size (a block loop stepping by 64
// around a thread loop of 64) with a bounds guard, and the 2-D indices
// recovered from the flat one.
// CHECK-LABEL: func.func @elementwise
// CHECK-DAG: %[[C48:.+]] = arith.constant 48 : index
// CHECK-DAG: %[[C64:.+]] = arith.constant 64 : index
// CHECK: scf.parallel (%[[BLOCK:.+]]) = (%{{.+}}) to (%{{.+}}) step (%{{.+}}) {
// CHECK:   scf.parallel (%[[THREAD:.+]]) = (%{{.+}}) to (%{{.+}}) step (%{{.+}}) {
// CHECK:     %[[FLAT:.+]] = arith.addi %[[THREAD]], %[[BLOCK]] : index
// CHECK:     arith.cmpi ult
// CHECK:     scf.if
// CHECK:       arith.remsi %[[FLAT]], %[[C48]]
// CHECK:       arith.divsi %[[FLAT]], %[[C48]]
// CHECK:       arith.mulf
// CHECK:       memref.store
// CHECK-NOT: linalg.generic
func.func @elementwise(%a: memref<4x48xf32>, %out: memref<4x48xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<4x48xf32>) outs(%out : memref<4x48xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.mulf %x, %x : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// (The serial form of reductions; cooperative-reductions.mlir has the
// cooperative one.) A row reduction: threads over the rows, the reduction
// dim as a sequential scf.for inside each thread.
// CHECK-LABEL: func.func @reduction
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     scf.if
// CHECK:       scf.for
// CHECK:         arith.maximumf
// CHECK-NOT: linalg.generic
func.func @reduction(%a: memref<4x48xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<4x48xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.maximumf %x, %o : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// A column reduction whose reduction dim comes first: the parallel dim is
// moved outermost, so the reduction runs inside each thread instead of as a
// host loop around kernel launches.
// The output element is loaded once, carried in a register through the
// reduction (an iter_arg) and stored once: not read and written back on
// every iteration.
// CHECK-LABEL: func.func @reduction_first
// CHECK-SAME: (%[[A:.+]]: memref<48x4xf32>, %[[OUT:.+]]: memref<4xf32>)
// CHECK-NOT: scf.for
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     scf.if
// CHECK:       %[[INIT:.+]] = memref.load %[[OUT]][%{{.+}}] : memref<4xf32>
// CHECK:       %[[SUM:.+]] = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[ACC:.+]] = %[[INIT]]) -> (f32) {
// CHECK:         %[[X:.+]] = memref.load %[[A]][%{{.+}}, %{{.+}}] : memref<48x4xf32>
// CHECK:         %[[NEXT:.+]] = arith.addf %[[X]], %[[ACC]]
// CHECK-NEXT:    scf.yield %[[NEXT]] : f32
// CHECK:       memref.store %[[SUM]], %[[OUT]][%{{.+}}] : memref<4xf32>
// CHECK-NOT: linalg.generic
func.func @reduction_first(%a: memref<48x4xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%a : memref<48x4xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %o : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// A named op with the same problem (the reduction of a linalg.reduce is
// generalized and interchanged).
// CHECK-LABEL: func.func @named_reduction_first
// CHECK-NOT: scf.for
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:       scf.for
// CHECK:         arith.maximumf
// CHECK-NOT: linalg.reduce
func.func @named_reduction_first(%a: memref<48x4xf32>, %out: memref<4xf32>) {
  linalg.reduce ins(%a : memref<48x4xf32>) outs(%out : memref<4xf32>) dimensions = [0]
    (%x: f32, %o: f32) {
      %y = arith.maximumf %x, %o : f32
      linalg.yield %y : f32
    }
  return
}

// -----

// No parallel dim (a full reduction) and no dim at all (0-d): each runs on
// one thread of a one-block launch, never in host code.
// CHECK-LABEL: func.func @full_reduction
// CHECK-NOT: memref.load
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     scf.if
// CHECK:       scf.for
// CHECK:         memref.load
// CHECK-LABEL: func.func @scalar
// CHECK-NOT: memref.load
// CHECK: scf.parallel
// CHECK:   scf.parallel
// CHECK:     scf.if
// CHECK:       memref.load
// CHECK:       arith.mulf
func.func @full_reduction(%a: memref<80xf32>, %out: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%a : memref<80xf32>) outs(%out : memref<f32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %o : f32
    linalg.yield %y : f32
  }
  return
}

func.func @scalar(%a: memref<f32>, %out: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>],
                  iterator_types = []}
      ins(%a : memref<f32>) outs(%out : memref<f32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.mulf %x, %x : f32
    linalg.yield %y : f32
  }
  return
}

// -----

// Serial work per thread at or above the threshold is remarked, naming the
// op: a row reduction of 8192 elements per thread, and a full reduction on
// one thread; a short reduction is not. (Without cooperative reductions:
// cooperative-reductions.mlir has the remarks with them.)
// RUN: muon-opt %s -convert-linalg-to-thread-loops="serial-remark-threshold=4096 cooperative-reductions=false" -split-input-file -verify-diagnostics -o /dev/null
// RUN: muon-opt %s -convert-linalg-to-thread-loops=serial-remark-threshold=0 -split-input-file -o /dev/null 2>&1 | FileCheck %s --check-prefix=OFF
// OFF-NOT: remark: runs on
func.func @serial_reductions(%rows: memref<4x8192xf32>, %sums: memref<4xf32>,
                             %total: memref<f32>, %short: memref<4x16xf32>) {
  // expected-remark @below {{runs on 4 GPU threads, each walking 8192 elements serially}}
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%rows : memref<4x8192xf32>) outs(%sums : memref<4xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  // expected-remark @below {{runs on 1 GPU thread, each walking 32768 elements serially}}
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>],
                  iterator_types = ["reduction", "reduction"]}
      ins(%rows : memref<4x8192xf32>) outs(%total : memref<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%short : memref<4x16xf32>) outs(%sums : memref<4xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// An op that also reads its output buffer as an input keeps reading and
// writing it on every iteration: carrying the element in a register would
// change what the input reads.
// CHECK-LABEL: func.func @output_read_as_input
// CHECK:       scf.for
// CHECK-NOT:     iter_args
// CHECK:         memref.load
// CHECK:         memref.store
func.func @output_read_as_input(%a: memref<48x4xf32>, %out: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(j, i) -> (i, j)>, affine_map<(j, i) -> (j)>,
                                   affine_map<(j, i) -> (j)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a, %out : memref<48x4xf32>, memref<4xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32, %acc: f32):
    %s = arith.addf %x, %o : f32
    %y = arith.addf %s, %acc : f32
    linalg.yield %y : f32
  }
  return
}
