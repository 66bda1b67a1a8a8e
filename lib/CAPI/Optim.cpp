//===- Optim.cpp - C API of the optim dialect -----------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon-c/Dialect/Optim.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/IR/Diagnostics.h"
#include "muon/Dialect/Optim/IR/OptimAttrs.h"
#include "muon/Dialect/Optim/IR/OptimDialect.h"

#include <cassert>

using namespace mlir;
using namespace muon::optim;

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Optim, optim, OptimDialect)

// The C enums mirror the ODS ones value for value.
static_assert(static_cast<int>(NSScheduleKind::quintic) ==
                  MuonOptimNSScheduleQuintic &&
              static_cast<int>(NSScheduleKind::polar_express) ==
                  MuonOptimNSSchedulePolarExpress &&
              static_cast<int>(NSScheduleKind::custom) ==
                  MuonOptimNSScheduleCustom);
static_assert(static_cast<int>(LrAdjust::original) ==
                  MuonOptimLrAdjustOriginal &&
              static_cast<int>(LrAdjust::match_rms_adamw) ==
                  MuonOptimLrAdjustMatchRmsAdamW &&
              static_cast<int>(LrAdjust::spectral_unclamped) ==
                  MuonOptimLrAdjustSpectralUnclamped &&
              static_cast<int>(LrAdjust::none) == MuonOptimLrAdjustNone);

MlirAttribute muonOptimNSScheduleAttrGet(MlirContext ctx,
                                         MuonOptimNSScheduleKind kind) {
  if (kind == MuonOptimNSScheduleCustom)
    return MlirAttribute{nullptr};
  return wrap(
      NSScheduleAttr::get(unwrap(ctx), static_cast<NSScheduleKind>(kind)));
}

MlirAttribute muonOptimNSScheduleAttrGetCustom(MlirContext ctx,
                                               intptr_t numTuples,
                                               const double *coefficients) {
  MLIRContext *context = unwrap(ctx);
  ArrayRef<double> values(coefficients, numTuples > 0 ? 3 * numTuples : 0);
  // getChecked runs the attribute verifier and reports through the
  // context's diagnostic handlers instead of asserting.
  return wrap(NSScheduleAttr::getChecked(
      [&] { return emitError(UnknownLoc::get(context)); }, context,
      NSScheduleKind::custom, DenseF64ArrayAttr::get(context, values),
      NSAlgorithm::automatic, DenseI64ArrayAttr()));
}

bool muonAttributeIsAOptimNSSchedule(MlirAttribute attr) {
  return isa<NSScheduleAttr>(unwrap(attr));
}

MuonOptimNSScheduleKind muonOptimNSScheduleAttrGetKind(MlirAttribute attr) {
  return static_cast<MuonOptimNSScheduleKind>(
      cast<NSScheduleAttr>(unwrap(attr)).getKind());
}

intptr_t muonOptimNSScheduleAttrGetNumTuples(MlirAttribute attr) {
  return cast<NSScheduleAttr>(unwrap(attr)).getNumTuples();
}

double muonOptimNSScheduleAttrGetCoefficient(MlirAttribute attr, intptr_t step,
                                             intptr_t which) {
  assert(step >= 0 && which >= 0 && which < 3 && "coefficient out of range");
  return cast<NSScheduleAttr>(unwrap(attr)).getTuples(step + 1).back()[which];
}

MlirAttribute muonOptimLrAdjustAttrGet(MlirContext ctx,
                                       MuonOptimLrAdjust value) {
  return wrap(LrAdjustAttr::get(unwrap(ctx), static_cast<LrAdjust>(value)));
}

bool muonAttributeIsAOptimLrAdjust(MlirAttribute attr) {
  return isa<LrAdjustAttr>(unwrap(attr));
}

MuonOptimLrAdjust muonOptimLrAdjustAttrGetValue(MlirAttribute attr) {
  return static_cast<MuonOptimLrAdjust>(
      cast<LrAdjustAttr>(unwrap(attr)).getValue());
}
