// RUN: muon-opt %s --split-input-file --verify-diagnostics --muon-expand-minifloat-conversions \
// RUN:   | FileCheck %s --implicit-check-not=arith.truncf --implicit-check-not=arith.extf

// f32 -> E4M3FN: the mantissa rounds to nearest even on the bits (shift 20:
// + 0x7ffff + the lowest kept bit), the exponent rebiases by (127 - 7) << 3
// = 960; below 2^-6 (0x3c800000) the magnitude times 2^9 rounds through
// 2^23. Past the largest code 0x7e, and for NaN, the result is NaN (0x7f):
// E4M3FN has no infinity.
// CHECK-LABEL: func.func @trunc_e4m3fn
// CHECK-SAME: (%[[X:.*]]: f32)
// CHECK-DAG: %[[NAN:.*]] = arith.constant 127 : i32
// CHECK-DAG: %[[LARGEST:.*]] = arith.constant 126 : i32
// CHECK-DAG: %[[NORMAL:.*]] = arith.constant 1015021568 : i32
// CHECK-DAG: %[[MAGIC:.*]] = arith.constant 0x4B000000 : f32
// CHECK-DAG: %[[UNITS:.*]] = arith.constant 5.120000e+02 : f32
// CHECK-DAG: %[[REBIAS:.*]] = arith.constant 960 : i32
// CHECK-DAG: %[[HALF:.*]] = arith.constant 524287 : i32
// CHECK-DAG: %[[SHIFT:.*]] = arith.constant 20 : i32
// CHECK: %[[BITS:.*]] = arith.bitcast %[[X]] : f32 to i32
// CHECK: %[[ABS:.*]] = arith.andi %[[BITS]]
// CHECK: %[[ABSF:.*]] = arith.bitcast %[[ABS]] : i32 to f32
// CHECK: %[[LSB:.*]] = arith.shrui %[[ABS]], %[[SHIFT]]
// CHECK: %[[ODD:.*]] = arith.andi %[[LSB]]
// CHECK: %[[BIAS:.*]] = arith.addi %[[ODD]], %[[HALF]]
// CHECK: %[[SUM:.*]] = arith.addi %[[ABS]], %[[BIAS]]
// CHECK: %[[KEPT:.*]] = arith.shrui %[[SUM]], %[[SHIFT]]
// CHECK: %[[NORMALCODE:.*]] = arith.subi %[[KEPT]], %[[REBIAS]]
// CHECK: %[[SCALED:.*]] = arith.mulf %[[ABSF]], %[[UNITS]]
// CHECK: %[[UP:.*]] = arith.addf %[[SCALED]], %[[MAGIC]]
// CHECK: %[[ROUNDED:.*]] = arith.subf %[[UP]], %[[MAGIC]]
// CHECK: %[[SUBCODE:.*]] = arith.fptoui %[[ROUNDED]] : f32 to i32
// CHECK: %[[ISSUB:.*]] = arith.cmpi ult, %[[ABS]], %[[NORMAL]]
// CHECK: %[[CODE:.*]] = arith.select %[[ISSUB]], %[[SUBCODE]], %[[NORMALCODE]]
// CHECK: %[[OVER:.*]] = arith.cmpi ugt, %[[CODE]], %[[LARGEST]]
// CHECK: %[[SIGNED:.*]] = arith.ori %{{.*}}, %[[CODE]]
// CHECK: %[[FINITE:.*]] = arith.select %[[OVER]], %[[NAN]], %[[SIGNED]]
// CHECK: %[[ISNAN:.*]] = arith.cmpf uno, %[[X]], %[[X]]
// CHECK: %[[PICK:.*]] = arith.select %[[ISNAN]], %[[NAN]], %[[FINITE]]
// CHECK: %[[BYTE:.*]] = arith.trunci %[[PICK]] : i32 to i8
// CHECK: arith.bitcast %[[BYTE]] : i8 to f8E4M3FN
func.func @trunc_e4m3fn(%x: f32) -> f8E4M3FN {
  %y = arith.truncf %x : f32 to f8E4M3FN
  return %y : f8E4M3FN
}

// -----

// E5M2 overflows to ±infinity (sign | 0x7c); f64 rounds on its own bits
// (shift 50), f16 widens to f32 first.
// CHECK-LABEL: func.func @trunc_e5m2
// CHECK-DAG: %[[INF:.*]] = arith.constant 124 : i64
// CHECK-DAG: %[[SHIFT:.*]] = arith.constant 50 : i64
// CHECK: arith.bitcast %{{.*}} : f64 to i64
// CHECK: arith.shrui %{{.*}}, %[[SHIFT]] : i64
// CHECK: %[[SIGNINF:.*]] = arith.ori %{{.*}}, %[[INF]] : i64
// CHECK: arith.select %{{.*}}, %[[SIGNINF]], %{{.*}} : i64
// CHECK: arith.trunci %{{.*}} : i64 to i8
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.trunci %{{.*}} : i32 to i8
func.func @trunc_e5m2(%d: f64, %h: f16) -> (f8E5M2, f8E5M2) {
  %a = arith.truncf %d : f64 to f8E5M2
  %b = arith.truncf %h : f16 to f8E5M2
  return %a, %b : f8E5M2, f8E5M2
}

// -----

// FNUZ formats have no -0: a zero magnitude gives code 0, not 0x80 (NaN).
// Vectors convert elementwise with splat constants.
// CHECK-LABEL: func.func @trunc_fnuz_vector
// CHECK-DAG: %[[ZERO:.*]] = arith.constant dense<0> : vector<4xi32>
// CHECK-DAG: %[[NAN:.*]] = arith.constant dense<128> : vector<4xi32>
// CHECK: %[[ISZERO:.*]] = arith.cmpi eq, %{{.*}}, %[[ZERO]] : vector<4xi32>
// CHECK: arith.select %[[ISZERO]], %[[ZERO]], %{{.*}} : vector<4xi1>, vector<4xi32>
// CHECK: arith.select %{{.*}}, %[[NAN]], %{{.*}} : vector<4xi1>, vector<4xi32>
// CHECK: arith.bitcast %{{.*}} : vector<4xi8> to vector<4xf8E4M3FNUZ>
func.func @trunc_fnuz_vector(%x: vector<4xf32>) -> vector<4xf8E4M3FNUZ> {
  %y = arith.truncf %x : vector<4xf32> to vector<4xf8E4M3FNUZ>
  return %y : vector<4xf8E4M3FNUZ>
}

// -----

// E5M2 -> f32: exponent rebiased by 127 - 15 = 112 into f32's bits at 23,
// the mantissa at 23 - 2; subnormals are the mantissa times 2^-16; the
// magnitude 0x7c is infinity and those above it NaN. f16 narrows from f32
// exactly.
// CHECK-LABEL: func.func @ext_e5m2
// CHECK-DAG: %[[INFCODE:.*]] = arith.constant 124 : i32
// CHECK-DAG: %[[REBIAS:.*]] = arith.constant 112 : i32
// CHECK-DAG: %[[TINY:.*]] = arith.constant 1.52587891E-5 : f32
// CHECK-DAG: %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK-DAG: %[[QNAN:.*]] = arith.constant 0x7FC00000 : f32
// CHECK: %[[BYTE:.*]] = arith.bitcast %{{.*}} : f8E5M2 to i8
// CHECK: %[[CODE:.*]] = arith.extui %[[BYTE]] : i8 to i32
// CHECK: arith.addi %{{.*}}, %[[REBIAS]] : i32
// CHECK: %[[MANT:.*]] = arith.uitofp %{{.*}} : i32 to f32
// CHECK: arith.mulf %[[MANT]], %[[TINY]] : f32
// CHECK: %[[ISINF:.*]] = arith.cmpi eq, %{{.*}}, %[[INFCODE]] : i32
// CHECK: arith.select %[[ISINF]], %[[INF]], %{{.*}} : f32
// CHECK: arith.negf
// CHECK: %[[ISNAN:.*]] = arith.cmpi ugt, %{{.*}}, %[[INFCODE]] : i32
// CHECK: %[[F32:.*]] = arith.select %[[ISNAN]], %[[QNAN]], %{{.*}} : f32
// CHECK: arith.truncf %[[F32]] : f32 to f16
func.func @ext_e5m2(%x: f8E5M2) -> f16 {
  %y = arith.extf %x : f8E5M2 to f16
  return %y : f16
}

// -----

// Arithmetic on float8 values has no lowering: an error, not a crash later.
func.func @add(%x: f8E4M3FN) -> f8E4M3FN {
  // expected-error @+1 {{'arith.addf' op computes on float8/float4 values; only conversions to and from wider floats are supported}}
  %y = arith.addf %x, %x : f8E4M3FN
  return %y : f8E4M3FN
}

// -----

// E2M1 (no infinity, no NaN) saturates past its largest value 6 (code 7) and
// gives a zero of the sign for infinities and NaN (f32 magnitudes from
// 0x7f800000), as APFloat converts; codes are 4 bits.
// CHECK-LABEL: func.func @trunc_e2m1
// CHECK-DAG: %[[LARGEST:.*]] = arith.constant 7 : i32
// CHECK-DAG: %[[NONFINITE:.*]] = arith.constant 2139095040 : i32
// CHECK: %[[OVER:.*]] = arith.cmpi ugt, %[[CODE:.*]], %[[LARGEST]] : i32
// CHECK: %[[SIGN:.*]] = arith.shli %{{.*}}, %{{.*}} : i32
// CHECK: %[[SIGNED:.*]] = arith.ori %[[SIGN]], %[[CODE]] : i32
// CHECK: %[[SATURATED:.*]] = arith.ori %[[SIGN]], %[[LARGEST]] : i32
// CHECK: %[[FINITE:.*]] = arith.select %[[OVER]], %[[SATURATED]], %[[SIGNED]] : i32
// CHECK: %[[ISNONFINITE:.*]] = arith.cmpi uge, %{{.*}}, %[[NONFINITE]] : i32
// CHECK: %[[PICK:.*]] = arith.select %[[ISNONFINITE]], %[[SIGN]], %[[FINITE]] : i32
// CHECK: %[[NIBBLE:.*]] = arith.trunci %[[PICK]] : i32 to i4
// CHECK: arith.bitcast %[[NIBBLE]] : i4 to f4E2M1FN
func.func @trunc_e2m1(%x: f32) -> f4E2M1FN {
  %y = arith.truncf %x : f32 to f4E2M1FN
  return %y : f4E2M1FN
}

// -----

// E2M1 -> f32: the sign is bit 3; no NaN or infinity codes to test.
// CHECK-LABEL: func.func @ext_e2m1
// CHECK-DAG: %[[SIGNCODE:.*]] = arith.constant 8 : i32
// CHECK: %[[NIBBLE:.*]] = arith.bitcast %{{.*}} : f4E2M1FN to i4
// CHECK: %[[CODE:.*]] = arith.extui %[[NIBBLE]] : i4 to i32
// CHECK: %[[NEGATIVE:.*]] = arith.cmpi uge, %[[CODE]], %[[SIGNCODE]] : i32
// CHECK: %[[NEG:.*]] = arith.negf %[[VALUE:.*]] : f32
// CHECK: %[[Y:.*]] = arith.select %[[NEGATIVE]], %[[NEG]], %[[VALUE]] : f32
// CHECK-NOT: arith.cmpi
// CHECK: return %[[Y]]
func.func @ext_e2m1(%x: f4E2M1FN) -> f32 {
  %y = arith.extf %x : f4E2M1FN to f32
  return %y : f32
}
