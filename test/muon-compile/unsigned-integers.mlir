// Arguments and results marked `muon.unsigned` cross the compiled library's
// ABI as unsigned integers: the C header names uint8_t/uint64_t, and
// muon_mlir.aot passes numpy and torch tensors of those dtypes (unsigned
// division and a wrapping add, checked against numpy).

// RUN: rm -rf %t && mkdir -p %t
// RUN: muon-compile %s -o %t/libunsigned.so --header=%t/unsigned.h
// RUN: FileCheck %s --input-file=%t/unsigned.h
// RUN: %python %S/Inputs/check_unsigned.py %t/libunsigned.so | FileCheck %s --check-prefix=PY

// CHECK:      int muon_unsigned(
// CHECK-NEXT:     const uint8_t *a, /* in 0: tensor<3xui8> */
// CHECK-NEXT:     const uint8_t *b, /* in 1: tensor<3xui8> */
// CHECK-NEXT:     const uint64_t *c, /* in 2: tensor<2xui64> */
// CHECK-NEXT:     uint8_t *q, /* out 0: tensor<3xui8> */
// CHECK-NEXT:     uint64_t *s); /* out 1: tensor<2xui64> */

// PY: numpy [127, 2, 1] [0, 9223372036854775809]
// PY: torch torch.uint8
// PY: dtype: input a: expected dtype uint8, got int8

#id = affine_map<(i) -> (i)>
func.func @unsigned(%a: tensor<3xi8> {muon.unsigned}, %b: tensor<3xi8> {muon.unsigned},
                    %c: tensor<2xi64> {muon.unsigned})
    -> (tensor<3xi8> {muon.unsigned}, tensor<2xi64> {muon.unsigned}) {
  %a0 = tensor.empty() : tensor<3xi8>
  %q = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%a, %b : tensor<3xi8>, tensor<3xi8>) outs(%a0 : tensor<3xi8>) {
  ^bb0(%x: i8, %y: i8, %o: i8):
    %d = arith.divui %x, %y : i8
    linalg.yield %d : i8
  } -> tensor<3xi8>
  %c0 = tensor.empty() : tensor<2xi64>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%c : tensor<2xi64>) outs(%c0 : tensor<2xi64>) {
  ^bb0(%x: i64, %o: i64):
    %one = arith.constant 1 : i64
    %y = arith.addi %x, %one : i64
    linalg.yield %y : i64
  } -> tensor<2xi64>
  return %q, %s : tensor<3xi8>, tensor<2xi64>
}
