/*===-- muon-c/Dialect/Optim.h - C API of the optim dialect -------*- C -*-===*\
|*                                                                            *|
|* Part of the muon-mlir project.                                             *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* The optim dialect for bindings in other languages, in the style of MLIR's  *|
|* mlir-c headers: the dialect handle, and builders and getters of the        *|
|* Newton-Schulz schedule and lr-adjust attributes. Functions taking an       *|
|* attribute of the wrong kind assert; check it with the IsA functions.       *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef MUON_C_DIALECT_OPTIM_H
#define MUON_C_DIALECT_OPTIM_H

#include "mlir-c/IR.h"

#ifdef __cplusplus
extern "C" {
#endif

/// mlirGetDialectHandle__optim__().
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Optim, optim);

//===----------------------------------------------------------------------===//
// #optim.ns_schedule
//===----------------------------------------------------------------------===//

/// The family of Newton-Schulz coefficients (NSScheduleKind).
typedef enum MuonOptimNSScheduleKind {
  MuonOptimNSScheduleQuintic = 0,
  MuonOptimNSSchedulePolarExpress = 1,
  MuonOptimNSScheduleCustom = 2,
} MuonOptimNSScheduleKind;

/// `#optim.ns_schedule<quintic>` or `<polar_express>`; a null attribute for
/// `MuonOptimNSScheduleCustom`, which needs coefficients.
MLIR_CAPI_EXPORTED MlirAttribute
muonOptimNSScheduleAttrGet(MlirContext ctx, MuonOptimNSScheduleKind kind);

/// `#optim.ns_schedule<custom [(a, b, c), ...]>` from `numTuples` (a, b, c)
/// tuples flattened in `coefficients`. Invalid schedules (no tuple, a
/// non-finite coefficient) emit an error on `ctx` and return a null
/// attribute.
MLIR_CAPI_EXPORTED MlirAttribute muonOptimNSScheduleAttrGetCustom(
    MlirContext ctx, intptr_t numTuples, const double *coefficients);

MLIR_CAPI_EXPORTED bool muonAttributeIsAOptimNSSchedule(MlirAttribute attr);

MLIR_CAPI_EXPORTED MuonOptimNSScheduleKind
muonOptimNSScheduleAttrGetKind(MlirAttribute attr);

/// Number of explicit (a, b, c) tuples: 0 for the named schedules.
MLIR_CAPI_EXPORTED intptr_t
muonOptimNSScheduleAttrGetNumTuples(MlirAttribute attr);

/// Coefficient `which` (0: a, 1: b, 2: c) of the iteration `step` runs,
/// 0-based, for any kind (the last tuple repeats past the listed ones, as
/// the lowering does).
MLIR_CAPI_EXPORTED double
muonOptimNSScheduleAttrGetCoefficient(MlirAttribute attr, intptr_t step,
                                      intptr_t which);

//===----------------------------------------------------------------------===//
// #optim.lr_adjust
//===----------------------------------------------------------------------===//

/// How Muon scales the learning rate by the matrix shape (LrAdjust).
typedef enum MuonOptimLrAdjust {
  MuonOptimLrAdjustOriginal = 0,
  MuonOptimLrAdjustMatchRmsAdamW = 1,
  MuonOptimLrAdjustSpectralUnclamped = 2,
  MuonOptimLrAdjustNone = 3,
} MuonOptimLrAdjust;

MLIR_CAPI_EXPORTED MlirAttribute
muonOptimLrAdjustAttrGet(MlirContext ctx, MuonOptimLrAdjust value);

MLIR_CAPI_EXPORTED bool muonAttributeIsAOptimLrAdjust(MlirAttribute attr);

MLIR_CAPI_EXPORTED MuonOptimLrAdjust
muonOptimLrAdjustAttrGetValue(MlirAttribute attr);

#ifdef __cplusplus
}
#endif

#endif // MUON_C_DIALECT_OPTIM_H
