//===- AOTCompiler.cpp - Compile a step to a shared library ---------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Compiler/AOTCompiler.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"
#include "muon/Compiler/AOTInterface.h"
#include "muon/Pipelines/Pipelines.h"
#include "muon/Step/OptimizeModule.h"
#include "muon/Step/RuntimeLibraries.h"
#include "muon/Step/StepModule.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;
using namespace muon;
using llvm::Error;
using llvm::Expected;

/// Opens `path` for writing now, so that an unwritable path fails before the
/// slow compilation; the file is removed again unless kept.
static Expected<std::unique_ptr<llvm::ToolOutputFile>>
openOutput(StringRef path, llvm::sys::fs::OpenFlags flags) {
  std::error_code error;
  auto file = std::make_unique<llvm::ToolOutputFile>(path, error, flags);
  if (error)
    return llvm::createStringError("cannot write '" + path +
                                   "': " + error.message());
  return file;
}

/// A target machine for the host triple and `cpu` (empty: the host CPU with
/// its features), producing position-independent code at -O3.
static Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(StringRef cpu) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getProcessTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return llvm::createStringError("no LLVM target for '" + triple.str() +
                                   "': " + error);
  llvm::SubtargetFeatures features;
  std::string cpuName = cpu.str();
  if (cpu.empty() || cpu == "host") {
    cpuName = llvm::sys::getHostCPUName().str();
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features.AddFeature(feature.first(), feature.second);
  }
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpuName, features.getString(), llvm::TargetOptions(),
      llvm::Reloc::PIC_, std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return llvm::createStringError("cannot create a target machine for '" +
                                   triple.str() + "'");
  if (!machine->getMCSubtargetInfo()->isCPUStringValid(cpuName))
    return llvm::createStringError("unknown CPU '" + cpuName + "' for '" +
                                   triple.str() + "'");
  return machine;
}

/// Whether the shared library at `path` itself defines one of `symbols`
/// (dlsym would also find what its dependencies, such as libc, define).
static Expected<bool> definesAnyOf(StringRef path,
                                   const llvm::StringSet<> &symbols) {
  Expected<llvm::object::OwningBinary<llvm::object::ObjectFile>> binary =
      llvm::object::ObjectFile::createObjectFile(path);
  if (!binary)
    return llvm::createStringError("cannot read runtime library '" + path +
                                   "': " + toString(binary.takeError()));
  auto *elf = dyn_cast<llvm::object::ELFObjectFileBase>(binary->getBinary());
  if (!elf)
    return llvm::createStringError("runtime library '" + path +
                                   "' is not an ELF file");
  for (const llvm::object::ELFSymbolRef &symbol :
       elf->getDynamicSymbolIterators()) {
    Expected<uint32_t> flags = symbol.getFlags();
    Expected<StringRef> name = symbol.getName();
    if (!flags || !name) {
      llvm::consumeError(flags.takeError());
      llvm::consumeError(name.takeError());
      continue;
    }
    if (!(*flags & llvm::object::SymbolRef::SF_Undefined) &&
        symbols.contains(*name))
      return true;
  }
  return false;
}

/// The runtime libraries the lowered module calls into: MLIR's C runner
/// utilities for `memrefCopy` and the like, plus the project's CPU runtime
/// for CPU GEMMs or its CUDA runtime for GPU code. Never both for CUDA: the
/// CPU runtime also defines `muon_gpu_{gemm,syrk}_*` (the GPU pipeline's
/// program emulated on CPU), and whichever library loads first would serve
/// the calls.
/// Anything else must come from libc or libm.
static Expected<SmallVector<std::string>>
getRuntimeLibraries(ModuleOp module, AOTTarget target) {
  llvm::StringSet<> external;
  for (auto func : module.getOps<LLVM::LLVMFuncOp>())
    if (func.isExternal())
      external.insert(func.getSymName());
  SmallVector<StringRef> candidates;
  if (target == AOTTarget::CUDA)
    candidates = {getCUDARuntimeLibrary(), getCRunnerUtilsLibrary()};
  else
    candidates.append(getCPURuntimeLibraries().begin(),
                      getCPURuntimeLibraries().end());
  SmallVector<std::string> needed;
  for (StringRef path : candidates) {
    Expected<bool> used = definesAnyOf(path, external);
    if (!used)
      return used.takeError();
    if (*used)
      needed.push_back(path.str());
  }
  // OpenMP constructs become runtime calls only in the translation to LLVM IR.
  bool threaded = module
                      .walk([](Operation *op) {
                        return isa<omp::OpenMPDialect>(op->getDialect())
                                   ? WalkResult::interrupt()
                                   : WalkResult::advance();
                      })
                      .wasInterrupted();
  if (threaded && !llvm::is_contained(needed, getCPURuntimeLibrary()))
    needed.push_back(getCPURuntimeLibrary().str());
  return needed;
}

/// Links `objectPath` into the shared library `outputPath` (named `libraryName`
/// in messages) with the system compiler driver; the runtime libraries are
/// found through an rpath.
static Error linkSharedLibrary(StringRef objectPath, StringRef outputPath,
                               StringRef libraryName,
                               ArrayRef<std::string> libraries) {
  llvm::ErrorOr<std::string> driver = llvm::sys::findProgramByName("cc");
  if (!driver)
    return llvm::createStringError(
        "cannot find the C compiler driver 'cc' on PATH to link the shared "
        "library; use --emit=object and link it yourself");
  SmallVector<std::string> args = {*driver,
                                   "-shared",
                                   "-o",
                                   outputPath.str(),
                                   objectPath.str(),
                                   "-Wl,--no-undefined",
                                   "-lm"};
  for (const std::string &library : libraries) {
    args.push_back(library);
    args.push_back("-Wl,-rpath," + llvm::sys::path::parent_path(library).str());
  }

  SmallString<128> logPath;
  if (std::error_code error = llvm::sys::fs::createTemporaryFile(
          "muon-compile-link", "log", logPath))
    return llvm::createStringError("cannot create a temporary file: " +
                                   error.message());
  llvm::FileRemover removeLog(logPath);
  std::optional<StringRef> redirects[] = {std::nullopt, logPath.str(),
                                          logPath.str()};
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::string errorMessage;
  int status = llvm::sys::ExecuteAndWait(*driver, argRefs, std::nullopt,
                                         redirects, 0, 0, &errorMessage);
  if (status == 0)
    return Error::success();
  std::string log;
  if (auto buffer = llvm::MemoryBuffer::getFile(logPath))
    log = (*buffer)->getBuffer().rtrim().str();
  return llvm::createStringError(
      "linking '" + libraryName + "' failed (" + llvm::join(args, " ") + ")" +
      (errorMessage.empty() ? "" : ": ") + errorMessage +
      (log.empty() ? "" : ":\n") + log);
}

/// Writes the optimized `llvmModule` as an object file to `os`.
static Error emitObject(llvm::Module &llvmModule, llvm::TargetMachine &machine,
                        llvm::raw_pwrite_stream &os) {
  llvm::legacy::PassManager codegen;
  if (machine.addPassesToEmitFile(codegen, os, nullptr,
                                  llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("the target cannot emit object files");
  codegen.run(llvmModule);
  os.flush();
  return Error::success();
}

/// The header or JSON description at `path` (none if empty), opened up
/// front and written only once the library exists.
struct DescriptionFile {
  std::unique_ptr<llvm::ToolOutputFile> file;
  void (*write)(const FunctionSignature &, AOTTarget, llvm::raw_ostream &);
};

static Error openDescriptions(const AOTCompileOptions &options,
                              SmallVectorImpl<DescriptionFile> &files) {
  for (auto [path, write] :
       {std::make_pair(StringRef(options.headerPath), writeCHeader),
        std::make_pair(StringRef(options.jsonPath), writeJSONDescription)}) {
    if (path.empty())
      continue;
    Expected<std::unique_ptr<llvm::ToolOutputFile>> file =
        openOutput(path, llvm::sys::fs::OF_Text);
    if (!file)
      return file.takeError();
    files.push_back({std::move(*file), write});
  }
  return Error::success();
}

/// Writes the header and JSON description and keeps every output.
static void finish(llvm::ToolOutputFile &output,
                   MutableArrayRef<DescriptionFile> descriptions,
                   const FunctionSignature &signature, AOTTarget target) {
  for (DescriptionFile &description : descriptions) {
    description.write(signature, target, description.file->os());
    description.file->keep();
  }
  output.keep();
}

/// Bufferization's "cannot avoid RaW conflict" on a step with in-place
/// results nearly always means the old value of an input written in place is
/// read after the write (returned too, or read by a later op); say so.
static Error explainInPlaceConflict(Error error,
                                    const FunctionSignature &signature) {
  if (llvm::none_of(signature.resultAliases,
                    [](std::optional<unsigned> alias) { return alias; }))
    return error;
  return llvm::handleErrors(
      std::move(error), [](const llvm::StringError &stringError) -> Error {
        std::string message = stringError.getMessage();
        if (StringRef(message).contains("cannot avoid RaW conflict"))
          message += " (an input written in place, optim.aliasing_output, "
                     "is read after its update: returned as well, or read by "
                     "a later op; read it before the update, or compile with "
                     "--in-place=false)";
        return llvm::createStringError(message);
      });
}

Error muon::compileAOT(StringRef inputPath, const AOTCompileOptions &options) {
  bool cuda = options.target == AOTTarget::CUDA;
  if (cuda && getCUDARuntimeLibrary().empty())
    return llvm::createStringError(
        "--target=cuda needs muon-mlir built with a CUDA toolkit (CMake "
        "found none, or MUON_CUDA=OFF)");
  // Before any output exists, so that none is left behind.
  if (cuda)
    if (Expected<std::string> features =
            resolveCUDAFeatures(options.cuda.chip, options.cuda.features);
        !features)
      return features.takeError();
  // A library is written beside its path and renamed over it at the end:
  // truncating or relinking the file in place would change the code of a
  // process that has it loaded (a bus error, or missing symbols).
  std::string writtenPath = options.outputPath;
  bool library = options.emit == AOTEmitKind::SharedLibrary;
  if (library) {
    SmallString<128> unique;
    if (std::error_code error = llvm::sys::fs::createUniqueFile(
            options.outputPath + ".%%%%%%.tmp", unique))
      return llvm::createStringError("cannot write '" + options.outputPath +
                                     "': " + error.message());
    writtenPath = unique.str().str();
  }
  Expected<std::unique_ptr<llvm::ToolOutputFile>> output =
      openOutput(writtenPath, options.emit == AOTEmitKind::LLVMIR
                                  ? llvm::sys::fs::OF_Text
                                  : llvm::sys::fs::OF_None);
  if (!output)
    return output.takeError();
  SmallVector<DescriptionFile> descriptions;
  if (Error error = openDescriptions(options, descriptions))
    return error;
  Expected<std::unique_ptr<llvm::TargetMachine>> machine =
      createTargetMachine(options.cpu);
  if (!machine)
    return machine.takeError();

  Expected<std::unique_ptr<StepModule>> step =
      StepModule::load(inputPath, options.functionName);
  if (!step)
    return step.takeError();
  const FunctionSignature &signature = (*step)->getSignature();
  ModuleOp module = (*step)->getModule();

  if (!options.inPlace)
    (*step)->dropResultAliases();
  // Inputs belong to the caller (docs/ABI.md): bufferization must copy
  // rather than update them in place, except for those that a result is
  // written into.
  markInputsReadOnly((*step)->getFunction(), signature);
  PassManager pm(&(*step)->getContext());
  pm.addPass(createSymbolDCEPass());
  if (cuda) {
    registerCUDATranslations((*step)->getContext());
    buildCUDALowering(pm, options.cuda);
  } else if (options.hostPipeline == HostPipeline::GPUEmulation) {
    MuonGPUEmulationPipelineOptions emulation;
    emulation.gemmPrecision = options.cuda.gemmPrecision;
    emulation.bucketMemory = options.cuda.bucketMemory;
    buildMuonGPUEmulationPipeline(pm, emulation);
  } else {
    MuonCPUPipelineOptions pipeline;
    pipeline.blas = options.useBlas;
    pipeline.blasRuntime = options.blasRuntime;
    pipeline.approximateMath = options.approximateMath;
    pipeline.threads = options.threads;
    pipeline.threadMinWork = options.threadMinWork;
    buildMuonCPUPipeline(pm, pipeline);
  }
  if (failed(pm.run(module)))
    return explainInPlaceConflict((*step)->takeError("lowering to LLVM failed"),
                                  signature);
  if (Error error = addFlatEntryPoint(module, signature, options.target))
    return error;
  addSignatureGlobal(module, signature, options.target);
  internalizeAllButEntryPoints(module, signature, options.target);

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, inputPath);
  if (!llvmModule)
    return (*step)->takeError("translation to LLVM IR failed");
  llvmModule->setTargetTriple((*machine)->getTargetTriple());
  llvmModule->setDataLayout((*machine)->createDataLayout());
  muon::optimizeModule(*llvmModule, **machine);

  if (options.emit == AOTEmitKind::LLVMIR) {
    llvmModule->print((*output)->os(), nullptr);
    finish(**output, descriptions, signature, options.target);
    return Error::success();
  }
  if (options.emit == AOTEmitKind::Object) {
    if (Error error = emitObject(*llvmModule, **machine, (*output)->os()))
      return error;
    finish(**output, descriptions, signature, options.target);
    return Error::success();
  }

  SmallString<128> objectPath;
  if (std::error_code error =
          llvm::sys::fs::createTemporaryFile("muon-compile", "o", objectPath))
    return llvm::createStringError("cannot create a temporary file: " +
                                   error.message());
  llvm::FileRemover removeObject(objectPath);
  {
    Expected<std::unique_ptr<llvm::ToolOutputFile>> object =
        openOutput(objectPath, llvm::sys::fs::OF_None);
    if (!object)
      return object.takeError();
    if (Error error = emitObject(*llvmModule, **machine, (*object)->os()))
      return error;
    (*object)->keep();
  }
  Expected<SmallVector<std::string>> libraries =
      getRuntimeLibraries(module, options.target);
  if (!libraries)
    return libraries.takeError();
  (*output)->os().close();
  if (Error error = linkSharedLibrary(objectPath, writtenPath,
                                      options.outputPath, *libraries))
    return error;
  if (std::error_code error =
          llvm::sys::fs::rename(writtenPath, options.outputPath))
    return llvm::createStringError("cannot move the library to '" +
                                   options.outputPath +
                                   "': " + error.message());
  finish(**output, descriptions, signature, options.target);
  return Error::success();
}
