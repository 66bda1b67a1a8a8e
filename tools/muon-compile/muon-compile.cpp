//===- muon-compile.cpp - Compile a step module ahead of time -------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Compiles one function of a module to a shared library with the C ABI of
// docs/ABI.md, a C header and a JSON description for the Python wrapper:
//
//   muon-compile step.mlir --target=cpu -o libstep.so --header=step.h
//   muon-compile step.mlir --target=cuda -o libstep.so --header=step.h
//
// All logic lives in lib/Compiler; this file maps flags onto it.
//
//===----------------------------------------------------------------------===//

#include "muon/Compiler/AOTCompiler.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/WithColor.h"

#include <cstdlib>

using namespace muon;
namespace cl = llvm::cl;

static cl::OptionCategory compileCategory("muon-compile options");

static cl::opt<std::string>
    inputFilename(cl::Positional,
                  cl::desc("<module: .mlir text or bytecode, '-' for stdin; "
                           "e.g. muon-compile step.mlir -o libstep.so>"),
                  cl::init("-"), cl::cat(compileCategory));

static cl::opt<std::string>
    outputFilename("o", cl::desc("Output file, e.g. -o libstep.so"),
                   cl::value_desc("path"), cl::Required,
                   cl::cat(compileCategory));

static cl::opt<std::string> functionName(
    "function",
    cl::desc("Function to compile, e.g. --function=step (default: the "
             "module's only public function)"),
    cl::value_desc("name"), cl::cat(compileCategory));

static cl::opt<AOTTarget> target(
    "target", cl::desc("Where the code runs, e.g. --target=cpu"),
    cl::values(clEnumValN(AOTTarget::CPU, "cpu", "the host architecture"),
               clEnumValN(AOTTarget::CUDA, "cuda",
                          "NVIDIA GPUs: host code calling the CUDA runtime, "
                          "kernels embedded as a GPU binary")),
    cl::init(AOTTarget::CPU), cl::cat(compileCategory));

static cl::opt<std::string>
    cpu("cpu",
        cl::desc("CPU to generate code for, e.g. --cpu=x86-64-v3 for an "
                 "artifact that runs on any AVX2 machine (default: host, the "
                 "CPU and features of this machine)"),
        cl::value_desc("name"), cl::init("host"), cl::cat(compileCategory));

// Help texts name the defaults the GPU pipeline defines.
static const std::string cudaChipHelp =
    "--target=cuda: SM architecture of the kernels, e.g. --cuda-chip=sm_80 "
    "(default: " +
    CUDATargetOptions().chip + ", H100/H200)";
static const std::string cudaFeaturesHelp =
    "--target=cuda: NVPTX features, e.g. --cuda-features=+ptx88 (default: "
    "PTX ISA 8.6, or the chip's minimum when newer)";

static cl::opt<std::string> cudaChip("cuda-chip", cl::desc(cudaChipHelp),
                                     cl::value_desc("sm_XY"),
                                     cl::init(CUDATargetOptions().chip),
                                     cl::cat(compileCategory));

static cl::opt<std::string> cudaFeatures("cuda-features",
                                         cl::desc(cudaFeaturesHelp),
                                         cl::value_desc("features"),
                                         cl::init(CUDATargetOptions().features),
                                         cl::cat(compileCategory));

static cl::opt<CUDABinaryFormat> cudaFormat(
    "cuda-format",
    cl::desc("--target=cuda: the embedded GPU binary, e.g. --cuda-format=bin"),
    getCUDABinaryFormatValues(), cl::init(CUDABinaryFormat::Fatbin),
    cl::cat(compileCategory));

static cl::opt<GemmPrecision> gemmPrecision(
    "gemm-precision",
    cl::desc("--target=cuda and --pipeline=gpu-emulation: how the f32 GEMMs "
             "of imported graphs compute, e.g. --gemm-precision=tf32 "
             "(default fp32, for parity with fp32 references)"),
    getGemmPrecisionValues(), cl::init(CUDATargetOptions().gemmPrecision),
    cl::cat(compileCategory));

static cl::opt<int64_t> bucketMemory(
    "bucket-memory",
    cl::desc("Estimated device temporaries one optimizer bucket may hold, "
             "in bytes (--target=cuda and --pipeline=gpu-emulation; 0: no "
             "limit): a budget trades launches for memory"),
    cl::init(0), cl::cat(compileCategory));

static cl::opt<AOTEmitKind>
    emit("emit", cl::desc("What to write to -o, e.g. --emit=object"),
         cl::values(clEnumValN(AOTEmitKind::SharedLibrary, "shared",
                               "a shared library (default)"),
                    clEnumValN(AOTEmitKind::Object, "object",
                               "a relocatable object file"),
                    clEnumValN(AOTEmitKind::LLVMIR, "llvm-ir",
                               "optimized LLVM IR text")),
         cl::init(AOTEmitKind::SharedLibrary), cl::cat(compileCategory));

static cl::opt<std::string>
    headerFilename("header",
                   cl::desc("Also write a C header, e.g. --header=step.h"),
                   cl::value_desc("path"), cl::cat(compileCategory));

static cl::opt<bool> noJSON(
    "no-json",
    cl::desc("Do not write the JSON description '<output>.json' that "
             "python/muon_mlir/aot.py reads (written for --emit=shared)"),
    cl::cat(compileCategory));

static cl::opt<bool> inPlace(
    "in-place",
    cl::desc("Write each result tied to an argument by "
             "'optim.aliasing_output = N' into that argument's buffer "
             "(default); --in-place=false ignores the marking and returns "
             "every result in a caller-allocated buffer"),
    cl::init(true), cl::cat(compileCategory));

static cl::opt<bool> useBlas(
    "blas",
    cl::desc("Run f32/bf16 GEMMs through the CPU runtime's oneDNN calls; "
             "--blas=false generates loops instead"),
    cl::init(true), cl::cat(compileCategory));

static cl::opt<bool> approximateMath(
    "approximate-math",
    cl::desc("Compute erf/exp/tanh with vectorizable polynomials (default); "
             "--approximate-math=false calls libm per element"),
    cl::init(true), cl::cat(compileCategory));

static cl::opt<bool>
    threads("parallel-loops",
            cl::desc("Run large loop nests on OpenMP threads, the team the CPU "
                     "runtime's GEMMs use (OMP_NUM_THREADS sets its size); "
                     "--parallel-loops=false keeps them on the calling thread"),
            cl::init(true), cl::cat(compileCategory));

static cl::opt<int64_t> threadMinWork(
    "parallel-min-work",
    cl::desc("Fewest innermost iterations of a loop nest run on threads"),
    cl::init(32768), cl::cat(compileCategory));

static cl::opt<BlasRuntime> blasRuntime(
    "blas-runtime",
    cl::desc("Whose GEMM entry points --blas calls (--target=cpu)"),
    cl::init(BlasRuntime::CPU),
    cl::values(clEnumValN(BlasRuntime::CPU, "cpu", "oneDNN"),
               clEnumValN(BlasRuntime::GPU, "gpu",
                          "muon_gpu_gemm_*, as the GPU pipeline calls them "
                          "(CPU implementation): checks that lowering on "
                          "CPU")),
    cl::cat(compileCategory));

static cl::opt<HostPipeline>
    hostPipeline("pipeline", cl::desc("How --target=cpu lowers the module"),
                 getHostPipelineValues(), cl::init(HostPipeline::CPU),
                 cl::cat(compileCategory));

/// Backends report some bad options (e.g. a PTX version too old for the
/// chip) as fatal errors: one error line and exit 1, outputs removed, rather
/// than an abort with a stack dump.
static void reportFatalError(void *, const char *reason, bool) {
  llvm::WithColor::error(llvm::errs(), "muon-compile") << reason << "\n";
  llvm::sys::RunInterruptHandlers();
  std::exit(1);
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::install_fatal_error_handler(reportFatalError);
  cl::HideUnrelatedOptions(compileCategory);
  cl::ParseCommandLineOptions(
      argc, argv, "muon-compile: compile a step to a shared library\n");

  if (target == AOTTarget::CUDA && hostPipeline != HostPipeline::CPU) {
    llvm::WithColor::error(llvm::errs(), "muon-compile")
        << "--pipeline applies to --target=cpu only\n";
    return 1;
  }
  if (target == AOTTarget::CPU && hostPipeline == HostPipeline::CPU &&
      gemmPrecision != GemmPrecision::FP32) {
    llvm::WithColor::error(llvm::errs(), "muon-compile")
        << "--gemm-precision applies to --target=cuda and "
           "--pipeline=gpu-emulation only\n";
    return 1;
  }
  if (target == AOTTarget::CPU && hostPipeline == HostPipeline::CPU &&
      bucketMemory != 0) {
    llvm::WithColor::error(llvm::errs(), "muon-compile")
        << "--bucket-memory applies to --target=cuda and "
           "--pipeline=gpu-emulation only\n";
    return 1;
  }
  if (bucketMemory < 0) {
    llvm::WithColor::error(llvm::errs(), "muon-compile")
        << "--bucket-memory must be >= 0, got " << bucketMemory << "\n";
    return 1;
  }
  if (threadMinWork < 0) {
    llvm::WithColor::error(llvm::errs(), "muon-compile")
        << "--parallel-min-work must be >= 0, got " << threadMinWork << "\n";
    return 1;
  }
  AOTCompileOptions options;
  options.functionName = functionName;
  options.target = target;
  options.cpu = cpu;
  options.emit = emit;
  options.outputPath = outputFilename;
  options.headerPath = headerFilename;
  if (emit == AOTEmitKind::SharedLibrary && !noJSON)
    options.jsonPath = outputFilename + ".json";
  options.inPlace = inPlace;
  options.useBlas = useBlas;
  options.blasRuntime = blasRuntime;
  options.approximateMath = approximateMath;
  options.threads = threads;
  options.threadMinWork = threadMinWork;
  options.hostPipeline = hostPipeline;
  options.cuda.chip = cudaChip;
  options.cuda.features = cudaFeatures;
  options.cuda.format = cudaFormat;
  options.cuda.gemmPrecision = gemmPrecision;
  options.cuda.bucketMemory = bucketMemory;
  if (llvm::Error error = compileAOT(inputFilename, options)) {
    llvm::WithColor::error(llvm::errs(), "muon-compile")
        << llvm::toString(std::move(error)) << "\n";
    return 1;
  }
  return 0;
}
