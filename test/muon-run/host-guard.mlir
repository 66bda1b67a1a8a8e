// What the GPU pipeline made of a 32-flag i1 buffer before it sized buffers
// from the data layout: 4 bytes, written one byte per flag. Under the test
// suite's MUON_HOST_GUARD=1 the step aborts when the buffer is freed, naming
// the overflow (on an H200 it was an illegal-address fault).
// RUN: env MUON_HOST_GUARD=1 not --crash muon-run %s --function=flags --input=4xf32=1 2>&1 | FileCheck %s
// RUN: env MUON_HOST_GUARD=0 muon-run %s --function=flags --input=4xf32=1 | FileCheck %s --check-prefix=UNCHECKED
// CHECK: muon: a loop or kernel wrote past a buffer of 4 bytes (byte 0 after its end changed; MUON_HOST_GUARD)
// UNCHECKED: 4xf32=1 1 1 1
func.func @flags(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %true = arith.constant true
  %raw = memref.alloc() : memref<4xi8>
  %flags = memref.view %raw[%c0][] : memref<4xi8> to memref<32xi1>
  scf.for %i = %c0 to %c32 step %c1 {
    memref.store %true, %flags[%i] : memref<32xi1>
  }
  return %x : tensor<4xf32>
}
