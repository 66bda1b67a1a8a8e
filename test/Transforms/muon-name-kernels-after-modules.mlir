// RUN: muon-opt %s -muon-name-kernels-after-modules | FileCheck %s

// Outlining named both kernels @f_kernel; each takes its module's name, and
// the launches follow. A module with two functions keeps their names.
// CHECK-LABEL: func.func @f
// CHECK: gpu.launch_func @f_kernel::@f_kernel
// CHECK: gpu.launch_func @f_kernel_0::@f_kernel_0
// CHECK: gpu.launch_func @pair::@f_kernel
// CHECK: gpu.module @f_kernel
// CHECK-NEXT: gpu.func @f_kernel(
// CHECK: gpu.module @f_kernel_0
// CHECK-NEXT: gpu.func @f_kernel_0(
// CHECK: gpu.module @pair
// CHECK-NEXT: gpu.func @f_kernel(
// CHECK: gpu.func @helper(
module attributes {gpu.container_module} {
  func.func @f(%buffer: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%buffer : memref<4xf32>)
    gpu.launch_func @f_kernel_0::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%buffer : memref<4xf32>)
    gpu.launch_func @pair::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%buffer : memref<4xf32>)
    return
  }
  gpu.module @f_kernel {
    gpu.func @f_kernel(%arg: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @f_kernel_0 {
    gpu.func @f_kernel(%arg: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @pair {
    gpu.func @f_kernel(%arg: memref<4xf32>) kernel {
      gpu.return
    }
    gpu.func @helper(%arg: memref<4xf32>) kernel {
      gpu.return
    }
  }
}
