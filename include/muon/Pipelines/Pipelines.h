//===- Pipelines.h - End-to-end muon-mlir pipelines -------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_PIPELINES_PIPELINES_H
#define MUON_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"
#include "muon/Conversion/MatmulToBlas/MatmulToBlas.h"
#include "muon/Utils/CUDATarget.h"
#include "llvm/Support/Error.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace muon {

/// Where the CPU pipeline may stop so that each stage can be inspected.
enum class CPUPipelineStage { Linalg, Bufferized, LLVM };

struct MuonCPUPipelineOptions
    : public mlir::PassPipelineOptions<MuonCPUPipelineOptions> {
  PassOptions::Option<CPUPipelineStage> stopAfter{
      *this, "stop-after", llvm::cl::desc("Last stage to run (default: llvm)"),
      llvm::cl::init(CPUPipelineStage::LLVM),
      llvm::cl::values(
          clEnumValN(CPUPipelineStage::Linalg, "linalg",
                     "optim lowered and fused, still on tensors"),
          clEnumValN(CPUPipelineStage::Bufferized, "bufferized",
                     "on memrefs, results as out-params, loops not yet "
                     "lowered"),
          clEnumValN(CPUPipelineStage::LLVM, "llvm",
                     "LLVM dialect with C-interface wrappers"))};
  PassOptions::Option<bool> bucket{
      *this, "bucket",
      llvm::cl::desc("Batch same-shaped optimizer updates into one op per "
                     "bucket first (optim-bucket). Off on CPU: a bucket "
                     "copies nothing, but one batched GEMM call per "
                     "Newton-Schulz product is no faster there than one per "
                     "matrix (GPT-2 shapes: within 3% either way, "
                     "docs/performance.md)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> blas{
      *this, "blas",
      llvm::cl::desc("Run f32 and bf16 GEMMs through the CPU runtime's "
                     "oneDNN calls instead of generated loops"),
      llvm::cl::init(true)};
  PassOptions::Option<BlasRuntime> blasRuntime{
      *this, "blas-runtime",
      llvm::cl::desc("Whose GEMM entry points the BLAS calls use"),
      llvm::cl::init(BlasRuntime::CPU),
      llvm::cl::values(
          clEnumValN(BlasRuntime::CPU, "cpu", "oneDNN (default)"),
          clEnumValN(BlasRuntime::GPU, "gpu",
                     "muon_gpu_gemm_*, as the GPU pipeline calls them; "
                     "checks that lowering on CPU"))};
  PassOptions::Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("Compute erf, exp and tanh with polynomial "
                     "approximations that vectorize (muon-approximate-math) "
                     "instead of one libm call per element"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> threads{
      *this, "parallel-loops",
      llvm::cl::desc("Run loop nests of at least `parallel-min-work` innermost "
                     "iterations on OpenMP threads: the CPU runtime's team, "
                     "shared with its oneDNN GEMMs (OMP_NUM_THREADS sets its "
                     "size, default one per core)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> threadMinWork{
      *this, "parallel-min-work",
      llvm::cl::desc("Fewest innermost iterations of a loop nest run on "
                     "threads (muon-host-parallel-loops)"),
      llvm::cl::init(32768)};
};

/// optim ops on tensors -> LLVM dialect for the execution engine or an object
/// file. Public functions take their results as trailing out-params (caller
/// allocated, static shapes) and get `_mlir_ciface_` wrappers taking one
/// pointer to a memref descriptor per argument.
void buildMuonCPUPipeline(mlir::OpPassManager &pm,
                          const MuonCPUPipelineOptions &options);

/// What `gpu-module-to-binary` embeds in the host code.
enum class CUDABinaryFormat {
  /// cubin for the chip plus its PTX, which newer GPUs' drivers can JIT.
  Fatbin,
  /// cubin only.
  Cubin,
  /// PTX only, compiled by the driver when first loaded.
  PTX,
};

/// The values of `format` (muon-gpu-pipeline) and `--cuda-format`
/// (muon-compile).
inline llvm::cl::ValuesClass getCUDABinaryFormatValues() {
  return llvm::cl::values(
      clEnumValN(CUDABinaryFormat::Fatbin, "fatbin", "cubin + PTX (default)"),
      clEnumValN(CUDABinaryFormat::Cubin, "bin", "cubin only"),
      clEnumValN(CUDABinaryFormat::PTX, "isa",
                 "PTX only, JIT-compiled by the driver"));
}

/// The GPU code to generate: the one set of defaults of muon-gpu-pipeline
/// and `muon-compile --target=cuda`.
struct CUDATargetOptions {
  /// SM architecture of the kernels: H100/H200 (`sm_90a` cubins run on
  /// sm_90 parts only; `sm_80` for A100).
  std::string chip = "sm_90a";
  /// NVPTX features; without a `+ptx<version>`, PTX ISA 8.6 or the chip's
  /// minimum when newer (resolveCUDAFeatures).
  std::string features;
  CUDABinaryFormat format = CUDABinaryFormat::Fatbin;
  /// How the imported graphs' f32 GEMMs compute (fp32 for parity).
  GemmPrecision gemmPrecision = GemmPrecision::FP32;
  /// Estimated device temporaries one optimizer bucket may hold, in bytes
  /// (`optim-bucket` max-temporary-bytes; 0: no limit).
  int64_t bucketMemory = 0;
};

/// The parser of a chip option: an option error (exit 1, or a failed
/// pipeline) for what verifyCUDAChip rejects.
class CUDAChipParser : public llvm::cl::parser<std::string> {
public:
  using parser::parser;

  /// Hides the string parser's parse, which cl::opt calls statically.
  bool parse(llvm::cl::Option &option, llvm::StringRef argName,
             llvm::StringRef arg, std::string &value);
};

/// Where the GPU pipeline may stop so that each stage can be inspected.
enum class GPUPipelineStage { Fused, Bufferized, GPU, LLVM };

struct MuonGPUPipelineOptions
    : public mlir::PassPipelineOptions<MuonGPUPipelineOptions> {
  PassOptions::Option<GPUPipelineStage> stopAfter{
      *this, "stop-after", llvm::cl::desc("Last stage to run (default: llvm)"),
      llvm::cl::init(GPUPipelineStage::LLVM),
      llvm::cl::values(
          clEnumValN(GPUPipelineStage::Fused, "fused",
                     "optimizer updates as fused kernel loop nests and GEMM "
                     "calls on buffers inside the tensor program; runs on "
                     "CPU through muon-run"),
          clEnumValN(GPUPipelineStage::Bufferized, "bufferized",
                     "on buffers, results as out-params"),
          clEnumValN(GPUPipelineStage::GPU, "gpu",
                     "device memory, kernels outlined into gpu.module and "
                     "launched with gpu.launch_func"),
          clEnumValN(GPUPipelineStage::LLVM, "llvm",
                     "LLVM dialect host code with C-interface wrappers and "
                     "the kernels embedded as a gpu.binary"))};
  PassOptions::Option<std::string, CUDAChipParser> chip{
      *this, "chip", llvm::cl::desc("GPU architecture of the cubin"),
      llvm::cl::init(CUDATargetOptions().chip)};
  PassOptions::Option<std::string> features{
      *this, "features",
      llvm::cl::desc("NVPTX features, e.g. +ptx88 (default: PTX ISA 8.6, or "
                     "the chip's minimum when newer)"),
      llvm::cl::init(CUDATargetOptions().features)};
  PassOptions::Option<CUDABinaryFormat> binaryFormat{
      *this, "format", llvm::cl::desc("What gpu-module-to-binary embeds"),
      llvm::cl::init(CUDATargetOptions().format), getCUDABinaryFormatValues()};
  PassOptions::Option<GemmPrecision> gemmPrecision{
      *this, "gemm-precision",
      llvm::cl::desc("How the f32 GEMMs of imported graphs compute "
                     "(convert-matmul-to-blas precision)"),
      llvm::cl::init(CUDATargetOptions().gemmPrecision),
      getGemmPrecisionValues()};
  PassOptions::Option<bool> bucket{
      *this, "bucket",
      llvm::cl::desc("Batch same-shaped optimizer updates into one op per "
                     "bucket first (optim-bucket), so that kernels and GEMMs "
                     "per bucket do not grow with its parameters"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> bucketMemory{
      *this, "bucket-memory",
      llvm::cl::desc("Estimated device temporaries one Muon-family bucket "
                     "may hold, in bytes (optim-bucket max-temporary-bytes; "
                     "0: no limit)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> cooperativeThreshold{
      *this, "cooperative-threshold",
      llvm::cl::desc("Reduction length from which a block of threads "
                     "reduces each output element "
                     "(convert-linalg-to-thread-loops)"),
      llvm::cl::init(32)};
};

/// optim ops on tensors -> host code in the LLVM dialect calling the GPU
/// runtime (`mgpu*` and the `muon_gpu_gemm_*` GEMMs), kernels embedded as a
/// fatbin. Public functions take device buffers, results as trailing
/// out-params, with `_mlir_ciface_` wrappers.
void buildMuonGPUPipeline(mlir::OpPassManager &pm,
                          const MuonGPUPipelineOptions &options);

struct MuonGPUEmulationPipelineOptions
    : public mlir::PassPipelineOptions<MuonGPUEmulationPipelineOptions> {
  PassOptions::Option<bool> bucket{
      *this, "bucket",
      llvm::cl::desc("As in muon-gpu-pipeline (optim-bucket first)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> bucketMemory{
      *this, "bucket-memory",
      llvm::cl::desc("As in muon-gpu-pipeline (temporaries per bucket)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> cooperativeThreshold{
      *this, "cooperative-threshold",
      llvm::cl::desc("As in muon-gpu-pipeline (cooperative reductions)"),
      llvm::cl::init(32)};
  PassOptions::Option<GemmPrecision> gemmPrecision{
      *this, "gemm-precision",
      llvm::cl::desc("As in muon-gpu-pipeline (the CPU runtime rounds the "
                     "GEMM inputs as the tensor cores do)"),
      llvm::cl::init(GemmPrecision::FP32), getGemmPrecisionValues()};
};

/// The GPU pipeline up to its `gpu` stage, whose kernels and device memory
/// operations then run on the host (`convert-gpu-to-host-loops`), lowered
/// like the CPU pipeline's code: everything the GPU pipeline does short of
/// NVVM, executable (and checked against references) without a GPU. The
/// GEMMs call the CPU runtime's `muon_gpu_*` entry points.
void buildMuonGPUEmulationPipeline(
    mlir::OpPassManager &pm, const MuonGPUEmulationPipelineOptions &options);

/// What lowers a module for execution on the host (muon-run, muon-compile
/// --target=cpu).
enum class HostPipeline {
  /// `muon-cpu-pipeline`.
  CPU,
  /// `muon-gpu-emulation-pipeline`: the GPU program, run on the host.
  GPUEmulation,
};

/// The values of muon-run's and muon-compile's `--pipeline`.
inline llvm::cl::ValuesClass getHostPipelineValues() {
  return llvm::cl::values(
      clEnumValN(HostPipeline::CPU, "cpu", "muon-cpu-pipeline"),
      clEnumValN(HostPipeline::GPUEmulation, "gpu-emulation",
                 "muon-gpu-emulation-pipeline: the GPU program, kernels and "
                 "device memory run on the host"));
}

/// Registers `muon-cpu-pipeline` (and later pipelines) with the pass registry.
void registerMuonPipelines();

} // namespace muon

#endif // MUON_PIPELINES_PIPELINES_H
