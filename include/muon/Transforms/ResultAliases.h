//===- ResultAliases.h - Results updated in an argument's buffer -*- C++
//-*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// A function argument marked `optim.aliasing_output = N` donates its buffer
// to result N: the compiled code writes that result into the argument's
// storage and no longer returns it (docs/ABI.md, version 3). The marking is
// read here, checked once, and used by the two passes that implement it
// around one-shot bufferization and by muon-compile's ABI writer.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_TRANSFORMS_RESULTALIASES_H
#define MUON_TRANSFORMS_RESULTALIASES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <optional>

namespace muon {

/// The argument attribute: the index of the result written into the
/// argument's buffer.
constexpr llvm::StringLiteral kAliasingOutputAttrName = "optim.aliasing_output";

/// For each result of `func`, the argument whose buffer it is written into,
/// if any. Fails, with an error on `func`, where the marking is malformed: not
/// an integer, a result index out of range, a result tied to two arguments,
/// or argument and result types that differ.
mlir::FailureOr<llvm::SmallVector<std::optional<unsigned>>>
getResultAliases(mlir::FunctionOpInterface func);

/// Whether any argument of `func` carries the attribute.
bool hasResultAliases(mlir::FunctionOpInterface func);

/// Removes the attribute from every argument of `func`: its results are then
/// returned as usual.
void removeResultAliases(mlir::FunctionOpInterface func);

} // namespace muon

#endif // MUON_TRANSFORMS_RESULTALIASES_H
