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

def MaterializeAliasedResultsPass
    : Pass<"muon-materialize-aliased-results", "::mlir::func::FuncOp"> {
  let summary = "Compute results tied to an argument into that argument's "
                "tensor, before one-shot bufferization";
  let description = [{
    An argument marked `optim.aliasing_output = N` donates its buffer to
    result N (muon-compile's in-place ABI, docs/ABI.md). This pass marks the
    argument `bufferization.writable = true` and wraps the returned value in
    `bufferization.materialize_in_destination ... in %arg`, so that one-shot
    bufferization computes the result in the argument's buffer: in place
    where the analysis allows it (with `eliminate-empty-tensors`, an
    elementwise update writes straight into the argument), else through a
    temporary and one copy at the end. Either way the value the function
    returns is equivalent to the argument, which `muon-drop-aliased-results`
    then removes. Malformed markings (a result index out of range, a result
    tied twice, differing types) are errors.

    Before:
    ```mlir
    func.func @step(%w: tensor<4xf32> {optim.aliasing_output = 0 : i64},
                    %g: tensor<4xf32>) -> tensor<4xf32> {
      %w1 = arith.subf %w, %g : tensor<4xf32>
      return %w1 : tensor<4xf32>
    }
    ```
    After:
    ```mlir
    func.func @step(%w: tensor<4xf32> {bufferization.writable = true,
                                       optim.aliasing_output = 0 : i64}, ...
      %w1 = arith.subf %w, %g : tensor<4xf32>
      %0 = bufferization.materialize_in_destination %w1 in %w
          : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
      return %0 : tensor<4xf32>
    }
    ```
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def DropAliasedResultsPass : Pass<"muon-drop-aliased-results", "::mlir::ModuleOp"> {
  let summary = "Drop the memref results that a function wrote into an "
                "argument's buffer";
  let description = [{
    After one-shot bufferization with function boundaries, each result tied
    to an argument by `optim.aliasing_output` (and prepared by
    `muon-materialize-aliased-results`) returns the argument's own buffer.
    This pass erases those results, and the marking, so that callers pass
    the argument's buffer once and find the result in it. A tied result that
    does not return the argument's buffer, or a function with callers in the
    module, is an error: dropping the result would lose the value.

    Before:
    ```mlir
    func.func @step(%w: memref<4xf32> {optim.aliasing_output = 0 : i64},
                    %g: memref<4xf32>) -> memref<4xf32> {
      ...
      return %w : memref<4xf32>
    }
    ```
    After:
    ```mlir
    func.func @step(%w: memref<4xf32>, %g: memref<4xf32>) {
      ...
      return
    }
    ```
  }];
}

#endif // MUON_TRANSFORMS_PASSES
