// The system mlir-opt of the LLVM release the project is built against loads
// the optim dialect, its passes and pipelines from libMuonMLIRPlugin.so.
// RUN: %mlir_opt %s --load-dialect-plugin=%muon_plugin | %mlir_opt --load-dialect-plugin=%muon_plugin | FileCheck %s --check-prefix=PARSE
// RUN: %mlir_opt %s --load-dialect-plugin=%muon_plugin --load-pass-plugin=%muon_plugin --pass-pipeline="builtin.module(optim-assign, muon-cpu-pipeline{stop-after=linalg})" | FileCheck %s --check-prefix=LINALG
// RUN: %mlir_opt %s --load-pass-plugin=%muon_plugin --load-dialect-plugin=%muon_plugin --pass-pipeline="builtin.module(optim-assign{algorithm=muon2 ns-steps=3}, optim-decompose)" | FileCheck %s --check-prefix=DECOMPOSE
// All the way to LLVM, the plugin's output is muon-opt's (whose numerics the
// Numerics/ and muon-run tests check).
// RUN: %mlir_opt %s --load-dialect-plugin=%muon_plugin --load-pass-plugin=%muon_plugin --pass-pipeline="builtin.module(optim-assign, muon-cpu-pipeline)" -o %t.plugin.mlir
// RUN: muon-opt %s --pass-pipeline="builtin.module(optim-assign, muon-cpu-pipeline)" -o %t.muon-opt.mlir
// RUN: diff %t.plugin.mlir %t.muon-opt.mlir
// RUN: FileCheck %s --check-prefix=LLVM < %t.plugin.mlir

// PARSE-LABEL: func.func @step
// PARSE: optim.adamw %{{.+}} {weight_decay = 1.000000e-01 : f64} : tensor<64x32xf32>, tensor<f32>, tensor<i64>
// PARSE: optim.muon %{{.+}} {schedule = #optim.ns_schedule<polar_express>} : tensor<32x16xf32>, tensor<f32>

// optim-assign moves the hidden matrix to Muon; the CPU pipeline lowers every
// update to linalg on tensors.
// LINALG-LABEL: func.func @step
// LINALG-NOT: optim.
// LINALG: linalg.generic
// LINALG-NOT: optim.
// LINALG: return

// LLVM: llvm.func @_mlir_ciface_step(
// LLVM-NOT: optim.

// DECOMPOSE-LABEL: func.func @step
// DECOMPOSE-NOT: optim.adamw
// DECOMPOSE-NOT: optim.muon
// DECOMPOSE: optim.newton_schulz %{{.+}} {steps = 3 : i64}
func.func @step(%w: tensor<64x32xf32> {onnx.name = "fc1.weight"},
                %g: tensor<64x32xf32>, %m: tensor<64x32xf32>,
                %v: tensor<64x32xf32>, %lr: tensor<f32>, %t: tensor<i64>,
                %u: tensor<32x16xf32>, %um: tensor<32x16xf32>)
    -> (tensor<64x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>,
        tensor<32x16xf32>, tensor<32x16xf32>) {
  %w1, %m1, %v1 = optim.adamw %w, %g, %m, %v, %lr, %t {weight_decay = 0.1}
      : tensor<64x32xf32>, tensor<f32>, tensor<i64>
  %u1, %um1 = optim.muon %u, %u, %um, %lr
      {schedule = #optim.ns_schedule<polar_express>} : tensor<32x16xf32>, tensor<f32>
  return %w1, %m1, %v1, %u1, %um1 : tensor<64x32xf32>, tensor<64x32xf32>,
      tensor<64x32xf32>, tensor<32x16xf32>, tensor<32x16xf32>
}
