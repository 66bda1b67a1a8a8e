// RUN: muon-opt %s -muon-check-no-host-access -split-input-file -verify-diagnostics

// Host code reading a buffer: device memory on a GPU, a fault there.
func.func @host_read(%lr: memref<f32>, %out: memref<f32>) {
  // expected-error @below {{'memref.load' op reads or writes a buffer in host code; every buffer of a GPU program is device memory, so a GPU run would fault here}}
  %x = memref.load %lr[] : memref<f32>
  return
}

// -----

// A value deciding a loop's trip count or a branch (an imported Loop or If
// on run-time values) says so.
func.func @host_trip_count(%m: memref<i64>, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @below {{(the value decides a branch or a loop, as an ONNX If or Loop on a run-time condition or trip count does; the GPU pipeline needs those constant: run such steps on the CPU pipeline)}}
  %n = memref.load %m[] : memref<i64>
  %ub = arith.index_cast %n : i64 to index
  scf.for %i = %c0 to %ub step %c1 {
  }
  return
}

// -----

func.func @host_branch(%c: memref<i1>) {
  // expected-error @below {{the value decides a branch or a loop}}
  %b = memref.load %c[] : memref<i1>
  scf.if %b {
  }
  return
}

// -----

// A value offsetting a view (an imported Slice's run-time start read from a
// tensor) says so.
func.func @host_view_offset(%s: memref<1xi64>, %x: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  // expected-error @below {{(the value offsets a view, as a Slice's run-time start read from a tensor does; the GPU pipeline needs offsets the host computes, as from a Loop's iteration number: run such steps on the CPU pipeline)}}
  %v = memref.load %s[%c0] : memref<1xi64>
  %o = arith.index_cast %v : i64 to index
  %w = memref.subview %x[%o] [3] [1] : memref<8xf32> to memref<3xf32, strided<[1], offset: ?>>
  return
}

// -----

func.func @host_write(%out: memref<4xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  // expected-error @below {{'memref.store' op reads or writes a buffer in host code}}
  memref.store %x, %out[%c0] : memref<4xf32>
  return
}

// -----

// The runtime's memory operations and kernel launches take device buffers.
module attributes {gpu.container_module} {
  func.func @runtime(%a: memref<8xf32>, %b: memref<8xf32>, %x: f32) {
    %c1 = arith.constant 1 : index
    %t0 = gpu.wait async
    %t1 = gpu.memcpy async [%t0] %b, %a : memref<8xf32>, memref<8xf32>
    %t2 = gpu.memset async [%t1] %a, %x : memref<8xf32>, f32
    %t3 = gpu.launch_func async [%t2] @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<8xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%a: memref<8xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %a[%c0] : memref<8xf32>
      gpu.return
    }
  }
}
