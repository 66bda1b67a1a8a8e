// Chips and PTX versions NVPTX would abort on are errors; what it accepts
// passes, the IR unchanged.
// RUN: muon-opt %s -muon-check-cuda-target | FileCheck %s
// RUN: muon-opt %s -muon-check-cuda-target="chip=sm_120" | FileCheck %s
// RUN: muon-opt %s -muon-check-cuda-target="chip=sm_120 features=+ptx87" | FileCheck %s
// RUN: muon-opt %s -muon-check-cuda-target="chip=sm_80 features=+ptx70" | FileCheck %s
// RUN: not muon-opt %s -muon-check-cuda-target="chip=sm_120 features=+ptx86" -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=OLD
// RUN: not muon-opt %s -muon-check-cuda-target="chip=sm_100f features=+ptx80,+ptx86" -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=LAST
// RUN: not muon-opt %s -muon-check-cuda-target="chip=sm_999" -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=UNKNOWN
// RUN: not muon-opt %s -muon-check-cuda-target="chip=ampere" -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=MALFORMED
// Through the pipeline, before any other pass runs; the stages that stop
// before the GPU binary do not check.
// RUN: not muon-opt %s --muon-gpu-pipeline="chip=sm_120 features=+ptx86" -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=OLD
// RUN: muon-opt %s --muon-gpu-pipeline="chip=sm_120 features=+ptx86 stop-after=gpu" -o /dev/null

// CHECK: func.func @f
// OLD: error: invalid CUDA target: PTX ISA 8.6 (features '+ptx86') is older than sm_120 needs: 8.7; name +ptx87 or newer, or no PTX version for the default
// LAST: error: invalid CUDA target: PTX ISA 8.6 (features '+ptx80,+ptx86') is older than sm_100f needs: 8.8
// UNKNOWN: error: invalid CUDA target: CUDA chip 'sm_999' is not one LLVM's NVPTX backend knows
// MALFORMED: error: invalid CUDA target: invalid CUDA chip 'ampere': expected sm_<version>
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
