//===- OptimBytecode.h - Versioned bytecode of the optim dialect -*- C++
//-*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_DIALECT_OPTIM_IR_OPTIMBYTECODE_H
#define MUON_DIALECT_OPTIM_IR_OPTIMBYTECODE_H

#include <cstdint>

namespace mlir {
class DialectBytecodeReader;
} // namespace mlir

namespace muon::optim {

class OptimDialect;

/// The version of the optim dialect that bytecode written by this build
/// carries. Bump it when a change to the dialect's ops or attributes would
/// make older files read differently, and teach upgradeFromVersion
/// (OptimBytecode.cpp) to rewrite IR of the older versions; files of newer
/// versions than this are rejected.
///   1: the first versioned encoding (ops with their attributes in textual
///      form).
///   2: the updates carry lists of parameters (buckets); `optim.muon2`
///      records the sizes of its operand and result lists.
///   3: `optim.muon`, `optim.muon2` and `optim.adamw` take an optional
///      `skip` operand; all three record their operand list sizes.
///   4: `optim.adamw` takes an optional run-time `beta1` operand,
///      `optim.muon` and `optim.muon2` a run-time `momentum` (trailing
///      lists: files of version 3 read as before).
inline constexpr uint64_t kOptimBytecodeVersion = 4;

/// Adds the dialect's BytecodeDialectInterface (OptimDialect::initialize).
void addBytecodeInterface(OptimDialect *dialect);

/// The optim version of the file `reader` reads.
uint64_t getOptimBytecodeVersion(const mlir::DialectBytecodeReader &reader);

} // namespace muon::optim

#endif // MUON_DIALECT_OPTIM_IR_OPTIMBYTECODE_H
