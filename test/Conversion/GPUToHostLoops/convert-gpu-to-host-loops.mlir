// RUN: muon-opt %s -convert-gpu-to-host-loops -split-input-file | FileCheck %s

// A launch becomes an scf.parallel over grid × block running the kernel's
// body: block and thread ids are its indices, block/grid dims its bounds,
// global ids block · block-dim + thread. Device memory operations become
// host ones, tokens and waits disappear, and the gpu.module goes.
// CHECK-LABEL: func.func @step
// CHECK-SAME: (%[[IN:.+]]: memref<2x32xf32>, %[[OUT:.+]]: memref<2x32xf32>)
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.+]] = arith.constant 2 : index
// CHECK-DAG: %[[C32:.+]] = arith.constant 32 : index
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[TMP:.+]] = memref.alloc() : memref<2x32xf32>
// CHECK: linalg.fill ins(%[[ZERO]] : f32) outs(%[[TMP]] : memref<2x32xf32>)
// CHECK: memref.copy %[[IN]], %[[TMP]]
// CHECK: scf.parallel (%[[BX:.+]], %[[BY:.+]], %[[BZ:.+]], %[[TX:.+]], %[[TY:.+]], %[[TZ:.+]]) = (%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) to (%[[C2]], %[[C1]], %[[C1]], %[[C32]], %[[C1]], %[[C1]])
// CHECK:   %[[BASE:.+]] = arith.muli %[[BX]], %[[C32]] : index
// CHECK:   %[[GLOBAL:.+]] = arith.addi %[[BASE]], %[[TX]] : index
// CHECK:   memref.load %[[TMP]][%[[BX]], %[[TX]]]
// CHECK:   arith.index_cast %[[GLOBAL]]
// CHECK:   arith.index_cast %[[C2]]
// CHECK:   memref.store %{{.+}}, %[[OUT]][%[[BX]], %[[TX]]]
// CHECK:   scf.reduce
// CHECK: memref.dealloc %[[TMP]]
// CHECK-NOT: gpu.
// CHECK-NOT: gpu.module
module attributes {gpu.container_module} {
  func.func @step(%in: memref<2x32xf32>, %out: memref<2x32xf32>) {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c32 = arith.constant 32 : index
    %zero = arith.constant 0.0 : f32
    %t0 = gpu.wait async
    %tmp, %t1 = gpu.alloc async [%t0] () : memref<2x32xf32>
    %t2 = gpu.memset async [%t1] %tmp, %zero : memref<2x32xf32>, f32
    %t3 = gpu.memcpy async [%t2] %tmp, %in : memref<2x32xf32>, memref<2x32xf32>
    %t4 = gpu.launch_func async [%t3] @kernels::@scale
        blocks in (%c2, %c1, %c1) threads in (%c32, %c1, %c1)
        args(%tmp : memref<2x32xf32>, %out : memref<2x32xf32>)
    %t5 = gpu.dealloc async [%t4] %tmp : memref<2x32xf32>
    gpu.wait [%t5]
    return
  }
  gpu.module @kernels {
    gpu.func @scale(%a: memref<2x32xf32>, %b: memref<2x32xf32>) kernel {
      %block = gpu.block_id x
      %thread = gpu.thread_id x
      %global = gpu.global_id x
      %grid = gpu.grid_dim x
      %x = memref.load %a[%block, %thread] : memref<2x32xf32>
      %gi = arith.index_cast %global : index to i32
      %gn = arith.index_cast %grid : index to i32
      %g = arith.addi %gi, %gn : i32
      %gf = arith.sitofp %g : i32 to f32
      %y = arith.mulf %x, %gf : f32
      memref.store %y, %b[%block, %thread] : memref<2x32xf32>
      gpu.return
    }
  }
}

// -----

// Ids inside nested regions are replaced too; a kernel launched twice is
// copied into both loops; tokens threaded through a host loop vanish.
// CHECK-LABEL: func.func @twice
// CHECK: scf.for
// CHECK-NOT: iter_args
// CHECK:   scf.parallel (%{{.+}}, %{{.+}}, %{{.+}}, %[[T:[^,]+]], %{{.+}}, %{{.+}}) =
// CHECK:     scf.if
// CHECK:       memref.store %{{.+}}, %{{.+}}[%[[T]]]
// CHECK: scf.parallel
// CHECK:   memref.store
// CHECK-NOT: gpu.
module attributes {gpu.container_module} {
  func.func @twice(%buf: memref<8xf32>, %n: index) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %t0 = gpu.wait async
    %t1 = scf.for %i = %c0 to %n step %c1 iter_args(%t = %t0) -> (!gpu.async.token) {
      %t2 = gpu.launch_func async [%t] @kernels::@bump
          blocks in (%c1, %c1, %c1) threads in (%c8, %c1, %c1)
          args(%buf : memref<8xf32>, %c8 : index)
      scf.yield %t2 : !gpu.async.token
    }
    gpu.wait [%t1]
    gpu.launch_func @kernels::@bump blocks in (%c1, %c1, %c1) threads in (%c8, %c1, %c1)
        args(%buf : memref<8xf32>, %c8 : index)
    return
  }
  gpu.module @kernels {
    gpu.func @bump(%b: memref<8xf32>, %n: index) kernel {
      %thread = gpu.thread_id x
      %in = arith.cmpi ult, %thread, %n : index
      scf.if %in {
        %one = arith.constant 1.0 : f32
        %x = memref.load %b[%thread] : memref<8xf32>
        %y = arith.addf %x, %one : f32
        memref.store %y, %b[%thread] : memref<8xf32>
      }
      gpu.return
    }
  }
}

// -----

// A kernel whose threads meet (a top-level all-reduce, then a barrier)
// runs as a loop over the grid around one loop over the block per phase:
// the all-reduce's operand and the values later phases use are kept per
// thread (linear thread id x + bx·(y + by·z)), and the all-reduce combines
// its buffer in thread order into one value the later phases read.
// CHECK-LABEL: func.func @normalize
// CHECK: scf.parallel (%[[BX:[^,]+]], %{{[^,]+}}, %{{[^,]+}}) =
// CHECK-COUNT-2: memref.alloc(%{{.+}}) : memref<?xf32>
// CHECK:   scf.parallel (%[[TX:[^,]+]], %[[TY:[^,]+]], %[[TZ:[^,]+]]) =
// CHECK:     %[[X:.+]] = memref.load %{{.+}}[%[[BX]], %[[TX]]] : memref<2x64xf32>
// CHECK:     %[[SQ:.+]] = arith.mulf %[[X]], %[[X]]
// CHECK-DAG: memref.store %[[SQ]], %[[SQ_SLOT:alloc[_0-9]*]][
// CHECK-DAG: memref.store %[[X]], %[[X_SLOT:alloc[_0-9]*]][
// CHECK:   %[[FIRST:.+]] = memref.load %[[SQ_SLOT]][%{{.+}}]
// CHECK:   %[[SUM:.+]] = scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[ACC:.+]] = %[[FIRST]]) -> (f32)
// CHECK:     %[[NEXT:.+]] = memref.load %[[SQ_SLOT]][%[[I]]]
// CHECK:     %[[ADDED:.+]] = arith.addf %[[ACC]], %[[NEXT]]
// CHECK:     scf.yield %[[ADDED]]
// CHECK:   scf.parallel (%[[TX2:[^,]+]], %{{[^,]+}}, %{{[^,]+}}) =
// CHECK:     %[[X2:.+]] = memref.load %[[X_SLOT]]
// CHECK:     arith.divf %[[X2]], %[[SUM]]
// CHECK:     memref.store %{{.+}}, %{{.+}}[%[[BX]], %[[TX2]]]
// CHECK:   scf.parallel
// CHECK:   memref.dealloc
// CHECK-NOT: gpu.
module attributes {gpu.container_module} {
  func.func @normalize(%in: memref<2x64xf32>, %out: memref<2x64xf32>) {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c64 = arith.constant 64 : index
    gpu.launch_func @kernels::@normalize
        blocks in (%c2, %c1, %c1) threads in (%c64, %c1, %c1)
        args(%in : memref<2x64xf32>, %out : memref<2x64xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @normalize(%a: memref<2x64xf32>, %b: memref<2x64xf32>) kernel {
      %block = gpu.block_id x
      %thread = gpu.thread_id x
      %x = memref.load %a[%block, %thread] : memref<2x64xf32>
      %sq = arith.mulf %x, %x : f32
      %sum = gpu.all_reduce add %sq uniform {} : (f32) -> (f32)
      %y = arith.divf %x, %sum : f32
      memref.store %y, %b[%block, %thread] : memref<2x64xf32>
      gpu.barrier
      gpu.return
    }
  }
}
