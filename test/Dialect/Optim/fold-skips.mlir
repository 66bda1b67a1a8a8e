// RUN: muon-opt %s -muon-assertions-to-status -optim-fold-skips -split-input-file | FileCheck %s

// Every result of each update is only kept-on-failure selected into its
// argument: the status becomes the updates' `skip` and the selects go.
// CHECK-LABEL: func.func @step
// CHECK-SAME: (%[[W:[^:]+]]: tensor<4x8xf32> {{.*}}, %[[M:[^:]+]]: tensor<4x8xf32> {{.*}}, %[[B:[^:]+]]: tensor<8xf32> {{.*}}, %[[BM:[^:]+]]: tensor<8xf32> {{.*}}, %[[BV:[^:]+]]: tensor<8xf32> {{.*}}, %[[G:[^:]+]]: tensor<4x8xf32>, %[[GB:[^:]+]]: tensor<8xf32>, %[[LR:[^:]+]]: tensor<f32>, %[[T:[^:]+]]: tensor<i64>, %[[OK:[^:]+]]: i1)
// CHECK: %[[STATUS:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<i32>)
// CHECK: %[[NW:.+]], %[[NM:.+]] = optim.muon %[[W]], %[[G]], %[[M]], %[[LR]] skip(%[[STATUS]] : tensor<i32>)
// CHECK: %[[NB:.+]], %[[NBM:.+]], %[[NBV:.+]] = optim.adamw %[[B]], %[[GB]], %[[BM]], %[[BV]], %[[LR]], %[[T]] skip(%[[STATUS]] : tensor<i32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[NW]], %[[NM]], %[[NB]], %[[NBM]], %[[NBV]], %[[STATUS]]
func.func @step(%w: tensor<4x8xf32> {optim.aliasing_output = 0 : i64},
                %m: tensor<4x8xf32> {optim.aliasing_output = 1 : i64},
                %b: tensor<8xf32> {optim.aliasing_output = 2 : i64},
                %bm: tensor<8xf32> {optim.aliasing_output = 3 : i64},
                %bv: tensor<8xf32> {optim.aliasing_output = 4 : i64},
                %g: tensor<4x8xf32>, %gb: tensor<8xf32>, %lr: tensor<f32>,
                %t: tensor<i64>, %ok: i1)
    -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  cf.assert %ok, "ids out of range"
  %w1, %m1 = optim.muon %w, %g, %m, %lr : tensor<4x8xf32>, tensor<f32>
  %b1, %bm1, %bv1 = optim.adamw %b, %gb, %bm, %bv, %lr, %t
      : tensor<8xf32>, tensor<f32>, tensor<i64>
  return %w1, %m1, %b1, %bm1, %bv1
      : tensor<4x8xf32>, tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// Muon² folds too; a result nobody uses does not stand in the way.
// CHECK-LABEL: func.func @muon2_unused_state
// CHECK: %[[STATUS:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<i32>)
// CHECK: %[[NW:.+]], %{{.+}}, %{{.+}} = optim.muon2 {{.*}} skip(%[[STATUS]] : tensor<i32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[NW]], %[[STATUS]]
func.func @muon2_unused_state(%w: tensor<4x8xf32> {optim.aliasing_output = 0 : i64},
                              %g: tensor<4x8xf32>, %m: tensor<4x8xf32>,
                              %v: tensor<4x8xf32>, %lr: tensor<f32>, %ok: i1)
    -> tensor<4x8xf32> {
  cf.assert %ok, "checked"
  %w1, %m1, %v1 = optim.muon2 %w, %g, %m, [%v], %lr
      : tensor<4x8xf32>, [tensor<4x8xf32>], tensor<f32>
  return %w1 : tensor<4x8xf32>
}

// -----

// A result that is also returned unselected (not in place) keeps the
// selects: skipping would change it.
// CHECK-LABEL: func.func @other_use
// CHECK: optim.muon
// CHECK-NOT: skip
// CHECK: linalg.generic
func.func @other_use(%w: tensor<4x8xf32> {optim.aliasing_output = 0 : i64},
                     %g: tensor<4x8xf32>, %m: tensor<4x8xf32>,
                     %lr: tensor<f32>, %ok: i1)
    -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  cf.assert %ok, "checked"
  %w1, %m1 = optim.muon %w, %g, %m, %lr : tensor<4x8xf32>, tensor<f32>
  return %w1, %w1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A check computed from the update's own results gives a status only after
// it: the update cannot take it.
// CHECK-LABEL: func.func @status_after_update
// CHECK: optim.muon
// CHECK-NOT: skip
// CHECK: linalg.generic
func.func @status_after_update(%w: tensor<4x8xf32> {optim.aliasing_output = 0 : i64},
                               %g: tensor<4x8xf32>, %m: tensor<4x8xf32>,
                               %lr: tensor<f32>) -> tensor<4x8xf32> {
  %w1, %m1 = optim.muon %w, %g, %m, %lr : tensor<4x8xf32>, tensor<f32>
  %c0 = arith.constant 0 : index
  %x = tensor.extract %m1[%c0, %c0] : tensor<4x8xf32>
  %finite = arith.cmpf ord, %x, %x : f32
  cf.assert %finite, "momentum is finite"
  return %w1 : tensor<4x8xf32>
}

// -----

// A select that keeps something other than the operand the result updates
// is not a skip.
// CHECK-LABEL: func.func @other_old
// CHECK: optim.muon
// CHECK-NOT: skip
// CHECK: linalg.generic
#scalar = affine_map<(d0, d1) -> ()>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @other_old(%w: tensor<4x8xf32>, %g: tensor<4x8xf32>,
                     %m: tensor<4x8xf32>, %lr: tensor<f32>,
                     %flag: tensor<i32>) -> tensor<4x8xf32> {
  %w1, %m1 = optim.muon %w, %g, %m, %lr : tensor<4x8xf32>, tensor<f32>
  %init = tensor.empty() : tensor<4x8xf32>
  %kept = linalg.generic {indexing_maps = [#scalar, #id, #id, #id],
                          iterator_types = ["parallel", "parallel"]}
      ins(%flag, %w1, %g : tensor<i32>, tensor<4x8xf32>, tensor<4x8xf32>)
      outs(%init : tensor<4x8xf32>) {
  ^bb0(%f: i32, %new: f32, %old: f32, %out: f32):
    %zero = arith.constant 0 : i32
    %flagged = arith.cmpi ne, %f, %zero : i32
    %r = arith.select %flagged, %old, %new : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  return %kept : tensor<4x8xf32>
}
