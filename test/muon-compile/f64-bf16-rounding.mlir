// f64 <-> bf16 conversions in an AOT library: no libgcc call (GCC 12's
// lacks __truncdfbf2, so the link failed: a float64 parameter with a bf16
// Newton–Schulz could not compile), and f64 -> bf16 correctly rounded, as
// one rounding to nearest even, not two (check_f64_bf16.py).
// RUN: muon-compile %s --target=cpu -o %t.so
// RUN: llvm-nm -u %t.so | FileCheck %s --check-prefix=SYMBOLS
// RUN: %python %S/Inputs/check_f64_bf16.py %t.so | FileCheck %s
// SYMBOLS-NOT: bf2
// CHECK: f64 -> bf16: 224 of 224 correctly rounded; first wrong: []
// CHECK: f32 -> bf16 -> f64: 224 of 224 exact

#map = affine_map<(d0) -> (d0)>
func.func @round(%x: tensor<224xf64>, %y: tensor<224xf32>) -> (tensor<224xf64>, tensor<224xf64>) {
  %e = tensor.empty() : tensor<224xf64>
  %f = tensor.empty() : tensor<224xf64>
  %r:2 = linalg.generic {indexing_maps = [#map, #map, #map, #map],
                         iterator_types = ["parallel"]}
      ins(%x, %y : tensor<224xf64>, tensor<224xf32>) outs(%e, %f : tensor<224xf64>, tensor<224xf64>) {
  ^bb0(%a: f64, %b: f32, %o: f64, %p: f64):
    %n = arith.truncf %a : f64 to bf16
    %w = arith.extf %n : bf16 to f64
    %m = arith.truncf %b : f32 to bf16
    %v = arith.extf %m : bf16 to f64
    linalg.yield %w, %v : f64, f64
  } -> (tensor<224xf64>, tensor<224xf64>)
  return %r#0, %r#1 : tensor<224xf64>, tensor<224xf64>
}
