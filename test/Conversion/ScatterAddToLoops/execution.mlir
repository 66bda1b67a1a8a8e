// The lowered scatter-add executed, on the CPU (loop nest) and as the GPU
// program emulated on the host (atomic adds in a kernel): repeated indices
// accumulate, -1 is the last row, and the out-of-range 5 and -7 (still < 0
// after wrapping) skip their rows, leaving rows 1 and 2 untouched.
// Rows by hand: 0: 1 + [1 2] + [7 8] = [9 11]; 3: 1 + [100 200] + [1000 2000].
// RUN: muon-run %s --pipeline=cpu --input=4x2xf32=1 --input=6xi64=0,5,-1,3,-7,0 \
// RUN:   --input=6x2xf32=1,2,10,20,100,200,1000,2000,5,5,7,8 \
// RUN:   --expected_output="4x2xf32=[9 11][1 1][1 1][1101 2201]" --expected_f32_threshold=0
// RUN: muon-run %s --pipeline=gpu-emulation --input=4x2xf32=1 --input=6xi64=0,5,-1,3,-7,0 \
// RUN:   --input=6x2xf32=1,2,10,20,100,200,1000,2000,5,5,7,8 \
// RUN:   --expected_output="4x2xf32=[9 11][1 1][1 1][1101 2201]" --expected_f32_threshold=0
func.func @scatter(%table: tensor<4x2xf32>, %ids: tensor<6xi64>, %dy: tensor<6x2xf32>) -> tensor<4x2xf32> {
  %r = optim.scatter_add %dy into %table[%ids] : tensor<6x2xf32>, tensor<6xi64> into tensor<4x2xf32> -> tensor<4x2xf32>
  return %r : tensor<4x2xf32>
}
