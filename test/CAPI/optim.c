/*===- optim.c - The C API of muon-mlir, from C ---------------------------===*\
|*                                                                            *|
|* Part of the muon-mlir project.                                             *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

/* RUN: muon-capi-optim-test 2>&1 | FileCheck %s
 */

#include "muon-c/Dialect/Optim.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "muon-c/RegisterEverything.h"

#include <stdio.h>
#include <stdlib.h>

/* Unlike REQUIRE(), also checked in release builds. */
#define REQUIRE(cond)                                                          \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond);       \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

static void printToStderr(MlirStringRef text, void *userData) {
  (void)userData;
  fwrite(text.data, 1, text.length, stderr);
}

static void printAttr(const char *label, MlirAttribute attr) {
  fprintf(stderr, "%s: ", label);
  mlirAttributePrint(attr, printToStderr, NULL);
  fprintf(stderr, "\n");
}

static MlirLogicalResult printDiagnostic(MlirDiagnostic diagnostic,
                                         void *userData) {
  (void)userData;
  fprintf(stderr, "diagnostic: ");
  mlirDiagnosticPrint(diagnostic, printToStderr, NULL);
  fprintf(stderr, "\n");
  return mlirLogicalResultSuccess();
}

static MlirContext createContext(void) {
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  muonRegisterUpstreamDialects(registry);
  muonRegisterAllDialects(registry);
  MlirContext ctx = mlirContextCreateWithRegistry(registry, false);
  mlirDialectRegistryDestroy(registry);
  mlirContextAttachDiagnosticHandler(ctx, printDiagnostic, NULL, NULL);
  return ctx;
}

// CHECK-LABEL: testDialectHandle
// CHECK: namespace: optim
// CHECK: loaded: 1
static void testDialectHandle(MlirContext ctx) {
  fprintf(stderr, "testDialectHandle\n");
  MlirDialectHandle optim = mlirGetDialectHandle__optim__();
  MlirStringRef ns = mlirDialectHandleGetNamespace(optim);
  fprintf(stderr, "namespace: %.*s\n", (int)ns.length, ns.data);
  MlirDialect dialect = mlirDialectHandleLoadDialect(optim, ctx);
  fprintf(stderr, "loaded: %d\n", !mlirDialectIsNull(dialect));
}

// clang-format off
// CHECK-LABEL: testSchedules
// CHECK: quintic: #optim.ns_schedule<quintic>
// CHECK: kind 0, tuples 0, step 7 a=3.4445 b=-4.775 c=2.0315
// CHECK: polar_express: #optim.ns_schedule<polar_express>
// CHECK: kind 1, tuples 0, step 0 a=8.15655 b=-22.4833 c=15.8788
// CHECK: last repeats: 1
// CHECK: custom: #optim.ns_schedule<custom [(3.000000e+00, -4.000000e+00, 2.000000e+00), (2.000000e+00, -1.500000e+00, 5.000000e-01)]>
// CHECK: kind 2, tuples 2, step 1 a=2 b=-1.5 c=0.5
// CHECK: custom without coefficients is null: 1
// CHECK: diagnostic: custom NS schedule needs one or more (a, b, c) tuples, got 0 coefficients
// CHECK: empty custom is null: 1
// CHECK: diagnostic: custom NS schedule coefficient a of tuple 0 must be finite, got +inf
// CHECK: infinite custom is null: 1
// CHECK: lr_adjust is not a schedule: 0
// clang-format on
static void testSchedules(MlirContext ctx) {
  fprintf(stderr, "testSchedules\n");
  MlirAttribute quintic =
      muonOptimNSScheduleAttrGet(ctx, MuonOptimNSScheduleQuintic);
  REQUIRE(muonAttributeIsAOptimNSSchedule(quintic));
  printAttr("quintic", quintic);
  fprintf(stderr, "kind %d, tuples %ld, step 7 a=%g b=%g c=%g\n",
          muonOptimNSScheduleAttrGetKind(quintic),
          (long)muonOptimNSScheduleAttrGetNumTuples(quintic),
          muonOptimNSScheduleAttrGetCoefficient(quintic, 7, 0),
          muonOptimNSScheduleAttrGetCoefficient(quintic, 7, 1),
          muonOptimNSScheduleAttrGetCoefficient(quintic, 7, 2));

  MlirAttribute polar =
      muonOptimNSScheduleAttrGet(ctx, MuonOptimNSSchedulePolarExpress);
  printAttr("polar_express", polar);
  fprintf(stderr, "kind %d, tuples %ld, step 0 a=%g b=%g c=%g\n",
          muonOptimNSScheduleAttrGetKind(polar),
          (long)muonOptimNSScheduleAttrGetNumTuples(polar),
          muonOptimNSScheduleAttrGetCoefficient(polar, 0, 0),
          muonOptimNSScheduleAttrGetCoefficient(polar, 0, 1),
          muonOptimNSScheduleAttrGetCoefficient(polar, 0, 2));
  fprintf(stderr, "last repeats: %d\n",
          muonOptimNSScheduleAttrGetCoefficient(polar, 9, 0) ==
              muonOptimNSScheduleAttrGetCoefficient(polar, 4, 0));

  const double tuples[] = {3.0, -4.0, 2.0, 2.0, -1.5, 0.5};
  MlirAttribute custom = muonOptimNSScheduleAttrGetCustom(ctx, 2, tuples);
  printAttr("custom", custom);
  fprintf(stderr, "kind %d, tuples %ld, step 1 a=%g b=%g c=%g\n",
          muonOptimNSScheduleAttrGetKind(custom),
          (long)muonOptimNSScheduleAttrGetNumTuples(custom),
          muonOptimNSScheduleAttrGetCoefficient(custom, 1, 0),
          muonOptimNSScheduleAttrGetCoefficient(custom, 1, 1),
          muonOptimNSScheduleAttrGetCoefficient(custom, 1, 2));

  fprintf(stderr, "custom without coefficients is null: %d\n",
          mlirAttributeIsNull(
              muonOptimNSScheduleAttrGet(ctx, MuonOptimNSScheduleCustom)));
  fprintf(stderr, "empty custom is null: %d\n",
          mlirAttributeIsNull(muonOptimNSScheduleAttrGetCustom(ctx, 0, NULL)));
  const double infinite[] = {1.0 / 0.0, 1.0, 1.0};
  fprintf(
      stderr, "infinite custom is null: %d\n",
      mlirAttributeIsNull(muonOptimNSScheduleAttrGetCustom(ctx, 1, infinite)));
  fprintf(stderr, "lr_adjust is not a schedule: %d\n",
          muonAttributeIsAOptimNSSchedule(
              muonOptimLrAdjustAttrGet(ctx, MuonOptimLrAdjustNone)));
}

// CHECK-LABEL: testLrAdjust
// CHECK: #optim.lr_adjust<original> -> 0
// CHECK: #optim.lr_adjust<match_rms_adamw> -> 1
// CHECK: #optim.lr_adjust<spectral_unclamped> -> 2
// CHECK: #optim.lr_adjust<none> -> 3
// CHECK: parsed: 1 1
static void testLrAdjust(MlirContext ctx) {
  fprintf(stderr, "testLrAdjust\n");
  for (int value = MuonOptimLrAdjustOriginal; value <= MuonOptimLrAdjustNone;
       ++value) {
    MlirAttribute attr =
        muonOptimLrAdjustAttrGet(ctx, (MuonOptimLrAdjust)value);
    REQUIRE(muonAttributeIsAOptimLrAdjust(attr));
    mlirAttributePrint(attr, printToStderr, NULL);
    fprintf(stderr, " -> %d\n", muonOptimLrAdjustAttrGetValue(attr));
  }
  MlirAttribute parsed = mlirAttributeParseGet(
      ctx, mlirStringRefCreateFromCString("#optim.lr_adjust<match_rms_adamw>"));
  fprintf(stderr, "parsed: %d %d\n", muonAttributeIsAOptimLrAdjust(parsed),
          muonOptimLrAdjustAttrGetValue(parsed));
}

static const char *kStep =
    "func.func @step(%w: tensor<64x32xf32> {onnx.name = \"fc1.weight\"},\n"
    "    %g: tensor<64x32xf32>, %m: tensor<64x32xf32>, %v: tensor<64x32xf32>,\n"
    "    %lr: tensor<f32>, %t: tensor<i64>)\n"
    "    -> (tensor<64x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>) {\n"
    "  %w1, %m1, %v1 = optim.adamw %w, %g, %m, %v, %lr, %t\n"
    "      : tensor<64x32xf32>, tensor<f32>, tensor<i64>\n"
    "  return %w1, %m1, %v1\n"
    "      : tensor<64x32xf32>, tensor<64x32xf32>, tensor<64x32xf32>\n"
    "}\n";

static MlirOperation findOp(MlirBlock block, const char *name) {
  for (MlirOperation op = mlirBlockGetFirstOperation(block);
       !mlirOperationIsNull(op); op = mlirOperationGetNextInBlock(op)) {
    MlirIdentifier opName = mlirOperationGetName(op);
    if (mlirStringRefEqual(mlirIdentifierStr(opName),
                           mlirStringRefCreateFromCString(name)))
      return op;
  }
  return (MlirOperation){NULL};
}

// optim-assign (registered by muonRegisterAllPasses) turns the AdamW update
// of the hidden matrix into Muon; the schedule attribute built above is set
// on it, and the CPU pipeline lowers it to linalg.
// clang-format off
// CHECK-LABEL: testPasses
// CHECK: optim.muon %{{.*}} {lr_adjust = #optim.lr_adjust<match_rms_adamw>, schedule = #optim.ns_schedule<polar_express>, weight_decay
// CHECK: lowered: 1
// CHECK: func.func @step
// CHECK-NOT: optim.
// CHECK: linalg.generic
// CHECK-NOT: call @muon_gpu
// CHECK: no such option ns-step
// CHECK: valid options of 'optim-assign' (with their defaults): {algorithm=muon lr-adjust=match_rms_adamw
// CHECK: bad option: 0
// clang-format on
static void testPasses(MlirContext ctx) {
  fprintf(stderr, "testPasses\n");
  muonRegisterAllPasses();
  MlirModule module =
      mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(kStep));
  REQUIRE(!mlirModuleIsNull(module));
  MlirOperation moduleOp = mlirModuleGetOperation(module);

  MlirPassManager pm = mlirPassManagerCreate(ctx);
  MlirLogicalResult parsed = mlirParsePassPipeline(
      mlirPassManagerGetAsOpPassManager(pm),
      mlirStringRefCreateFromCString("builtin.module(optim-assign)"),
      printToStderr, NULL);
  REQUIRE(mlirLogicalResultIsSuccess(parsed));
  MlirLogicalResult ran = mlirPassManagerRunOnOp(pm, moduleOp);
  REQUIRE(mlirLogicalResultIsSuccess(ran));
  mlirPassManagerDestroy(pm);

  MlirOperation func = mlirBlockGetFirstOperation(mlirModuleGetBody(module));
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(func, 0));
  MlirOperation muon = findOp(body, "optim.muon");
  REQUIRE(!mlirOperationIsNull(muon));
  mlirOperationSetAttributeByName(
      muon, mlirStringRefCreateFromCString("schedule"),
      muonOptimNSScheduleAttrGet(ctx, MuonOptimNSSchedulePolarExpress));
  mlirOperationPrint(muon, printToStderr, NULL);
  fprintf(stderr, "\n");

  pm = mlirPassManagerCreate(ctx);
  parsed = mlirParsePassPipeline(
      mlirPassManagerGetAsOpPassManager(pm),
      mlirStringRefCreateFromCString(
          "builtin.module(muon-cpu-pipeline{stop-after=linalg blas=false})"),
      printToStderr, NULL);
  REQUIRE(mlirLogicalResultIsSuccess(parsed));
  fprintf(stderr, "lowered: %d\n",
          mlirLogicalResultIsSuccess(mlirPassManagerRunOnOp(pm, moduleOp)));
  mlirOperationPrint(moduleOp, printToStderr, NULL);
  fprintf(stderr, "\n");
  mlirPassManagerDestroy(pm);

  pm = mlirPassManagerCreate(ctx);
  parsed = mlirParsePassPipeline(
      mlirPassManagerGetAsOpPassManager(pm),
      mlirStringRefCreateFromCString("builtin.module(optim-assign{ns-step=3})"),
      printToStderr, NULL);
  fprintf(stderr, "\nbad option: %d\n", mlirLogicalResultIsSuccess(parsed));
  mlirPassManagerDestroy(pm);
  mlirModuleDestroy(module);
}

int main(void) {
  MlirContext ctx = createContext();
  testDialectHandle(ctx);
  testSchedules(ctx);
  testLrAdjust(ctx);
  testPasses(ctx);
  mlirContextDestroy(ctx);
  return 0;
}
