//===- muon-run.cpp - JIT-execute a function of an MLIR module ------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Runs one function of a module on CPU through the muon CPU pipeline and the
// upstream ExecutionEngine, with iree-run-module's flag grammar:
//
//   muon-run step.mlir --function=step --input=@w.npy --input=f32=0.02 \
//       --output=@w1.npy
//
// All logic lives in lib/Runner; this file maps flags onto it.
//
//===----------------------------------------------------------------------===//

#include "muon/Runner/InputSpec.h"
#include "muon/Runner/JitRunner.h"
#include "muon/Runner/Npy.h"
#include "muon/Runner/TensorPrinter.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace muon;
namespace cl = llvm::cl;

static cl::OptionCategory runCategory("muon-run options");

static cl::opt<std::string>
    moduleFilename(cl::Positional,
                   cl::desc("<module: .mlir text or bytecode, '-' for stdin; "
                            "e.g. muon-run step.mlir>"),
                   cl::init("-"), cl::cat(runCategory));

static cl::opt<std::string> functionName(
    "function",
    cl::desc("Function to run, e.g. --function=step (default: the module's "
             "only public function)"),
    cl::value_desc("name"), cl::cat(runCategory));

static cl::list<std::string> inputSpecs(
    "input",
    cl::desc("One argument, repeated in argument order: a .npy file "
             "(--input=@w.npy), an ONNX TensorProto file (--input=@w.pb), an "
             "inline tensor (--input=2x2xf32=1,2,3,4), a "
             "splat (--input=4xf32=0.5) or a 0-d tensor (--input=f32=0.02); "
             "element types f16 bf16 f32 f64 i1 i8 i16 i32 i64"),
    cl::value_desc("value"), cl::cat(runCategory));

static cl::list<std::string> outputSpecs(
    "output",
    cl::desc("Where a result goes, repeated in result order: a .npy file "
             "(--output=@w1.npy) or stdout (--output=-); results without an "
             "--output are printed"),
    cl::value_desc("@file.npy|-"), cl::cat(runCategory));

static cl::list<std::string> expectedOutputSpecs(
    "expected_output",
    cl::desc("Expected value of a result, repeated in result order, same "
             "grammar as --input, e.g. --expected_output=2xf32=1,2; exits "
             "with status 1 on a mismatch"),
    cl::value_desc("value"), cl::cat(runCategory));

static cl::opt<double> expectedF32Threshold(
    "expected_f32_threshold",
    cl::desc("Largest relative Frobenius error ||got - expected|| / "
             "||expected|| --expected_output accepts for float results, e.g. "
             "--expected_f32_threshold=1e-3 (NaN must meet NaN at the same "
             "position; integer results must match exactly)"),
    cl::init(1e-5), cl::cat(runCategory));

static cl::list<std::string> sharedLibs(
    "shared-libs",
    cl::desc("Extra runtime libraries the compiled code may call, comma "
             "separated, e.g. --shared-libs=libmuon_cpu_runtime.so"),
    cl::CommaSeparated, cl::value_desc("path"), cl::cat(runCategory));

static cl::opt<int64_t> printMaxElementCount(
    "print_max_element_count",
    cl::desc("Elements printed per result before truncating, e.g. "
             "--print_max_element_count=16"),
    cl::init(1024), cl::cat(runCategory));

static cl::opt<HostPipeline> pipeline("pipeline",
                                      cl::desc("How the module is lowered"),
                                      getHostPipelineValues(),
                                      cl::init(HostPipeline::CPU),
                                      cl::cat(runCategory));

static cl::opt<bool> useBlas(
    "blas",
    cl::desc("Run f32/bf16 GEMMs through the CPU runtime's oneDNN calls; "
             "--blas=false generates loops instead"),
    cl::init(true), cl::cat(runCategory));

static cl::opt<bool> bucket(
    "bucket",
    cl::desc("Batch same-shaped optimizer updates into one op per bucket "
             "(optim-bucket) first, e.g. --bucket=true; off by default on "
             "CPU, where it is no faster, on in --pipeline=gpu-emulation"),
    cl::init(false), cl::cat(runCategory));

static cl::opt<int64_t> cooperativeThreshold(
    "cooperative-threshold",
    cl::desc("--pipeline=gpu-emulation: reduction length from which a block "
             "of threads reduces each output element, e.g. "
             "--cooperative-threshold=1 to run every reduction that way"),
    cl::init(32), cl::cat(runCategory));

static cl::opt<unsigned> benchmarkRepetitions(
    "benchmark_repetitions",
    cl::desc("Time this many extra calls after the first and print "
             "'benchmark: ...' with the median, e.g. "
             "--benchmark_repetitions=10"),
    cl::init(0), cl::cat(runCategory));

static cl::opt<bool> printIRAfterPipeline(
    "print-ir-after-pipeline",
    cl::desc("Print the module to stderr once lowered to the LLVM dialect, "
             "e.g. --print-ir-after-pipeline"),
    cl::cat(runCategory));

/// Checks result `index` against its expected value.
static llvm::Error checkResult(unsigned index, const HostTensor &got,
                               const HostTensor &expected) {
  double threshold = isFloatElementType(got.getElementType())
                         ? expectedF32Threshold.getValue()
                         : 0.0;
  double error = getRelativeError(got, expected);
  // Written so that a NaN error fails.
  if (error <= threshold)
    return llvm::Error::success();
  return llvm::createStringError(
      "result %u does not match --expected_output: relative error %g exceeds "
      "threshold %g",
      index, error, threshold);
}

static llvm::Error runModule() {
  JitRunnerOptions options;
  options.functionName = functionName;
  if (!(expectedF32Threshold >= 0.0)) // NaN too
    return llvm::createStringError(
        "--expected_f32_threshold must be a number >= 0, got %g",
        expectedF32Threshold.getValue());
  if (printMaxElementCount < 0)
    return llvm::createStringError(
        "--print_max_element_count must be >= 0, got %lld",
        static_cast<long long>(printMaxElementCount.getValue()));
  // `--shared-libs=a,,b` or an empty flag name no library.
  for (const std::string &path : sharedLibs)
    if (!path.empty())
      options.sharedLibPaths.push_back(path);
  options.printIRAfterPipeline = printIRAfterPipeline;
  options.pipeline = pipeline;
  options.useBlas = useBlas;
  if (bucket.getNumOccurrences())
    options.bucket = bucket;
  options.cooperativeThreshold = cooperativeThreshold;
  options.benchmarkRepetitions = benchmarkRepetitions;
  llvm::Expected<std::unique_ptr<JitRunner>> runner =
      JitRunner::load(moduleFilename, std::move(options));
  if (!runner)
    return runner.takeError();
  size_t numResults = (*runner)->getSignature().getNumUserResults();

  // Every flag is checked before the (slow) compilation starts.
  llvm::Expected<llvm::SmallVector<HostTensor>> inputs =
      parseTensorSpecs("input", inputSpecs);
  if (!inputs)
    return inputs.takeError();
  if (llvm::Error error = (*runner)->matchInputs(*inputs))
    return error;
  llvm::Expected<llvm::SmallVector<HostTensor>> expected =
      parseTensorSpecs("expected_output", expectedOutputSpecs);
  if (!expected)
    return expected.takeError();
  if (!expected->empty())
    if (llvm::Error error = (*runner)->matchResults(*expected))
      return error;
  if (outputSpecs.size() > numResults)
    return llvm::createStringError("too many --output flags: function '" +
                                   (*runner)->getSignature().name + "' has " +
                                   llvm::Twine(numResults) + " results, got " +
                                   llvm::Twine(outputSpecs.size()));
  llvm::SmallVector<OutputSpec> outputs;
  for (const std::string &spec : outputSpecs) {
    llvm::Expected<OutputSpec> output = parseOutputSpec(spec);
    if (!output)
      return output.takeError();
    outputs.push_back(std::move(*output));
  }

  llvm::Expected<llvm::SmallVector<HostTensor>> results =
      (*runner)->run(*inputs);
  if (!results)
    return results.takeError();
  for (auto [index, result] : llvm::enumerate(*results)) {
    if (index < outputs.size() && outputs[index].npyPath) {
      if (llvm::Error error = writeNpyFile(*outputs[index].npyPath, result))
        return error;
      continue;
    }
    llvm::outs() << "result[" << index << "]: ";
    printTensor(llvm::outs(), result, printMaxElementCount);
    llvm::outs() << '\n';
  }
  if (llvm::ArrayRef<double> times = (*runner)->getBenchmarkTimesMs();
      !times.empty()) {
    llvm::SmallVector<double> sorted(times);
    llvm::sort(sorted);
    llvm::outs() << llvm::format(
        "benchmark: %zu runs of @%s: median %.3f ms, min %.3f ms, max %.3f "
        "ms\n",
        sorted.size(), (*runner)->getSignature().name.c_str(),
        sorted[sorted.size() / 2], sorted.front(), sorted.back());
  }
  llvm::outs().flush();
  for (auto [index, pair] : llvm::enumerate(llvm::zip(*results, *expected)))
    if (llvm::Error error =
            checkResult(index, std::get<0>(pair), std::get<1>(pair)))
      return error;
  return llvm::Error::success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(runCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "muon-run: JIT-execute a function of an MLIR module on CPU\n\n"
      "  muon-run step.mlir --function=step --input=@w.npy --input=f32=0.02 "
      "--output=@w1.npy\n");
  if (llvm::Error error = runModule()) {
    llvm::WithColor::error(llvm::errs(), "muon-run")
        << llvm::toString(std::move(error)) << '\n';
    return 1;
  }
  return 0;
}
