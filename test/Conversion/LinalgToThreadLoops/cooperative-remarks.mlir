// RUN: muon-opt %s -convert-linalg-to-thread-loops=serial-remark-threshold=1024 -verify-diagnostics -o /dev/null

// With cooperative reductions, only what still runs serially is remarked:
// the f32 row sum gets a block per row; the f16 one (gpu.all_reduce
// shuffles 32-bit values) and the decaying accumulation (no single
// combiner) do not.
func.func @remarks(%a: memref<4x1024xf32>, %out: memref<4xf32>,
                   %h: memref<4x1024xf16>, %hout: memref<4xf16>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<4x1024xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %y = arith.addf %x, %o : f32
    linalg.yield %y : f32
  }
  // expected-remark @below {{runs on 4 GPU threads, each walking 1024 elements serially}}
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%h : memref<4x1024xf16>) outs(%hout : memref<4xf16>) {
  ^bb0(%x: f16, %o: f16):
    %y = arith.addf %x, %o : f16
    linalg.yield %y : f16
  }
  // expected-remark @below {{runs on 4 GPU threads, each walking 1024 elements serially}}
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<4x1024xf32>) outs(%out : memref<4xf32>) {
  ^bb0(%x: f32, %o: f32):
    %half = arith.constant 0.5 : f32
    %d = arith.mulf %o, %half : f32
    %y = arith.addf %x, %d : f32
    linalg.yield %y : f32
  }
  return
}
