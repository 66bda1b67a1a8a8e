// Bad optim-assign options are errors on the function being processed.
// RUN: muon-opt %s -pass-pipeline='builtin.module(func.func(optim-assign{algorithm=sgd}))' -verify-diagnostics -split-input-file --mlir-disable-threading
// RUN: not muon-opt %s -pass-pipeline='builtin.module(func.func(optim-assign{lr-adjust=fast}))' -split-input-file 2>&1 | FileCheck %s --check-prefix=ADJUST
// RUN: not muon-opt %s -pass-pipeline='builtin.module(func.func(optim-assign{schedule=custom}))' -split-input-file 2>&1 | FileCheck %s --check-prefix=SCHEDULE
// RUN: not muon-opt %s -pass-pipeline='builtin.module(func.func(optim-assign{include=a[}))' -split-input-file 2>&1 | FileCheck %s --check-prefix=REGEX
// RUN: not muon-opt %s -pass-pipeline='builtin.module(func.func(optim-assign{momentum=1.5}))' -split-input-file 2>&1 | FileCheck %s --check-prefix=MOMENTUM
// RUN: not muon-opt %s -pass-pipeline='builtin.module(func.func(optim-assign{ns-steps=-2}))' -split-input-file 2>&1 | FileCheck %s --check-prefix=STEPS

// ADJUST: error: optim-assign: unknown lr-adjust 'fast' (expected original, match_rms_adamw, spectral_unclamped or none)
// SCHEDULE: error: optim-assign: unknown schedule 'custom' (expected quintic or polar_express)
// REGEX: error: optim-assign: bad include pattern 'a[': brackets ([ ]) not balanced
// MOMENTUM: error: optim-assign: momentum must lie in [0, 1), got 1.5
// STEPS: error: optim-assign: ns-steps must be >= 0 (0: the op's default), got -2

// expected-error@+1 {{optim-assign: unknown algorithm 'sgd' (expected muon or muon2)}}
func.func @f(%w: tensor<8x8xf32>, %lr: tensor<f32>, %t: tensor<i64>) -> tensor<8x8xf32> {
  %w1, %m1, %v1 = optim.adamw %w, %w, %w, %w, %lr, %t : tensor<8x8xf32>, tensor<f32>, tensor<i64>
  return %w1 : tensor<8x8xf32>
}
