// RUN: muon-opt %s --split-input-file --convert-linalg-reductions-to-loops | FileCheck %s
// RUN: muon-opt %s --split-input-file --convert-linalg-reductions-to-loops="reassociate=false" | FileCheck %s --check-prefix=STRICT

// A row sum: each output element loaded once, the running sum carried in
// registers, stored once; the addition may reassociate.
// CHECK-LABEL: func.func @row_sum
// CHECK-SAME: (%[[X:.*]]: memref<16x32xf32>, %[[S:.*]]: memref<16xf32>)
// CHECK: scf.parallel (%[[I:.*]]) = (%c0) to (%c16) step (%c1)
// CHECK-NEXT: %[[INIT:.*]] = memref.load %[[S]][%[[I]]]
// CHECK-NEXT: %[[SUM:.*]] = scf.for %[[J:.*]] = %{{.*}} to %c32 step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32)
// CHECK-NEXT: %[[V:.*]] = memref.load %[[X]][%[[I]], %[[J]]]
// CHECK-NEXT: %[[NEW:.*]] = arith.addf %[[V]], %[[ACC]] fastmath<reassoc> : f32
// CHECK-NEXT: scf.yield %[[NEW]]
// CHECK: memref.store %[[SUM]], %[[S]][%[[I]]]
// CHECK-NOT: linalg.generic
// STRICT-LABEL: func.func @row_sum
// STRICT: arith.addf %{{.*}}, %{{.*}} : f32
// STRICT-NOT: fastmath
func.func @row_sum(%x: memref<16x32xf32>, %s: memref<16xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
      iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<16x32xf32>) outs(%s : memref<16xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Two outputs (a LayerNorm's sum and sum of squares over the last two dims),
// a scalar input and linalg.index: two carried values over a 2-deep
// reduction nest; only the ops combining a carried value reassociate.
// CHECK-LABEL: func.func @moments
// CHECK-SAME: (%[[X:.*]]: memref<4x8x16xf32>, %[[C:.*]]: f32, %[[S:.*]]: memref<4xf32>, %[[Q:.*]]: memref<4xf32>)
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK-DAG: %[[S0:.*]] = memref.load %[[S]][%[[I]]]
// CHECK-DAG: %[[Q0:.*]] = memref.load %[[Q]][%[[I]]]
// CHECK: %[[R:.*]]:2 = scf.for %[[J:.*]] = {{.*}} iter_args(%[[SA:.*]] = %[[S0]], %[[QA:.*]] = %[[Q0]])
// CHECK: scf.for %[[K:.*]] = {{.*}} iter_args(%[[SB:.*]] = %[[SA]], %[[QB:.*]] = %[[QA]])
// CHECK: %[[V:.*]] = memref.load %[[X]][%[[I]], %[[J]], %[[K]]]
// CHECK: %[[KF:.*]] = arith.index_cast %[[K]]
// CHECK: %[[W:.*]] = arith.mulf %[[V]], %[[C]] : f32
// CHECK: arith.addf %[[W]], %[[SB]] fastmath<reassoc>
// CHECK: %[[SQ:.*]] = arith.mulf %[[W]], %[[W]] : f32
// CHECK: arith.addf %[[SQ]], %[[QB]] fastmath<reassoc>
// CHECK: memref.store %[[R]]#0, %[[S]][%[[I]]]
// CHECK: memref.store %[[R]]#1, %[[Q]][%[[I]]]
func.func @moments(%x: memref<4x8x16xf32>, %c: f32, %s: memref<4xf32>, %q: memref<4xf32>) {
  linalg.generic {
      indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> ()>,
                       affine_map<(i, j, k) -> (i)>, affine_map<(i, j, k) -> (i)>],
      iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%x, %c : memref<4x8x16xf32>, f32) outs(%s, %q : memref<4xf32>, memref<4xf32>) {
  ^bb0(%a: f32, %scale: f32, %sum: f32, %sq: f32):
    %k = linalg.index 2 : index
    %ki = arith.index_cast %k : index to i32
    %w = arith.mulf %a, %scale : f32
    %s1 = arith.addf %w, %sum : f32
    %w2 = arith.mulf %w, %w : f32
    %q1 = arith.addf %w2, %sq : f32
    linalg.yield %s1, %q1 : f32, f32
  }
  return
}

// -----

// A whole-tensor reduction (the loss): no parallel loop.
// CHECK-LABEL: func.func @total
// CHECK-NOT: scf.parallel
// CHECK: memref.load %{{.*}}[] : memref<f32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: arith.maxnumf {{.*}} fastmath<reassoc>
// CHECK: memref.store %{{.*}}, %{{.*}}[] : memref<f32>
func.func @total(%x: memref<8x8xf32>, %m: memref<f32>) {
  linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>],
      iterator_types = ["reduction", "reduction"]}
      ins(%x : memref<8x8xf32>) outs(%m : memref<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maxnumf %a, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Left for convert-linalg-to-loops: a column reduction (reduction dim
// first), an op that reads the buffer it writes (through a view), ops on
// tensors, element-wise ops, and an output that a "parallel" dim does not
// index (its rows would share output elements).
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT: scf.
func.func @left_alone(%x: memref<16x32xf32>, %s: memref<32xf32>, %buf: memref<16xf32>,
                      %t: tensor<16x32xf32>, %ts: tensor<16xf32>,
                      %x3: memref<16x2x32xf32>, %buf2: memref<16xf32>) -> tensor<16xf32> {
  linalg.generic {
      indexing_maps = [affine_map<(j, i) -> (j, i)>, affine_map<(j, i) -> (i)>],
      iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<16x32xf32>) outs(%s : memref<32xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  %view = memref.expand_shape %buf [[0, 1]] output_shape [16, 1] : memref<16xf32> into memref<16x1xf32>
  linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
      iterator_types = ["parallel", "reduction"]}
      ins(%view : memref<16x1xf32>) outs(%buf : memref<16xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  %r = linalg.generic {
      indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
      iterator_types = ["parallel", "reduction"]}
      ins(%t : tensor<16x32xf32>) outs(%ts : tensor<16xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  linalg.generic {
      indexing_maps = [affine_map<(i, k, j) -> (i, k, j)>, affine_map<(i, k, j) -> (i)>],
      iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x3 : memref<16x2x32xf32>) outs(%buf2 : memref<16xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sum = arith.addf %a, %acc : f32
    linalg.yield %sum : f32
  }
  linalg.generic {
      indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
      iterator_types = ["parallel"]}
      ins(%s : memref<32xf32>) outs(%s : memref<32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  }
  return %r : tensor<16xf32>
}
