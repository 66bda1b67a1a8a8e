// --expected_output compares results elementwise: the relative Frobenius
// error must not exceed --expected_f32_threshold for floats, and integers
// must match exactly. A mismatch exits with status 1 after printing.

// A printed result reads back as an expected value.
// RUN: muon-run %s --input=2x2xf32=1,2,3,4 --input=2xi32=5,6 \
// RUN:   --expected_output="2x2xf32=[2 4][6 8]" --expected_output=2xi32=5,6 \
// RUN:   | FileCheck %s --check-prefix=PASS
// PASS: result[0]: 2x2xf32=[2 4][6 8]
// PASS: result[1]: 2xi32=5 6

// Within the default threshold of 1e-5: error 1e-4 / ||[2 4 6 8]|| ~ 9e-6.
// RUN: muon-run %s --input=2x2xf32=1,2,3,4 --input=2xi32=5,6 \
// RUN:   --expected_output=2x2xf32=2,4,6,8.0001 --expected_output=2xi32=5,6

// Expected values from a .npy file.
// RUN: %python -c "import numpy as np; \
// RUN:   np.save(r'%t.npy', np.array([[2, 4], [6, 8]], np.float32))"
// RUN: muon-run %s --input=2x2xf32=1,2,3,4 --input=2xi32=5,6 \
// RUN:   --expected_output=@%t.npy --expected_output=2xi32=5,6

// Beyond the threshold: the result index and the error are reported.
// RUN: not muon-run %s --input=2x2xf32=1,2,3,4 --input=2xi32=5,6 \
// RUN:   --expected_output=2x2xf32=2,4,6,9 --expected_output=2xi32=5,6 2>&1 \
// RUN:   | FileCheck %s --check-prefix=FLOAT
// FLOAT: result[0]: 2x2xf32=[2 4][6 8]
// FLOAT: muon-run: error: result 0 does not match --expected_output: relative error 0.0854358 exceeds threshold 1e-05

// A looser threshold accepts the same values.
// RUN: muon-run %s --input=2x2xf32=1,2,3,4 --input=2xi32=5,6 \
// RUN:   --expected_output=2x2xf32=2,4,6,9 --expected_output=2xi32=5,6 \
// RUN:   --expected_f32_threshold=0.1

// Integers must match exactly, whatever the threshold.
// RUN: not muon-run %s --input=2x2xf32=1,2,3,4 --input=2xi32=5,6 \
// RUN:   --expected_output=2x2xf32=2,4,6,8 --expected_output=2xi32=5,7 \
// RUN:   --expected_f32_threshold=1 2>&1 | FileCheck %s --check-prefix=INT
// INT: muon-run: error: result 1 does not match --expected_output: relative error {{.*}} exceeds threshold 0

// NaN matches NaN at the same position (numpy's equal_nan); a NaN against a
// number, either way round, fails whatever the threshold.
// RUN: muon-run %s --input=2x2xf32=1,2,3,nan --input=2xi32=5,6 \
// RUN:   --expected_output=2x2xf32=2,4,6,nan --expected_output=2xi32=5,6
// RUN: not muon-run %s --input=2x2xf32=1,2,3,nan --input=2xi32=5,6 \
// RUN:   --expected_output=2x2xf32=2,4,6,8 --expected_output=2xi32=5,6 \
// RUN:   --expected_f32_threshold=1e30 2>&1 | FileCheck %s --check-prefix=NAN
// RUN: not muon-run %s --input=2x2xf32=1,2,3,4 --input=2xi32=5,6 \
// RUN:   --expected_output=2x2xf32=2,4,6,nan --expected_output=2xi32=5,6 \
// RUN:   --expected_f32_threshold=1e30 2>&1 | FileCheck %s --check-prefix=NAN
// NAN: muon-run: error: result 0 does not match --expected_output: relative error nan

// Equal infinities match; an infinity against anything else is an infinite
// error.
// RUN: muon-run %s --input=2x2xf32=1,2,3,inf --input=2xi32=5,6 \
// RUN:   --expected_output=2x2xf32=2,4,6,inf --expected_output=2xi32=5,6
// RUN: not muon-run %s --input=2x2xf32=1,2,3,inf --input=2xi32=5,6 \
// RUN:   --expected_output=2x2xf32=2,4,6,-inf --expected_output=2xi32=5,6 2>&1 \
// RUN:   | FileCheck %s --check-prefix=INF
// INF: muon-run: error: result 0 does not match --expected_output: relative error inf

// A threshold that is not a number >= 0 is an error, not a check that
// always fails.
// RUN: not muon-run %s --input=2x2xf32=1,2,3,4 --input=2xi32=5,6 \
// RUN:   --expected_f32_threshold=-1 2>&1 | FileCheck %s --check-prefix=THRESHOLD
// THRESHOLD: muon-run: error: --expected_f32_threshold must be a number >= 0, got -1

// Expected values are checked against the signature before running.
// RUN: not muon-run %s --input=2x2xf32=1,2,3,4 --input=2xi32=5,6 \
// RUN:   --expected_output=2x2xf32=2,4,6,8 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: muon-run: error: wrong number of expected outputs: function 'double' has 2, got 1
// RUN: not muon-run %s --input=2x2xf32=1,2,3,4 --input=2xi32=5,6 \
// RUN:   --expected_output=2x2xf64=2,4,6,8 --expected_output=2xi32=5,6 2>&1 \
// RUN:   | FileCheck %s --check-prefix=TYPE
// TYPE: muon-run: error: element type mismatch for expected output 0: function 'double' expects tensor<2x2xf32>, got tensor<2x2xf64>
// TYPE-NOT: result[0]

#id2 = affine_map<(i, j) -> (i, j)>

// Doubles a float tensor and passes an integer one through.
func.func @double(%a: tensor<2x2xf32>, %b: tensor<2xi32>)
    -> (tensor<2x2xf32>, tensor<2xi32>) {
  %init = tensor.empty() : tensor<2x2xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2],
                       iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<2x2xf32>) outs(%init : tensor<2x2xf32>) {
  ^bb0(%x: f32, %out: f32):
    %y = arith.addf %x, %x : f32
    linalg.yield %y : f32
  } -> tensor<2x2xf32>
  return %r, %b : tensor<2x2xf32>, tensor<2xi32>
}
