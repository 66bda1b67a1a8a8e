// RUN: muon-opt %s -muon-assertions-to-status -split-input-file -verify-diagnostics | FileCheck %s
// Idempotent: a second run finds the converted functions and calls as they are.
// RUN: muon-opt %s -muon-assertions-to-status -muon-assertions-to-status -split-input-file -verify-diagnostics | FileCheck %s

// Two checks: the status is 0 or the 1-based index of the first failure,
// computed on tensors from the checked 0-d tensor and from a host scalar
// (written by a 0-d generic, a kernel on the GPU pipeline).
// CHECK-LABEL: func.func @step
// CHECK-SAME: -> (tensor<4xf32>, tensor<i32>)
// CHECK-SAME: muon.status_messages = ["ids out of range", "label out of range"]
// CHECK-NOT: cf.assert
// CHECK: %[[OK1:.+]] = linalg.generic
// CHECK: %[[OK2:.+]] = linalg.generic {indexing_maps = [#{{.+}}], iterator_types = []} outs(%{{.+}} : tensor<i1>)
// CHECK-NEXT: ^bb0(%{{.+}}: i1):
// CHECK-NEXT: linalg.yield %{{.+}} : i1
// CHECK: %[[STATUS:.+]] = linalg.generic {{.*}} ins(%[[OK1]], %[[OK2]] : tensor<i1>, tensor<i1>) outs(%{{.+}} : tensor<i32>)
// CHECK: ^bb0(%[[A:.+]]: i1, %[[B:.+]]: i1, %{{.+}}: i32):
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0 : i32
// CHECK-DAG: %[[TWO:.+]] = arith.constant 2 : i32
// CHECK: %[[S2:.+]] = arith.select %[[B]], %[[ZERO]], %[[TWO]] : i32
// CHECK: %[[ONE:.+]] = arith.constant 1 : i32
// CHECK: %[[S1:.+]] = arith.select %[[A]], %[[S2]], %[[ONE]] : i32
// CHECK: linalg.yield %[[S1]] : i32
// CHECK: return %{{.+}}, %[[STATUS]] : tensor<4xf32>, tensor<i32>
func.func @step(%ids: tensor<8xi64>, %x: tensor<4xf32>, %label: i64) -> tensor<4xf32> {
  %c100 = arith.constant 100 : i64
  %true = arith.constant true
  %init = tensor.empty() : tensor<i1>
  %filled = linalg.fill ins(%true : i1) outs(%init : tensor<i1>) -> tensor<i1>
  %ok = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>],
                        iterator_types = ["reduction"]}
      ins(%ids : tensor<8xi64>) outs(%filled : tensor<i1>) {
  ^bb0(%id: i64, %acc: i1):
    %lt = arith.cmpi ult, %id, %c100 : i64
    %and = arith.andi %acc, %lt : i1
    linalg.yield %and : i1
  } -> tensor<i1>
  %c = tensor.extract %ok[] : tensor<i1>
  cf.assert %c, "ids out of range"
  %label_ok = arith.cmpi ult, %label, %c100 : i64
  cf.assert %label_ok, "label out of range"
  return %x : tensor<4xf32>
}

// -----

// A result written in place into its argument keeps the argument's value when
// a check fails: status != 0 ? old : new, element-wise. The status is
// computed right after its last check, before the update (which
// optim-fold-skips can then give it as its skip operand).
// CHECK-LABEL: func.func @in_place
// CHECK-SAME: (%[[W:.+]]: tensor<4xf32> {optim.aliasing_output = 0 : i64}, %{{.+}}: i1)
// CHECK: %[[STATUS:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<i32>)
// CHECK: %[[NEW:.+]] = arith.addf
// CHECK: %[[KEPT:.+]] = linalg.generic {{.*}} ins(%[[STATUS]], %[[NEW]], %[[W]] : tensor<i32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: ^bb0(%[[S:.+]]: i32, %[[N:.+]]: f32, %[[O:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[FAILED:.+]] = arith.cmpi ne, %[[S]], %{{.+}} : i32
// CHECK: arith.select %[[FAILED]], %[[O]], %[[N]] : f32
// CHECK: return %[[KEPT]], %[[STATUS]] : tensor<4xf32>, tensor<i32>
func.func @in_place(%w: tensor<4xf32> {optim.aliasing_output = 0 : i64}, %p: i1) -> tensor<4xf32> {
  cf.assert %p, "checked"
  %new = arith.addf %w, %w : tensor<4xf32>
  return %new : tensor<4xf32>
}

// -----

// Without checks, nothing changes.
// CHECK-LABEL: func.func @unchecked
// CHECK-SAME: -> tensor<4xf32> {
// CHECK-NOT: muon.status_messages
func.func @unchecked(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// An assert in a loop body (an imported Loop's Gather of x[i]): the loop
// carries a flag, true until the condition fails in an iteration, updated in
// place; the assert of the flag after the loop becomes the check.
// CHECK-LABEL: func.func @in_loop
// CHECK-SAME: -> (tensor<4xf32>, tensor<i32>) attributes {muon.status_messages = ["index in range"]}
// CHECK: %[[TRUE:.+]] = arith.constant dense<true> : tensor<i1>
// CHECK: %[[R:.+]]:2 = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[Y:.+]] = %{{.+}}, %[[FLAG:.+]] = %[[TRUE]]) -> (tensor<4xf32>, tensor<i1>)
// CHECK-NOT: cf.assert
// CHECK: %[[OK:.+]] = linalg.generic {{.*}} ins(%[[COND:.+]] : tensor<i1>) outs(%[[FLAG]] : tensor<i1>)
// CHECK: arith.andi
// CHECK: scf.yield %{{.+}}, %[[OK]] : tensor<4xf32>, tensor<i1>
// CHECK: %[[STATUS:.+]] = linalg.generic {{.*}} ins(%[[R]]#1 : tensor<i1>)
// CHECK: return %[[R]]#0, %[[STATUS]]
func.func @in_loop(%x: tensor<4xf32>, %checks: tensor<3xi1>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%y = %x) -> tensor<4xf32> {
    %ok = tensor.extract_slice %checks[%i] [1] [1] : tensor<3xi1> to tensor<i1>
    %c = tensor.extract %ok[] : tensor<i1>
    cf.assert %c, "index in range"
    scf.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// In a branch: the branch yields its condition, the other branch true; a
// loop nest's asserts move out one level at a time.
// CHECK-LABEL: func.func @in_branch
// CHECK-SAME: muon.status_messages = ["then", "nested"]
// CHECK: %[[IF:.+]]:2 = scf.if %{{.+}} -> (tensor<i1>, tensor<i1>) {
// CHECK: %[[THEN:.+]] = linalg.generic
// CHECK: %[[TRUE:.+]] = arith.constant dense<true> : tensor<i1>
// CHECK: scf.yield %[[THEN]], %[[TRUE]] : tensor<i1>, tensor<i1>
// CHECK: } else {
// CHECK: %[[LOOP:.+]] = scf.for
// CHECK: %[[TRUE2:.+]] = arith.constant dense<true> : tensor<i1>
// CHECK: scf.yield %[[TRUE2]], %[[LOOP]] : tensor<i1>, tensor<i1>
// CHECK-NOT: cf.assert
// CHECK: linalg.generic {{.*}} ins(%[[IF]]#0, %[[IF]]#1 : tensor<i1>, tensor<i1>)
func.func @in_branch(%p: i1, %q: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  scf.if %p {
    cf.assert %q, "then"
  } else {
    scf.for %i = %c0 to %c2 step %c1 {
      cf.assert %p, "nested"
    }
  }
  return
}

// -----

// Other regions keep theirs: an error.
func.func @in_while(%p: i1) {
  scf.while (%c = %p) : (i1) -> () {
    scf.condition(%c)
  } do {
    // expected-error @below {{cannot turn an assertion nested in a region into a status result}}
    cf.assert %p, "in a while loop"
    scf.yield %p : i1
  }
  return
}

// -----

// A caller takes the callee's status as a check of its own: callee codes are
// shifted past the caller's earlier checks and the messages appended.
// CHECK-LABEL: func.func private @callee
// CHECK-SAME: -> (tensor<4xf32>, tensor<i32>) attributes {muon.status_messages = ["in the callee"]}
// CHECK-LABEL: func.func @caller
// CHECK-SAME: -> (tensor<4xf32>, tensor<i32>) attributes {muon.status_messages = ["in the caller", "in the callee"]}
// CHECK: %[[OK:.+]] = linalg.generic
// CHECK: %[[R:.+]]:2 = call @callee(%{{.+}}) {note = "kept"} : (tensor<4xf32>, i1) -> (tensor<4xf32>, tensor<i32>)
// CHECK: %[[STATUS:.+]] = linalg.generic {{.*}} ins(%[[OK]], %[[R]]#1 : tensor<i1>, tensor<i32>)
// CHECK: ^bb0(%[[A:.+]]: i1, %[[S:.+]]: i32, %{{.+}}: i32):
// CHECK: %[[FAILED:.+]] = arith.cmpi ne, %[[S]], %{{.+}} : i32
// CHECK: %[[OFFSET:.+]] = arith.constant 1 : i32
// CHECK: %[[SHIFTED:.+]] = arith.addi %[[S]], %[[OFFSET]] : i32
// CHECK: %[[CALLEE:.+]] = arith.select %[[FAILED]], %[[SHIFTED]], %{{.+}} : i32
// CHECK: arith.select %[[A]], %[[CALLEE]], %{{.+}} : i32
// CHECK: return %[[R]]#0, %[[STATUS]] : tensor<4xf32>, tensor<i32>
func.func private @callee(%x: tensor<4xf32>, %p: i1) -> tensor<4xf32> {
  cf.assert %p, "in the callee"
  return %x : tensor<4xf32>
}

func.func @caller(%x: tensor<4xf32>, %p: i1) -> tensor<4xf32> {
  cf.assert %p, "in the caller"
  %y = call @callee(%x, %p) {note = "kept"} : (tensor<4xf32>, i1) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func private @checked(%p: i1) {
  cf.assert %p, "checked"
  return
}

func.func @conditional_call(%p: i1) {
  scf.if %p {
    // expected-error @below {{cannot turn a call of a function with checks nested in a region into a status result}}
    func.call @checked(%p) : (i1) -> ()
  }
  return
}

// -----

// A recursive call's status would have to hold the messages of its own
// function: an error, not a call without the callee's status result.
func.func @recursive(%x: tensor<4xf32>, %p: i1) -> tensor<4xf32> {
  cf.assert %p, "recursive"
  // expected-error @below {{cannot turn the checks of a recursive call into a status result}}
  %r = call @recursive(%x, %p) : (tensor<4xf32>, i1) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Through a function without checks of its own.
func.func @ping(%x: tensor<4xf32>, %p: i1) -> tensor<4xf32> {
  %r = call @pong(%x, %p) : (tensor<4xf32>, i1) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

func.func private @pong(%x: tensor<4xf32>, %p: i1) -> tensor<4xf32> {
  cf.assert %p, "pong"
  // expected-error @below {{cannot turn the checks of a recursive call into a status result}}
  %r = call @ping(%x, %p) : (tensor<4xf32>, i1) -> tensor<4xf32>
  return %r : tensor<4xf32>
}
