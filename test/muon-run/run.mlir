// Runs linalg functions with inline inputs and checks the printed results.

// Two inputs in argument order; brackets in a value only group rows.
// RUN: muon-run %s --function=add --input=2x2xf32=1,2,3,4 \
// RUN:   --input="2x2xf32=[10 20][30 40]" | FileCheck %s --check-prefix=ADD
// ADD: result[0]: 2x2xf32=[11 22][33 44]
// ADD-NOT: result[1]

// A single value fills the whole shape; `f32=3` is a 0-d tensor.
// RUN: muon-run %s --function=scale --input=4xf32=0.5 --input=f32=3 \
// RUN:   | FileCheck %s --check-prefix=SCALE
// SCALE: result[0]: 4xf32=1.5 1.5 1.5 1.5

// Results print in order; every dimension but the outermost is bracketed
// (FileCheck needs `[[` escaped).
// RUN: muon-run %s --function=sum --input=2x2x2xi32=1,2,3,4,5,6,7,8 \
// RUN:   | FileCheck %s --check-prefix=SUM
// SUM: result[0]: 2x2x2xi32={{\[\[}}1 2][3 4]]{{\[\[}}5 6][7 8]]
// SUM-NEXT: result[1]: i32=36

// Results longer than --print_max_element_count are cut, with their size.
// RUN: muon-run %s --function=scale --input=4xf32=0.5 --input=f32=3 \
// RUN:   --print_max_element_count=2 | FileCheck %s --check-prefix=CUT
// CUT: result[0]: 4xf32=1.5 1.5 ... (4 elements, first 2 shown)

// `--output=-` prints like having no --output at all.
// RUN: muon-run %s --function=sum --input=2x2x2xi32=1 --output=- \
// RUN:   | FileCheck %s --check-prefix=DASH
// DASH: result[0]: 2x2x2xi32={{\[\[}}1 1][1 1]]{{\[\[}}1 1][1 1]]
// DASH-NEXT: result[1]: i32=8

#id1 = affine_map<(i) -> (i)>

func.func @add(%a: tensor<2x2xf32>, %b: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %init = tensor.empty() : tensor<2x2xf32>
  %sum = linalg.add ins(%a, %b : tensor<2x2xf32>, tensor<2x2xf32>)
                    outs(%init : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %sum : tensor<2x2xf32>
}

func.func @scale(%v: tensor<4xf32>, %s: tensor<f32>) -> tensor<4xf32> {
  %k = tensor.extract %s[] : tensor<f32>
  %init = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#id1, #id1],
                       iterator_types = ["parallel"]}
      ins(%v : tensor<4xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %k : f32
    linalg.yield %y : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

func.func @sum(%a: tensor<2x2x2xi32>) -> (tensor<2x2x2xi32>, tensor<i32>) {
  %zero = arith.constant 0 : i32
  %init = tensor.empty() : tensor<i32>
  %acc = linalg.fill ins(%zero : i32) outs(%init : tensor<i32>) -> tensor<i32>
  %s = linalg.reduce ins(%a : tensor<2x2x2xi32>) outs(%acc : tensor<i32>)
      dimensions = [0, 1, 2]
    (%x: i32, %y: i32) {
      %z = arith.addi %x, %y : i32
      linalg.yield %z : i32
    }
  return %a, %s : tensor<2x2x2xi32>, tensor<i32>
}
