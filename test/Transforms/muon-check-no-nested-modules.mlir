// RUN: muon-opt %s -muon-check-no-nested-modules -split-input-file -verify-diagnostics

// A function in a nested module would pass through every pipeline unlowered.
module {
  // expected-error @below {{nested 'builtin.module' @inner is not compiled: the pipeline lowers the functions of the top-level module only; move them there}}
  module @inner {
    func.func @step(%w: tensor<4x8xf32>, %lr: tensor<f32>) -> tensor<4x8xf32> {
      %w1, %m1 = optim.muon %w, %w, %w, %lr : tensor<4x8xf32>, tensor<f32>
      return %w1 : tensor<4x8xf32>
    }
  }
}

// -----

// An unnamed one is reported too.
module {
  func.func @step(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
  // expected-error @below {{nested 'builtin.module' is not compiled}}
  module {
  }
}

// -----

// GPU modules are the GPU pipeline's own and pass.
module attributes {gpu.container_module} {
  gpu.module @kernels {
  }
  func.func @step(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}
