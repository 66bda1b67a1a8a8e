// RUN: muon-opt %s -convert-linalg-to-thread-loops=block-size=64 -split-input-file | FileCheck %s

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

// A row reduction: threads over the rows, the reduction dim as a
// sequential scf.for inside each thread.
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
