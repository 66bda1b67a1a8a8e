//===- Translation.cpp - The --import-onnx translation --------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Dialect/Optim/IR/OptimDialect.h"
#include "muon/Target/ONNX/ONNXImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace muon::onnx_import;

void muon::onnx_import::registerImportONNXTranslation() {
  static llvm::cl::list<std::string> sequenceSpecs(
      "onnx-sequence",
      llvm::cl::desc("Static element types of a sequence-typed ONNX value, "
                     "repeated per sequence, e.g. "
                     "--onnx-sequence=params=4x8xf32,8xf32 (params= for an "
                     "empty one)"),
      llvm::cl::value_desc("name=type,type,..."));
  static llvm::cl::list<std::string> dimSpecs(
      "onnx-dim",
      llvm::cl::desc("Value of a symbolic (dim_param) dimension, repeated "
                     "per name, e.g. --onnx-dim=batch=8"),
      llvm::cl::value_desc("name=value"));
  static llvm::cl::opt<uint64_t> maxTensorElements(
      "onnx-max-tensor-elements",
      llvm::cl::desc("Reject tensors with more elements than this"),
      llvm::cl::init(kDefaultMaxTensorElements));

  static llvm::cl::opt<uint64_t> maxFileBytes(
      "onnx-max-file-bytes",
      llvm::cl::desc("Reject model files larger than this, before parsing "
                     "(at most 2147483647: protobuf's limit)"),
      llvm::cl::init(ONNXImportOptions().maxFileBytes));

  TranslateToMLIRRegistration registration(
      "import-onnx", "Import an ONNX model (binary ModelProto) into func/optim",
      [](llvm::SourceMgr &sourceMgr,
         MLIRContext *context) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buffer =
            sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        // Option errors name the model they were given for.
        Location fileLoc =
            FileLineColLoc::get(context, buffer->getBufferIdentifier(), 0, 0);
        ONNXImportOptions options;
        options.maxTensorElements = maxTensorElements;
        if (maxFileBytes > ONNXImportOptions().maxFileBytes) {
          emitError(fileLoc)
              << "--onnx-max-file-bytes=" << maxFileBytes.getValue()
              << " exceeds " << ONNXImportOptions().maxFileBytes
              << ", the largest message protobuf parses";
          return nullptr;
        }
        options.maxFileBytes = maxFileBytes;
        for (StringRef spec : sequenceSpecs) {
          // `name=` (no types) is an empty sequence.
          auto [name, types] = spec.split('=');
          if (name.empty() || !spec.contains('=')) {
            emitError(fileLoc) << "--onnx-sequence='" << spec
                               << "': expected name=type,type,... such as "
                                  "params=4x8xf32,8xf32 (name= for an empty "
                                  "sequence)";
            return nullptr;
          }
          options.sequenceTypes[name] = types.str();
        }
        for (StringRef spec : dimSpecs) {
          auto [name, text] = spec.split('=');
          int64_t value;
          if (name.empty() || text.getAsInteger(10, value) || value < 0) {
            emitError(fileLoc)
                << "--onnx-dim='" << spec
                << "': expected name=value with a non-negative value, such "
                   "as batch=8";
            return nullptr;
          }
          auto [it, inserted] = options.dimValues.try_emplace(name, value);
          if (!inserted && it->second != value) {
            emitError(fileLoc)
                << "--onnx-dim gives '" << name << "' two values, "
                << it->second << " and " << value;
            return nullptr;
          }
        }
        return importONNXModel(buffer->getMemBufferRef(), context, options);
      },
      [](DialectRegistry &registry) {
        registry
            .insert<arith::ArithDialect, func::FuncDialect,
                    linalg::LinalgDialect, math::MathDialect, scf::SCFDialect,
                    tensor::TensorDialect, muon::optim::OptimDialect>();
      });
}
