// A LayerNorm as the ONNX importer writes it: row sums kept as [rows, 1]
// (linalg.reduce and an expand_shape), read back through `(d0, d1, 0)`.
// With the unit dims folded (muon-fold-unit-dims) and the reductions
// generalized (muon-fuse-elementwise), the squared deviations are summed
// as they are computed; the variance's reduction runs in the mean's kernel
// after its all-reduce (convert-linalg-to-thread-loops chains reductions
// of the same rows), and the normalization after both: one kernel, a
// block per row, and no [8, 32, 64] temporary (before: four kernels, the
// squared deviations written to memory and read back).
// RUN: muon-opt %s --muon-gpu-pipeline="stop-after=gpu" | FileCheck %s --check-prefix=GPU
// RUN: muon-opt %s --muon-cpu-pipeline="stop-after=linalg" | FileCheck %s --check-prefix=CPU

// GPU-LABEL: func.func @layer_norm
// GPU: gpu.launch_func {{.*}} blocks in (%c256, %c1, %c1) threads in (%c32, %c1, %c1)
// GPU-NOT: gpu.launch_func
// GPU: gpu.func @layer_norm_kernel(%[[X:.+]]: memref<8x32x64xf32>, %[[SUM:.+]]: memref<8x32xf32>, %[[SQSUM:.+]]: memref<8x32xf32>, %{{.+}}: memref<64xf32>, %{{.+}}: memref<64xf32>, %[[Y:.+]]: memref<8x32x64xf32>) kernel
// GPU: %[[PARTIAL:.+]] = gpu.all_reduce add
// GPU: %[[ROWSUM:.+]] = arith.addf %[[PARTIAL]]
// GPU: scf.for
// GPU: arith.divf %[[ROWSUM]]
// GPU: arith.subf
// GPU: arith.mulf
// GPU: gpu.all_reduce add
// GPU: memref.store %{{.+}}, %[[SUM]]
// GPU: memref.store %{{.+}}, %[[SQSUM]]
// GPU: math.rsqrt
// GPU: memref.store %{{.+}}, %[[Y]]

// On the host: the squared deviations inside the variance's reduction.
// CPU-LABEL: func.func @layer_norm
// CPU: linalg.reduce
// CPU: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]
// CPU: arith.subf
// CPU: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CPU-NEXT: ^bb0
// CPU-NEXT: arith.mulf
// CPU-NEXT: arith.addf
// CPU: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]
// CPU: math.rsqrt
// CPU-NOT: linalg.generic
// CPU: return
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#col = affine_map<(d0, d1, d2) -> (d2)>
func.func @layer_norm(%x: tensor<8x32x64xf32>, %gamma: tensor<64xf32>, %beta: tensor<64xf32>)
    -> tensor<8x32x64xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 64.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %rows = tensor.empty() : tensor<8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%rows : tensor<8x32xf32>) -> tensor<8x32xf32>
  %sum = linalg.reduce ins(%x : tensor<8x32x64xf32>) outs(%init : tensor<8x32xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %sum1 = tensor.expand_shape %sum [[0], [1, 2]] output_shape [8, 32, 1] : tensor<8x32xf32> into tensor<8x32x1xf32>
  %kept = tensor.empty() : tensor<8x32x1xf32>
  %mean = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%sum1 : tensor<8x32x1xf32>) outs(%kept : tensor<8x32x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.divf %in, %n : f32
    linalg.yield %m : f32
  } -> tensor<8x32x1xf32>
  %full = tensor.empty() : tensor<8x32x64xf32>
  %dev = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %mean : tensor<8x32x64xf32>, tensor<8x32x1xf32>) outs(%full : tensor<8x32x64xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %d = arith.subf %in, %m : f32
    linalg.yield %d : f32
  } -> tensor<8x32x64xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%dev : tensor<8x32x64xf32>) outs(%full : tensor<8x32x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<8x32x64xf32>
  %sqsum = linalg.reduce ins(%sq : tensor<8x32x64xf32>) outs(%init : tensor<8x32xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  %sqsum1 = tensor.expand_shape %sqsum [[0], [1, 2]] output_shape [8, 32, 1] : tensor<8x32xf32> into tensor<8x32x1xf32>
  %inv = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%sqsum1 : tensor<8x32x1xf32>) outs(%kept : tensor<8x32x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.divf %in, %n : f32
    %ve = arith.addf %v, %eps : f32
    %r = math.rsqrt %ve : f32
    linalg.yield %r : f32
  } -> tensor<8x32x1xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #col, #col, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%dev, %inv, %gamma, %beta : tensor<8x32x64xf32>, tensor<8x32x1xf32>, tensor<64xf32>, tensor<64xf32>)
      outs(%full : tensor<8x32x64xf32>) {
  ^bb0(%d: f32, %r: f32, %g: f32, %b: f32, %out: f32):
    %n0 = arith.mulf %d, %r : f32
    %n1 = arith.mulf %n0, %g : f32
    %n2 = arith.addf %n1, %b : f32
    linalg.yield %n2 : f32
  } -> tensor<8x32x64xf32>
  return %y : tensor<8x32x64xf32>
}
