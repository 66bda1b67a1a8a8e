// i8 and i16 tensors cross the compiled library's ABI: the C header names
// int8_t/int16_t, and muon_mlir.aot passes numpy and torch tensors of those
// dtypes (wrapping arithmetic, checked against numpy).

// RUN: rm -rf %t && mkdir -p %t
// RUN: muon-compile %s -o %t/libnarrow.so --header=%t/narrow.h
// RUN: FileCheck %s --input-file=%t/narrow.h
// RUN: %python %S/Inputs/check_narrow.py %t/libnarrow.so | FileCheck %s --check-prefix=PY

// CHECK:      int muon_narrow(
// CHECK-NEXT:     const int8_t *a, /* in 0: tensor<3xi8> */
// CHECK-NEXT:     const int16_t *b, /* in 1: tensor<2xi16> */
// CHECK-NEXT:     int8_t *a1, /* out 0: tensor<3xi8> */
// CHECK-NEXT:     int16_t *b1); /* out 1: tensor<2xi16> */

// PY: numpy [-128, -127, -5] [0, 600]
// PY: torch torch.int8 torch.int16
// PY: dtype: input a: expected dtype int8, got int16

#id = affine_map<(i) -> (i)>
func.func @narrow(%a: tensor<3xi8>, %b: tensor<2xi16>)
    -> (tensor<3xi8>, tensor<2xi16>) {
  %a0 = tensor.empty() : tensor<3xi8>
  %a1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : tensor<3xi8>) outs(%a0 : tensor<3xi8>) {
  ^bb0(%x: i8, %o: i8):
    %zero = arith.constant 0 : i8
    %y = arith.subi %zero, %x : i8
    linalg.yield %y : i8
  } -> tensor<3xi8>
  %b0 = tensor.empty() : tensor<2xi16>
  %b1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%b : tensor<2xi16>) outs(%b0 : tensor<2xi16>) {
  ^bb0(%x: i16, %o: i16):
    %y = arith.addi %x, %x : i16
    linalg.yield %y : i16
  } -> tensor<2xi16>
  return %a1, %b1 : tensor<3xi8>, tensor<2xi16>
}
