//===- JitRunner.cpp - Run a function of an MLIR module on CPU ------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Runner/JitRunner.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "muon/Pipelines/Pipelines.h"
#include "muon/Step/OptimizeModule.h"
#include "muon/Step/RuntimeLibraries.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/TargetSelect.h"

#include <chrono>

using namespace mlir;
using namespace muon;
using llvm::Error;
using llvm::Expected;

struct JitRunner::Impl {
  std::unique_ptr<StepModule> step;
  JitRunnerOptions options;
  SmallVector<double> benchmarkTimesMs;
};

JitRunner::JitRunner(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
JitRunner::~JitRunner() = default;

const FunctionSignature &JitRunner::getSignature() const {
  return impl->step->getSignature();
}

/// Arguments and results are allocated on the host: a signature that cannot
/// fit is reported before anything is parsed, allocated or compiled.
static Error checkMemoryNeeded(const FunctionSignature &signature,
                               uint64_t maxBytes) {
  uint64_t total = 0;
  for (const HostTensorType &type :
       llvm::concat<const HostTensorType>(signature.inputs, signature.results))
    // StepModule has checked that each size fits in 64 bits.
    total = llvm::SaturatingAdd(total, *type.getByteSize());
  if (total <= maxBytes)
    return Error::success();
  return llvm::createStringError(
      "function '" + signature.name +
      "' cannot run here: its arguments and results take " + Twine(total) +
      " bytes, more than the limit of " + Twine(maxBytes) +
      " bytes (this machine's memory)");
}

Expected<std::unique_ptr<JitRunner>> JitRunner::load(StringRef path,
                                                     JitRunnerOptions options) {
  Expected<std::unique_ptr<StepModule>> step =
      StepModule::load(path, options.functionName);
  if (!step)
    return step.takeError();
  // muon-run returns every result; in-place markings are muon-compile's ABI.
  (*step)->dropResultAliases();
  if (Error error =
          checkMemoryNeeded((*step)->getSignature(), options.maxTensorBytes))
    return std::move(error);
  auto impl = std::make_unique<Impl>();
  impl->step = std::move(*step);
  impl->options = std::move(options);
  return std::unique_ptr<JitRunner>(new JitRunner(std::move(impl)));
}

//===----------------------------------------------------------------------===//
// Signature checks
//===----------------------------------------------------------------------===//

static Error matchValues(MutableArrayRef<HostTensor> values,
                         ArrayRef<HostTensorType> types, StringRef function,
                         StringRef what) {
  if (values.size() != types.size())
    return llvm::createStringError("wrong number of " + what + "s: function '" +
                                   function + "' has " + Twine(types.size()) +
                                   ", got " + Twine(values.size()));
  for (auto [index, value, type] : llvm::enumerate(values, types)) {
    if (value.getElementType() == ElementType::F32 &&
        travelsAsF32(type.elementType))
      value = value.convertTo(type.elementType);
    if (value.getElementType() == getByteCarrier(type.elementType) &&
        value.getShape() == ArrayRef(type.shape)) {
      Expected<HostTensor> narrowed = value.narrowTo(type.elementType);
      if (!narrowed)
        return llvm::createStringError(what + " " + Twine(index) + ": " +
                                       toString(narrowed.takeError()));
      value = std::move(*narrowed);
    }
    StringRef mismatch;
    if (value.getElementType() != type.elementType)
      mismatch = "element type";
    else if (value.getShape() != ArrayRef(type.shape))
      mismatch = "shape";
    else
      continue;
    return llvm::createStringError(
        mismatch + " mismatch for " + what + " " + Twine(index) +
        ": function '" + function + "' expects " + type.getTensorTypeName() +
        ", got " + value.getType().getTensorTypeName());
  }
  return Error::success();
}

Error JitRunner::matchInputs(MutableArrayRef<HostTensor> inputs) const {
  const FunctionSignature &signature = getSignature();
  return matchValues(inputs, signature.inputs, signature.name, "input");
}

Error JitRunner::matchResults(MutableArrayRef<HostTensor> expected) const {
  const FunctionSignature &signature = getSignature();
  return matchValues(
      expected,
      ArrayRef(signature.results).take_front(signature.getNumUserResults()),
      signature.name, "expected output");
}

//===----------------------------------------------------------------------===//
// Execution
//===----------------------------------------------------------------------===//

/// Loads the runtime libraries up front: the ExecutionEngine only logs a
/// library it cannot open and goes on, which would surface later as an
/// unresolved symbol far from the cause.
static Expected<SmallVector<StringRef>>
loadSharedLibraries(ArrayRef<std::string> userPaths) {
  SmallVector<StringRef> paths(getCPURuntimeLibraries());
  llvm::append_range(paths, userPaths);
  for (StringRef path : paths) {
    std::string errorMessage;
    if (!llvm::sys::DynamicLibrary::getPermanentLibrary(path.str().c_str(),
                                                        &errorMessage)
             .isValid())
      return llvm::createStringError("cannot load shared library '" + path +
                                     "': " + errorMessage);
  }
  return paths;
}

/// Checks that every function the lowered module declares but does not
/// define resolves in the process or a loaded library. The JIT would report
/// a missing one only on stderr, with a generic materialization error.
static Error checkExternalSymbols(ModuleOp module) {
  // A null path adds the symbols of the process itself (libc's malloc, ...).
  llvm::sys::DynamicLibrary::LoadLibraryPermanently(nullptr);
  for (auto func : module.getOps<LLVM::LLVMFuncOp>()) {
    StringRef name = func.getSymName();
    if (!func.isExternal() || name.starts_with("llvm."))
      continue;
    if (!llvm::sys::DynamicLibrary::SearchForAddressOfSymbol(name.str()))
      return llvm::createStringError(
          "unresolved symbol '" + name +
          "': pass the library that defines it with --shared-libs=");
  }
  return Error::success();
}

/// Gives every function the lowered module defines but the entry point
/// internal linkage and a name of the JIT's own, as AOT libraries do
/// (docs/ABI.md): a step named `@exp` would otherwise be the symbol `exp`,
/// to which the libm call that an f64 math.exp lowers to binds (a recursion
/// that crashes).
static LogicalResult internalizeDefinitions(ModuleOp module,
                                            StringRef entryPoint) {
  SymbolTable symbols(module);
  for (auto func :
       llvm::make_early_inc_range(module.getOps<LLVM::LLVMFuncOp>())) {
    if (func.isExternal() || func.getSymName() == entryPoint)
      continue;
    func.setLinkage(LLVM::Linkage::Internal);
    if (failed(symbols.renameToUnique(func, {})))
      return failure();
  }
  return success();
}

/// A JIT for `module` at -O3, for the host CPU.
static Expected<std::unique_ptr<ExecutionEngine>>
createEngine(ModuleOp module, ArrayRef<StringRef> sharedLibPaths) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  Expected<llvm::orc::JITTargetMachineBuilder> builder =
      llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  Expected<std::unique_ptr<llvm::TargetMachine>> targetMachine =
      builder->createTargetMachine();
  if (!targetMachine)
    return targetMachine.takeError();

  llvm::TargetMachine *machine = targetMachine->get();
  ExecutionEngineOptions options;
  options.transformer = [machine](llvm::Module *module) {
    muon::optimizeModule(*module, *machine);
    return llvm::Error::success();
  };
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  options.sharedLibPaths = sharedLibPaths;
  return ExecutionEngine::create(module, options, std::move(*targetMachine));
}

/// A ranked memref descriptor as the C interface lays it out:
/// `{T *allocated, T *aligned, int64_t offset, int64_t sizes[rank],
/// int64_t strides[rank]}`. Every field is 8 bytes, hence an int64_t array.
static SmallVector<int64_t> makeDescriptor(HostTensor &tensor) {
  static_assert(sizeof(void *) == sizeof(int64_t), "64-bit hosts only");
  auto data = reinterpret_cast<int64_t>(tensor.getBytes().data());
  ArrayRef<int64_t> shape = tensor.getShape();
  SmallVector<int64_t> descriptor = {data, data, /*offset=*/0};
  llvm::append_range(descriptor, shape);
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t dim = static_cast<int64_t>(shape.size()) - 2; dim >= 0; --dim)
    strides[dim] = strides[dim + 1] * shape[dim + 1];
  llvm::append_range(descriptor, strides);
  return descriptor;
}

/// Calls the packed `_mlir_ciface_` wrapper on `buffers` (inputs, then
/// outputs).
static void invokePacked(void (*packed)(void **),
                         MutableArrayRef<HostTensor> buffers) {
  SmallVector<SmallVector<int64_t>> descriptors;
  SmallVector<void *> descriptorPtrs;
  for (HostTensor &buffer : buffers)
    descriptors.push_back(makeDescriptor(buffer));
  for (SmallVector<int64_t> &descriptor : descriptors)
    descriptorPtrs.push_back(descriptor.data());
  // The packed wrapper takes the address of each argument of the C
  // interface function, and each of those is a pointer to a descriptor.
  SmallVector<void *> packedArgs;
  for (void *&ptr : descriptorPtrs)
    packedArgs.push_back(&ptr);
  packed(packedArgs.data());
}

ArrayRef<double> JitRunner::getBenchmarkTimesMs() const {
  return impl->benchmarkTimesMs;
}

Expected<SmallVector<HostTensor>> JitRunner::run(ArrayRef<HostTensor> inputs) {
  const FunctionSignature &signature = getSignature();
  ModuleOp module = impl->step->getModule();
  assert(inputs.size() == signature.inputs.size() && "unchecked inputs");

  Expected<SmallVector<StringRef>> libs =
      loadSharedLibraries(impl->options.sharedLibPaths);
  if (!libs)
    return libs.takeError();

  PassManager pm(&impl->step->getContext());
  pm.addPass(createSymbolDCEPass());
  if (impl->options.pipeline == HostPipeline::GPUEmulation) {
    MuonGPUEmulationPipelineOptions emulation;
    emulation.cooperativeThreshold = impl->options.cooperativeThreshold;
    emulation.bucket = impl->options.bucket.value_or(emulation.bucket);
    buildMuonGPUEmulationPipeline(pm, emulation);
  } else {
    MuonCPUPipelineOptions pipeline;
    pipeline.bucket = impl->options.bucket.value_or(pipeline.bucket);
    pipeline.blas = impl->options.useBlas;
    buildMuonCPUPipeline(pm, pipeline);
  }
  if (failed(pm.run(module)))
    return impl->step->takeError("lowering to LLVM failed");
  if (impl->options.printIRAfterPipeline)
    module.print(llvm::errs());
  if (Error error = checkExternalSymbols(module))
    return error;
  std::string entryPoint = "_mlir_ciface_" + signature.name;
  if (failed(internalizeDefinitions(module, entryPoint)))
    return impl->step->takeError("cannot rename the module's functions");

  Expected<std::unique_ptr<ExecutionEngine>> engine =
      createEngine(module, *libs);
  if (!engine)
    return impl->step->takeError("JIT compilation failed: " +
                                 toString(engine.takeError()));
  Expected<void (*)(void **)> packed = (*engine)->lookupPacked(entryPoint);
  if (!packed)
    return llvm::createStringError("JIT compilation failed: " +
                                   toString(packed.takeError()));
  (*engine)->initialize();

  // One-shot bufferization treats function arguments as writable, so the
  // compiled code may update inputs in place: it works on copies.
  SmallVector<HostTensor> buffers(inputs);
  for (const HostTensorType &type : signature.results)
    buffers.emplace_back(type);
  invokePacked(*packed, buffers);
  if (signature.hasStatus()) {
    int64_t status = buffers.back().getInt(0);
    if (status != 0)
      return llvm::createStringError(
          "@" + signature.name + " rejected its inputs: " +
          (status > 0 && status <= int64_t(signature.statusMessages.size())
               ? signature.statusMessages[status - 1]
               : "unknown status " + std::to_string(status)));
    buffers.pop_back();
  }

  if (unsigned repetitions = impl->options.benchmarkRepetitions) {
    // Timed calls run on scratch copies so they cannot disturb the results.
    SmallVector<HostTensor> scratch(buffers);
    impl->benchmarkTimesMs.clear();
    for (unsigned i = 0; i < repetitions; ++i) {
      auto start = std::chrono::steady_clock::now();
      invokePacked(*packed, scratch);
      std::chrono::duration<double, std::milli> elapsed =
          std::chrono::steady_clock::now() - start;
      impl->benchmarkTimesMs.push_back(elapsed.count());
    }
  }

  return SmallVector<HostTensor>(
      std::make_move_iterator(buffers.begin() + inputs.size()),
      std::make_move_iterator(buffers.end()));
}
