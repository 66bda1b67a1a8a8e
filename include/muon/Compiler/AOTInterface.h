//===- AOTInterface.h - The C interface of a compiled step ------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The pieces of docs/ABI.md that depend on the function: the flat entry
// point `muon_<fn>` (generated in the LLVM dialect), the C header declaring
// it and the JSON sidecar the Python wrapper reads.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_COMPILER_AOTINTERFACE_H
#define MUON_COMPILER_AOTINTERFACE_H

#include "muon/Compiler/AOTCompiler.h"
#include "muon/Step/StepModule.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace muon {

/// Version of the ABI in docs/ABI.md, in the header and the JSON sidecar.
/// 3: results tied to an argument (`optim.aliasing_output`) are written
/// into its buffer and not passed; CPU entry points return a status.
/// 2: `--target=cuda` and the JSON `target` field; CPU entry points as in 1.
constexpr int kAOTABIVersion = 3;

/// The flat entry point's symbol: `muon_<fn>`.
std::string getFlatEntryPointName(const FunctionSignature &signature);
/// The packed entry point's symbol: `muon_<fn>_packed`.
std::string getPackedEntryPointName(const FunctionSignature &signature);

/// Marks every argument of `func` that no result is written into
/// `bufferization.writable = false`, so that one-shot bufferization copies
/// instead of writing into a caller's input.
void markInputsReadOnly(mlir::func::FuncOp func,
                        const FunctionSignature &signature);

/// Adds `int muon_<fn>(T *arg, ..., T *result, ...)` to `module`, already
/// lowered to the LLVM dialect: it builds the contiguous row-major memref
/// descriptors of the static shapes and calls the lowered function; results
/// written into an argument have no pointer of their own. For CUDA:
/// `int muon_<fn>(T *arg, ..., T *result, ..., void *stream)`, the call
/// bracketed by the runtime's muon_gpu_begin(stream) / muon_gpu_end().
/// Also adds `int muon_<fn>_packed(void *const *tensors[, void *stream])`,
/// which takes the same pointers from an array: one argument however many
/// tensors (Python's ctypes calls at most 1024 arguments).
llvm::Error addFlatEntryPoint(mlir::ModuleOp module,
                              const FunctionSignature &signature,
                              AOTTarget target);

/// The name of the library's copy of its JSON description: muon_<fn>_signature.
std::string getSignatureSymbolName(const FunctionSignature &signature);

/// Adds `const char muon_<fn>_signature[]`, the JSON description as
/// writeJSONDescription writes it, to `module` (LLVM dialect): a library
/// carries its own signature, so a loader can tell a stale or foreign
/// description from its own.
void addSignatureGlobal(mlir::ModuleOp module,
                        const FunctionSignature &signature, AOTTarget target);

/// Gives every function `module` defines internal linkage except the entry
/// points (CPU: all three; CUDA: the flat and packed ones), so that the library
/// exports nothing else: an exported `step` would otherwise be interposed by
/// glibc's legacy `step(3)` in any process that loaded libc first (Python
/// does), and crash.
void internalizeAllButEntryPoints(mlir::ModuleOp module,
                                  const FunctionSignature &signature,
                                  AOTTarget target);

/// Writes the C header declaring the entry points.
void writeCHeader(const FunctionSignature &signature, AOTTarget target,
                  llvm::raw_ostream &os);

/// Writes the JSON description (target, function, entry points, tensors).
void writeJSONDescription(const FunctionSignature &signature, AOTTarget target,
                          llvm::raw_ostream &os);

} // namespace muon

#endif // MUON_COMPILER_AOTINTERFACE_H
