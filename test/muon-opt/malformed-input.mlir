// Malformed input gives a located diagnostic and a non-zero exit, no crash.
// RUN: split-file %s %t
// RUN: not muon-opt %t/syntax.mlir 2>&1 | FileCheck %s --check-prefix=SYNTAX
// RUN: not muon-opt %t/unknown-op.mlir 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not muon-opt %t/bad-attr.mlir 2>&1 | FileCheck %s --check-prefix=ATTR
// RUN: not muon-opt %t/bad-type.mlir 2>&1 | FileCheck %s --check-prefix=TYPE
// RUN: not muon-opt %t/does-not-exist.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: muon-opt %t/valid.mlir -emit-bytecode | head -c 24 > %t/truncated.mlirbc
// RUN: not muon-opt %t/truncated.mlirbc 2>&1 | FileCheck %s --check-prefix=BYTECODE

// SYNTAX: syntax.mlir:2:35: error: expected ','
//--- syntax.mlir
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  %w1, %m1 = optim.muon %w, %w, %w %lr : tensor<4x8xf32>, tensor<f32>
  return
}

// UNKNOWN: unknown-op.mlir:2:9: error: custom op 'optim.sgd' is unknown
//--- unknown-op.mlir
func.func @f(%w: tensor<4x8xf32>) {
  %w1 = optim.sgd %w : tensor<4x8xf32>
  return
}

// ATTR: bad-attr.mlir:2:41: error: {{.*}}'optim.muon' op attribute 'momentum' failed to satisfy constraint: 64-bit float attribute
//--- bad-attr.mlir
func.func @f(%w: tensor<4x8xf32>, %lr: tensor<f32>) {
  %w1, %m1 = optim.muon %w, %w, %w, %lr {ns_steps = 5 : i64, momentum = "high"} : tensor<4x8xf32>, tensor<f32>
  return
}

// TYPE: bad-type.mlir:2:8: error: 'optim.newton_schulz' op operand #0 must be statically shaped tensor of floating-point values, but got 'memref<4x8xf32>'
//--- bad-type.mlir
func.func @f(%u: memref<4x8xf32>) {
  %o = "optim.newton_schulz"(%u) : (memref<4x8xf32>) -> memref<4x8xf32>
  return
}

// MISSING: cannot open input file '{{.*}}does-not-exist.mlir': No such file or directory

// BYTECODE: truncated.mlirbc{{.*}} error: {{.*}}

//--- valid.mlir
func.func @f(%u: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %o = optim.newton_schulz %u : tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}
