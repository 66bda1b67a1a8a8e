// A function named after a C library function that the lowered code calls
// (an f64 math.exp becomes a call to libm's `exp`) does not capture that
// call: the JIT gives the module's functions internal names of its own, as
// AOT libraries do (docs/ABI.md). It recursed into itself and crashed.
// RUN: muon-run %s --function=exp --input=2xf64=1 | FileCheck %s
// CHECK: result[0]: 2xf64=2.71828 2.71828

#map = affine_map<(d0) -> (d0)>
func.func @exp(%x: tensor<2xf64>) -> tensor<2xf64> {
  %init = tensor.empty() : tensor<2xf64>
  %y = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%x : tensor<2xf64>) outs(%init : tensor<2xf64>) {
  ^bb0(%in: f64, %out: f64):
    %e = math.exp %in : f64
    linalg.yield %e : f64
  } -> tensor<2xf64>
  return %y : tensor<2xf64>
}
