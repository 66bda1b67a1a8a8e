//===- ListedOptions.h - Option errors that list the valid options -*- C++
//-*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// MLIR reports a misspelt pass or pipeline option as "no such option X"
// without saying what the options are. Every muon-mlir pass (through
// MuonPass in muon/Pass/PassBase.td) and pipeline adds the list of its
// options, with their defaults, to that error.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_PASS_LISTEDOPTIONS_H
#define MUON_PASS_LISTEDOPTIONS_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <string>

namespace muon {

/// `problem` (MLIR's own message; empty when llvm::cl printed it, as for a
/// bad enum value) followed by the options of `name`. `defaults` is
/// `{opt=default ...}` as MLIR prints it (list options without a default are
/// omitted), empty if there are none.
inline std::string describeOptionError(llvm::StringRef problem,
                                       llvm::StringRef name,
                                       llvm::StringRef options,
                                       llvm::StringRef defaults) {
  std::string message = problem.trim().str();
  if (message.empty())
    message = "invalid options '" + options.str() + "'";
  if (defaults.empty())
    return message + "\n'" + name.str() + "' takes no options";
  // Empty list options print as nothing between their neighbours' spaces.
  std::string listed;
  for (char c : defaults.trim())
    if (c != ' ' || listed.back() != ' ')
      listed += c;
  return message + "\nvalid options of '" + name.str() +
         "' (with their defaults): " + listed;
}

/// The base of every muon-mlir pass class (ODS `MuonPass`): `PassT` is the
/// mlir::OperationPass<...> ODS would otherwise derive from.
template <typename PassT> class ListedOptionsPass : public PassT {
public:
  using PassT::PassT;

  mlir::LogicalResult
  initializeOptions(llvm::StringRef options,
                    llvm::function_ref<mlir::LogicalResult(const llvm::Twine &)>
                        errorHandler) override {
    // The defaults, printed before parsing changes them: `name{a=1 b=2}`.
    std::string defaults;
    llvm::raw_string_ostream os(defaults);
    this->printAsTextualPipeline(os);
    std::string problem;
    if (mlir::succeeded(
            PassT::initializeOptions(options, [&](const llvm::Twine &message) {
              problem = message.str();
              return mlir::failure();
            })))
      return mlir::success();
    llvm::StringRef name = this->getArgument();
    return errorHandler(
        describeOptionError(problem, name, options,
                            llvm::StringRef(defaults).drop_front(name.size())));
  }
};

/// mlir::PassPipelineRegistration<Options>, but option errors list the valid
/// options instead of only being printed by the option parser.
template <typename Options>
void registerPipelineWithListedOptions(
    llvm::StringRef name, llvm::StringRef description,
    std::function<void(mlir::OpPassManager &, const Options &)> builder) {
  std::string arg = name.str();
  mlir::registerPassPipeline(
      name, description,
      [builder,
       arg](mlir::OpPassManager &pm, llvm::StringRef optionsText,
            llvm::function_ref<mlir::LogicalResult(const llvm::Twine &)>
                errorHandler) {
        Options options;
        std::string problem;
        llvm::raw_string_ostream problemStream(problem);
        if (mlir::failed(options.parseFromString(optionsText, problemStream))) {
          std::string defaults;
          llvm::raw_string_ostream os(defaults);
          Options().print(os);
          return errorHandler(
              describeOptionError(problem, arg, optionsText, defaults));
        }
        builder(pm, options);
        return mlir::success();
      },
      [](llvm::function_ref<void(const mlir::detail::PassOptions &)> handler) {
        handler(Options());
      });
}

} // namespace muon

#endif // MUON_PASS_LISTEDOPTIONS_H
