//===- ScalarReadsToGenericInputs.h - 0-d reads into generic inputs *- C++
//-*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_CONVERSION_SCALARREADSTOGENERICINPUTS_SCALARREADSTOGENERICINPUTS_H
#define MUON_CONVERSION_SCALARREADSTOGENERICINPUTS_SCALARREADSTOGENERICINPUTS_H

#include "mlir/Pass/Pass.h"

namespace muon {

#define GEN_PASS_DECL_CONVERTSCALARREADSTOGENERICINPUTSPASS
#include "muon/Conversion/Passes.h.inc"

} // namespace muon

#endif // MUON_CONVERSION_SCALARREADSTOGENERICINPUTS_SCALARREADSTOGENERICINPUTS_H
