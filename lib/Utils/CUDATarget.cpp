//===- CUDATarget.cpp - Checks of the chip and PTX version ----------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Utils/CUDATarget.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Triple.h"

extern "C" void LLVMInitializeNVPTXTargetInfo();
extern "C" void LLVMInitializeNVPTXTarget();
extern "C" void LLVMInitializeNVPTXTargetMC();
extern "C" void LLVMInitializeNVPTXAsmPrinter();

using namespace llvm;

Error muon::verifyCUDAChip(StringRef chip) {
  StringRef version = chip;
  if (version.consume_front("sm_")) {
    if (!version.consume_back("a"))
      version.consume_back("f");
    if (!version.empty() && all_of(version, isDigit))
      return Error::success();
  }
  return createStringError(
      "invalid CUDA chip '" + chip +
      "': expected sm_<version>, optionally with an 'a' or 'f' suffix (sm_80, "
      "sm_90a)");
}

/// The version of a `+ptx<version>` feature, or nothing.
static std::optional<unsigned> getPTXVersion(StringRef feature) {
  unsigned version;
  if (!feature.consume_front("+ptx") || feature.getAsInteger(10, version))
    return std::nullopt;
  return version;
}

/// "8.7" for 87.
static std::string formatPTXVersion(unsigned version) {
  return std::to_string(version / 10) + "." + std::to_string(version % 10);
}

/// The oldest PTX ISA version NVPTX accepts for `chip`: the version it
/// declares when no feature names one. NVPTX keeps its table of minimums
/// private, so this asks it for the PTX of an empty module.
static Expected<unsigned> getMinimumPTXVersion(StringRef chip) {
  LLVMInitializeNVPTXTargetInfo();
  LLVMInitializeNVPTXTarget();
  LLVMInitializeNVPTXTargetMC();
  LLVMInitializeNVPTXAsmPrinter();
  Triple triple("nvptx64-nvidia-cuda");
  std::string message;
  const Target *target = TargetRegistry::lookupTarget(triple, message);
  if (!target)
    return createStringError("NVPTX is not available: " + message);
  // NVPTX would warn about an unknown processor and compile for sm_20.
  std::unique_ptr<MCSubtargetInfo> generic(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!generic->isCPUStringValid(chip))
    return createStringError("CUDA chip '" + chip +
                             "' is not one LLVM's NVPTX backend knows");
  std::unique_ptr<TargetMachine> machine(target->createTargetMachine(
      triple, chip, /*Features=*/"", TargetOptions(), std::nullopt));
  LLVMContext context;
  Module module("empty", context);
  module.setTargetTriple(triple);
  module.setDataLayout(machine->createDataLayout());
  SmallString<256> ptx;
  raw_svector_ostream stream(ptx);
  legacy::PassManager passes;
  if (machine->addPassesToEmitFile(passes, stream, nullptr,
                                   CodeGenFileType::AssemblyFile))
    return createStringError("NVPTX cannot emit PTX for " + chip);
  passes.run(module);
  // ".version 8.7"
  StringRef version = StringRef(ptx).split(".version ").second;
  unsigned major, minor;
  if (version.consumeInteger(10, major) || !version.consume_front(".") ||
      version.consumeInteger(10, minor))
    return createStringError("NVPTX declared no PTX version for " + chip);
  return major * 10 + minor;
}

Expected<std::string> muon::resolveCUDAFeatures(StringRef chip,
                                                StringRef features) {
  if (Error error = verifyCUDAChip(chip))
    return std::move(error);
  Expected<unsigned> minimum = getMinimumPTXVersion(chip);
  if (!minimum)
    return minimum.takeError();
  SmallVector<StringRef> list;
  features.split(list, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  // The last PTX feature wins, as in NVPTX.
  std::optional<unsigned> requested;
  for (StringRef feature : list)
    if (std::optional<unsigned> version = getPTXVersion(feature.trim()))
      requested = version;
  if (!requested) {
    std::string ptx =
        "+ptx" + std::to_string(std::max(kDefaultPTXVersion, *minimum));
    return features.trim().empty() ? ptx : ptx + "," + features.str();
  }
  if (*requested < *minimum)
    return createStringError("PTX ISA " + formatPTXVersion(*requested) +
                             " (features '" + features + "') is older than " +
                             chip + " needs: " + formatPTXVersion(*minimum) +
                             "; name +ptx" + std::to_string(*minimum) +
                             " or newer, or no PTX version for the default");
  return features.str();
}
