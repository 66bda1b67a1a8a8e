// A small generated-style step (Muon on a tall 8x4 matrix, AdamW on a bias)
// compiled for a portable CPU: the optimized LLVM IR and the object export
// both entry points, the bias update stays out of the argument buffers, a C
// program calls the flat entry point through the header, and the Python
// wrapper's results match muon-run's on random inputs.

// RUN: rm -rf %t && mkdir -p %t
// RUN: muon-compile %s --cpu=x86-64-v3 --emit=llvm-ir -o %t/small.ll
// RUN: FileCheck %s --check-prefix=IR --input-file=%t/small.ll
// RUN: muon-compile %s --cpu=x86-64-v3 --emit=object -o %t/small.o
// RUN: llvm-nm %t/small.o | FileCheck %s --check-prefix=NM
// RUN: muon-compile %s --cpu=x86-64-v3 -o %t/libsmall.so --header=%t/small.h
// RUN: FileCheck %s --input-file=%t/small.h
// RUN: cc -Wall -Werror -I%t %S/Inputs/call_small.c -o %t/call_small %t/libsmall.so -Wl,-rpath,%t
// RUN: %t/call_small | FileCheck %s --check-prefix=C
// RUN: %python %S/Inputs/check_small.py %s %t/libsmall.so --runner=muon-run | FileCheck %s --check-prefix=PY

// IR: target triple = "x86_64
// IR-DAG: define void @_mlir_ciface_small(ptr
// IR-DAG: define {{.*}}i32 @muon_small(ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}})

// NM-DAG: T _mlir_ciface_small
// NM-DAG: T muon_small

// CHECK:      enum { muon_small_num_inputs = 9, muon_small_num_outputs = 5 };
// CHECK:      int muon_small(
// CHECK-NEXT:     const float *w, /* in  0: tensor<8x4xf32> */
// CHECK:          const int32_t *t, /* in  8: tensor<i32> */
// CHECK-NEXT:     float *w1, /* out 0: tensor<8x4xf32> */
// CHECK-NEXT:     float *m1, /* out 1: tensor<8x4xf32> */
// CHECK-NEXT:     float *b1, /* out 2: tensor<4xf32> */
// CHECK-NEXT:     float *bm1, /* out 3: tensor<4xf32> */
// CHECK-NEXT:     float *bv1); /* out 4: tensor<4xf32> */

// C: b1[0] = 0.998990
// C: inputs unchanged

// PY: AOT vs muon-run: worst max-abs relative difference
// PY: inputs unchanged

func.func @small(%w: tensor<8x4xf32>, %g: tensor<8x4xf32>, %m: tensor<8x4xf32>,
                 %b: tensor<4xf32>, %gb: tensor<4xf32>, %bm: tensor<4xf32>,
                 %bv: tensor<4xf32>, %lr: tensor<f32>, %t: tensor<i32>)
    -> (tensor<8x4xf32>, tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>,
        tensor<4xf32>) {
  %w1, %m1 = optim.muon %w, %g, %m, %lr {weight_decay = 0.1}
      : tensor<8x4xf32>, tensor<f32>
  %b1, %bm1, %bv1 = optim.adamw %b, %gb, %bm, %bv, %lr, %t
      : tensor<4xf32>, tensor<f32>, tensor<i32>
  return %w1, %m1, %b1, %bm1, %bv1
      : tensor<8x4xf32>, tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>,
        tensor<4xf32>
}
