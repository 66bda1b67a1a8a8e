//===- UnsignedIntegers.h - ONNX's unsigned integers after import -*- C++
//-*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// ONNX's UINT8..UINT64 tensors are `uiN` while a graph imports: arith and
// linalg's arithmetic accept only signless integers, so an importer that
// does not handle unsigned values fails to verify instead of computing signed
// results. Importers that handle them compute on signless tensors
// (`tensor.bitcast`, ImporterUtils.h) with unsigned ops. Once the function is
// imported, its integers become signless, as the rest of the compiler
// expects; the arguments and results that were unsigned keep that in the
// `muon.unsigned` attribute the step ABI reads.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_TARGET_ONNX_UNSIGNEDINTEGERS_H
#define MUON_LIB_TARGET_ONNX_UNSIGNEDINTEGERS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace muon::onnx_import {

/// Makes every integer type in `func` signless, marking its unsigned
/// arguments and results with `muon.unsigned`, and drops the bitcasts between
/// unsigned and signless tensors that became no-ops.
void eraseUnsignedIntegers(mlir::func::FuncOp func);

} // namespace muon::onnx_import

#endif // MUON_LIB_TARGET_ONNX_UNSIGNEDINTEGERS_H
