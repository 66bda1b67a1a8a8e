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
#include "muon/Dialect/Optim/IR/OptimOps.h"

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

  LogicalResult upgradeFromVersion(Operation *top,
                                   const DialectVersion &read) const final {
    uint64_t version = static_cast<const OptimDialectVersion &>(read).version;
    if (version >= 3)
      return success();
    // Before version 3 nothing had `skip`, and optim.muon and optim.adamw
    // had equal lists without recorded sizes.
    top->walk([](MuonOp op) {
      int32_t members = (op->getNumOperands() - 1) / 3;
      llvm::copy(ArrayRef<int32_t>{members, members, members, 1, 0},
                 op.getProperties().operandSegmentSizes.begin());
    });
    top->walk([](AdamWOp op) {
      int32_t members = (op->getNumOperands() - 2) / 4;
      llvm::copy(
          ArrayRef<int32_t>{members, members, members, members, 1, 1, 0, 0},
          op.getProperties().operandSegmentSizes.begin());
    });
    if (version >= 2)
      return success();
    // Version 1: one parameter per update. Muon²'s list sizes were not
    // recorded (Muon2Op::readProperties left them for here).
    top->walk([](Muon2Op op) {
      auto &properties = op.getProperties();
      int32_t moments = op->getNumOperands() - 4;
      llvm::copy(ArrayRef<int32_t>{1, 1, 1, moments, 1, 0},
                 properties.operandSegmentSizes.begin());
      llvm::copy(ArrayRef<int32_t>{1, 1, moments},
                 properties.resultSegmentSizes.begin());
    });
    return success();
  }
};
} // namespace

uint64_t
muon::optim::getOptimBytecodeVersion(const DialectBytecodeReader &reader) {
  FailureOr<const DialectVersion *> version =
      reader.getDialectVersion<OptimDialect>();
  // Files that record no optim version predate versioning: version 1.
  if (failed(version))
    return 1;
  return static_cast<const OptimDialectVersion *>(*version)->version;
}

void muon::optim::addBytecodeInterface(OptimDialect *dialect) {
  dialect->addInterfaces<OptimBytecodeInterface>();
}
