// RUN: muon-opt %s -optim-insert-qk-clip -o /dev/null 2>&1 | FileCheck %s

// The warning names the attention by the ONNX node of its softmax, also
// after inlining (a NameLoc inside a CallSiteLoc), and the op it stopped at.
// CHECK: model.onnx:0:0: warning: attention '/blocks.0/attn/Softmax' not clipped: the key comes from 'linalg.generic' (/blocks.0/attn/k_act), not from a projection

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#model = loc("model.onnx":0:0)
#call = loc("step.mlir":3:5)
func.func @step(%x: tensor<6x32xf32>, %wq: tensor<32x8xf32>, %wk: tensor<32x8xf32>,
                %g: tensor<32x8xf32>, %lr: tensor<f32>)
    -> (tensor<6x6xf32>, tensor<32x8xf32>, tensor<32x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<6x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<6x8xf32>) -> tensor<6x8xf32>
  %q = linalg.matmul ins(%x, %wq : tensor<6x32xf32>, tensor<32x8xf32>) outs(%z : tensor<6x8xf32>) -> tensor<6x8xf32>
  %k0 = linalg.matmul ins(%x, %wk : tensor<6x32xf32>, tensor<32x8xf32>) outs(%z : tensor<6x8xf32>) -> tensor<6x8xf32>
  %k = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%k0 : tensor<6x8xf32>) outs(%e : tensor<6x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    linalg.yield %t : f32
  } -> tensor<6x8xf32> loc(callsite("/blocks.0/attn/k_act"(#model) at #call))
  %et = tensor.empty() : tensor<8x6xf32>
  %kt = linalg.transpose ins(%k : tensor<6x8xf32>) outs(%et : tensor<8x6xf32>) permutation = [1, 0]
  %es = tensor.empty() : tensor<6x6xf32>
  %zs = linalg.fill ins(%zero : f32) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32>
  %s = linalg.matmul ins(%q, %kt : tensor<6x8xf32>, tensor<8x6xf32>) outs(%zs : tensor<6x6xf32>) -> tensor<6x6xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<6x6xf32>) outs(%es : tensor<6x6xf32>) -> tensor<6x6xf32> loc(callsite("/blocks.0/attn/Softmax"(#model) at #call))
  %m = arith.constant dense<0.0> : tensor<32x8xf32>
  %wq1, %mq1 = optim.muon %wq, %g, %m, %lr : tensor<32x8xf32>, tensor<f32>
  %wk1, %mk1 = optim.muon %wk, %g, %m, %lr : tensor<32x8xf32>, tensor<f32>
  return %p, %wq1, %wk1 : tensor<6x6xf32>, tensor<32x8xf32>, tensor<32x8xf32>
}
