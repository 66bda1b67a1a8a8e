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

include "mlir/Pass/PassBase.td"

def DecomposeSoftmaxPass : Pass<"muon-decompose-softmax"> {
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

def FuseElementwisePass : Pass<"muon-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Elementwise fusion and reshape propagation that keep the "
                "named GEMMs";
  let description = [{
    Upstream's `linalg-fuse-elementwise-ops` (elementwise producer/consumer
    fusion, reshapes folded by expansion, expand_shape bubbled up, constant
    folding), except that no reshape is folded into or out of a contraction
    (`linalg.matmul`, `linalg.batch_matmul`, ...): upstream's pattern
    rewrites such a GEMM into a `linalg.generic` with the reshape's
    dimensions expanded, and elementwise fusion then merges a single-use
    producer into it (a convolution's im2col, a ReLU), after which it is no
    longer GEMM-shaped for `convert-matmul-to-blas` (the BLAS / cuBLASLt
    calls). The ONNX importer writes a matmul of a 3-D activation as a
    collapse_shape into a 2-D `linalg.matmul`, and a convolution as im2col
    feeding one.

    ```mlir
    %r = linalg.generic ... -> tensor<2x3x4xf32>            // e.g. ReLU
    %c = tensor.collapse_shape %r [[0, 1], [2]] : ... into tensor<6x4xf32>
    %y = linalg.matmul ins(%c, %w : tensor<6x4xf32>, tensor<4x5xf32>) ...
    ```
    keeps its `linalg.matmul` here; `linalg-fuse-elementwise-ops` turns the
    three ops into one 3-D contraction generic.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // MUON_TRANSFORMS_PASSES
