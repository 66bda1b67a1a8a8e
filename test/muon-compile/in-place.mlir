// The in-place ABI (version 3): arguments marked `optim.aliasing_output = N`
// receive result N in their own buffer. The entry point takes one pointer
// per input plus the remaining results (here: the norm), header and JSON say
// which input receives which result, the bufferized step updates the
// parameter and state buffers without a copy (on the CPU and, through the
// update kernels, the GPU pipeline), and the results equal those of
// the same step compiled with --in-place=false and of muon-run, on the CPU
// and the GPU-emulation pipelines; the gradients stay untouched.

// RUN: rm -rf %t && mkdir -p %t
// RUN: muon-compile %s -o %t/libstep.so --header=%t/step.h
// RUN: FileCheck %s --check-prefix=HEADER --input-file=%t/step.h
// RUN: FileCheck %s --check-prefix=JSON --input-file=%t/libstep.so.json
// RUN: cc -fsyntax-only -Wall -Wextra -Werror -x c %t/step.h
// RUN: muon-compile %s --emit=llvm-ir -o %t/step.ll
// RUN: FileCheck %s --check-prefix=IR --input-file=%t/step.ll
// RUN: muon-opt %s --muon-cpu-pipeline=stop-after=bufferized | FileCheck %s --check-prefix=BUF
// RUN: muon-opt %s --muon-gpu-pipeline=stop-after=bufferized | FileCheck %s --check-prefix=GPUBUF
// RUN: muon-compile %s --in-place=false -o %t/libcopy.so
// RUN: FileCheck %s --check-prefix=COPY --input-file=%t/libcopy.so.json
// RUN: muon-compile %s --pipeline=gpu-emulation -o %t/libemu.so
// RUN: %python %S/Inputs/check_in_place.py %s %t/libstep.so %t/libcopy.so %t/libemu.so muon-run | FileCheck %s --check-prefix=PY

// HEADER:      #define MUON_STEP_ABI_VERSION 3
// HEADER:      enum { muon_step_num_inputs = 10, muon_step_num_outputs = 1 };
// HEADER:      int muon_step(
// HEADER-NEXT:     float *w, /* in  0: tensor<8x16xf32>; in-out: receives w1 */
// HEADER-NEXT:     const float *g, /* in  1: tensor<8x16xf32> */
// HEADER-NEXT:     float *m, /* in  2: tensor<8x16xf32>; in-out: receives m1 */
// HEADER-NEXT:     float *b, /* in  3: tensor<16xf32>; in-out: receives b1 */
// HEADER-NEXT:     const float *gb, /* in  4: tensor<16xf32> */
// HEADER-NEXT:     float *bm, /* in  5: tensor<16xf32>; in-out: receives bm1 */
// HEADER-NEXT:     float *bv, /* in  6: tensor<16xf32>; in-out: receives bv1 */
// HEADER-NEXT:     const float *lr, /* in  7: tensor<f32> */
// HEADER-NEXT:     const float *adam_lr, /* in  8: tensor<f32> */
// HEADER-NEXT:     const int64_t *t, /* in  9: tensor<i64> */
// HEADER-NEXT:     float *norm); /* out 0: tensor<f32> */
// HEADER:      void _mlir_ciface_step(

// JSON:      "abi_version": 3,
// JSON:      "outputs": [
// JSON-NEXT:   {
// JSON-NEXT:     "name": "w1",
// JSON:          "updates": "w"
// JSON:          "name": "norm",
// JSON-NOT:      "updates"
// JSON:          "name": "m1",
// JSON:          "updates": "m"

// IR: define {{.*}}i32 @muon_step(ptr {{[^,]*}}, ptr {{[^,]*}}, ptr {{[^,]*}}, ptr {{[^,]*}}, ptr {{[^,]*}}, ptr {{[^,]*}}, ptr {{[^,]*}}, ptr {{[^,]*}}, ptr {{[^,]*}}, ptr {{[^,]*}}, ptr {{[^,]*}})
// IR: ret i32 0

// The state updates write into the arguments; nothing is copied back.
// BUF-LABEL: func.func @step(
// BUF-SAME:  %[[W:[^:]+]]: memref<8x16xf32>, %[[G:[^:]+]]: memref<8x16xf32>, %[[M:[^:]+]]: memref<8x16xf32>, %[[B:[^:]+]]: memref<16xf32>
// BUF-SAME:  %{{[^:]+}}: memref<f32>) {
// BUF-NOT:   memref.copy
// BUF:       outs(%[[M]]
// BUF-NOT:   memref.copy
// BUF:       outs(%[[W]] : memref<8x16xf32>)
// BUF-NOT:   memref.copy
// BUF:       outs(%[[B]], %{{.+}}, %{{.+}} : memref<16xf32>, memref<16xf32>, memref<16xf32>)

// The GPU pipeline's update kernels write the arguments too: no parameter-
// or state-sized buffer is allocated, only the norm is copied out.
// GPUBUF-LABEL: func.func @step(
// GPUBUF-SAME:  %[[W:[^:]+]]: memref<8x16xf32>, %[[G:[^:]+]]: memref<8x16xf32>, %[[M:[^:]+]]: memref<8x16xf32>
// GPUBUF-NOT:   memref.alloc() : memref<8x16xf32>
// GPUBUF-NOT:   memref.alloc() : memref<16xf32>
// GPUBUF:       memref.collapse_shape %[[W]]
// GPUBUF-NOT:   memref.alloc() : memref<8x16xf32>
// GPUBUF-NOT:   memref.alloc() : memref<16xf32>
// GPUBUF-NOT:   memref.copy %{{.+}}, %[[W]]
// GPUBUF-NOT:   memref.copy %{{.+}}, %[[M]]
// GPUBUF:       memref.copy %{{.+}}, %{{.+}} : memref<f32> to memref<f32>
// GPUBUF-NOT:   memref.copy

// COPY: "abi_version": 3,
// COPY-NOT: "updates"

// PY: in place = out-params: max relative difference 0.0e+00
// PY: in place vs muon-run: max relative difference {{.*}} <= 1e-06
// PY: gpu-emulation vs muon-run: max relative difference {{.*}} <= 1e-06
// PY: gradients unchanged
// PY: read-only: in-out input w: the array is read-only
// PY: overlap: input g: overlaps in-out input w (written buffers must be distinct; docs/ABI.md)

func.func @step(%w: tensor<8x16xf32> {optim.aliasing_output = 0 : i64}, %g: tensor<8x16xf32>,
                %m: tensor<8x16xf32> {optim.aliasing_output = 2 : i64},
                %b: tensor<16xf32> {optim.aliasing_output = 3 : i64}, %gb: tensor<16xf32>,
                %bm: tensor<16xf32> {optim.aliasing_output = 4 : i64},
                %bv: tensor<16xf32> {optim.aliasing_output = 5 : i64},
                %lr: tensor<f32>, %adam_lr: tensor<f32>, %t: tensor<i64>)
    -> (tensor<8x16xf32>, tensor<f32>, tensor<8x16xf32>, tensor<16xf32>, tensor<16xf32>,
        tensor<16xf32>) {
  %w1, %m1 = optim.muon %w, %g, %m, %lr {weight_decay = 0.01} : tensor<8x16xf32>, tensor<f32>
  %b1, %bm1, %bv1 = optim.adamw %b, %gb, %bm, %bv, %adam_lr, %t
      : tensor<16xf32>, tensor<f32>, tensor<i64>
  // A result of its own: the squared norm of the gradient.
  %zero = arith.constant 0.0 : f32
  %init = tensor.from_elements %zero : tensor<f32>
  %norm = linalg.reduce ins(%g : tensor<8x16xf32>) outs(%init : tensor<f32>) dimensions = [0, 1]
    (%x: f32, %acc: f32) {
      %sq = arith.mulf %x, %x : f32
      %s = arith.addf %acc, %sq : f32
      linalg.yield %s : f32
    }
  return %w1, %norm, %m1, %b1, %bm1, %bv1 : tensor<8x16xf32>, tensor<f32>, tensor<8x16xf32>,
      tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}
