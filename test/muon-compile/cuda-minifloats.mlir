// Float8 and float4 conversions in CUDA kernels: muon-expand-minifloat-
// conversions rewrites them into integer code (NVPTX has no such types), so
// the kernels assemble with ptxas; their buffers cross the C ABI as bytes.
// Nothing runs without a GPU; test/Target/ONNX/narrow-types.test runs the
// same conversions emulated on the host.

// REQUIRES: cuda
// RUN: rm -rf %t && mkdir -p %t
// RUN: muon-compile %s --target=cuda --cuda-format=isa --emit=llvm-ir -o %t/minifloats.ll
// RUN: FileCheck %s --check-prefix=PTX --input-file=%t/minifloats.ll
// RUN: muon-compile %s --target=cuda -o %t/libminifloats.so --header=%t/minifloats.h
// RUN: FileCheck %s --check-prefix=HEADER --input-file=%t/minifloats.h
// RUN: cc -fsyntax-only -Wall -Wextra -Werror -x c %t/minifloats.h

// The f32 -> E4M3FN rounding is integer arithmetic on the bits; E2M1 codes
// are read as bytes.
// PTX: @minifloats_kernel_binary = internal constant
// PTX-DAG: shr.u32
// PTX-DAG: ld.global.b8
// PTX-DAG: st.global.b8

// HEADER:      int muon_minifloats(
// HEADER-NEXT:     const float *x, /* in  0: tensor<1024xf32> */
// HEADER-NEXT:     const uint8_t *w, /* in  1: tensor<1024xf4E2M1FN> */
// HEADER-NEXT:     uint8_t *n, /* out 0: tensor<1024xf8E4M3FN> */
// HEADER-NEXT:     float *y, /* out 1: tensor<1024xf32> */

#map = affine_map<(d0) -> (d0)>
func.func @minifloats(%x: tensor<1024xf32>, %w: tensor<1024xf4E2M1FN>)
    -> (tensor<1024xf8E4M3FN>, tensor<1024xf32>) {
  %e8 = tensor.empty() : tensor<1024xf8E4M3FN>
  %n = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%x : tensor<1024xf32>) outs(%e8 : tensor<1024xf8E4M3FN>) {
  ^bb0(%a: f32, %o: f8E4M3FN):
    %t = arith.truncf %a : f32 to f8E4M3FN
    linalg.yield %t : f8E4M3FN
  } -> tensor<1024xf8E4M3FN>
  %e32 = tensor.empty() : tensor<1024xf32>
  %y = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%w : tensor<1024xf4E2M1FN>) outs(%e32 : tensor<1024xf32>) {
  ^bb0(%a: f4E2M1FN, %o: f32):
    %t = arith.extf %a : f4E2M1FN to f32
    linalg.yield %t : f32
  } -> tensor<1024xf32>
  return %n, %y : tensor<1024xf8E4M3FN>, tensor<1024xf32>
}
