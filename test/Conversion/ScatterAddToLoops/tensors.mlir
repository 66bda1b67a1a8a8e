// RUN: muon-opt %s -convert-scatter-add-to-loops -verify-diagnostics

// The pass lowers buffers only: a scatter-add on tensors must be bufferized
// first (it would have no storage to add into).
func.func @tensors(%dy: tensor<8x16xf32>, %ids: tensor<8xi64>, %t: tensor<100x16xf32>) -> tensor<100x16xf32> {
  // expected-error @+1 {{must be bufferized before it is lowered to loops}}
  %g = optim.scatter_add %dy into %t[%ids] : tensor<8x16xf32>, tensor<8xi64> into tensor<100x16xf32> -> tensor<100x16xf32>
  return %g : tensor<100x16xf32>
}
