// One-shot bufferization would store into the argument's buffer here
// (tensor.insert in place, then a copy to the out-param); muon-compile marks
// arguments `bufferization.writable = false`, so the compiled code copies
// first and the caller's input stays as it was.

// RUN: rm -rf %t && mkdir -p %t
// RUN: muon-compile %s -o %t/libf.so
// RUN: %python %S/Inputs/call_inplace.py %t/libf.so | FileCheck %s
// CHECK: input [5. 6. 7. 8.]
// CHECK: output [1. 6. 7. 8.]

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1.0 : f32
  %y = tensor.insert %one into %x[%c0] : tensor<4xf32>
  return %y : tensor<4xf32>
}
