//===- Passes.td - Transforms of upstream dialects ---------*- tablegen -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The project's passes on upstream dialects only (no optim op involved).
//
//===----------------------------------------------------------------------===//

#ifndef MUON_TRANSFORMS_PASSES
#define MUON_TRANSFORMS_PASSES

include "muon/Pass/PassBase.td"

def DecomposeSoftmaxPass : MuonPass<"muon-decompose-softmax"> {
  let summary = "Expand linalg.softmax into its max, exp, sum and divide ops";
  let description = [{
    The ONNX importer keeps a softmax as one `linalg.softmax`, so that
    passes before this one (attention matching in `optim-insert-qk-clip`,
    GPU code generation) see a named op. This pass replaces each one by
    upstream's decomposition (`AggregatedOpInterface::decomposeOperation`):
    the row maximum, `exp(x − max)`, its row sum and the division, each a
    `linalg.generic` that elementwise fusion and the loop lowerings handle.
    The pipelines run it right after the optim conversions.

    Before:
    ```mlir
    %p = linalg.softmax dimension(1) ins(%s : tensor<4x8xf32>)
        outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
    ```
    After (schematically):
    ```mlir
    %max = linalg.generic ... { arith.maxnumf } -> tensor<4xf32>
    %exp = linalg.generic ... { arith.subf, math.exp } -> tensor<4x8xf32>
    %sum = linalg.generic ... { arith.addf } -> tensor<4xf32>
    %p = linalg.generic ... { arith.divf } -> tensor<4x8xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // MUON_TRANSFORMS_PASSES
