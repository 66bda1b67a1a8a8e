// muon-compile --target=cuda on a small linalg step (until the project's GPU
// pipeline lands it runs upstream's generic lowering): host code with the
// kernel embedded as a fatbin and loaded by a global constructor, the flat
// entry point taking device pointers and a stream and returning the
// runtime's status, a header that compiles as C and C++, a JSON sidecar, and
// a library whose every undefined symbol the CUDA runtime and libraries
// resolve (checked by linking a C caller; nothing is run without a GPU).

// REQUIRES: cuda
// RUN: rm -rf %t && mkdir -p %t/stubs
// RUN: muon-compile %s --target=cuda --emit=llvm-ir -o %t/axpby.ll
// RUN: FileCheck %s --check-prefix=IR --input-file=%t/axpby.ll
// RUN: muon-compile %s --target=cuda -o %t/libaxpby.so --header=%t/axpby.h
// RUN: FileCheck %s --check-prefix=HEADER --input-file=%t/axpby.h
// RUN: FileCheck %s --check-prefix=JSON --input-file=%t/libaxpby.so.json
// RUN: cc -fsyntax-only -Wall -Wextra -Werror -x c %t/axpby.h
// RUN: c++ -fsyntax-only -Wall -Wextra -Werror -x c++ %t/axpby.h
// RUN: llvm-nm -D --defined-only %t/libaxpby.so | FileCheck %s --check-prefix=EXPORTS
// RUN: llvm-readelf -d %t/libaxpby.so | FileCheck %s --check-prefix=NEEDED

// The driver's stub stands in for libcuda.so.1 at link time only.
// RUN: ln -s %cuda_driver_library %t/stubs/libcuda.so.1
// RUN: cc -Wall -Werror -I%t %S/Inputs/call_cuda_axpby.c -o %t/call %t/libaxpby.so %muon_obj_root/lib/libmuon_cuda_runtime.so -Wl,--no-allow-shlib-undefined -Wl,-rpath-link,%t/stubs:%cuda_library_dir

// IR-DAG:  @axpby_kernel_binary = internal constant [{{[0-9]+}} x i8] c"P\EDU\BA
// IR-DAG:  @llvm.global_ctors = {{.*}} @axpby_kernel_load
// IR:      define i32 @muon_axpby(ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}}, ptr {{.*}})
// IR:        call void @muon_gpu_begin(ptr
// IR:        %[[STATUS:.+]] = {{(tail )?}}call i32 @muon_gpu_end()
// IR-NEXT:   ret i32 %[[STATUS]]
// IR-NOT:  define {{.*}}void @_mlir_ciface_axpby
// IR-DAG:  declare {{.*}}ptr @mgpuModuleLoad(ptr{{.*}}, i64{{.*}})
// IR-DAG:  declare void @mgpuLaunchKernel(ptr{{.*}}, i64{{.*}}, i64{{.*}}, i64{{.*}}, i64{{.*}}, i64{{.*}}, i64{{.*}}, i32{{.*}}, ptr{{.*}}, ptr{{.*}}, ptr{{.*}}, i64{{.*}})

// HEADER:      #define MUON_AXPBY_ABI_VERSION 2
// HEADER:      int muon_axpby(
// HEADER-NEXT:     const float *x, /* in  0: tensor<300x70xf32> */
// HEADER-NEXT:     const float *y, /* in  1: tensor<300x70xf32> */
// HEADER-NEXT:     const float *a, /* in  2: tensor<f32> */
// HEADER-NEXT:     float *r, /* out 0: tensor<300x70xf32> */
// HEADER-NEXT:     void *stream);
// HEADER:      const char *muon_gpu_last_error(void);
// HEADER-NOT:  _mlir_ciface

// JSON:      "abi_version": 2,
// JSON-NEXT: "target": "cuda",
// JSON-NEXT: "function": "axpby",
// JSON-NEXT: "entry_point": "muon_axpby",
// JSON-NEXT: "inputs": [

// Only the flat entry point is exported.
// EXPORTS-NOT: {{ T }}
// EXPORTS:     T muon_axpby
// EXPORTS-NOT: {{ T }}

// NEEDED: (NEEDED) Shared library: [libmuon_cuda_runtime.so]

#id = affine_map<(d0, d1) -> (d0, d1)>
#scalar = affine_map<(d0, d1) -> ()>
func.func @axpby(%x: tensor<300x70xf32>, %y: tensor<300x70xf32>,
                 %a: tensor<f32>) -> tensor<300x70xf32> {
  %init = tensor.empty() : tensor<300x70xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #scalar, #id],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %y, %a : tensor<300x70xf32>, tensor<300x70xf32>, tensor<f32>)
      outs(%init : tensor<300x70xf32>) {
  ^bb0(%xi: f32, %yi: f32, %ai: f32, %o: f32):
    %p = arith.mulf %ai, %xi : f32
    %s = arith.addf %p, %yi : f32
    linalg.yield %s : f32
  } -> tensor<300x70xf32>
  return %r : tensor<300x70xf32>
}
