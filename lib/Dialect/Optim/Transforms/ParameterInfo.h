//===- ParameterInfo.h - Names and updates of parameters --------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// What the optim passes need to know about a parameter of a training step:
// its name and the optimizer op that updates it.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_DIALECT_OPTIM_TRANSFORMS_PARAMETERINFO_H
#define MUON_LIB_DIALECT_OPTIM_TRANSFORMS_PARAMETERINFO_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"

#include <optional>
#include <string>

namespace muon::optim {

/// The `onnx.name` of the function argument `value` is (set by the ONNX
/// importer), if any.
std::optional<std::string> getParameterName(mlir::Value value);

/// The `onnx.name` of `value`, else "<unnamed>".
std::string getParameterNameOrUnnamed(mlir::Value value);

/// An optimizer op (optim.muon, muon2, adamw, momentum, adagrad, adam) and the
/// new value it computes for its `param` operand.
struct ParameterUpdate {
  mlir::Operation *op = nullptr;
  mlir::Value newParam;
};

/// The update of `param` when exactly one optimizer op takes it as `param`.
std::optional<ParameterUpdate> getParameterUpdate(mlir::Value param);

} // namespace muon::optim

#endif // MUON_LIB_DIALECT_OPTIM_TRANSFORMS_PARAMETERINFO_H
