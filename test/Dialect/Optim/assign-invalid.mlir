// Bad optim-assign options: values of the typed options (algorithm,
// lr-adjust, schedule) are rejected by the option parser, which lists the
// valid ones in --help; the others are errors on the function processed.
// RUN: not muon-opt %s -pass-pipeline='builtin.module(func.func(optim-assign{algorithm=sgd}))' 2>&1 | FileCheck %s --check-prefix=ALGORITHM
// RUN: not muon-opt %s -pass-pipeline='builtin.module(func.func(optim-assign{lr-adjust=fast}))' -split-input-file 2>&1 | FileCheck %s --check-prefix=ADJUST
// RUN: not muon-opt %s -pass-pipeline='builtin.module(func.func(optim-assign{schedule=custom}))' -split-input-file 2>&1 | FileCheck %s --check-prefix=SCHEDULE
// RUN: not muon-opt %s -pass-pipeline='builtin.module(func.func(optim-assign{include=a[}))' -split-input-file 2>&1 | FileCheck %s --check-prefix=REGEX
// RUN: not muon-opt %s -pass-pipeline='builtin.module(func.func(optim-assign{momentum=1.5}))' -split-input-file 2>&1 | FileCheck %s --check-prefix=MOMENTUM
// RUN: not muon-opt %s -pass-pipeline='builtin.module(func.func(optim-assign{ns-steps=-2}))' -split-input-file 2>&1 | FileCheck %s --check-prefix=STEPS
// RUN: not muon-opt %s -pass-pipeline='builtin.module(func.func(optim-assign{ns-steps=101}))' -split-input-file 2>&1 | FileCheck %s --check-prefix=MANY

// ALGORITHM: for the --algorithm option: Cannot find option named 'sgd'!
// ALGORITHM: failed to add `optim-assign` with options `algorithm=sgd`
// ADJUST: for the --lr-adjust option: Cannot find option named 'fast'!
// SCHEDULE: for the --schedule option: Cannot find option named 'custom'!
// REGEX: error: optim-assign: bad include pattern 'a[': brackets ([ ]) not balanced
// Errors of other options are unlocated, without the module as a note.
// MOMENTUM: {{^}}<unknown>:0: error: optim-assign: momentum must lie in [0, 1), got 1.5
// MOMENTUM-NOT: see current operation
// STEPS: error: optim-assign: ns-steps must be in [0, 100] (0: the op's default), got -2
// More iterations than the ops' verifier accepts.
// MANY: error: optim-assign: ns-steps must be in [0, 100] (0: the op's default), got 101

func.func @f(%w: tensor<8x8xf32>, %lr: tensor<f32>, %t: tensor<i64>) -> tensor<8x8xf32> {
  %w1, %m1, %v1 = optim.adamw %w, %w, %w, %w, %lr, %t : tensor<8x8xf32>, tensor<f32>, tensor<i64>
  return %w1 : tensor<8x8xf32>
}
