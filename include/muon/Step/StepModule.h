//===- StepModule.h - A parsed module and the function to run ---*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// What muon-run and muon-compile share before they lower anything: parsing a
// module, selecting one public function, checking that it takes and returns
// statically shaped tensors, and reporting MLIR diagnostics as one-line
// `file:line:col: message` errors.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_STEP_STEPMODULE_H
#define MUON_STEP_STEPMODULE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "muon/Step/HostTensor.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>

namespace muon {

/// The tensor types a function takes and returns, with a C-identifier name
/// for each: the SSA name in the source text (`%wq` -> `wq`; for results,
/// the name of the returned value) where it has one, else `argN`/`resultN`.
struct FunctionSignature {
  std::string name;
  llvm::SmallVector<HostTensorType> inputs;
  llvm::SmallVector<HostTensorType> results;
  llvm::SmallVector<std::string> inputNames;
  llvm::SmallVector<std::string> resultNames;
  /// For each result, the argument whose buffer it is written into
  /// (`optim.aliasing_output`), if any; such results are not returned.
  llvm::SmallVector<std::optional<unsigned>> resultAliases;

  /// Whether result `index` is returned in a buffer of its own.
  bool isReturned(unsigned index) const { return !resultAliases[index]; }
  /// The result written into argument `index`'s buffer, if any.
  std::optional<unsigned> getResultUpdating(unsigned index) const;
  /// Set when the function checks its inputs (muon-assertions-to-status):
  /// its last result, named `status`, is a 0-d i32 that is 0 or the 1-based
  /// index of the message of the first failed check.
  llvm::SmallVector<std::string> statusMessages;

  bool hasStatus() const { return !statusMessages.empty(); }
  /// The results a caller asked for: all but the status.
  size_t getNumUserResults() const {
    return results.size() - (hasStatus() ? 1 : 0);
  }
};

/// A module loaded for one function: owns the context, the module and the
/// diagnostics handler that turns MLIR errors into `llvm::Error`s.
class StepModule {
public:
  /// Parses and verifies the module at `path` (text or bytecode, `-` for
  /// stdin), selects `functionName` among its public functions (empty: the
  /// only one), turns its input checks into a status result
  /// (muon-assertions-to-status) and checks its signature. Every other function is made
  /// private, so that symbol-dce drops what the function does not call.
  static llvm::Expected<std::unique_ptr<StepModule>>
  load(llvm::StringRef path, llvm::StringRef functionName);

  ~StepModule();

  mlir::MLIRContext &getContext();
  mlir::ModuleOp getModule();
  /// The selected function; null once lowering has replaced it.
  mlir::func::FuncOp getFunction();
  const FunctionSignature &getSignature() const;
  /// Forgets the `optim.aliasing_output` markings: every result is then
  /// returned in a buffer of its own (muon-run; muon-compile --in-place=0).
  void dropResultAliases();

  /// An error made of `prefix` and the first error MLIR reported since the
  /// last call, as `prefix: file:line:col: message`.
  llvm::Error takeError(const llvm::Twine &prefix);

private:
  struct Impl;
  explicit StepModule(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl;
};

} // namespace muon

#endif // MUON_STEP_STEPMODULE_H
