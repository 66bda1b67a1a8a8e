//===- TensorPrinter.h - Human-readable tensors -----------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_RUNNER_TENSORPRINTER_H
#define MUON_RUNNER_TENSORPRINTER_H

#include "muon/Step/HostTensor.h"

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace muon {

/// Prints `tensor` the way iree-run-module does, e.g. `2x2xf32=[1 2][3 4]`,
/// which `--input=` and `--expected_output=` read back. A tensor with more
/// than `maxElements` elements is printed flat, cut after `maxElements`
/// values, and followed by its element count.
void printTensor(llvm::raw_ostream &os, const HostTensor &tensor,
                 int64_t maxElements);

} // namespace muon

#endif // MUON_RUNNER_TENSORPRINTER_H
