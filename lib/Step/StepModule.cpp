//===- StepModule.cpp - A parsed module and the function to run -----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Step/StepModule.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/AsmParser/AsmParserState.h"
#include "mlir/Bytecode/BytecodeReader.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "muon/InitAll.h"
#include "muon/Transforms/Passes.h"
#include "muon/Transforms/ResultAliases.h"
#include "muon/Utils/ABIAttributes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace muon;
using llvm::Error;
using llvm::Expected;

namespace {
/// Keeps the first error MLIR reports, formatted on one line as
/// `file:line:col: message`, so that every failure becomes a single
/// `<tool>: error:` line. Warnings and remarks still print as usual.
class FirstErrorCollector {
public:
  explicit FirstErrorCollector(MLIRContext &context)
      : handler(&context, [this](Diagnostic &diag) { return collect(diag); }) {}

  Error takeError(const Twine &prefix) {
    std::string message = prefix.str();
    if (!firstError.empty())
      message += ": " + firstError;
    firstError.clear();
    return llvm::createStringError(message);
  }

private:
  LogicalResult collect(Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Error)
      return failure();
    if (!firstError.empty())
      return success();
    llvm::raw_string_ostream os(firstError);
    if (auto loc = diag.getLocation()->findInstanceOf<FileLineColLoc>())
      os << loc.getFilename().getValue() << ':' << loc.getLine() << ':'
         << loc.getColumn() << ": ";
    os << diag.str();
    return success();
  }

  std::string firstError;
  ScopedDiagnosticHandler handler;
};
} // namespace

static DialectRegistry createRegistry() {
  DialectRegistry registry;
  mlir::registerAllDialects(registry);
  registerAllExtensions(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  muon::registerAllDialects(registry);
  return registry;
}

struct StepModule::Impl {
  Impl() : context(createRegistry()), errors(context) {}

  MLIRContext context;
  // Declared after the context: its handler must go before the context does.
  FirstErrorCollector errors;
  OwningOpRef<ModuleOp> module;
  func::FuncOp function;
  FunctionSignature signature;
};

StepModule::StepModule(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
StepModule::~StepModule() = default;

MLIRContext &StepModule::getContext() { return impl->context; }
ModuleOp StepModule::getModule() { return *impl->module; }
func::FuncOp StepModule::getFunction() { return impl->function; }
const FunctionSignature &StepModule::getSignature() const {
  return impl->signature;
}
void StepModule::dropResultAliases() {
  removeResultAliases(impl->function);
  for (std::optional<unsigned> &alias : impl->signature.resultAliases)
    alias.reset();
}
std::optional<unsigned>
FunctionSignature::getResultUpdating(unsigned index) const {
  for (auto [result, arg] : llvm::enumerate(resultAliases))
    if (arg == index)
      return result;
  return std::nullopt;
}
Error StepModule::takeError(const Twine &prefix) {
  return impl->errors.takeError(prefix);
}

//===----------------------------------------------------------------------===//
// Parsing, with the SSA names of the source text
//===----------------------------------------------------------------------===//

/// SSA names (without `%`) of the values defined in the parsed text. A
/// multi-result group `%x:2` names its results `x_0` and `x_1`.
static DenseMap<Value, std::string> collectValueNames(AsmParserState &state) {
  DenseMap<Value, std::string> names;
  auto getName = [](const AsmParserState::SMDefinition &def) {
    StringRef text(def.loc.Start.getPointer(),
                   def.loc.End.getPointer() - def.loc.Start.getPointer());
    return text.drop_front(text.starts_with("%")).str();
  };
  for (const AsmParserState::BlockDefinition &block : state.getBlockDefs())
    for (auto [arg, def] :
         llvm::zip(block.block->getArguments(), block.arguments))
      names[arg] = getName(def);
  for (const AsmParserState::OperationDefinition &op : state.getOpDefs()) {
    auto &groups = op.resultGroups;
    for (auto [index, group] : llvm::enumerate(groups)) {
      unsigned end = index + 1 < groups.size() ? groups[index + 1].startIndex
                                               : op.op->getNumResults();
      std::string name = getName(group.definition);
      for (unsigned i = group.startIndex; i < end; ++i)
        names[op.op->getResult(i)] =
            end - group.startIndex == 1
                ? name
                : name + "_" + std::to_string(i - group.startIndex);
    }
  }
  return names;
}

/// Parses `sourceMgr`'s buffer; for text, also records SSA names.
static OwningOpRef<ModuleOp> parseModule(llvm::SourceMgr &sourceMgr,
                                         MLIRContext &context,
                                         DenseMap<Value, std::string> &names) {
  ParserConfig config(&context);
  if (isBytecode(*sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())))
    return parseSourceFile<ModuleOp>(sourceMgr, config);
  Block block;
  AsmParserState state;
  if (failed(parseAsmSourceFile(sourceMgr, &block, config, &state)))
    return nullptr;
  names = collectValueNames(state);
  StringRef file = sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())
                       ->getBufferIdentifier();
  return detail::constructContainerOpForParserIfNecessary<ModuleOp>(
      &block, &context, FileLineColLoc::get(&context, file, 0, 0));
}

//===----------------------------------------------------------------------===//
// Function selection and signature
//===----------------------------------------------------------------------===//

/// The function `name` among the public functions with a body, or the only
/// one when `name` is empty.
static Expected<func::FuncOp> selectFunction(ModuleOp module, StringRef name) {
  SmallVector<func::FuncOp> candidates;
  for (auto func : module.getOps<func::FuncOp>())
    if (func.isPublic() && !func.isExternal())
      candidates.push_back(func);
  auto getNames = [&] {
    return llvm::join(
        llvm::map_range(candidates,
                        [](func::FuncOp func) { return func.getSymName(); }),
        ", ");
  };
  if (candidates.empty())
    return llvm::createStringError(
        "the module has no public function at its top level");
  if (name.empty()) {
    if (candidates.size() == 1)
      return candidates.front();
    return llvm::createStringError("the module has several public functions (" +
                                   getNames() +
                                   "); choose one with --function=");
  }
  for (func::FuncOp func : candidates)
    if (func.getSymName() == name)
      return func;
  return llvm::createStringError(
      "function '" + name + "' not found; public functions: " + getNames());
}

/// Maps an argument or result type to a host tensor type, or explains why it
/// cannot be passed.
static Expected<HostTensorType> getHostTensorType(Type type, StringRef function,
                                                  StringRef what,
                                                  unsigned index) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  std::optional<ElementType> elementType =
      tensorType ? getElementType(tensorType.getElementType()) : std::nullopt;
  if (!tensorType || !tensorType.hasStaticShape() || tensorType.getEncoding() ||
      !elementType) {
    std::string typeName;
    llvm::raw_string_ostream(typeName) << type;
    return llvm::createStringError(
        "function '" + function + "' " + what + " " + Twine(index) +
        " has unsupported type " + typeName +
        "; only statically shaped tensors of " +
        getSupportedElementTypeNames() + " can be passed");
  }
  HostTensorType hostType{*elementType, llvm::to_vector(tensorType.getShape())};
  // Byte offsets into the tensor must fit the 64-bit index of the lowering.
  if (!hostType.getByteSize())
    return llvm::createStringError("function '" + function + "' " + what + " " +
                                   Twine(index) + " of type " +
                                   hostType.getTensorTypeName() +
                                   " has more bytes than 64-bit sizes count");
  return hostType;
}

/// `name` as a C identifier, or `fallback` when it has none or repeats one
/// in `used`.
static std::string getIdentifier(StringRef name, const Twine &fallback,
                                 llvm::StringSet<> &used) {
  std::string id;
  for (char c : name)
    id += llvm::isAlnum(c) ? c : '_';
  if (id.empty() || llvm::isDigit(id.front()) || used.contains(id))
    id = fallback.str();
  used.insert(id);
  return id;
}

/// `type`, with unsigned elements when the argument or result carries
/// `muon.unsigned` (which only signless integers wider than i1 may).
static Expected<Type> applyUnsignedAttr(Type type, DictionaryAttr attrs,
                                        StringRef function, StringRef what,
                                        unsigned index) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  auto intType =
      tensorType ? dyn_cast<IntegerType>(tensorType.getElementType()) : nullptr;
  // The lowering computes on signless integers only.
  if (intType && !intType.isSignless()) {
    std::string typeName;
    llvm::raw_string_ostream(typeName) << type;
    return llvm::createStringError(
        "function '" + function + "' " + what + " " + Twine(index) +
        " has type " + typeName + ": integers are signless in a signature; " +
        "mark unsigned ones with `" + kUnsignedAttrName + "`");
  }
  if (!attrs || !attrs.get(kUnsignedAttrName))
    return type;
  if (!intType || !intType.isSignless() || intType.getWidth() == 1)
    return llvm::createStringError(
        "function '" + function + "' " + what + " " + Twine(index) + " has `" +
        kUnsignedAttrName + "` but is not a tensor of i8, i16, i32 or i64");
  return tensorType.clone(IntegerType::get(
      type.getContext(), intType.getWidth(), IntegerType::Unsigned));
}

static Expected<FunctionSignature>
buildSignature(func::FuncOp func, const DenseMap<Value, std::string> &names) {
  FunctionSignature signature{func.getSymName().str(), {}, {}, {}, {}, {}};
  for (auto [what, types, attrs, hostTypes] :
       {std::make_tuple("input", func.getArgumentTypes(), func.getAllArgAttrs(),
                        &signature.inputs),
        std::make_tuple("result", func.getResultTypes(),
                        func.getAllResultAttrs(), &signature.results)}) {
    for (auto [index, declared] : llvm::enumerate(types)) {
      Expected<Type> type = applyUnsignedAttr(
          declared, attrs ? cast<DictionaryAttr>(attrs[index]) : nullptr,
          signature.name, what, index);
      if (!type)
        return type.takeError();
      Expected<HostTensorType> hostType =
          getHostTensorType(*type, signature.name, what, index);
      if (!hostType)
        return hostType.takeError();
      hostTypes->push_back(std::move(*hostType));
    }
  }

  // A result returns an argument or names the value it returns.
  llvm::StringSet<> used;
  for (BlockArgument arg : func.getArguments())
    signature.inputNames.push_back(getIdentifier(
        names.lookup(arg), "arg" + Twine(arg.getArgNumber()), used));
  Operation *terminator = func.getBody().hasOneBlock()
                              ? func.getBody().front().getTerminator()
                              : nullptr;
  if (auto messages = func->getAttrOfType<ArrayAttr>(kStatusMessagesAttrName))
    for (auto message : messages.getAsValueRange<StringAttr>())
      signature.statusMessages.push_back(message.str());
  for (unsigned index = 0; index < func.getNumResults(); ++index) {
    Value returned = terminator ? terminator->getOperand(index) : Value();
    std::string name = returned && !isa<BlockArgument>(returned)
                           ? names.lookup(returned)
                           : std::string();
    if (signature.hasStatus() && index + 1 == func.getNumResults())
      name = "status";
    signature.resultNames.push_back(
        getIdentifier(name, "result" + Twine(index), used));
  }
  return signature;
}

Expected<std::unique_ptr<StepModule>> StepModule::load(StringRef path,
                                                       StringRef functionName) {
  auto impl = std::make_unique<Impl>();
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFileOrSTDIN(path);
  if (!file)
    return llvm::createStringError("cannot read module '" + path +
                                   "': " + file.getError().message());
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(*file), SMLoc());
  DenseMap<Value, std::string> names;
  impl->module = parseModule(sourceMgr, impl->context, names);
  if (!impl->module)
    return impl->errors.takeError("cannot parse module '" + path + "'");

  Expected<func::FuncOp> func = selectFunction(*impl->module, functionName);
  if (!func)
    return func.takeError();
  // Input checks become a status result the caller reads, not an abort.
  PassManager pm(&impl->context);
  pm.addPass(createAssertionsToStatusPass());
  if (failed(pm.run(*impl->module)))
    return impl->errors.takeError("cannot check the inputs of '" +
                                  func->getSymName() + "'");
  Expected<FunctionSignature> signature = buildSignature(*func, names);
  if (!signature)
    return signature.takeError();
  FailureOr<SmallVector<std::optional<unsigned>>> aliases =
      getResultAliases(*func);
  if (failed(aliases))
    return impl->errors.takeError("invalid in-place marking");
  signature->resultAliases = std::move(*aliases);
  impl->function = *func;
  impl->signature = std::move(*signature);

  // Compile only what the function needs: other functions may hold ops the
  // CPU pipeline cannot lower (yet), and each costs compile time.
  for (auto other : impl->module->getOps<func::FuncOp>())
    if (other != *func)
      other.setPrivate();
  return std::unique_ptr<StepModule>(new StepModule(std::move(impl)));
}
