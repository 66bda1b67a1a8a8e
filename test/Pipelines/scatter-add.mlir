// optim.scatter_add (the embedding gradient) through each pipeline: it
// bufferizes in place on the zero-filled gradient buffer (no copy), then the
// CPU pipeline makes a loop nest of it and the GPU pipeline one kernel with
// atomic adds after the fill's memset, which the emulation runs on the host.
// RUN: muon-opt %s --muon-cpu-pipeline="stop-after=bufferized" | FileCheck %s --check-prefix=BUF
// RUN: muon-opt %s --muon-cpu-pipeline | FileCheck %s --check-prefix=CPU
// RUN: muon-opt %s --muon-gpu-pipeline="stop-after=gpu" | FileCheck %s --check-prefix=GPU
// RUN: muon-opt %s --muon-gpu-emulation-pipeline | FileCheck %s --check-prefix=EMU

// BUF-LABEL: func.func @embedding_grad
// BUF-SAME: (%[[DY:.+]]: memref<64x16xf32>, %[[IDS:.+]]: memref<64xi64>, %[[OUT:.+]]: memref<100x16xf32>)
// BUF: linalg.fill ins(%{{.+}} : f32) outs(%[[OUT]] : memref<100x16xf32>)
// BUF-NEXT: optim.scatter_add %[[DY]] into %[[OUT]][%[[IDS]]] : memref<64x16xf32>, memref<64xi64> into memref<100x16xf32>
// BUF-NOT: memref.copy

// CPU-LABEL: llvm.func @embedding_grad(
// CPU-NOT: llvm.atomicrmw
// CPU: llvm.fadd
// CPU-NOT: llvm.atomicrmw
// CPU-LABEL: llvm.func @_mlir_ciface_embedding_grad(
// CPU-NOT: optim.

// GPU-LABEL: func.func @embedding_grad
// GPU: gpu.memset
// GPU: gpu.launch_func {{.*}}@embedding_grad_kernel::@embedding_grad_kernel blocks in (%{{.+}}, %{{.+}}, %{{.+}}) threads in (%{{.+}}, %{{.+}}, %{{.+}})
// GPU-NOT: gpu.launch_func
// GPU: gpu.func @embedding_grad_kernel
// GPU: memref.atomic_rmw addf
// GPU-NOT: optim.

// EMU-LABEL: llvm.func @embedding_grad(
// EMU: llvm.atomicrmw fadd
// EMU-NOT: gpu.
func.func @embedding_grad(%dy: tensor<64x16xf32>, %ids: tensor<64xi64>) -> tensor<100x16xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<100x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<100x16xf32>) -> tensor<100x16xf32>
  %grad = optim.scatter_add %dy into %init[%ids] : tensor<64x16xf32>, tensor<64xi64> into tensor<100x16xf32> -> tensor<100x16xf32>
  return %grad : tensor<100x16xf32>
}
