// Errors in --input, --output and their match with the signature: each is a
// single `muon-run: error:` line with exit status 1, reported before any JIT
// work starts.

// The number of inputs, then their element types and shapes.
// RUN: not muon-run %s --input=2x3xf32=1 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: muon-run: error: wrong number of inputs: function 'step' has 2, got 1
// RUN: not muon-run %s --input=2x3xf64=1 --input=f32=1 2>&1 \
// RUN:   | FileCheck %s --check-prefix=DTYPE
// DTYPE: muon-run: error: element type mismatch for input 0: function 'step' expects tensor<2x3xf32>, got tensor<2x3xf64>
// RUN: not muon-run %s --input=2x3xf32=1 --input=1xf32=1 2>&1 \
// RUN:   | FileCheck %s --check-prefix=SHAPE
// SHAPE: muon-run: error: shape mismatch for input 1: function 'step' expects tensor<f32>, got tensor<1xf32>

// Malformed inline values name the flag and the value.
// RUN: not muon-run %s --input=2x?xf32=1 --input=f32=1 2>&1 \
// RUN:   | FileCheck %s --check-prefix=DIM
// DIM: muon-run: error: --input='2x?xf32=1': bad dimension '?' in '2x?xf32' (expected static sizes like 2x2xf32)
// RUN: not muon-run %s --input=2x3xf8=1 --input=f32=1 2>&1 \
// RUN:   | FileCheck %s --check-prefix=ELTYPE
// ELTYPE: muon-run: error: --input='2x3xf8=1': unsupported element type 'f8' in '2x3xf8' (supported: f4E2M1FN, f8E4M3FN, f8E4M3FNUZ, f8E5M2, f8E5M2FNUZ, f16, bf16, f32, f64, i1, i2, i4, i8, i16, i32, i64, ui2, ui4, ui8, ui16, ui32, ui64)
// RUN: not muon-run %s --input=2x3xf32=1,2,3 --input=f32=1 2>&1 \
// RUN:   | FileCheck %s --check-prefix=FEW
// FEW: muon-run: error: --input='2x3xf32=1,2,3': 2x3xf32 takes 6 values (or 1 to fill it), got 3
// RUN: not muon-run %s --input=2x3xf32=1 --input=f32=1,2 2>&1 \
// RUN:   | FileCheck %s --check-prefix=MANY
// MANY: muon-run: error: --input='f32=1,2': f32 takes 1 value, got 2
// RUN: not muon-run %s --input=2x3xf32=1,2,x,4,5,6 --input=f32=1 2>&1 \
// RUN:   | FileCheck %s --check-prefix=TEXT
// TEXT: muon-run: error: --input='2x3xf32=1,2,x,4,5,6': 'x' is not a valid f32 value
// A value the type cannot hold, and an empty one, are errors too (not inf,
// not skipped).
// RUN: not muon-run %s --input=2x3xf32=1e39 --input=f32=1 2>&1 \
// RUN:   | FileCheck %s --check-prefix=FRANGE
// FRANGE: muon-run: error: --input='2x3xf32=1e39': '1e39' is out of the range of f32
// RUN: not muon-run %s --input=2x3xf32=1,2,,4,5,6,7 --input=f32=1 2>&1 \
// RUN:   | FileCheck %s --check-prefix=EMPTY
// EMPTY: muon-run: error: --input='2x3xf32=1,2,,4,5,6,7': empty value between commas in '1,2,,4,5,6,7'
// RUN: not muon-run %s --input=2x3xf32=1 --input=f32=1 --print_max_element_count=-1 2>&1 \
// RUN:   | FileCheck %s --check-prefix=PRINT
// PRINT: muon-run: error: --print_max_element_count must be >= 0, got -1
// RUN: not muon-run %s --input=2x3xf32 --input=f32=1 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NOVALUE
// NOVALUE: muon-run: error: --input='2x3xf32': expected '@file.npy', '@file.pb' or '<shape>x<type>=<values>' such as '2x2xf32=1,2,3,4'
// RUN: not muon-run %s --input=2xi32=1,2.5 2>&1 | FileCheck %s --check-prefix=INT
// INT: muon-run: error: --input='2xi32=1,2.5': '2.5' is not a valid i32 value
// RUN: not muon-run %s --input=i32=3000000000 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: muon-run: error: --input='i32=3000000000': '3000000000' does not fit in i32
// RUN: not muon-run %s --input=99999999999x99999999999xf32=0 2>&1 \
// RUN:   | FileCheck %s --check-prefix=HUGE
// HUGE: muon-run: error: --input='99999999999x99999999999xf32=0': shape '99999999999x99999999999xf32' is too large
// RUN: not muon-run %s --input=i1=2 2>&1 | FileCheck %s --check-prefix=BOOL
// BOOL: muon-run: error: --input='i1=2': '2' is not a valid i1 value

// --output takes `@file.npy` or `-`, at most one per result.
// RUN: not muon-run %s --input=2x3xf32=1 --input=f32=1 --output=w.npy 2>&1 \
// RUN:   | FileCheck %s --check-prefix=OUTPUT
// OUTPUT: muon-run: error: --output='w.npy': expected '@file.npy' or '-'
// RUN: not muon-run %s --input=2x3xf32=1 --input=f32=1 --output=- \
// RUN:   --output=- 2>&1 | FileCheck %s --check-prefix=OUTPUTS
// OUTPUTS: muon-run: error: too many --output flags: function 'step' has 1 results, got 2

// Scales a 2x3 tensor by a 0-d one.
#id2 = affine_map<(i, j) -> (i, j)>
func.func @step(%w: tensor<2x3xf32>, %lr: tensor<f32>) -> tensor<2x3xf32> {
  %k = tensor.extract %lr[] : tensor<f32>
  %init = tensor.empty() : tensor<2x3xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2],
                       iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<2x3xf32>) outs(%init : tensor<2x3xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.mulf %x, %k : f32
    linalg.yield %y : f32
  } -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}
