// RUN: muon-opt %s --muon-outline-parallel-regions | FileCheck %s
// RUN: muon-opt %s --muon-outline-parallel-regions="min-regions=1" | FileCheck %s --check-prefix=ONE
// RUN: muon-opt %s --muon-outline-parallel-regions="min-regions=3" | FileCheck %s --check-prefix=THREE

// Each region of @step becomes a call; captured values are arguments in
// order of first use, constants are cloned (loop bounds stay constant), the
// functions follow the caller in region order, and the name taken by
// @step_parallel_1 below is made unique.
// CHECK-LABEL: func.func @step(
// CHECK-SAME: %[[A:.*]]: memref<1024xf32>, %[[N:.*]]: index, %[[V:.*]]: f32)
// CHECK-NOT: omp.
// CHECK: call @step_parallel_0(%[[V]], %[[A]], %[[N]]) : (f32, memref<1024xf32>, index) -> ()
// CHECK-NOT: omp.
// CHECK: call @[[SECOND:step_parallel_1_[0-9]+]](%[[A]]) : (memref<1024xf32>) -> ()
// CHECK-NOT: omp.
// CHECK: return

// CHECK: func.func private @step_parallel_0(%[[V0:.*]]: f32, %[[A0:.*]]: memref<1024xf32>, %[[N0:.*]]: index) {
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK: omp.parallel {
// CHECK: omp.loop_nest (%[[I:.*]]) : index = (%[[C0]]) to (%[[N0]]) step (%[[C1]])
// CHECK: memref.store %[[V0]], %[[A0]][%[[I]]]
// CHECK: omp.terminator
// CHECK-NEXT: }
// CHECK-NEXT: return

// The nested region moves with the outer one.
// CHECK: func.func private @[[SECOND]](%[[A1:.*]]: memref<1024xf32>) {
// CHECK-DAG: arith.constant 1024 : index
// CHECK: omp.parallel {
// CHECK: omp.parallel {
// CHECK: arith.mulf
// CHECK: return
func.func @step(%a: memref<1024xf32>, %n: index, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.store %v, %a[%i] : memref<1024xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  %c1024 = arith.constant 1024 : index
  omp.parallel {
    omp.parallel {
      omp.wsloop {
        omp.loop_nest (%i) : index = (%c0) to (%c1024) step (%c1) {
          %x = memref.load %a[%i] : memref<1024xf32>
          %y = arith.mulf %x, %x : f32
          memref.store %y, %a[%i] : memref<1024xf32>
          omp.yield
        }
      }
      omp.terminator
    }
    omp.terminator
  }
  return
}

func.func private @step_parallel_1()

// A function with one region keeps it (min-regions=2); min-regions=1
// outlines it too; min-regions=3 only the three regions of @same.
// CHECK-LABEL: func.func @single(
// CHECK-NOT: call
// CHECK: omp.parallel
// ONE-LABEL: func.func @single(
// ONE-NOT: omp.
// ONE: call @single_parallel_0(%{{.*}}) : (memref<8xf32>) -> ()
// ONE: func.func private @single_parallel_0(
// ONE: omp.parallel
// THREE-LABEL: func.func @step(
// THREE-NOT: call
// THREE: omp.parallel
// THREE-LABEL: func.func @single(
// THREE-NOT: call
// THREE: omp.parallel
// THREE-LABEL: func.func @same(
// THREE: call @same_parallel_0
func.func @single(%a: memref<8xf32>) {
  %f = arith.constant 1.0 : f32
  %c0 = arith.constant 0 : index
  omp.parallel {
    memref.store %f, %a[%c0] : memref<8xf32>
    omp.terminator
  }
  return
}

// Regions equal up to their captured values (the same update of two
// same-shape matrices) share one function, across callers too; a different
// constant makes a different function.
// CHECK-LABEL: func.func @same(
// CHECK-SAME: %[[X:[^:]+]]: memref<64xf32>, %[[Y:[^:]+]]: memref<64xf32>)
// CHECK: call @[[SCALE:same_parallel_0]](%[[X]])
// CHECK-NEXT: call @[[SCALE]](%[[Y]])
// CHECK-NEXT: call @[[OTHER:same_parallel_2]](%[[Y]])
// CHECK: func.func private @[[SCALE]](
// CHECK: arith.constant 2.000000e+00 : f32
// CHECK: func.func private @[[OTHER]](
// CHECK: arith.constant 3.000000e+00 : f32
// CHECK-NOT: func.func private @same_parallel
// CHECK-LABEL: func.func @again(
// CHECK: call @[[SCALE]](
// CHECK-NEXT: call @[[SCALE]](
// CHECK-NOT: func.func private @again_parallel
func.func @same(%x: memref<64xf32>, %y: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %two = arith.constant 2.0 : f32
  %three = arith.constant 3.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %v = memref.load %x[%i] : memref<64xf32>
        %w = arith.mulf %v, %two : f32
        memref.store %w, %x[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %v = memref.load %y[%i] : memref<64xf32>
        %w = arith.mulf %v, %two : f32
        memref.store %w, %y[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %v = memref.load %y[%i] : memref<64xf32>
        %w = arith.mulf %v, %three : f32
        memref.store %w, %y[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

func.func @again(%x: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %two = arith.constant 2.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %v = memref.load %x[%i] : memref<64xf32>
        %w = arith.mulf %v, %two : f32
        memref.store %w, %x[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        %v = memref.load %x[%i] : memref<64xf32>
        %w = arith.mulf %v, %two : f32
        memref.store %w, %x[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
