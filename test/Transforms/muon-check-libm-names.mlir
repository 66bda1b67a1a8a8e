// RUN: muon-opt %s --muon-check-libm-names -split-input-file -verify-diagnostics

// math.erf on f32 would call libm's erff, which is this function.
// expected-remark@+1 {{the function named 'erff'}}
func.func @erff(%x: f32) -> f32 {
  // expected-error@+1 {{'math.erf' becomes a call of the C math library's 'erff', which names a function of this module; rename that function}}
  %y = math.erf %x : f32
  return %y : f32
}

// -----

// On f64 the name has no suffix; math.powf calls pow; vectors are
// converted element by element, with the element type's name.
// expected-remark@+1 {{the function named 'pow'}}
llvm.func @pow(%x: f64) -> f64 {
  llvm.return %x : f64
}
func.func @step(%x: f64) -> f64 {
  // expected-error@+1 {{'math.powf' becomes a call of the C math library's 'pow'}}
  %y = math.powf %x, %x : f64
  return %y : f64
}

// -----

// expected-remark@+1 {{the function named 'tanf'}}
func.func @tanf(%x: vector<4xf32>) -> vector<4xf32> {
  // expected-error@+1 {{'math.tan' becomes a call of the C math library's 'tanf'}}
  %y = math.tan %x : vector<4xf32>
  return %y : vector<4xf32>
}

// -----

// Declarations are what the conversion declares itself; other names and
// element types (f16 is not converted) are no clash.
func.func private @erf(f64) -> f64
func.func @erfc(%x: f64, %h: f16) -> (f64, f32, f16) {
  %y = math.erf %x : f64
  %f = arith.truncf %x : f64 to f32
  %z = math.erfc %f : f32
  %w = math.erf %h : f16
  return %y, %z, %w : f64, f32, f16
}
