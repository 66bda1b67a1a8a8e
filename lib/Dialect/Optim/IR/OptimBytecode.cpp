//===- OptimBytecode.cpp - Versioned bytecode of the optim dialect --------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Modules saved as bytecode (`--emit-bytecode`) by one muon-mlir release are
// read by later ones: each file records the optim dialect version it was
// written with, a reader upgrades older versions' IR after parsing, and
// refuses newer versions than it knows instead of misreading them.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/IR/OptimBytecode.h"
#include "muon/Dialect/Optim/IR/OptimDialect.h"

#include "mlir/Bytecode/BytecodeImplementation.h"

using namespace mlir;
using namespace muon::optim;

namespace {
struct OptimDialectVersion : public DialectVersion {
  explicit OptimDialectVersion(uint64_t version) : version(version) {}
  uint64_t version;
};

struct OptimBytecodeInterface : public BytecodeDialectInterface {
  explicit OptimBytecodeInterface(Dialect *dialect)
      : BytecodeDialectInterface(dialect) {}

  void writeVersion(DialectBytecodeWriter &writer) const final {
    writer.writeVarInt(kOptimBytecodeVersion);
  }

  std::unique_ptr<DialectVersion>
  readVersion(DialectBytecodeReader &reader) const final {
    uint64_t version;
    if (failed(reader.readVarInt(version)))
      return nullptr;
    if (version == 0 || version > kOptimBytecodeVersion) {
      reader.emitError() << "optim dialect bytecode version " << version
                         << " is not supported: this muon-mlir reads "
                            "versions 1 to "
                         << kOptimBytecodeVersion
                         << " (a file from a newer muon-mlir needs that "
                            "release, or one written for this version)";
      return nullptr;
    }
    return std::make_unique<OptimDialectVersion>(version);
  }

  LogicalResult upgradeFromVersion(Operation *,
                                   const DialectVersion &) const final {
    // Every readable version is 1, the first versioned encoding, so there is
    // no older IR to rewrite yet; a version bump adds that rewrite here,
    // keyed on the OptimDialectVersion read above.
    return success();
  }
};
} // namespace

void muon::optim::addBytecodeInterface(OptimDialect *dialect) {
  dialect->addInterfaces<OptimBytecodeInterface>();
}
