//===- consumer-compiler.cpp - A compiler that embeds muon-mlir -----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// What a training compiler (IREE-, onnx-mlir- or torch-mlir-style) adds to
// run muon-mlir's optimizer steps: register the optim dialect next to its
// own dialects, then put optim-assign and a muon-mlir pipeline into its pass
// manager after autodiff has produced the optimizer updates and before its
// own bufferization (docs/integrating.md).
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"
#include "muon/Dialect/Optim/Transforms/Passes.h"
#include "muon/InitAll.h"
#include "muon/Pipelines/Pipelines.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

static llvm::cl::opt<std::string> inputFile(llvm::cl::Positional,
                                            llvm::cl::desc("<input .mlir>"),
                                            llvm::cl::init("-"));
static llvm::cl::opt<std::string> outputFile("o", llvm::cl::desc("Output file"),
                                             llvm::cl::init("-"));
// Not `stop-after`: libLLVM registers that name for its codegen.
static llvm::cl::opt<muon::CPUPipelineStage>
    lastStage("last-stage", llvm::cl::desc("Last stage of the CPU pipeline"),
              llvm::cl::init(muon::CPUPipelineStage::LLVM),
              llvm::cl::values(clEnumValN(muon::CPUPipelineStage::Linalg,
                                          "linalg", "on tensors"),
                               clEnumValN(muon::CPUPipelineStage::Bufferized,
                                          "bufferized", "on memrefs"),
                               clEnumValN(muon::CPUPipelineStage::LLVM, "llvm",
                                          "LLVM dialect")));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::ParseCommandLineOptions(
      argc, argv, "consumer-compiler: upstream dialects plus muon-mlir\n");

  // The host compiler's dialects (here all of upstream's, with the external
  // models bufferization and the LLVM lowering need), plus optim.
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  muon::registerAllDialects(registry);
  MLIRContext context(registry);

  std::string error;
  auto input = openInputFile(inputFile, &error);
  if (!input) {
    llvm::errs() << error << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  // Errors as file:line:col with the offending source line.
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  // The host's own cleanup, then muon-mlir: choose Muon or AdamW per
  // parameter, then lower the updates (here all the way with the CPU
  // pipeline; a compiler with its own bufferization stops at `linalg`).
  PassManager pm(&context);
  pm.addPass(createCanonicalizerPass());
  pm.addPass(muon::optim::createOptimAssignPass());
  muon::MuonCPUPipelineOptions options;
  options.stopAfter = lastStage;
  muon::buildMuonCPUPipeline(pm, options);
  if (failed(pm.run(*module)))
    return 1;

  auto output = openOutputFile(outputFile, &error);
  if (!output) {
    llvm::errs() << error << "\n";
    return 1;
  }
  module->print(output->os());
  output->os() << "\n";
  output->keep();
  return 0;
}
