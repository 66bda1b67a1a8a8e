// examples/consumer, an out-of-tree compiler, built against muon-mlir
// installed into a fresh prefix (not the build tree): its output equals
// muon-opt's for the same pipeline, at the linalg stage and in LLVM.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %cmake --install %muon_obj_root --prefix %t/prefix > %t/install.log
// RUN: test -f %t/prefix/lib/cmake/MuonMLIR/MuonMLIRConfig.cmake
// RUN: test -f %t/prefix/lib/cmake/MuonMLIR/MuonMLIRConfigVersion.cmake
// RUN: test -f %t/prefix/include/muon/Dialect/Optim/IR/OptimOps.h.inc
// RUN: test -f %t/prefix/include/optim/OptimOps.td
// RUN: test -x %t/prefix/bin/muon-opt
// RUN: %cmake -G "%cmake_generator" -S %muon_src_root/examples/consumer -B %t/build \
// RUN:   -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=%cxx_compiler %cxx_launcher_flag \
// RUN:   -DMuonMLIR_DIR=%t/prefix/lib/cmake/MuonMLIR > %t/configure.log
// RUN: FileCheck %s --check-prefix=FOUND < %t/configure.log
// RUN: %cmake --build %t/build > %t/build.log
// RUN: %t/build/consumer-compiler %s --last-stage=linalg -o %t/consumer-linalg.mlir
// RUN: FileCheck %s --check-prefix=LINALG < %t/consumer-linalg.mlir
// RUN: %t/prefix/bin/muon-opt %s --pass-pipeline="builtin.module(canonicalize, optim-assign, muon-cpu-pipeline{stop-after=linalg})" -o %t/muon-opt-linalg.mlir
// RUN: diff %t/consumer-linalg.mlir %t/muon-opt-linalg.mlir
// RUN: %t/build/consumer-compiler %s -o %t/consumer-llvm.mlir
// RUN: FileCheck %s --check-prefix=LLVM < %t/consumer-llvm.mlir
// RUN: %t/prefix/bin/muon-opt %s --pass-pipeline="builtin.module(canonicalize, optim-assign, muon-cpu-pipeline)" -o %t/muon-opt-llvm.mlir
// RUN: diff %t/consumer-llvm.mlir %t/muon-opt-llvm.mlir
// The version file accepts this release's major.minor and refuses others.
// RUN: %cmake -S %S/Inputs/version-check -B %t/version-ok -DREQUESTED=0.1 \
// RUN:   -DMuonMLIR_DIR=%t/prefix/lib/cmake/MuonMLIR | FileCheck %s --check-prefix=VERSION-OK
// RUN: not %cmake -S %S/Inputs/version-check -B %t/version-bad -DREQUESTED=9.0 \
// RUN:   -DMuonMLIR_DIR=%t/prefix/lib/cmake/MuonMLIR 2>&1 | FileCheck %s --check-prefix=VERSION-BAD
// A consumer pointing MLIR_DIR at another LLVM release is refused.
// RUN: not %cmake -S %S/Inputs/version-check -B %t/other-mlir -DREQUESTED=0.1 \
// RUN:   -DMLIR_DIR=%S/Inputs/mlir-21 -DMuonMLIR_DIR=%t/prefix/lib/cmake/MuonMLIR 2>&1 \
// RUN:   | FileCheck %s --check-prefix=OTHER-MLIR
// Bad input is a located error, not a crash.
// RUN: echo 'func.func @f(%%a: tensor<4xf32>) { %%b = optim.muon %%a : tensor<4xf32> return }' > %t/bad.mlir
// RUN: not %t/build/consumer-compiler %t/bad.mlir 2>&1 | FileCheck %s --check-prefix=BAD

// VERSION-OK: found MuonMLIR 0.1.0
// VERSION-BAD: Could not find a configuration file for package "MuonMLIR" that is
// VERSION-BAD: compatible with requested version "9.0"
// VERSION-BAD: version: 0.1.0
// OTHER-MLIR: muon-mlir was built against LLVM {{[0-9.]+}} but MLIR_DIR
// OTHER-MLIR: mlir-21) is LLVM 21.1.0
// FOUND: muon-mlir for LLVM {{[0-9.]+}} in {{.*}}/prefix/lib/cmake/MuonMLIR

// The importer's AdamW on a named hidden matrix becomes Muon; the norm
// weight keeps AdamW. Both are lowered.
// LINALG-LABEL: func.func @step
// LINALG-NOT: optim.
// LINALG: linalg.generic
// LLVM: llvm.func @_mlir_ciface_step(
// LLVM-NOT: optim.
// BAD: bad.mlir:1:{{[0-9]+}}: error:

func.func @step(%w: tensor<64x32xf32> {onnx.name = "layers.0.fc1.weight"},
                %g: tensor<64x32xf32>, %m: tensor<64x32xf32>,
                %v: tensor<64x32xf32>,
                %n: tensor<32xf32> {onnx.name = "layers.0.norm.weight"},
                %gn: tensor<32xf32>, %mn: tensor<32xf32>, %vn: tensor<32xf32>,
                %lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<64x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>,
        tensor<32xf32>, tensor<32xf32>, tensor<32xf32>) {
  %w1, %m1, %v1 = optim.adamw %w, %g, %m, %v, %lr, %t {weight_decay = 0.1}
      : tensor<64x32xf32>, tensor<f32>, tensor<i64>
  %n1, %mn1, %vn1 = optim.adamw %n, %gn, %mn, %vn, %lr, %t
      : tensor<32xf32>, tensor<f32>, tensor<i64>
  return %w1, %m1, %v1, %n1, %mn1, %vn1 : tensor<64x32xf32>, tensor<64x32xf32>,
      tensor<64x32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>
}
