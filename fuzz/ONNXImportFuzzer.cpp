//===- ONNXImportFuzzer.cpp - Fuzz the ONNX importer ----------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Any byte string is a candidate .onnx file: protobuf parsing, the graph and
// training-info checks, tensor decoding and every op importer must return a
// module or a diagnostic, never crash or allocate what the input cannot
// hold. A module the importer returns must verify. Sequence inputs get one
// fixed element type so that ONNX Runtime optimizer graphs get past their
// first check.
//
//===----------------------------------------------------------------------===//

#include "muon/Target/ONNX/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

#include <cstdlib>

using namespace mlir;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext context(MLIRContext::Threading::DISABLED);
  // Diagnostics are expected (most inputs are invalid): keep them quiet.
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  muon::onnx_import::ONNXImportOptions options;
  // Small enough that no accepted tensor exhausts the fuzzer's memory.
  options.maxTensorElements = 1 << 20;
  for (const char *name : {"params", "grads", "m1", "m2", "weights",
                           "gradients", "momentums_1", "momentums_2"})
    options.sequenceTypes[name] = "4x8xf32,8xf32";
  llvm::MemoryBufferRef buffer(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.onnx");
  OwningOpRef<ModuleOp> module =
      muon::onnx_import::importONNXModel(buffer, &context, options);
  if (module && failed(verify(*module)))
    std::abort();
  return 0;
}
