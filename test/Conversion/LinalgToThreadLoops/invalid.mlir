// RUN: muon-opt %s -convert-linalg-to-thread-loops -verify-diagnostics -o /dev/null
// RUN: not muon-opt %s -convert-linalg-to-thread-loops=block-size=0 -o /dev/null 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not muon-opt %s -convert-linalg-to-thread-loops=block-size=2048 -o /dev/null 2>&1 | FileCheck %s --check-prefix=LARGE

// Blocks without threads (a loop step of 0, or a division by it) or with more
// than CUDA launches.
// ZERO: error: convert-linalg-to-thread-loops: block-size must be in [1, 1024], got 0
// LARGE: error: convert-linalg-to-thread-loops: block-size must be in [1, 1024], got 2048

// Tiling an scf.parallel onto threads would drop its reduction result.
func.func @loop_reduction(%a: memref<65536xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 65536 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @below {{'scf.parallel' op has reduction results, which cannot be mapped onto GPU threads (write the reduction as a linalg op)}}
  %sum = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
    %x = memref.load %a[%i] : memref<65536xf32>
    scf.reduce(%x : f32) {
    ^bb0(%l: f32, %r: f32):
      %s = arith.addf %l, %r : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}
