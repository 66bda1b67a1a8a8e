// RUN: muon-opt %s -convert-gpu-to-host-loops -split-input-file -verify-diagnostics

// Threads run one after another on the host: a barrier below the top level
// of a kernel (here, in a branch) cannot be honored; neither can a shuffle.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @sync(%b: memref<8xf32>, %c: i1) kernel {
      scf.if %c {
        // expected-error @below {{'gpu.barrier' op cannot run on the host: threads of a block run one after another there, and this op needs them together (only barriers and all-reductions at the top level of a kernel are emulated)}}
        gpu.barrier
      }
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @shuffle(%x: f32, %o: i32, %w: i32) kernel {
      // expected-error @below {{'gpu.shuffle' op cannot run on the host}}
      %y, %valid = gpu.shuffle xor %x, %o, %w : f32
      gpu.return
    }
  }
}

// -----

// A buffer view that lives across a barrier: the host keeps only scalars
// per thread.
module attributes {gpu.container_module} {
  func.func @launch(%b: memref<8xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@view blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%b : memref<8xf32>)
    return
  }
  gpu.module @kernels {
    // expected-error @below {{'gpu.func' op cannot run on the host: a value of type 'memref<4xf32, strided<[1]>>' lives across a barrier or all-reduction}}
    gpu.func @view(%b: memref<8xf32>) kernel {
      %v = memref.subview %b[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
      gpu.barrier
      %c0 = arith.constant 0 : index
      %x = memref.load %v[%c0] : memref<4xf32, strided<[1]>>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{'gpu.func' op uses workgroup or private memory, which threads run one after another cannot share}}
    gpu.func @shared(%b: memref<8xf32>) workgroup(%tile: memref<8xf32, #gpu.address_space<workgroup>>) kernel {
      gpu.return
    }
  }
}


// -----

module attributes {gpu.container_module} {
  func.func @cluster(%b: memref<8xf32>) {
    %c1 = arith.constant 1 : index
    // expected-error @below {{'gpu.launch_func' op uses thread block clusters or dynamic shared memory, which the host does not emulate}}
    gpu.launch_func @kernels::@k clusters in (%c1, %c1, %c1) blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%b : memref<8xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%b: memref<8xf32>) kernel {
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    func.func @helper() {
      return
    }
    gpu.func @k() kernel {
      // expected-error @below {{'func.call' op calls a device function, which the host emulation does not inline}}
      func.call @helper() : () -> ()
      gpu.return
    }
  }
}

// -----

func.func @inline_launch() {
  %c1 = arith.constant 1 : index
  // expected-error @below {{'gpu.launch' op must be outlined first (gpu-kernel-outlining)}}
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w = %c1) {
    gpu.terminator
  }
  return
}
