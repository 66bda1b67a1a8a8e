// Element-wise arith and math ops on whole tensors (as hand-written steps
// use them) become linalg.generic (upstream's
// convert-elementwise-to-linalg, in both pipelines' linalg stage), fused and
// run; numpy: tanh(x + 0.5) * x - exp(-x) for x = 1, 2, 3, 4.
// RUN: muon-run %s --input=2x2xf32=1,2,3,4 \
// RUN:   --expected_output="2x2xf32=[0.537269 1.837894][2.944749 3.980697]"
// RUN: muon-run %s --pipeline=gpu-emulation --input=2x2xf32=1,2,3,4 \
// RUN:   --expected_output="2x2xf32=[0.537269 1.837894][2.944749 3.980697]"
// RUN: muon-opt %s --muon-cpu-pipeline=stop-after=linalg | FileCheck %s
// RUN: muon-opt %s --muon-gpu-pipeline=stop-after=gpu | FileCheck %s --check-prefix=GPU
// GPU-COUNT-1: gpu.launch_func
// GPU-NOT: gpu.launch_func
// CHECK-LABEL: func.func @step
// CHECK-NOT: arith.addf {{.*}} : tensor
// CHECK-NOT: math.tanh {{.*}} : tensor
// CHECK: linalg.generic
// CHECK: math.tanh
// CHECK: math.exp
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @step(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %h = arith.constant dense<0.5> : tensor<2x2xf32>
  %a = arith.addf %x, %h : tensor<2x2xf32>
  %t = math.tanh %a : tensor<2x2xf32>
  %m = arith.mulf %t, %x : tensor<2x2xf32>
  %n = arith.negf %x : tensor<2x2xf32>
  %e = math.exp %n : tensor<2x2xf32>
  %r = arith.subf %m, %e : tensor<2x2xf32>
  return %r : tensor<2x2xf32>
}
