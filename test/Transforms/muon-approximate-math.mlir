// RUN: muon-opt %s -muon-approximate-math | FileCheck %s
// RUN: muon-opt %s -muon-approximate-math=ops=tanh | FileCheck %s --check-prefix=TANH

// erf, exp and tanh become arithmetic (no math op, no libm call left); other
// math ops stay. With ops=tanh only tanh is approximated.
// CHECK-LABEL: func.func @gelu
// CHECK-NOT: math.erf
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK: math.sqrt
// CHECK: return
// TANH-LABEL: func.func @gelu
// TANH: math.erf
// TANH: math.exp
// TANH-NOT: math.tanh
// TANH: return
func.func @gelu(%x: f32) -> (f32, f32, f32, f32) {
  %e = math.erf %x : f32
  %x2 = math.exp %x : f32
  %t = math.tanh %x : f32
  %s = math.sqrt %x : f32
  return %e, %x2, %t, %s : f32, f32, f32, f32
}

// bf16 operands are computed in f32.
// CHECK-LABEL: func.func @bf16
// CHECK: arith.extf %{{.+}} : bf16 to f32
// CHECK-NOT: math.erf
// CHECK: arith.truncf %{{.+}} : f32 to bf16
func.func @bf16(%x: bf16) -> bf16 {
  %e = math.erf %x : bf16
  return %e : bf16
}

// Upstream's approximations take scalars and vectors: ops on tensors, ranked
// or not, are left for their lowering to loops; the others are still
// rewritten.
// CHECK-LABEL: func.func @tensors
// CHECK: math.erf %{{.+}} : tensor<4xf32>
// CHECK: math.exp %{{.+}} : tensor<*xf32>
// CHECK-NOT: math.{{erf|exp|tanh}}
// CHECK: return
func.func @tensors(%t: tensor<4xf32>, %u: tensor<*xf32>, %v: vector<4xf32>, %x: f16)
    -> (tensor<4xf32>, tensor<*xf32>, vector<4xf32>, f16) {
  %a = math.erf %t : tensor<4xf32>
  %b = math.exp %u : tensor<*xf32>
  %c = math.exp %v : vector<4xf32>
  %d = math.tanh %x : f16
  return %a, %b, %c, %d : tensor<4xf32>, tensor<*xf32>, vector<4xf32>, f16
}
