// RUN: muon-opt %s --muon-gpu-pipeline="stop-after=fused" | FileCheck %s --check-prefix=FUSED
// RUN: muon-opt %s --muon-gpu-pipeline="stop-after=bufferized" | FileCheck %s --check-prefix=BUF
// RUN: muon-opt %s --muon-gpu-pipeline="stop-after=gpu" | FileCheck %s --check-prefix=GPU

// Two same-shaped tall Muon updates share one bucket, still on tensors.
// FUSED-LABEL: func.func @step
// FUSED: optim.muon [%{{.*}}, %{{.*}}], [%{{.*}}, %{{.*}}], [%{{.*}}, %{{.*}}], %{{.*}}
// FUSED-NOT: scf.parallel
// FUSED-NOT: call @muon_gpu_

// Bufferization forms the bucket's kernels: three (grid of blocks over
// (block, matrix), 256 threads each) and three GEMMs per Newton–Schulz
// iteration with (a, b, c) in alpha/beta, the two symmetric ones (S, T) as
// syrk calls; tall matrices use the transpose flags (S = Xᵀ·X,
// X' = X·Tᵀ + a·X). Results become trailing out-params on buffers.
// BUF-DAG: func.func private @muon_gpu_syrk_f32(memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, {{.*}}, f32, f32, i1) attributes {llvm.emit_c_interface}
// BUF-DAG: func.func private @muon_gpu_gemm_f32(memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, {{.*}}, f32, f32, i1, i1) attributes {llvm.emit_c_interface}
// BUF-LABEL: func.func @step
// BUF-SAME: %{{.*}}: memref<128x32xf32>, %{{.*}}: memref<128x32xf32>, %{{.*}}: memref<f32>, %{{.*}}: memref<128x32xf32>, %{{.*}}: memref<128x32xf32>)
// BUF-NOT: tensor<
// BUF: scf.parallel
// BUF: scf.parallel
// BUF: memref.atomic_rmw addf
// BUF: mapping = [#gpu.loop_dim_map<processor = thread_x
// BUF: call @muon_gpu_syrk_f32({{.*}}, %[[ONE:.*]], %[[ZERO:.*]], %true)
// BUF: call @muon_gpu_syrk_f32({{.*}}, %[[C:.*]], %[[B:.*]], %false)
// BUF: call @muon_gpu_gemm_f32({{.*}}, %[[ONE]], %[[A:.*]], %false, %true)
// BUF-COUNT-12: call @muon_gpu_{{gemm|syrk}}_f32
// BUF-NOT: call @muon_gpu_
// BUF-NOT: optim.
// BUF-NOT: tensor<

// Device memory only, kernels outlined and launched; lr reaches the kernels
// as a buffer, never read on the host. The bucket is not packed: the kernels
// read the parameters' buffers and write W' into the out-params (no copies
// in or out), choosing a matrix's buffers by its row.
// GPU: module attributes {gpu.container_module}
// GPU-LABEL: func.func @step
// GPU-NOT: memref.alloc
// GPU-NOT: memref.load
// GPU-NOT: gpu.memcpy
// GPU: gpu.alloc async
// GPU: gpu.memset async
// GPU-COUNT-3: gpu.launch_func async {{.*}} blocks in (%c2, %c1, %c1) threads in (%c256, %c1, %c1)
// GPU-NOT: gpu.launch_func
// GPU: gpu.dealloc async
// GPU-NOT: memref.load
// GPU-NOT: memref.copy
// GPU-NOT: gpu.memcpy
// GPU-NOT: memref.alloc
// GPU: gpu.module @step_kernel
// GPU: gpu.func @step_kernel
// GPU: gpu.thread_id x
// GPU: scf.index_switch
// GPU: memref.atomic_rmw addf
func.func @step(%a: tensor<128x32xf32>, %b: tensor<128x32xf32>,
                %lr: tensor<f32>) -> (tensor<128x32xf32>, tensor<128x32xf32>) {
  %a1, %ma = optim.muon %a, %a, %a, %lr : tensor<128x32xf32>, tensor<f32>
  %b1, %mb = optim.muon %b, %b, %b, %lr : tensor<128x32xf32>, tensor<f32>
  return %a1, %b1 : tensor<128x32xf32>, tensor<128x32xf32>
}
