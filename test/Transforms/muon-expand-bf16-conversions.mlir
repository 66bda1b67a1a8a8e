// RUN: muon-opt %s --muon-expand-bf16-conversions \
// RUN:   | FileCheck %s --implicit-check-not="to bf16" --implicit-check-not="bf16 to f"

// f32 -> bf16 rounds to nearest even on the bits (+ 0x7fff + the lowest
// kept bit), NaN to the quiet NaN 0x7fc0; the way back is a shift. Other
// conversions and ops stay.
// CHECK-LABEL: func.func @round_trip
// CHECK-SAME: (%[[X:.*]]: f32, %[[D:.*]]: f64)
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1 : i32
// CHECK-DAG: %[[SIXTEEN:.*]] = arith.constant 16 : i32
// CHECK-DAG: %[[QNAN:.*]] = arith.constant 32704 : i16
// CHECK-DAG: %[[HALF:.*]] = arith.constant 32767 : i32
// CHECK: %[[ISNAN:.*]] = arith.cmpf une, %[[X]], %[[X]] : f32
// CHECK: %[[BITS:.*]] = arith.bitcast %[[X]] : f32 to i32
// CHECK: %[[LOW:.*]] = arith.shrui %[[BITS]], %[[SIXTEEN]]
// CHECK: %[[ODD:.*]] = arith.andi %[[LOW]], %[[ONE]]
// CHECK: %[[BIAS:.*]] = arith.addi %[[ODD]], %[[HALF]]
// CHECK: %[[SUM:.*]] = arith.addi %[[BITS]], %[[BIAS]]
// CHECK: %[[HIGH:.*]] = arith.shrui %[[SUM]], %[[SIXTEEN]]
// CHECK: %[[NARROW:.*]] = arith.trunci %[[HIGH]] : i32 to i16
// CHECK: %[[PICK:.*]] = arith.select %[[ISNAN]], %[[QNAN]], %[[NARROW]] : i16
// CHECK: %[[B:.*]] = arith.bitcast %[[PICK]] : i16 to bf16
// CHECK: arith.bitcast %[[B]] : bf16 to i16
// CHECK: arith.shli %{{.*}}, %[[SIXTEEN]] : i32
// CHECK: %[[Y:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK: %[[F:.*]] = arith.truncf %[[D]] : f64 to f32
// CHECK: arith.maximumf %[[Y]], %[[F]] : f32
func.func @round_trip(%x: f32, %d: f64) -> (f32, f32) {
  %b = arith.truncf %x : f32 to bf16
  %y = arith.extf %b : bf16 to f32
  %f = arith.truncf %d : f64 to f32
  %m = arith.maximumf %y, %f : f32
  return %y, %m : f32, f32
}

// f64 -> bf16 goes through f32 rounded to odd (the nearest f32, stepped
// back toward zero when it rounded away, its lowest bit set when inexact),
// then f32 -> bf16 as above; bf16 -> f64 widens through f32.
// CHECK-LABEL: func.func @wide
// CHECK-SAME: (%[[W:.*]]: vector<4xf64>)
// CHECK: %[[NEAR:.*]] = arith.truncf %[[W]] : vector<4xf64> to vector<4xf32>
// CHECK: %[[BACK:.*]] = arith.extf %[[NEAR]] : vector<4xf32> to vector<4xf64>
// CHECK-DAG: arith.cmpf ogt, %[[BACK]], %[[W]]
// CHECK-DAG: arith.cmpf olt, %[[BACK]], %[[W]]
// CHECK: %[[AWAY:.*]] = arith.ori
// CHECK: %[[NBITS:.*]] = arith.bitcast %[[NEAR]] : vector<4xf32> to vector<4xi32>
// CHECK: %[[STEP:.*]] = arith.subi %[[NBITS]]
// CHECK: %[[TRUNC:.*]] = arith.select %[[AWAY]], %[[STEP]], %[[NBITS]]
// CHECK: %[[INEXACT:.*]] = arith.cmpf une, %[[BACK]], %[[W]]
// CHECK: %[[STICKY:.*]] = arith.ori %[[TRUNC]]
// CHECK: %[[ODD:.*]] = arith.select %[[INEXACT]], %[[STICKY]], %[[TRUNC]]
// CHECK: %[[ODDF:.*]] = arith.bitcast %[[ODD]] : vector<4xi32> to vector<4xf32>
// CHECK: arith.bitcast %[[ODDF]] : vector<4xf32> to vector<4xi32>
// CHECK: %[[B16:.*]] = arith.bitcast %{{.*}} : vector<4xi16> to vector<4xbf16>
// CHECK: arith.bitcast %[[B16]] : vector<4xbf16> to vector<4xi16>
// CHECK: %[[F32:.*]] = arith.bitcast %{{.*}} : vector<4xi32> to vector<4xf32>
// CHECK: %[[F64:.*]] = arith.extf %[[F32]] : vector<4xf32> to vector<4xf64>
// CHECK: return %[[F64]]
func.func @wide(%w: vector<4xf64>) -> vector<4xf64> {
  %b = arith.truncf %w : vector<4xf64> to vector<4xbf16>
  %y = arith.extf %b : vector<4xbf16> to vector<4xf64>
  return %y : vector<4xf64>
}

// A named op's body must stay the one its name implies: a mixed-precision
// matmul (bf16 operands, f32 accumulator) becomes a linalg.generic whose
// widenings expand; an all-f32 matmul stays named.
// CHECK-LABEL: func.func @mixed_matmul
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : memref<4x8xbf16>, memref<8x3xbf16>)
// CHECK: ^bb0(%[[A:.*]]: bf16, %[[B:.*]]: bf16, %[[C:.*]]: f32):
// CHECK: arith.bitcast %[[A]] : bf16 to i16
// CHECK: arith.bitcast %[[B]] : bf16 to i16
// CHECK: %[[P:.*]] = arith.mulf
// CHECK: %[[S:.*]] = arith.addf %[[C]], %[[P]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : memref<4x8xf32>, memref<8x3xf32>)
func.func @mixed_matmul(%a: memref<4x8xbf16>, %b: memref<8x3xbf16>, %c: memref<4x3xf32>,
                        %x: memref<4x8xf32>, %y: memref<8x3xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xbf16>, memref<8x3xbf16>) outs(%c : memref<4x3xf32>)
  linalg.matmul ins(%x, %y : memref<4x8xf32>, memref<8x3xf32>) outs(%c : memref<4x3xf32>)
  return
}
