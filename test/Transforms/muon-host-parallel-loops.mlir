// RUN: muon-opt %s --muon-host-parallel-loops | FileCheck %s
// RUN: muon-opt %s --muon-host-parallel-loops="min-work=64" | FileCheck %s --check-prefix=SMALL

// A nest of 256 x 256 innermost iterations keeps its outer dim parallel; the
// inner dim runs serially in each thread (no collapsed iteration space).
// CHECK-LABEL: func.func @large
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c256) step (%c1)
// CHECK-NEXT: scf.for %[[J:.*]] = %c0 to %c256 step %c1
// CHECK-NEXT: memref.load %{{.*}}[%[[I]], %[[J]]]
// CHECK-NOT: scf.parallel
func.func @large(%a: memref<256x256xf32>, %b: memref<256x256xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c256, %c256) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<256x256xf32>
    memref.store %x, %b[%i, %j] : memref<256x256xf32>
  }
  return
}

// The work of a nest counts its serial inner loops (a row reduction: 256
// rows x 256 elements); nested parallel loops become serial.
// CHECK-LABEL: func.func @rows
// CHECK: scf.parallel (%{{.*}}) = (%c0) to (%c256)
// CHECK: scf.for
// CHECK: scf.for
// CHECK-NOT: scf.parallel
func.func @rows(%a: memref<256x256xf32>, %s: memref<256xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  scf.parallel (%i) = (%c0) to (%c256) step (%c1) {
    scf.for %j = %c0 to %c256 step %c1 {
      %x = memref.load %a[%i, %j] : memref<256x256xf32>
      %acc = memref.load %s[%i] : memref<256xf32>
      %y = arith.addf %x, %acc : f32
      memref.store %y, %s[%i] : memref<256xf32>
    }
    scf.parallel (%k) = (%c0) to (%c256) step (%c1) {
      %x = memref.load %a[%i, %k] : memref<256x256xf32>
      memref.store %x, %a[%k, %i] : memref<256x256xf32>
    }
  }
  return
}

// 8 x 8 iterations: not worth a thread team.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.parallel
// CHECK: scf.for %{{.*}} = %c0 to %c8
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c8
// SMALL-LABEL: func.func @small
// SMALL: scf.parallel (%{{.*}}) = (%c0) to (%c8)
// SMALL-NEXT: scf.for
func.func @small(%a: memref<8x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
    memref.store %zero, %a[%i, %j] : memref<8x8xf32>
  }
  return
}

// A dynamic bound counts as min-work: the loop is kept.
// CHECK-LABEL: func.func @dynamic
// CHECK: scf.parallel
func.func @dynamic(%a: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %zero, %a[%i] : memref<?xf32>
  }
  return
}

// A loop with a reduction result is left to convert-scf-to-openmp.
// CHECK-LABEL: func.func @reduction
// CHECK: scf.parallel {{.*}} init
func.func @reduction(%a: memref<65536xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 65536 : index
  %zero = arith.constant 0.0 : f32
  %sum = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
    %x = memref.load %a[%i] : memref<65536xf32>
    scf.reduce(%x : f32) {
    ^bb0(%l: f32, %r: f32):
      %s = arith.addf %l, %r : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}
