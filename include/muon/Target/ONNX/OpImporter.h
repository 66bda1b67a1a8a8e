//===- OpImporter.h - Per-op ONNX node importers ----------------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The ONNX importer walks a graph in topological order and hands each node to
// the importer registered for its (domain, op_type). Importers emit upstream
// dialects (linalg/tensor/arith/math, `optim` for optimizer ops) on static
// shapes and return one value per node output. Families of ops live in their
// own files under lib/Target/ONNX/Ops/, each exposing a populate function.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_TARGET_ONNX_OPIMPORTER_H
#define MUON_TARGET_ONNX_OPIMPORTER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <functional>
#include <limits>
#include <optional>
#include <string>

namespace onnx {
class AttributeProto;
class GraphProto;
class NodeProto;
class TensorProto;
} // namespace onnx

namespace muon::onnx_import {

/// An ONNX value as imported: one tensor, or the elements of a sequence (a
/// static list of tensors, possibly empty: sequences exist only at import).
struct GraphValue {
  llvm::SmallVector<mlir::Value> values;
  bool isSequence = false;

  static GraphValue tensor(mlir::Value value) { return {{value}, false}; }
  static GraphValue sequence(llvm::ArrayRef<mlir::Value> elements) {
    return {llvm::SmallVector<mlir::Value>(elements), true};
  }
};

/// Everything an op importer may look at while importing one node.
class NodeContext {
public:
  NodeContext(
      mlir::OpBuilder &builder, mlir::Location loc, const onnx::NodeProto &node,
      llvm::ArrayRef<mlir::Value> operands, int64_t opsetVersion,
      llvm::ArrayRef<std::optional<llvm::SmallVector<mlir::Value>>>
          sequenceOperands = {})
      : builder(builder), loc(loc), node(node), operands(operands),
        opsetVersion(opsetVersion), sequenceOperands(sequenceOperands) {}

  mlir::OpBuilder &builder;
  /// Names the node (and its model file) in every diagnostic.
  mlir::Location loc;
  const onnx::NodeProto &node;
  /// One per node input; a null Value marks an omitted optional input ("").
  llvm::ArrayRef<mlir::Value> operands;
  /// Opset version of the node's domain, as the model imports it.
  int64_t opsetVersion;

  /// Sequence-typed inputs (ONNX `seq(tensor)`, e.g. ONNX Runtime's
  /// optimizer parameter lists) have static element types given at import
  /// time (or built by the sequence ops); their elements are here, indexed
  /// like `operands` (std::nullopt for tensor inputs), and their `operands`
  /// entry is null.
  llvm::ArrayRef<std::optional<llvm::SmallVector<mlir::Value>>>
      sequenceOperands;
  /// Sequence-typed results: an importer stores the elements of output
  /// `index` here and returns a null Value for it.
  llvm::DenseMap<unsigned, llvm::SmallVector<mlir::Value>> sequenceResults;

  /// The elements of sequence operand `index`; std::nullopt when that input
  /// is absent or not a sequence.
  std::optional<llvm::ArrayRef<mlir::Value>>
  getSequenceOperand(unsigned index) const;

  /// The static types the graph declares for the node's outputs (its
  /// value_info or outputs, as shape inference writes them; symbolic dims
  /// as the options or the values imported so far bind them), by output;
  /// std::nullopt where none is declared or a dim is unbound.
  llvm::ArrayRef<std::optional<mlir::RankedTensorType>> declaredResultTypes;

  /// The most elements a tensor may have (the importer's size limit, which
  /// it checks on every result): an importer whose IR grows with a result's
  /// size checks it first (checkResultSize).
  uint64_t maxTensorElements = std::numeric_limits<uint64_t>::max();

  /// The step counter random ops draw from (a 0-d i64 argument the function
  /// gains on first use, named kRandomStepName): a random op's values are a
  /// function of the node, the step and the element, so every step draws
  /// afresh and a step replays identically. Null where the importer offers
  /// none.
  std::function<mlir::Value()> getRandomStep;

  /// Imports `graph` (a GRAPH attribute of the node: If's branches, Loop's,
  /// Scan's and SequenceMap's bodies) with `builder`'s insertion point, its
  /// inputs bound to `arguments` in order; returns its outputs (tensors or
  /// sequences, as the graph computes them). Names the graph uses but
  /// does not define resolve in the enclosing graphs, materialized before
  /// the op holding `builder`'s block (or at this node's insertion point when
  /// that block is the node's own or not yet attached). Null where the
  /// importer offers none.
  std::function<mlir::FailureOr<llvm::SmallVector<GraphValue>>(
      const onnx::GraphProto &graph, llvm::ArrayRef<GraphValue> arguments,
      mlir::OpBuilder &builder)>
      importSubgraph;

  /// Number of outputs the node declares (trailing optional ones included).
  int64_t getNumResults() const;
  /// The declared static type of output `index`, if any.
  std::optional<mlir::RankedTensorType>
  getDeclaredResultType(unsigned index) const;
  /// The operand at `index`, or null when absent/omitted.
  mlir::Value getOperand(unsigned index) const;

  /// Attribute lookups; std::nullopt when the attribute is absent. A present
  /// attribute of the wrong kind is reported (through `emitError`) by the
  /// getter itself, which then returns std::nullopt and sets
  /// `hadAttributeError`: the importer fails the node even if its importer
  /// went on with a default.
  const onnx::AttributeProto *getAttr(llvm::StringRef name) const;
  std::optional<int64_t> getIntAttr(llvm::StringRef name) const;
  std::optional<float> getFloatAttr(llvm::StringRef name) const;
  std::optional<std::string> getStringAttr(llvm::StringRef name) const;
  std::optional<llvm::SmallVector<int64_t>>
  getIntsAttr(llvm::StringRef name) const;
  std::optional<llvm::SmallVector<float>>
  getFloatsAttr(llvm::StringRef name) const;
  /// A TENSOR attribute's data (decoded like an initializer); an undecodable
  /// tensor is reported like an attribute of the wrong kind.
  std::optional<mlir::DenseElementsAttr>
  getTensorAttr(llvm::StringRef name) const;
  /// A GRAPH attribute (a control-flow op's body), or null when absent or
  /// of another kind (reported).
  const onnx::GraphProto *getGraphAttr(llvm::StringRef name) const;

  /// The element type of ONNX data type `dataType` (Cast's `to`), or null
  /// for the types the importer does not read.
  mlir::Type convertDataType(int32_t dataType) const;

  /// An error located at the node, naming node, op type and domain.
  mlir::InFlightDiagnostic emitError() const;

  /// The node's name, or for an unnamed node the `op_type#index` its
  /// location names it by.
  llvm::StringRef getName() const;

  /// Set when a getter met an attribute of the wrong kind.
  mutable bool hadAttributeError = false;

  /// Every lookup above marks the attribute as read. After a node imports,
  /// an attribute its importer never read is an error: an unread attribute
  /// (a newer opset's mode, an exporter's option) may change the op's
  /// result, and ignoring it would import another op silently.
  bool wasAttrRead(llvm::StringRef name) const {
    return readAttrs.contains(name);
  }
  /// Marks an attribute the importer leaves unread on purpose because it
  /// cannot change the imported values (say why at the call).
  void ignoreAttr(llvm::StringRef name) const { readAttrs.insert(name); }

private:
  mutable llvm::StringSet<> readAttrs;
};

/// Imports one node; returns one Value per node output (null for outputs the
/// importer does not produce, which must then be unused) or failure after
/// emitting a diagnostic.
using OpImportFn =
    std::function<mlir::FailureOr<llvm::SmallVector<mlir::Value>>(
        NodeContext &)>;

/// The opset versions of its domain whose definition of the op an importer
/// implements: a model importing another version of the domain is rejected
/// at each node of the op (a different version may change the semantics, as
/// Softmax's axis did in opset 13, or not exist at all).
struct OpsetRange {
  int64_t since = 1;
  /// 0: the newest version of the domain the importers were checked against
  /// (OpImporterRegistry::getLatestOpset).
  int64_t until = 0;
};

/// An importer and the versions it implements.
struct RegisteredImporter {
  OpImportFn import;
  OpsetRange versions;
  /// Whether the importer handles unsigned integer inputs (ONNX's UINT8..
  /// UINT64, `uiN` tensors while importing). The others reject them before
  /// they import: with signless integers, they would compute signed results.
  bool acceptsUnsigned = false;
  /// Whether the importer handles float8 and float4 tensors (ONNX's
  /// FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ, FLOAT4E2M1):
  /// conversions and data movement. The compiler lowers only conversions of
  /// them (to and from wider floats, muon-expand-minifloat-conversions), not
  /// arithmetic.
  bool acceptsMinifloats = false;
};

/// (domain, op_type) -> importer. The default domain is spelled "" (as in
/// NodeProto); "ai.onnx" is normalized to it.
class OpImporterRegistry {
public:
  void add(llvm::StringRef domain, llvm::StringRef opType, OpImportFn fn,
           OpsetRange versions = {});
  const RegisteredImporter *lookup(llvm::StringRef domain,
                                   llvm::StringRef opType) const;
  /// Marks the registered importers of `opTypes` as handling unsigned
  /// integer inputs (RegisteredImporter::acceptsUnsigned).
  void acceptUnsigned(llvm::StringRef domain,
                      llvm::ArrayRef<llvm::StringRef> opTypes);
  /// Marks the registered importers of `opTypes` as handling float8 and
  /// float4 tensors (RegisteredImporter::acceptsMinifloats).
  void acceptMinifloats(llvm::StringRef domain,
                        llvm::ArrayRef<llvm::StringRef> opTypes);

  /// The newest opset of `domain` the importers were checked against
  /// (ai.onnx: ONNX 1.23's 28; com.microsoft and ai.onnx.preview.training
  /// define only 1).
  static int64_t getLatestOpset(llvm::StringRef domain);

private:
  void setFlag(llvm::StringRef domain, llvm::ArrayRef<llvm::StringRef> opTypes,
               bool RegisteredImporter::*flag);

  llvm::StringMap<RegisteredImporter> importers;
};

} // namespace muon::onnx_import

#endif // MUON_TARGET_ONNX_OPIMPORTER_H
