// One tensor returned twice (and CSE-merged zero-size results, as an ONNX
// Split with several empty parts gives) runs: each result gets its own
// out-param buffer.
// RUN: muon-run %s --function=twice --input=4x3xf32=1 | FileCheck %s --check-prefix=TWICE
// RUN: muon-run %s --function=empties --input=4x3xf32=1 | FileCheck %s --check-prefix=EMPTIES
// TWICE: result[0]: 4x3xf32=[2 2 2][2 2 2][2 2 2][2 2 2]
// TWICE: result[1]: 4x3xf32=[2 2 2][2 2 2][2 2 2][2 2 2]
// EMPTIES: result[0]: 4x0xf32=[][][][]
// EMPTIES: result[1]: 4x0xf32=[][][][]

func.func @twice(%x: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
  %e = tensor.empty() : tensor<4x3xf32>
  %y = linalg.add ins(%x, %x : tensor<4x3xf32>, tensor<4x3xf32>) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %y, %y : tensor<4x3xf32>, tensor<4x3xf32>
}

func.func @empties(%x: tensor<4x3xf32>) -> (tensor<4x0xf32>, tensor<4x0xf32>) {
  %0 = tensor.empty() : tensor<4x0xf32>
  %1 = tensor.empty() : tensor<4x0xf32>
  return %0, %1 : tensor<4x0xf32>, tensor<4x0xf32>
}
