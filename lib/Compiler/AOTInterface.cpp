//===- AOTInterface.cpp - The C interface of a compiled step --------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Compiler/AOTInterface.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace muon;

std::string muon::getFlatEntryPointName(const FunctionSignature &signature) {
  return "muon_" + signature.name;
}

std::string muon::getPackedEntryPointName(const FunctionSignature &signature) {
  return getFlatEntryPointName(signature) + "_packed";
}

void muon::markInputsReadOnly(func::FuncOp func,
                              const FunctionSignature &signature) {
  for (unsigned index = 0; index < func.getNumArguments(); ++index)
    if (!signature.getResultUpdating(index))
      func.setArgAttr(index,
                      bufferization::BufferizationDialect::kWritableAttrName,
                      BoolAttr::get(func.getContext(), false));
}

/// Every tensor the flat entry point takes: inputs, then the results that
/// are not written into an input.
static SmallVector<const HostTensorType *>
getAllTensors(const FunctionSignature &signature) {
  SmallVector<const HostTensorType *> tensors;
  for (const HostTensorType &type : signature.inputs)
    tensors.push_back(&type);
  for (auto [index, type] : llvm::enumerate(signature.results))
    if (signature.isReturned(index))
      tensors.push_back(&type);
  return tensors;
}

/// The indices of the results returned in buffers of their own.
static SmallVector<unsigned>
getReturnedResults(const FunctionSignature &signature) {
  SmallVector<unsigned> returned;
  for (unsigned index = 0; index < signature.results.size(); ++index)
    if (signature.isReturned(index))
      returned.push_back(index);
  return returned;
}

/// Row-major strides of `shape`.
static SmallVector<int64_t> getContiguousStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t dim = static_cast<int64_t>(shape.size()) - 2; dim >= 0; --dim)
    strides[dim] = strides[dim + 1] * shape[dim + 1];
  return strides;
}

/// The runtime function `name` of `type`, declared in `module` if needed.
static LLVM::LLVMFuncOp getOrInsertFunction(ModuleOp module, StringRef name,
                                            LLVM::LLVMFunctionType type) {
  if (auto func = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return func;
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  return LLVM::LLVMFuncOp::create(builder, module.getLoc(), name, type);
}

/// Adds `name`, which loads the flat entry point's `numTensors` pointers
/// from its array argument (and passes the CUDA stream on) and calls it.
static void addPackedEntryPoint(LLVM::LLVMFuncOp flat, StringRef name,
                                size_t numTensors, bool cuda) {
  Location loc = flat.getLoc();
  auto ptrType = LLVM::LLVMPointerType::get(flat.getContext());
  SmallVector<Type> params = {ptrType};
  if (cuda)
    params.push_back(ptrType);
  OpBuilder builder(flat);
  builder.setInsertionPointAfter(flat);
  auto packed = LLVM::LLVMFuncOp::create(
      builder, loc, name,
      LLVM::LLVMFunctionType::get(flat.getFunctionType().getReturnType(),
                                  params));
  builder.setInsertionPointToStart(packed.addEntryBlock(builder));
  Value array = packed.getArgument(0);
  SmallVector<Value> args;
  for (size_t index = 0; index < numTensors; ++index) {
    Value slot = LLVM::GEPOp::create(
        builder, loc, ptrType, ptrType, array,
        ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(index)});
    args.push_back(LLVM::LoadOp::create(builder, loc, ptrType, slot));
  }
  if (cuda)
    args.push_back(packed.getArgument(1));
  Value status = LLVM::CallOp::create(builder, loc, flat, args).getResult();
  LLVM::ReturnOp::create(builder, loc, status);
}

llvm::Error muon::addFlatEntryPoint(ModuleOp module,
                                    const FunctionSignature &signature,
                                    AOTTarget target) {
  auto callee = module.lookupSymbol<LLVM::LLVMFuncOp>(signature.name);
  if (!callee)
    return llvm::createStringError("lowered module has no function '" +
                                   signature.name + "'");
  MLIRContext *context = module.getContext();
  Location loc = callee.getLoc();
  auto ptrType = LLVM::LLVMPointerType::get(context);
  auto i64Type = IntegerType::get(context, 64);

  // The lowered function takes each memref expanded into its descriptor's
  // fields: allocated and aligned pointers, offset, sizes, strides.
  SmallVector<const HostTensorType *> tensors = getAllTensors(signature);
  SmallVector<Type> expectedTypes;
  for (const HostTensorType *type : tensors) {
    expectedTypes.append({ptrType, ptrType, i64Type});
    expectedTypes.append(2 * type->shape.size(), i64Type);
  }
  LLVM::LLVMFunctionType calleeType = callee.getFunctionType();
  if (calleeType.getParams() != ArrayRef(expectedTypes) ||
      !isa<LLVM::LLVMVoidType>(calleeType.getReturnType()))
    return llvm::createStringError(
        "lowered function '" + signature.name +
        "' does not take its tensors as identity-layout memrefs with results "
        "as out-params");

  // Both targets return a status (docs/ABI.md; the CPU code has no failure
  // path yet: 0). CUDA: a trailing stream argument, the call bracketed with
  // the runtime's muon_gpu_begin/end, whose status it returns.
  bool cuda = target == AOTTarget::CUDA;
  auto voidType = LLVM::LLVMVoidType::get(context);
  auto i32Type = IntegerType::get(context, 32);
  SmallVector<Type> params(tensors.size(), ptrType);
  if (cuda)
    params.push_back(ptrType);
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  auto type = LLVM::LLVMFunctionType::get(i32Type, params);
  auto entryPoint = LLVM::LLVMFuncOp::create(
      builder, loc, getFlatEntryPointName(signature), type);
  builder.setInsertionPointToStart(entryPoint.addEntryBlock(builder));
  if (cuda) {
    auto begin =
        getOrInsertFunction(module, "muon_gpu_begin",
                            LLVM::LLVMFunctionType::get(voidType, ptrType));
    LLVM::CallOp::create(builder, loc, begin,
                         ValueRange(entryPoint.getArguments().back()));
  }
  auto getConstant = [&](int64_t value) -> Value {
    return LLVM::ConstantOp::create(builder, loc, i64Type,
                                    builder.getI64IntegerAttr(value));
  };
  SmallVector<Value> args;
  // zip stops at the tensors: the stream argument has none.
  for (auto [data, tensor] : llvm::zip(entryPoint.getArguments(), tensors)) {
    args.append({data, data, getConstant(0)});
    for (int64_t size : tensor->shape)
      args.push_back(getConstant(size));
    for (int64_t stride : getContiguousStrides(tensor->shape))
      args.push_back(getConstant(stride));
  }
  LLVM::CallOp::create(builder, loc, callee, args);
  if (!cuda) {
    Value ok = LLVM::ConstantOp::create(builder, loc, i32Type,
                                        builder.getI32IntegerAttr(0));
    LLVM::ReturnOp::create(builder, loc, ok);
  } else {
    auto end = getOrInsertFunction(module, "muon_gpu_end",
                                   LLVM::LLVMFunctionType::get(i32Type, {}));
    Value status =
        LLVM::CallOp::create(builder, loc, end, ValueRange()).getResult();
    LLVM::ReturnOp::create(builder, loc, status);
  }
  addPackedEntryPoint(entryPoint, getPackedEntryPointName(signature),
                      tensors.size(), cuda);
  return llvm::Error::success();
}

std::string muon::getSignatureSymbolName(const FunctionSignature &signature) {
  return getFlatEntryPointName(signature) + "_signature";
}

void muon::addSignatureGlobal(ModuleOp module,
                              const FunctionSignature &signature,
                              AOTTarget target) {
  std::string json;
  llvm::raw_string_ostream os(json);
  writeJSONDescription(signature, target, os);
  json.push_back('\0');
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  auto type = LLVM::LLVMArrayType::get(IntegerType::get(module.getContext(), 8),
                                       json.size());
  LLVM::GlobalOp::create(builder, module.getLoc(), type, /*isConstant=*/true,
                         LLVM::Linkage::External,
                         getSignatureSymbolName(signature),
                         builder.getStringAttr(json));
}

void muon::internalizeAllButEntryPoints(ModuleOp module,
                                        const FunctionSignature &signature,
                                        AOTTarget target) {
  std::string flat = getFlatEntryPointName(signature);
  std::string packed = getPackedEntryPointName(signature);
  // CUDA keeps no C interface: it would run outside the runtime's stream and
  // status protocol.
  std::string ciface =
      target == AOTTarget::CPU ? "_mlir_ciface_" + signature.name : flat;
  for (auto func : module.getOps<LLVM::LLVMFuncOp>()) {
    StringRef name = func.getSymName();
    if (!func.isExternal() && name != flat && name != packed && name != ciface)
      func.setLinkage(LLVM::Linkage::Internal);
  }
}

//===----------------------------------------------------------------------===//
// C header
//===----------------------------------------------------------------------===//

/// The C type of one element; 16-bit floats travel as their raw bits.
static StringRef getCElementType(ElementType type) {
  switch (type) {
  case ElementType::F4E2M1FN:
  case ElementType::F8E4M3FN:
  case ElementType::F8E4M3FNUZ:
  case ElementType::F8E5M2:
  case ElementType::F8E5M2FNUZ:
    return "uint8_t";
  case ElementType::F16:
  case ElementType::BF16:
    return "uint16_t";
  case ElementType::F32:
    return "float";
  case ElementType::F64:
    return "double";
  case ElementType::I1:
    return "uint8_t";
  case ElementType::I2:
  case ElementType::I4:
  case ElementType::I8:
    return "int8_t";
  case ElementType::I16:
    return "int16_t";
  case ElementType::I32:
    return "int32_t";
  case ElementType::I64:
    return "int64_t";
  case ElementType::U2:
  case ElementType::U4:
  case ElementType::U8:
    return "uint8_t";
  case ElementType::U16:
    return "uint16_t";
  case ElementType::U32:
    return "uint32_t";
  case ElementType::U64:
    return "uint64_t";
  }
  llvm_unreachable("unknown element type");
}

void muon::writeCHeader(const FunctionSignature &signature, AOTTarget target,
                        llvm::raw_ostream &os) {
  bool cuda = target == AOTTarget::CUDA;
  std::string fn = signature.name;
  std::string entryPoint = getFlatEntryPointName(signature);
  std::string guard = "MUON_AOT_" + StringRef(fn).upper() + "_H";
  size_t numInputs = signature.inputs.size();
  SmallVector<unsigned> returned = getReturnedResults(signature);
  size_t numTensors = numInputs + returned.size();
  bool inPlace = returned.size() != signature.results.size();

  os << "/* Generated by muon-compile: the C interface of '" << fn << "'"
     << (cuda ? " for CUDA" : "") << ". Do not edit.\n"
     << " * ABI (version " << kAOTABIVersion << "): docs/ABI.md. Every tensor "
     << "is a contiguous row-major buffer of\n"
     << " * its static shape" << (cuda ? " in device memory" : "")
     << ";\n * f16/bf16 elements are raw uint16_t bits, float8 ones uint8_t "
        "bits; i1, i2, i4 and\n * float4 ones take a byte each, their value "
        "in its low bits (i1: 0 or 1).\n * Inputs are only read"
     << (inPlace ? ", except in-out ones, which receive\n"
                   " * a result in place"
                 : "")
     << ". Outputs are written whole and must not\n"
     << " * overlap any other argument" << (inPlace ? ", nor in-out ones" : "")
     << ". Calls on distinct buffers may run concurrently. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "#define " << StringRef(entryPoint).upper() << "_ABI_VERSION "
     << kAOTABIVersion << "\n"
     << "enum { " << entryPoint << "_num_inputs = " << numInputs << ", "
     << entryPoint << "_num_outputs = " << returned.size() << " };\n\n";
  if (signature.hasStatus()) {
    os << "/* The last output, `status`, checks the inputs: 0, or the 1-based "
          "index of\n * the first failed check below; the other outputs are "
          "then meaningless.\n";
    for (auto [index, message] : llvm::enumerate(signature.statusMessages)) {
      // Node names come from the model: keep them from closing the comment.
      std::string text = message;
      for (size_t at = text.find("*/"); at != std::string::npos;
           at = text.find("*/", at))
        text.replace(at, 2, "* /");
      os << " *   " << index + 1 << ": " << text << "\n";
    }
    os << " */\n\n";
  }

  // One parameter per tensor, then `trailing` if any.
  auto writeParams = [&](bool flat, StringRef trailing) {
    for (size_t index = 0; index < numTensors; ++index) {
      bool isInput = index < numInputs;
      size_t local = isInput ? index : index - numInputs;
      unsigned result = isInput ? 0 : returned[local];
      const HostTensorType &type =
          isInput ? signature.inputs[local] : signature.results[result];
      StringRef name =
          isInput ? signature.inputNames[local] : signature.resultNames[result];
      std::optional<unsigned> updatedBy =
          isInput ? signature.getResultUpdating(local) : std::nullopt;
      os << "    ";
      if (flat)
        os << (isInput && !updatedBy ? "const " : "")
           << getCElementType(type.elementType) << " *" << name;
      else
        os << "void *" << name;
      os << (index + 1 < numTensors || !trailing.empty() ? "," : ");")
         << llvm::formatv(" /* {0} {1}: {2}", isInput ? "in " : "out", local,
                          type.getTensorTypeName());
      if (updatedBy)
        os << "; in-out: receives " << signature.resultNames[*updatedBy];
      os << " */\n";
    }
    if (!trailing.empty())
      os << "    " << trailing << ");\n";
    else if (numTensors == 0)
      os << "    void);\n";
  };
  auto writePacked = [&](StringRef trailing) {
    os << "\n/* The same call with the " << numTensors
       << " pointers in an array, in that order: one argument\n"
       << " * however many tensors. */\n"
       << "int " << getPackedEntryPointName(signature)
       << "(void *const *tensors" << (trailing.empty() ? "" : ", ") << trailing
       << ");\n";
  };
  if (cuda) {
    os << "/* One device pointer per tensor: inputs, then outputs; then the "
          "stream\n"
       << " * (CUstream / cudaStream_t, NULL: the legacy default stream) the "
          "step is\n"
       << " * enqueued on. Returns without waiting for the GPU: 0, or a "
          "nonzero status\n"
       << " * (1: CUDA error, 2: cuBLASLt error, 3: invalid argument) with "
          "the message\n"
       << " * from muon_gpu_last_error(). */\n"
       << "int " << entryPoint << "(\n";
    writeParams(/*flat=*/true, "void *stream");
    writePacked("void *stream");
    os << "\n/* The message of the calling thread's last failed call "
          "(libmuon_cuda_runtime). */\n"
       << "const char *muon_gpu_last_error(void);\n";
  } else {
    os << "/* One data pointer per tensor: inputs, then outputs. Returns 0 "
          "(a status,\n"
       << " * as for CUDA; no CPU failure is reported yet). */\n"
       << "int " << entryPoint << "(\n";
    writeParams(/*flat=*/true, "");
    writePacked("");
    os << "\n/* MLIR's C interface: one pointer to a ranked memref "
          "descriptor\n"
       << " * {T *allocated, T *aligned, int64_t offset, int64_t "
          "sizes[rank],\n"
       << " * int64_t strides[rank]} per tensor: inputs, then outputs. */\n"
       << "void _mlir_ciface_" << fn << "(\n";
    writeParams(/*flat=*/false, "");
  }
  os << "\n/* The JSON description of '" << fn << "' (docs/ABI.md), "
     << "NUL-terminated. */\n"
     << "extern const char " << getSignatureSymbolName(signature) << "[];\n";
  os << "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
}

//===----------------------------------------------------------------------===//
// JSON sidecar
//===----------------------------------------------------------------------===//

void muon::writeJSONDescription(const FunctionSignature &signature,
                                AOTTarget target, llvm::raw_ostream &os) {
  llvm::json::OStream json(os, /*IndentSize=*/2);
  // Results written into an input name it: they have no pointer of their
  // own in the entry point.
  auto writeTensors = [&](ArrayRef<HostTensorType> types,
                          ArrayRef<std::string> names,
                          ArrayRef<std::optional<unsigned>> updates) {
    json.array([&] {
      for (auto [index, type, name] : llvm::enumerate(types, names))
        json.object([&] {
          json.attribute("name", name);
          json.attribute("dtype", getElementTypeName(type.elementType));
          json.attributeArray("shape", [&] {
            for (int64_t size : type.shape)
              json.value(size);
          });
          if (!updates.empty() && updates[index])
            json.attribute("updates", signature.inputNames[*updates[index]]);
        });
    });
  };
  json.object([&] {
    json.attribute("abi_version", kAOTABIVersion);
    json.attribute("target", target == AOTTarget::CUDA ? "cuda" : "cpu");
    json.attribute("function", signature.name);
    json.attribute("entry_point", getFlatEntryPointName(signature));
    json.attribute("packed_entry_point", getPackedEntryPointName(signature));
    if (target == AOTTarget::CPU)
      json.attribute("ciface", "_mlir_ciface_" + signature.name);
    json.attributeBegin("inputs");
    writeTensors(signature.inputs, signature.inputNames, {});
    json.attributeEnd();
    json.attributeBegin("outputs");
    writeTensors(signature.results, signature.resultNames,
                 signature.resultAliases);
    json.attributeEnd();
    if (signature.hasStatus())
      json.attributeArray("status_messages", [&] {
        for (const std::string &message : signature.statusMessages)
          json.value(message);
      });
  });
  os << "\n";
}
