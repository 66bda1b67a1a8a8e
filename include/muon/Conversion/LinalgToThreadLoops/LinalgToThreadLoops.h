//===- LinalgToThreadLoops.h - linalg to block x thread loops ---*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_CONVERSION_LINALGTOTHREADLOOPS_LINALGTOTHREADLOOPS_H
#define MUON_CONVERSION_LINALGTOTHREADLOOPS_LINALGTOTHREADLOOPS_H

#include "mlir/Pass/Pass.h"

namespace muon {

#define GEN_PASS_DECL_CONVERTLINALGTOTHREADLOOPSPASS
#include "muon/Conversion/Passes.h.inc"

} // namespace muon

#endif // MUON_CONVERSION_LINALGTOTHREADLOOPS_LINALGTOTHREADLOOPS_H
