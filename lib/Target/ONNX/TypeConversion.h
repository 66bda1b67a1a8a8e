//===- TypeConversion.h - ONNX types and tensors to MLIR --------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// ONNX value types (tensors with static shapes; sequences whose element
// types the import options give) and initializer data to MLIR types and
// `arith.constant`s, with located errors for everything else.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_TARGET_ONNX_TYPECONVERSION_H
#define MUON_LIB_TARGET_ONNX_TYPECONVERSION_H

#include "muon/Target/ONNX/ONNXImporter.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace onnx {
class TensorProto;
class TypeProto;
class ValueInfoProto;
} // namespace onnx

namespace muon::onnx_import {

/// The MLIR element type of an ONNX data type the importer reads (FLOAT,
/// DOUBLE, FLOAT16, BFLOAT16, the four FLOAT8 types, INT2/4/8/16/32/64, BOOL,
/// UINT2/4/8/16/32/64); null for the others.
mlir::Type getElementType(mlir::MLIRContext *context, int32_t dataType);

/// The decoded tensor's elements as an attribute of `type` (its shape and
/// element type).
mlir::DenseElementsAttr getDenseAttr(mlir::RankedTensorType type,
                                     const DecodedTensor &decoded);

/// `type` without an optional's wrapper: an optional value is present at
/// import (the importer has no empty values), so it has its contents' type.
const onnx::TypeProto &getPresentType(const onnx::TypeProto &type);

/// The MLIR types of one ONNX value: one tensor, or a sequence's elements.
struct ValueTypes {
  llvm::SmallVector<mlir::Type> types;
  bool isSequence = false;
};

class ONNXTypeConverter {
public:
  ONNXTypeConverter(mlir::MLIRContext *context,
                    const ONNXImportOptions &options)
      : context(context), options(options) {}

  /// The element type of an ONNX data type code (f32, bf16, i64, i1, ...).
  mlir::FailureOr<mlir::Type> convertElementType(int32_t dataType,
                                                 mlir::Location loc,
                                                 llvm::StringRef name);

  /// The type of an initializer from its data type and dims.
  mlir::FailureOr<mlir::RankedTensorType>
  convertTensorProtoType(const onnx::TensorProto &tensor, mlir::Location loc);

  /// The types of a graph input (sequences: from the options).
  mlir::FailureOr<ValueTypes> convertValueInfo(const onnx::ValueInfoProto &info,
                                               mlir::Location loc);

  /// The static tensor type `info` declares, if any (no diagnostics).
  std::optional<mlir::RankedTensorType>
  getStaticType(const onnx::ValueInfoProto &info);

  /// An `arith.constant` holding the initializer's data.
  mlir::FailureOr<mlir::Value> createConstant(mlir::OpBuilder &builder,
                                              const onnx::TensorProto &tensor,
                                              mlir::Location loc);

  /// Whether tensor value `info` has a symbolic dimension that neither the
  /// options nor bindDim give a value.
  bool hasUnboundDims(const onnx::ValueInfoProto &info) const;
  /// Gives symbolic dimension `name` a value the graph determines (a loss's
  /// targets sized by its scores), for every value that has it.
  void bindDim(llvm::StringRef name, int64_t value) {
    inferredDims.try_emplace(name, value);
  }
  /// Binds the symbolic dimensions `info` declares to the sizes of `shape`,
  /// the shape the importer computed for the value: ONNX gives a dim_param
  /// one size throughout the graph, and ORT declares a gradient with its
  /// forward value's dims (`unk__N` where its shape inference made them up).
  void bindDims(const onnx::ValueInfoProto &info,
                llvm::ArrayRef<int64_t> shape);

  /// The dims bindDim gave so far. Restoring them forgets later bindings: a
  /// subgraph binds its dims afresh each time it is imported (SequenceMap's
  /// body, once per element, may see other sizes each time).
  llvm::StringMap<int64_t> getInferredDims() const { return inferredDims; }
  void setInferredDims(llvm::StringMap<int64_t> dims) {
    inferredDims = std::move(dims);
  }

  /// Whether `shape` has more elements than the tensor size limit.
  bool exceedsSizeLimit(llvm::ArrayRef<int64_t> shape) const;
  uint64_t getMaxTensorElements() const { return options.maxTensorElements; }

private:
  /// Checks the element count of `shape` against the limit.
  mlir::LogicalResult checkSize(llvm::ArrayRef<int64_t> shape,
                                mlir::Location loc, llvm::StringRef name);
  mlir::FailureOr<mlir::RankedTensorType>
  convertTensorType(const onnx::TypeProto &type, mlir::Location loc,
                    llvm::StringRef name);
  mlir::FailureOr<ValueTypes> parseSequenceTypes(llvm::StringRef spec,
                                                 mlir::Location loc,
                                                 llvm::StringRef name);

  /// The value of symbolic dimension `name`, if given or bound.
  std::optional<int64_t> lookupDim(llvm::StringRef name) const;

  mlir::MLIRContext *context;
  const ONNXImportOptions &options;
  llvm::StringMap<int64_t> inferredDims;
};

} // namespace muon::onnx_import

#endif // MUON_LIB_TARGET_ONNX_TYPECONVERSION_H
