// Enum-typed pass and pipeline options reject values they do not name, and the
// tool exits non-zero.
// RUN: not muon-opt %s --pass-pipeline='builtin.module(convert-optim-to-linalg{ns-gemm=cublas})' 2>&1 | FileCheck %s --check-prefix=NSGEMM
// RUN: not muon-opt %s --pass-pipeline='builtin.module(convert-matmul-to-blas{runtime=mkl})' 2>&1 | FileCheck %s --check-prefix=RUNTIME
// RUN: not muon-opt %s --pass-pipeline='builtin.module(muon-gpu-pipeline{format=elf})' 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not muon-opt %s --pass-pipeline='builtin.module(optim-assign{algorithm=sgd})' 2>&1 | FileCheck %s --check-prefix=ALGORITHM
// RUN: not muon-opt %s --pass-pipeline='builtin.module(optim-assign{schedule=cubic})' 2>&1 | FileCheck %s --check-prefix=SCHEDULE
// RUN: not muon-opt %s --pass-pipeline='builtin.module(optim-assign{lr-adjust=sqrt})' 2>&1 | FileCheck %s --check-prefix=LRADJUST

// NSGEMM: for the --ns-gemm option: Cannot find option named 'cublas'!
// NSGEMM: failed to add `convert-optim-to-linalg` with options `ns-gemm=cublas`
// RUNTIME: for the --runtime option: Cannot find option named 'mkl'!
// RUNTIME: failed to add `convert-matmul-to-blas` with options `runtime=mkl`
// FORMAT: for the --format option: Cannot find option named 'elf'!
// FORMAT: failed to add `muon-gpu-pipeline` with options `format=elf`
// ALGORITHM: for the --algorithm option: Cannot find option named 'sgd'!
// SCHEDULE: for the --schedule option: Cannot find option named 'cubic'!
// LRADJUST: for the --lr-adjust option: Cannot find option named 'sqrt'!

// A chip that is no SM architecture is an option error, not a crash in NVVM's
// target checks.
// RUN: not muon-opt %s --pass-pipeline='builtin.module(muon-gpu-pipeline{chip=})' 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not muon-opt %s --pass-pipeline='builtin.module(muon-gpu-pipeline{chip=90a})' 2>&1 | FileCheck %s --check-prefix=CHIPNUMBER
// CHIP: for the --chip option: invalid CUDA chip '': expected sm_<version>, optionally with an 'a' or 'f' suffix (sm_80, sm_90a)
// CHIP: failed to add `muon-gpu-pipeline` with options `chip=`
// CHIPNUMBER: for the --chip option: invalid CUDA chip '90a'

// Numeric options out of range are errors too, not silently other settings.
// RUN: not muon-opt %s --pass-pipeline='builtin.module(optim-bucket{pad-waste=-1})' 2>&1 | FileCheck %s --check-prefix=PADWASTE
// RUN: not muon-opt %s --pass-pipeline='builtin.module(optim-bucket{max-temporary-bytes=-1})' 2>&1 | FileCheck %s --check-prefix=TEMPORARY
// They concern no op: unlocated.
// PADWASTE: {{^}}<unknown>:0: error: optim-bucket: pad-waste must be a number >= 0, got -1.00
// TEMPORARY: {{^}}<unknown>:0: error: optim-bucket: max-temporary-bytes must be >= 0, got -1

func.func @f() {
  return
}
