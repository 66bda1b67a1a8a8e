/*===-- muon-c/RegisterEverything.h - Register muon-mlir from C ---*- C -*-===*\
|*                                                                            *|
|* Part of the muon-mlir project.                                             *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* What muon::registerAllDialects / registerAllPasses (muon/InitAll.h) do,    *|
|* for C callers, plus upstream's dialects for hosts without libMLIR-C.       *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef MUON_C_REGISTEREVERYTHING_H
#define MUON_C_REGISTEREVERYTHING_H

#include "mlir-c/IR.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Adds the optim dialect to `registry`.
MLIR_CAPI_EXPORTED void muonRegisterAllDialects(MlirDialectRegistry registry);

/// Adds every upstream dialect and extension (the external models that
/// bufferization and the LLVM lowering of muon-mlir's pipelines need), as
/// mlirRegisterAllDialects does.
MLIR_CAPI_EXPORTED void
muonRegisterUpstreamDialects(MlirDialectRegistry registry);

/// Registers every muon-mlir pass and pipeline with the global registry, so
/// mlirParsePassPipeline accepts their names. Idempotent.
MLIR_CAPI_EXPORTED void muonRegisterAllPasses(void);

#ifdef __cplusplus
}
#endif

#endif // MUON_C_REGISTEREVERYTHING_H
