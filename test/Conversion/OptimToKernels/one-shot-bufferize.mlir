// RUN: muon-opt %s --optim-decompose=keep-fusable=true \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -split-input-file -verify-diagnostics | FileCheck %s

// The update ops bufferize into their fused kernels and GEMM calls
// (lib/Conversion/OptimToKernels): operands are read in place, every result
// is a fresh buffer in its result's shape.

// A wide Muon update: K1 reads the operands' buffers flattened, accumulates
// Σ U² into 32 zeroed f64 slots per matrix (no overflow near f32's range),
// K2 divides by the f64 norm's denominator sqrt(Σ)·s + e (computed once
// per thread), three GEMMs per
// iteration (wide: S = X·Xᵀ; S and T as symmetric products, syrk), K3 loads
// lr on the device into a fresh result buffer.
// CHECK-LABEL: func.func @muon_wide
// CHECK-SAME: (%[[W:.*]]: memref<32x64xf32>
// CHECK: memref.collapse_shape %[[W]] {{.*}} : memref<32x64xf32> into memref<2048xf32>
// CHECK: %[[NEW:.*]] = memref.alloc() : memref<32x64xf32>
// CHECK: %[[SLOTS:.*]] = memref.alloc() : memref<1x32xf64>
// CHECK: linalg.fill {{.*}} outs(%[[SLOTS]] : memref<1x32xf64>)
// CHECK: scf.parallel
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: memref.atomic_rmw addf {{.*}}, %[[SLOTS]]{{.*}} : (f64, memref<1x32xf64>) -> f64
// CHECK: math.sqrt %{{.*}} : f64
// CHECK: arith.mulf %{{.*}} : f64
// CHECK: arith.divf %{{.*}} : f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
// CHECK: call @muon_gpu_syrk_f32({{.*}}, %false{{(_[0-9]+)?}})
// CHECK: call @muon_gpu_syrk_f32({{.*}}, %false{{(_[0-9]+)?}})
// CHECK: call @muon_gpu_gemm_f32({{.*}}, %false{{(_[0-9]+)?}}, %false{{(_[0-9]+)?}})
// CHECK-COUNT-6: call @muon_gpu_{{gemm|syrk}}_f32
// CHECK-NOT: call @muon_gpu_
// CHECK: memref.load %{{.*}}[] : memref<f32>
// CHECK-NOT: optim.muon
// CHECK: return %[[NEW]] : memref<32x64xf32>
func.func @muon_wide(%w: tensor<32x64xf32>, %lr: tensor<f32>) -> tensor<32x64xf32> {
  %w1, %m1 = optim.muon %w, %w, %w, %lr {ns_steps = 3 : i64} : tensor<32x64xf32>, tensor<f32>
  return %w1 : tensor<32x64xf32>
}

// -----

// AdamW is one kernel; lr and the step are loaded by each thread.
// CHECK-LABEL: func.func @adamw
// CHECK: scf.parallel
// CHECK: memref.load %{{.*}}[] : memref<f32>
// CHECK: memref.load %{{.*}}[] : memref<i64>
// CHECK: math.powf
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @adamw(%w: tensor<10x3xf32>, %lr: tensor<f32>, %t: tensor<i64>) -> tensor<10x3xf32> {
  %w1, %m1, %v1 = optim.adamw %w, %w, %w, %w, %lr, %t : tensor<10x3xf32>, tensor<f32>, tensor<i64>
  return %w1 : tensor<10x3xf32>
}

// -----

// A run-time momentum is loaded by each thread of the moments kernel.
// CHECK-LABEL: func.func @muon_runtime_momentum
// CHECK-SAME: %[[MU:[^:]+]]: memref<f64>)
// CHECK: scf.parallel
// CHECK: %[[MV:.+]] = memref.load %[[MU]][] : memref<f64>
// CHECK: arith.subf %{{.+}}, %[[MV]] : f64
func.func @muon_runtime_momentum(%w: tensor<8x4xf32>, %lr: tensor<f32>, %mu: tensor<f64>)
    -> tensor<8x4xf32> {
  %w1, %m1 = optim.muon %w, %w, %w, %lr momentum(%mu : tensor<f64>)
      : tensor<8x4xf32>, tensor<f32>
  return %w1 : tensor<8x4xf32>
}

// -----

// A run-time β₁ is loaded by each thread too, and raised to the step.
// CHECK-LABEL: func.func @adamw_runtime_beta1
// CHECK-SAME: %[[B1:[^:]+]]: memref<f64>)
// CHECK: scf.parallel
// CHECK: %[[B1V:.+]] = memref.load %[[B1]][] : memref<f64>
// CHECK: math.powf %[[B1V]], %{{.+}} : f64
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @adamw_runtime_beta1(%w: tensor<10x3xf32>, %lr: tensor<f32>, %t: tensor<i64>,
                               %b1: tensor<f64>) -> tensor<10x3xf32> {
  %w1, %m1, %v1 = optim.adamw %w, %w, %w, %w, %lr, %t beta1(%b1 : tensor<f64>)
      : tensor<10x3xf32>, tensor<f32>, tensor<i64>
  return %w1 : tensor<10x3xf32>
}

// -----

func.func @f16_compute(%w: tensor<8x8xf32>, %lr: tensor<f32>) -> tensor<8x8xf32> {
  // expected-error @+2 {{cannot run Newton–Schulz in 'f16' on the GPU: the GEMMs take f32 or bf16}}
  // expected-error @+1 {{failed to bufferize op}}
  %w1, %m1 = optim.muon %w, %w, %w, %lr {compute_type = f16} : tensor<8x8xf32>, tensor<f32>
  return %w1 : tensor<8x8xf32>
}

// -----

// Muon²-F is not fused: its moments decompose into generics (the row and
// column sums of G², the factored estimate, the preconditioned update), the
// Newton–Schulz into its reduction kernel + GEMM calls.
// CHECK-LABEL: func.func @factored
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]
// CHECK: memref.atomic_rmw addf
// CHECK-COUNT-15: call @muon_gpu_{{gemm|syrk}}_f32
// CHECK-NOT: call @muon_gpu_
// CHECK-NOT: optim.
// CHECK: return
func.func @factored(%w: tensor<8x16xf32>, %vr: tensor<8x1xf32>, %vc: tensor<1x16xf32>,
                    %lr: tensor<f32>) -> tensor<8x16xf32> {
  %w1, %m1, %vr1, %vc1 = optim.muon2 %w, %w, %w, [%vr, %vc], %lr {ns_steps = 5 : i64}
      : tensor<8x16xf32>, [tensor<8x1xf32>, tensor<1x16xf32>], tensor<f32>
  return %w1 : tensor<8x16xf32>
}

// -----

// A standalone tall Newton–Schulz with bf16 GEMMs: Σ x² kernel, K2, three
// bf16 GEMMs per iteration (tall: S = Xᵀ·X, transA; X' = X·Tᵀ + a·X, transB),
// and a kernel rounding the bf16 result back to f32.
// CHECK-LABEL: func.func @newton_schulz_tall_bf16
// CHECK: memref.atomic_rmw addf
// CHECK: math.sqrt
// CHECK: call @muon_gpu_syrk_bf16({{.*}}, %true{{(_[0-9]+)?}})
// CHECK: call @muon_gpu_syrk_bf16({{.*}}, %false{{(_[0-9]+)?}})
// CHECK: call @muon_gpu_gemm_bf16({{.*}}, %false{{(_[0-9]+)?}}, %true{{(_[0-9]+)?}})
// CHECK-COUNT-3: call @muon_gpu_{{gemm|syrk}}_bf16
// CHECK-NOT: call @muon_gpu_
// CHECK: scf.parallel
// CHECK: arith.extf {{.*}} : bf16 to f32
// CHECK: memref.store {{.*}} : memref<1536xf32>
// CHECK-NOT: optim.newton_schulz
func.func @newton_schulz_tall_bf16(%x: tensor<48x32xf32>) -> tensor<48x32xf32> {
  %o = optim.newton_schulz %x {steps = 2 : i64, compute_type = bf16} : tensor<48x32xf32>
  return %o : tensor<48x32xf32>
}

// -----

// A bucket (one op over two parameters) is not packed: the kernels read the
// two parameters' own buffers and write per-matrix results, the row's
// buffers chosen by one scf.index_switch per kernel; only the Newton–Schulz
// input is a packed (2×…) temporary.
// CHECK-LABEL: func.func @bucket
// CHECK: memref.collapse_shape %arg0 {{.*}} into memref<512xf32>
// CHECK: memref.collapse_shape %arg1 {{.*}} into memref<512xf32>
// CHECK-DAG: %[[R0:.*]] = memref.alloc() : memref<16x32xf32>
// CHECK-DAG: %[[R1:.*]] = memref.alloc() : memref<16x32xf32>
// CHECK: memref.alloc() : memref<1024xf32>
// CHECK: scf.index_switch
// CHECK: case 1 {
// CHECK: memref.atomic_rmw addf
// CHECK: call @muon_gpu_syrk_f32
// CHECK: scf.index_switch
// CHECK-NOT: memref.copy
// CHECK: return %[[R0]], %[[R1]]
func.func @bucket(%w0: tensor<16x32xf32>, %w1: tensor<16x32xf32>, %lr: tensor<f32>)
    -> (tensor<16x32xf32>, tensor<16x32xf32>) {
  %n:2, %m:2 = optim.muon [%w0, %w1], [%w0, %w1], [%w0, %w1], %lr
      {ns_steps = 1 : i64, view = #optim.matrix_view<batch>}
      : [tensor<16x32xf32>, tensor<16x32xf32>], tensor<f32>
  return %n#0, %n#1 : tensor<16x32xf32>, tensor<16x32xf32>
}

// -----

// A member with a batch of matrices takes one row per matrix: rows 1 and 2
// are both in the second member's buffer, which starts at element 512 of
// the rows' numbering.
// CHECK-LABEL: func.func @bucket_batch_member
// CHECK: memref.alloc() : memref<1536xf32>
// CHECK: scf.index_switch
// CHECK: case 0 {
// CHECK: memref.cast %{{.*}} : memref<512xf32> to memref<?xf32>
// CHECK: case 1 {
// CHECK: memref.cast %{{.*}} : memref<1024xf32> to memref<?xf32>
// CHECK: arith.constant 512 : index
// CHECK: case 2 {
// CHECK: memref.cast %{{.*}} : memref<1024xf32> to memref<?xf32>
// CHECK: arith.constant 512 : index
// CHECK-NOT: case 3
// CHECK: default {
func.func @bucket_batch_member(%w0: tensor<16x32xf32>, %w1: tensor<2x16x32xf32>, %lr: tensor<f32>)
    -> (tensor<16x32xf32>, tensor<2x16x32xf32>) {
  %n:2, %m:2 = optim.muon [%w0, %w1], [%w0, %w1], [%w0, %w1], %lr
      {ns_steps = 1 : i64, view = #optim.matrix_view<batch>}
      : [tensor<16x32xf32>, tensor<2x16x32xf32>], tensor<f32>
  return %n#0, %n#1 : tensor<16x32xf32>, tensor<2x16x32xf32>
}

// -----

// Transposed members share the bucket's Newton–Schulz: rows 1 and 2 (the
// 32x16 matrices) are stored into the 16x32 NS input transposed (K2: element
// p·16 + q of the row goes to q·32 + p) and read back the same way (K3),
// with their own lr adjustment (original: sqrt(32/16)).
// CHECK-LABEL: func.func @bucket_transposed
// CHECK: memref.atomic_rmw addf
// CHECK: scf.parallel (%{{.+}}, %[[K2ROW:.+]]) =
// CHECK: %[[P:.+]] = arith.divui %[[E:.+]], %{{.+}} : index
// CHECK: %[[Q:.+]] = arith.remui %[[E]], %{{.+}} : index
// CHECK: %[[Q32:.+]] = arith.muli %[[Q]], %{{.+}} : index
// CHECK: %[[T:.+]] = arith.addi %[[Q32]], %[[P]] : index
// CHECK: %[[PACKED:.+]] = arith.addi %{{.+}}, %[[T]] : index
// CHECK: %[[BELOW:.+]] = arith.cmpi slt, %[[K2ROW]], %{{.+}} : index
// CHECK: %[[FROM:.+]] = arith.cmpi sge, %[[K2ROW]], %{{.+}} : index
// CHECK: %[[IN:.+]] = arith.andi %[[FROM]], %[[BELOW]] : i1
// CHECK: %[[INDEX:.+]] = arith.select %[[IN]], %[[PACKED]], %{{.+}} : index
// CHECK: memref.store %{{.+}}, %{{.+}}[%[[INDEX]]]
// CHECK: call @muon_gpu_syrk_f32
// CHECK: scf.parallel (%{{.+}}, %[[K3ROW:.+]]) =
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[SQRT2:.+]] = arith.constant 1.41421354 : f32
// CHECK: arith.select %{{.+}}, %[[SQRT2]], %[[ONE]] : f32
// CHECK: arith.divui
// CHECK: %[[OINDEX:.+]] = arith.select %{{.+}}, %{{.+}}, %{{.+}} : index
// CHECK: memref.load %{{.+}}[%[[OINDEX]]]
// CHECK: return
func.func @bucket_transposed(%w0: tensor<16x32xf32>, %w1: tensor<2x32x16xf32>, %lr: tensor<f32>)
    -> (tensor<16x32xf32>, tensor<2x32x16xf32>) {
  %n:2, %m:2 = optim.muon [%w0, %w1], [%w0, %w1], [%w0, %w1], %lr
      {ns_steps = 1 : i64, view = #optim.matrix_view<batch>}
      : [tensor<16x32xf32>, tensor<2x32x16xf32>], tensor<f32>
  return %n#0, %n#1 : tensor<16x32xf32>, tensor<2x32x16xf32>
}

// -----

// A padded bucket: rows run over the bucket's 16x32 elements; the 16x30
// member's row finds its own shape and start, K1 stores U = 0 outside its
// matrix (and touches none of its buffers there), K3 skips those elements.
// CHECK-LABEL: func.func @bucket_padded
// CHECK: scf.parallel
// CHECK: scf.index_switch
// CHECK: scf.if %{{.+}} -> (f64) {
// CHECK: memref.load
// CHECK: } else {
// CHECK-NEXT: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: memref.store %[[ZERO]], %[[U:.+]][%{{.+}}] : memref<1024xf32>
// CHECK-NEXT: scf.yield %{{.+}} : f64
// CHECK: call @muon_gpu_syrk_f32
// CHECK: scf.parallel
// CHECK: scf.index_switch
// CHECK: scf.if %{{.+}} {
// CHECK: memref.load
// CHECK: memref.store
// CHECK: return
func.func @bucket_padded(%w0: tensor<16x32xf32>, %w1: tensor<16x30xf32>, %lr: tensor<f32>)
    -> (tensor<16x32xf32>, tensor<16x30xf32>) {
  %n:2, %m:2 = optim.muon [%w0, %w1], [%w0, %w1], [%w0, %w1], %lr {ns_steps = 1 : i64}
      : [tensor<16x32xf32>, tensor<16x30xf32>], tensor<f32>
  return %n#0, %n#1 : tensor<16x32xf32>, tensor<16x30xf32>
}

// -----

// An AdamW bucket (parameters of any shapes) is one kernel over rows of
// different lengths: each row's blocks find their row, and one
// scf.index_switch picks its buffers (cast to memref<?xf32>) and offset; the
// results are allocated in the parameters' shapes.
// CHECK-LABEL: func.func @adamw_bucket
// CHECK-DAG: %[[R0:.*]] = memref.alloc() : memref<4x3xf32>
// CHECK-DAG: %[[R1:.*]] = memref.alloc() : memref<5xf32>
// CHECK: scf.parallel
// CHECK: arith.cmpi uge
// CHECK: scf.index_switch
// CHECK: math.powf
// CHECK: scf.index_switch
// CHECK: memref.cast %{{.*}} : memref<12xf32> to memref<?xf32>
// CHECK-NOT: scf.parallel
// CHECK: return %[[R0]], %[[R1]]
func.func @adamw_bucket(%w0: tensor<4x3xf32>, %w1: tensor<5xf32>, %lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<4x3xf32>, tensor<5xf32>) {
  %n:2, %m:2, %v:2 = optim.adamw [%w0, %w1], [%w0, %w1], [%w0, %w1], [%w0, %w1], %lr, %t
      : [tensor<4x3xf32>, tensor<5xf32>], tensor<f32>, tensor<i64>
  return %n#0, %n#1 : tensor<4x3xf32>, tensor<5xf32>
}

// -----

// A step count per member: each row loads its member's count. The empty
// member has no row, so row 1 is member 2.
// CHECK-LABEL: func.func @adamw_step_per_member
// CHECK-SAME: %[[T:[^:]+]]: memref<3xi64>)
// CHECK: scf.parallel
// CHECK: %[[IS_ROW1:.+]] = arith.cmpi eq, %[[ROW:.+]], %c1
// CHECK: %[[MEMBER:.+]] = arith.select %[[IS_ROW1]], %c2{{.*}}, %[[ROW]] : index
// CHECK: memref.load %[[T]][%[[MEMBER]]] : memref<3xi64>
func.func @adamw_step_per_member(%w0: tensor<4x3xf32>, %w1: tensor<5xf32>, %w2: tensor<0xf32>,
                                 %lr: tensor<f32>, %t: tensor<3xi64>)
    -> (tensor<4x3xf32>, tensor<5xf32>) {
  %n:3, %m:3, %v:3 = optim.adamw [%w0, %w2, %w1], [%w0, %w2, %w1], [%w0, %w2, %w1], [%w0, %w2, %w1], %lr, %t
      : [tensor<4x3xf32>, tensor<0xf32>, tensor<5xf32>], tensor<f32>, tensor<3xi64>
  return %n#0, %n#2 : tensor<4x3xf32>, tensor<5xf32>
}

// -----

// An operand that bufferizes to a strided view (a column block of a larger
// buffer) is copied into a contiguous buffer the kernel can index flat.
// CHECK-LABEL: func.func @strided_operand
// CHECK: %[[VIEW:.*]] = memref.subview %arg0[0, 2] [4, 3] [1, 1]
// CHECK: %[[COPY:.*]] = memref.alloc() : memref<4x3xf32>
// CHECK: memref.copy %[[VIEW]], %[[COPY]]
// CHECK: memref.collapse_shape %[[COPY]] {{.*}} into memref<12xf32>
// CHECK: scf.parallel
func.func @strided_operand(%w: tensor<4x8xf32>, %lr: tensor<f32>, %t: tensor<i64>) -> tensor<4x3xf32> {
  %s = tensor.extract_slice %w[0, 2] [4, 3] [1, 1] : tensor<4x8xf32> to tensor<4x3xf32>
  %w1, %m1, %v1 = optim.adamw %s, %s, %s, %s, %lr, %t : tensor<4x3xf32>, tensor<f32>, tensor<i64>
  return %w1 : tensor<4x3xf32>
}

// -----

// The in-place ABI (muon-materialize-aliased-results): a parameter and state
// materialized into the donated arguments they were updated from are
// updated in those buffers — the kernels store into the arguments, nothing
// is allocated for them or copied back (what materialization leaves is a
// self-copy, which canonicalization erases).
// CHECK-LABEL: func.func @in_place
// CHECK-SAME: (%[[W:[^:]+]]: memref<16x32xf32>, %{{[^:]+}}: memref<16x32xf32>, %[[M:[^:]+]]: memref<16x32xf32>
// CHECK-DAG: %[[WFLAT:.+]] = memref.collapse_shape %[[W]]
// CHECK-DAG: %[[MFLAT:.+]] = memref.collapse_shape %[[M]]
// CHECK-NOT: memref.alloc() : memref<16x32xf32>
// CHECK: memref.store %{{.+}}, %[[MFLAT]]
// CHECK: memref.store %{{.+}}, %[[WFLAT]]
// CHECK-NOT: memref.copy %alloc
// CHECK: return
func.func @in_place(%w: tensor<16x32xf32> {bufferization.writable = true},
                    %g: tensor<16x32xf32>,
                    %m: tensor<16x32xf32> {bufferization.writable = true},
                    %lr: tensor<f32>) -> (tensor<16x32xf32>, tensor<16x32xf32>) {
  %w1, %m1 = optim.muon %w, %g, %m, %lr {ns_steps = 1 : i64}
      : tensor<16x32xf32>, tensor<f32>
  %0 = bufferization.materialize_in_destination %w1 in %w
      : (tensor<16x32xf32>, tensor<16x32xf32>) -> tensor<16x32xf32>
  %1 = bufferization.materialize_in_destination %m1 in %m
      : (tensor<16x32xf32>, tensor<16x32xf32>) -> tensor<16x32xf32>
  return %0, %1 : tensor<16x32xf32>, tensor<16x32xf32>
}

// -----

// With a skip flag the kernels stay in place: K1 and K3 load the flag once
// per thread and store the old element instead of the new one where it is
// set.
// CHECK-LABEL: func.func @in_place_skip
// CHECK-SAME: (%{{[^:]+}}: memref<16x32xf32>, %{{[^:]+}}: memref<16x32xf32>, %{{[^:]+}}: memref<16x32xf32>, %{{[^:]+}}: memref<f32>, %[[S:[^:]+]]: memref<i32>)
// CHECK-NOT: memref.alloc() : memref<16x32xf32>
// CHECK: %[[FLAG1:.+]] = memref.load %[[S]][] : memref<i32>
// CHECK: %[[SKIP1:.+]] = arith.cmpi ne, %[[FLAG1]]
// CHECK: %[[KEPTM:.+]] = arith.select %[[SKIP1]], %{{.+}}, %{{.+}} : f32
// CHECK: memref.store %[[KEPTM]], %collapse_shape
// CHECK: %[[FLAG3:.+]] = memref.load %[[S]][] : memref<i32>
// CHECK: %[[SKIP3:.+]] = arith.cmpi ne, %[[FLAG3]]
// CHECK: %[[KEPTW:.+]] = arith.select %[[SKIP3]], %{{.+}}, %{{.+}} : f32
// CHECK: memref.store %[[KEPTW]], %collapse_shape
// CHECK-NOT: memref.copy %alloc
// CHECK: return
func.func @in_place_skip(%w: tensor<16x32xf32> {bufferization.writable = true},
                         %g: tensor<16x32xf32>,
                         %m: tensor<16x32xf32> {bufferization.writable = true},
                         %lr: tensor<f32>, %s: tensor<i32>)
    -> (tensor<16x32xf32>, tensor<16x32xf32>) {
  %w1, %m1 = optim.muon %w, %g, %m, %lr skip(%s : tensor<i32>) {ns_steps = 1 : i64}
      : tensor<16x32xf32>, tensor<f32>
  %0 = bufferization.materialize_in_destination %w1 in %w
      : (tensor<16x32xf32>, tensor<16x32xf32>) -> tensor<16x32xf32>
  %1 = bufferization.materialize_in_destination %m1 in %m
      : (tensor<16x32xf32>, tensor<16x32xf32>) -> tensor<16x32xf32>
  return %0, %1 : tensor<16x32xf32>, tensor<16x32xf32>
}

// -----

// Reads of the parameter before its update (the forward graph's, here a
// reduction of W) do not stand in the way: AdamW still writes W in place
// (the fresh buffers are M' and V', which are not materialized).
// CHECK-LABEL: func.func @read_before_update
// CHECK-SAME: (%[[W:[^:]+]]: memref<4x3xf32>
// CHECK: linalg.reduce {{.*}} ins(%[[W]]
// CHECK-COUNT-2: memref.alloc() : memref<4x3xf32>
// CHECK-NOT: memref.alloc() : memref<4x3xf32>
// CHECK-NOT: memref.copy %alloc
// CHECK: return %[[W]], %{{.+}} : memref<4x3xf32>, memref<f32>
func.func @read_before_update(%w: tensor<4x3xf32> {bufferization.writable = true},
                              %g: tensor<4x3xf32>, %m: tensor<4x3xf32>,
                              %v: tensor<4x3xf32>, %lr: tensor<f32>,
                              %t: tensor<i64>) -> (tensor<4x3xf32>, tensor<f32>) {
  %zero = arith.constant 0.0 : f32
  %init = tensor.from_elements %zero : tensor<f32>
  %sum = linalg.reduce ins(%w : tensor<4x3xf32>) outs(%init : tensor<f32>) dimensions = [0, 1]
    (%x: f32, %acc: f32) {
      %s = arith.addf %acc, %x : f32
      linalg.yield %s : f32
    }
  %w1, %m1, %v1 = optim.adamw %w, %g, %m, %v, %lr, %t
      : tensor<4x3xf32>, tensor<f32>, tensor<i64>
  %0 = bufferization.materialize_in_destination %w1 in %w
      : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  return %0, %sum : tensor<4x3xf32>, tensor<f32>
}

// -----

// ... but not where the old value is read as well (here by a reduction of
// W after the update): the update writes a fresh buffer, copied into the
// argument at the end.
// CHECK-LABEL: func.func @read_after_update
// CHECK-SAME: (%[[W:[^:]+]]: memref<4x3xf32>
// CHECK: %[[NEW:.+]] = memref.alloc() : memref<4x3xf32>
// CHECK: linalg.reduce {{.*}} ins(%[[W]]
// CHECK: memref.copy %[[NEW]], %[[W]]
func.func @read_after_update(%w: tensor<4x3xf32> {bufferization.writable = true},
                             %g: tensor<4x3xf32>, %m: tensor<4x3xf32>,
                             %v: tensor<4x3xf32>, %lr: tensor<f32>,
                             %t: tensor<i64>) -> (tensor<4x3xf32>, tensor<f32>) {
  %w1, %m1, %v1 = optim.adamw %w, %g, %m, %v, %lr, %t
      : tensor<4x3xf32>, tensor<f32>, tensor<i64>
  %zero = arith.constant 0.0 : f32
  %init = tensor.from_elements %zero : tensor<f32>
  %sum = linalg.reduce ins(%w : tensor<4x3xf32>) outs(%init : tensor<f32>) dimensions = [0, 1]
    (%x: f32, %acc: f32) {
      %s = arith.addf %acc, %x : f32
      linalg.yield %s : f32
    }
  %0 = bufferization.materialize_in_destination %w1 in %w
      : (tensor<4x3xf32>, tensor<4x3xf32>) -> tensor<4x3xf32>
  return %0, %sum : tensor<4x3xf32>, tensor<f32>
}

// -----

// In a module marked optim.deterministic, K1 stores each thread's partial
// norm (512 threads for 64x96) instead of adding it atomically; one kernel
// sums them per 256-thread row, a last one-thread-per-row kernel sums
// those into the first of the 32 slots Newton–Schulz's prologue reads.
// CHECK-LABEL: func.func @deterministic
// CHECK-NOT: memref.atomic_rmw
// CHECK: %[[PARTIALS:.+]] = memref.alloc() : memref<1x512xf64>
// CHECK: memref.store %{{.+}}, %[[PARTIALS]][%{{.+}}, %{{.+}}] : memref<1x512xf64>
// CHECK: %[[LEVEL:.+]] = memref.alloc() : memref<1x256xf64>
// CHECK: memref.store %{{.+}}, %[[LEVEL]][%{{.+}}, %{{.+}}] : memref<1x256xf64>
// CHECK: %[[SLOTS:.+]] = memref.alloc() : memref<1x32xf64>
// CHECK: scf.for
// CHECK: memref.store %{{.+}}, %[[SLOTS]][%{{.+}}, %{{.+}}] : memref<1x32xf64>
// CHECK-NOT: memref.atomic_rmw
// CHECK: call @muon_gpu_syrk_f32
module attributes {optim.deterministic} {
  func.func @deterministic(%w: tensor<64x96xf32>, %lr: tensor<f32>) -> tensor<64x96xf32> {
    %n, %m = optim.muon %w, %w, %w, %lr {ns_steps = 1 : i64}
        : tensor<64x96xf32>, tensor<f32>
    return %n : tensor<64x96xf32>
  }
}
