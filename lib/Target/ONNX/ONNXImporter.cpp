//===- ONNXImporter.cpp - ONNX models to MLIR -----------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The driver: parses the ModelProto with its limits, turns each graph (or
// combination of graphs, for training) into a `func.func`, walks the nodes in
// topological order and hands each to the importer registered for its
// (domain, op_type). Every error is located at the model file, and at the
// node or value it concerns.
//
//===----------------------------------------------------------------------===//

#include "muon/Target/ONNX/ONNXImporter.h"

#include "ConstantFolding.h"
#include "FunctionInlining.h"
#include "InputShapeInference.h"
#include "Ops/ImporterUtils.h"
#include "TypeConversion.h"
#include "UnsignedIntegers.h"
#include "muon/Dialect/Optim/IR/OptimDialect.h"
#include "muon/Target/ONNX/OpImporters.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "onnx/onnx_pb.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Path.h"

#include <queue>

using namespace mlir;
using namespace muon::onnx_import;

/// "" and "ai.onnx" both name the default domain.
static StringRef normalizeDomain(StringRef domain) {
  return domain == "ai.onnx" ? StringRef() : domain;
}

namespace {
/// What a function imported from one or more graphs returns.
struct FunctionResult {
  /// The graph value returned.
  std::string valueName;
  /// Its `onnx.name` (the initializer it updates, for training results).
  std::string label;
};

/// Describes one function to import: the graphs whose inputs, initializers,
/// nodes and outputs are concatenated (ONNX's rule for training graphs).
struct FunctionSpec {
  std::string name;
  SmallVector<const onnx::GraphProto *> graphs;
  /// Initializers passed as leading arguments instead of constants.
  SmallVector<std::string> stateArguments;
  SmallVector<FunctionResult> results;
};

class ModelImporter {
public:
  ModelImporter(MLIRContext *context, StringRef fileName,
                const onnx::ModelProto &model, const ONNXImportOptions &options,
                const OpImporterRegistry &registry)
      : context(context), fileLoc(FileLineColLoc::get(context, fileName, 0, 0)),
        model(model), types(context, options), registry(registry) {}

  LogicalResult importModel(ModuleOp module);

private:
  LogicalResult importFunction(ModuleOp module, const FunctionSpec &spec);
  LogicalResult collectOpsets();

  MLIRContext *context;
  Location fileLoc;
  const onnx::ModelProto &model;
  ONNXTypeConverter types;
  const OpImporterRegistry &registry;
  /// Opset version per (normalized) domain.
  llvm::StringMap<int64_t> opsets;

  friend class FunctionImporter;
};

/// Imports one FunctionSpec.
class FunctionImporter {
public:
  FunctionImporter(ModelImporter &model, const FunctionSpec &spec,
                   FunctionImporter *parent = nullptr)
      : model(model), spec(spec), builder(model.context), parent(parent) {}

  FailureOr<func::FuncOp> run();

private:
  Location getValueLoc(StringRef name) {
    return NameLoc::get(StringAttr::get(model.context, name), model.fileLoc);
  }
  Location getNodeLoc(const onnx::NodeProto &node, size_t index);
  LogicalResult collectDefinitions();
  LogicalResult createArguments(func::FuncOp func);
  /// Inserts argument `index` named `name` (its `onnx.name`).
  BlockArgument insertArgument(unsigned index, Type type, StringRef name,
                               Location loc);
  /// The types of graph input `input`'s arguments.
  FailureOr<ValueTypes> convertInput(const onnx::ValueInfoProto &input);
  /// Adds the argument of a deferred graph input, in graph input order.
  LogicalResult materializeInput(StringRef name);
  /// Binds the symbolic dimensions of deferred input `position` of `node`
  /// that its other operands determine.
  void inferDeferredInputDims(const onnx::NodeProto &node, unsigned position);
  /// The value named `name`, materializing initializers and deferred inputs
  /// on first use; null when the name is undefined (or produced by no
  /// importer).
  const GraphValue *lookup(StringRef name);
  LogicalResult importNodes();
  LogicalResult importNode(const onnx::NodeProto &node, size_t index);
  LogicalResult createReturn(func::FuncOp func);
  Value getRandomStep();
  /// NodeContext::importSubgraph for a subgraph of `node`.
  FailureOr<SmallVector<GraphValue>>
  importSubgraph(const NodeContext &ctx, const onnx::GraphProto &graph,
                 ArrayRef<GraphValue> arguments, OpBuilder &body);

  ModelImporter &model;
  const FunctionSpec &spec;
  OpBuilder builder;
  func::FuncOp function;
  /// The random step argument, once a node asked for it.
  Value randomStep;

  llvm::StringMap<const onnx::TensorProto *> initializers;
  llvm::StringMap<const onnx::ValueInfoProto *> inputs;
  SmallVector<const onnx::ValueInfoProto *> inputOrder;
  /// Arguments per graph input that has them (sequences: one per element).
  llvm::StringMap<unsigned> inputArgCounts;
  /// Tensor inputs with symbolic dimensions the options leave unbound: their
  /// arguments wait until a consumer determines them (or the end).
  llvm::StringSet<> deferred;
  llvm::StringMap<const onnx::ValueInfoProto *> outputs;
  /// The value_info entries and outputs: declared types of node results.
  llvm::StringMap<const onnx::ValueInfoProto *> declared;
  SmallVector<const onnx::NodeProto *> nodes;
  /// Value name -> index of the node producing it.
  llvm::StringMap<size_t> producers;
  llvm::StringMap<GraphValue> values;
  /// Outputs the importer of their node did not produce.
  llvm::StringMap<size_t> unproduced;
  /// The importer of the graph enclosing this subgraph; null for a function.
  FunctionImporter *parent;
};
} // namespace

//===----------------------------------------------------------------------===//
// FunctionImporter
//===----------------------------------------------------------------------===//

/// The node's name, or `op_type#index` for an unnamed one (its location's
/// name too, which NodeContext::getName reads back).
static std::string getNodeName(const onnx::NodeProto &node, size_t index) {
  if (!node.name().empty())
    return node.name();
  return node.op_type() + "#" + std::to_string(index);
}

Location FunctionImporter::getNodeLoc(const onnx::NodeProto &node,
                                      size_t index) {
  return getValueLoc(getNodeName(node, index));
}

static void collectOuterReferences(const onnx::GraphProto &graph,
                                   SmallVectorImpl<std::string> &names,
                                   llvm::StringSet<> &seen);

/// collectOuterReferences over the subgraph attributes of `node`.
static void collectSubgraphReferences(const onnx::NodeProto &node,
                                      SmallVectorImpl<std::string> &names,
                                      llvm::StringSet<> &seen) {
  for (const onnx::AttributeProto &attr : node.attribute()) {
    if (attr.has_g())
      collectOuterReferences(attr.g(), names, seen);
    for (const onnx::GraphProto &g : attr.graphs())
      collectOuterReferences(g, names, seen);
  }
}

/// Appends to `names` (once each) the names `graph` and the subgraphs nested
/// in it read without defining: values of the enclosing graphs.
static void collectOuterReferences(const onnx::GraphProto &graph,
                                   SmallVectorImpl<std::string> &names,
                                   llvm::StringSet<> &seen) {
  llvm::StringSet<> defined;
  for (const onnx::ValueInfoProto &input : graph.input())
    defined.insert(input.name());
  for (const onnx::TensorProto &init : graph.initializer())
    defined.insert(init.name());
  for (const onnx::NodeProto &node : graph.node())
    for (const std::string &output : node.output())
      defined.insert(output);
  auto add = [&](const std::string &name) {
    if (!name.empty() && !defined.contains(name) && seen.insert(name).second)
      names.push_back(name);
  };
  for (const onnx::NodeProto &node : graph.node()) {
    llvm::for_each(node.input(), add);
    SmallVector<std::string> nested;
    llvm::StringSet<> nestedSeen;
    collectSubgraphReferences(node, nested, nestedSeen);
    llvm::for_each(nested, add);
  }
}

LogicalResult FunctionImporter::collectDefinitions() {
  auto redefined = [&](StringRef name, StringRef what) {
    return emitError(getValueLoc(name))
           << "value '" << name << "' is defined more than once (" << what
           << ")";
  };
  for (const onnx::GraphProto *graph : spec.graphs) {
    if (graph->sparse_initializer_size() > 0)
      return emitError(
                 getValueLoc(graph->sparse_initializer(0).values().name()))
             << "sparse initializers are not supported";
    for (const onnx::TensorProto &init : graph->initializer()) {
      if (init.name().empty())
        return emitError(model.fileLoc) << "graph '" << graph->name()
                                        << "' has an initializer without name";
      if (!initializers.try_emplace(init.name(), &init).second)
        return redefined(init.name(), "two initializers");
    }
    for (const onnx::ValueInfoProto &input : graph->input()) {
      if (input.name().empty())
        return emitError(model.fileLoc)
               << "graph '" << graph->name() << "' has an input without name";
      if (!inputs.try_emplace(input.name(), &input).second)
        return redefined(input.name(), "two graph inputs");
      inputOrder.push_back(&input);
    }
    for (const onnx::ValueInfoProto &output : graph->output()) {
      outputs.try_emplace(output.name(), &output);
      declared.try_emplace(output.name(), &output);
    }
    for (const onnx::ValueInfoProto &info : graph->value_info())
      declared.try_emplace(info.name(), &info);
    for (const onnx::NodeProto &node : graph->node())
      nodes.push_back(&node);
  }
  for (auto [index, node] : llvm::enumerate(nodes)) {
    for (const std::string &output : node->output()) {
      if (output.empty())
        continue;
      if (inputs.count(output) || initializers.count(output))
        return redefined(output, "a graph input or initializer and an output "
                                 "of node '" +
                                     getNodeName(*node, index) + "'");
      auto [it, inserted] = producers.try_emplace(output, index);
      if (!inserted)
        return redefined(output,
                         "an output of nodes '" +
                             getNodeName(*nodes[it->second], it->second) +
                             "' and '" + getNodeName(*node, index) + "'");
    }
  }
  return success();
}

LogicalResult FunctionImporter::createArguments(func::FuncOp func) {
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  for (const std::string &name : spec.stateArguments) {
    auto it = initializers.find(name);
    if (it == initializers.end())
      return emitError(getValueLoc(name))
             << "training updates '" << name
             << "', which is not an initializer of the model";
    FailureOr<RankedTensorType> type =
        model.types.convertTensorProtoType(*it->second, getValueLoc(name));
    if (failed(type))
      return failure();
    argTypes.push_back(*type);
    argNames.push_back(name);
  }
  // Arguments of each graph input; a sequence input contributes one per
  // element. An input that is also an initializer (IR version < 4) stays an
  // argument: the initializer is only its default.
  SmallVector<std::pair<std::string, unsigned>> inputArgs;
  for (const onnx::ValueInfoProto *input : inputOrder) {
    if (input->name() == kRandomStepName)
      return emitError(getValueLoc(input->name()))
             << "input '" << input->name()
             << "' has the name of the importer's random step argument";
    if (llvm::is_contained(spec.stateArguments, input->name()))
      continue;
    if (model.types.hasUnboundDims(*input)) {
      deferred.insert(input->name());
      continue;
    }
    FailureOr<ValueTypes> type = convertInput(*input);
    if (failed(type))
      return failure();
    // A default of another type is no value the input could take (ONNX
    // Runtime rejects the model); ignoring it would hide the mistake.
    if (auto init = initializers.find(input->name());
        init != initializers.end() && !type->isSequence) {
      FailureOr<RankedTensorType> initType = model.types.convertTensorProtoType(
          *init->second, getValueLoc(input->name()));
      if (failed(initType))
        return failure();
      if (*initType != type->types.front())
        return emitError(getValueLoc(input->name()))
               << "input '" << input->name() << "' is declared as "
               << type->types.front()
               << " but its initializer (its default) is " << *initType;
    }
    inputArgs.push_back({input->name(), type->types.size()});
    inputArgCounts[input->name()] = type->types.size();
    for (auto [index, elementType] : llvm::enumerate(type->types)) {
      argTypes.push_back(elementType);
      argNames.push_back(type->isSequence
                             ? input->name() + "[" + std::to_string(index) + "]"
                             : input->name());
    }
    if (type->isSequence)
      values[input->name()].isSequence = true;
  }

  func.setFunctionType(builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [index, name] : llvm::enumerate(argNames))
    func.setArgAttr(index, kONNXNameAttr, builder.getStringAttr(name));
  unsigned next = 0;
  for (const std::string &name : spec.stateArguments)
    values[name].values.push_back(entry->getArgument(next++));
  for (auto [name, count] : inputArgs)
    for (unsigned i = 0; i < count; ++i)
      values[name].values.push_back(entry->getArgument(next++));
  builder.setInsertionPointToStart(entry);
  return success();
}

FailureOr<ValueTypes>
FunctionImporter::convertInput(const onnx::ValueInfoProto &input) {
  Location loc = getValueLoc(input.name());
  const onnx::TypeProto &type = input.type();
  StringRef param = input.name();
  // ORT declares a gradient buffer without a shape where its shape inference
  // could not give the gradient its parameter's: the buffer gets the
  // parameter's, and the accumulator reports the gradient's.
  if (type.has_tensor_type() && !type.tensor_type().has_shape() &&
      param.consume_back(kGradientBufferSuffix)) {
    const onnx::ValueInfoProto *info = inputs.lookup(param);
    std::optional<RankedTensorType> paramType =
        info ? model.types.getStaticType(*info) : std::nullopt;
    if (paramType) {
      FailureOr<Type> elementType = model.types.convertElementType(
          type.tensor_type().elem_type(), loc, input.name());
      if (failed(elementType))
        return failure();
      return ValueTypes{
          {RankedTensorType::get(paramType->getShape(), *elementType)}, false};
    }
  }
  return model.types.convertValueInfo(input, loc);
}

LogicalResult FunctionImporter::materializeInput(StringRef name) {
  const onnx::ValueInfoProto *input = inputs.lookup(name);
  Location loc = getValueLoc(name);
  // Reports the dimensions still unbound, with the option that binds them.
  FailureOr<ValueTypes> type = model.types.convertValueInfo(*input, loc);
  if (failed(type))
    return failure();
  unsigned index = spec.stateArguments.size();
  for (const onnx::ValueInfoProto *other : inputOrder) {
    if (other == input)
      break;
    index += inputArgCounts.lookup(other->name());
  }
  values[name].values.push_back(
      insertArgument(index, type->types.front(), name, loc));
  inputArgCounts[name] = 1;
  deferred.erase(name);
  return success();
}

void FunctionImporter::inferDeferredInputDims(const onnx::NodeProto &node,
                                              unsigned position) {
  const onnx::ValueInfoProto &input = *inputs.lookup(node.input(position));
  const auto &dims = input.type().tensor_type().shape().dim();
  auto getOperandType = [&](unsigned index) -> RankedTensorType {
    if (index >= static_cast<unsigned>(node.input_size()))
      return {};
    auto it = values.find(node.input(index));
    if (it == values.end() || it->second.isSequence)
      return {};
    return dyn_cast<RankedTensorType>(it->second.values.front().getType());
  };
  std::optional<SmallVector<int64_t>> shape =
      inferOperandShape(node, position, dims.size(), getOperandType);
  if (!shape)
    return;
  for (auto [dim, size] : llvm::zip_equal(dims, *shape))
    if (!dim.has_dim_value() && dim.has_dim_param() &&
        !ShapedType::isDynamic(size))
      model.types.bindDim(dim.dim_param(), size);
}

const GraphValue *FunctionImporter::lookup(StringRef name) {
  if (deferred.contains(name))
    return succeeded(materializeInput(name)) ? &values[name] : nullptr;
  auto it = values.find(name);
  if (it != values.end())
    return &it->second;
  auto init = initializers.find(name);
  if (init == initializers.end())
    return nullptr;
  FailureOr<Value> constant =
      model.types.createConstant(builder, *init->second, getValueLoc(name));
  if (failed(constant))
    return nullptr;
  GraphValue &value = values[name];
  value.values.push_back(*constant);
  return &value;
}

LogicalResult FunctionImporter::importNodes() {
  // Kahn's algorithm over node-to-node edges, preferring file order, so that
  // unsorted graphs import and cycles are found.
  SmallVector<unsigned> pending(nodes.size(), 0);
  SmallVector<SmallVector<size_t>> consumers(nodes.size());
  for (auto [index, node] : llvm::enumerate(nodes)) {
    llvm::StringSet<> seen;
    // A subgraph's reads of this graph's values order the node like inputs.
    SmallVector<std::string> reads(node->input().begin(), node->input().end());
    llvm::StringSet<> subgraphSeen;
    collectSubgraphReferences(*node, reads, subgraphSeen);
    for (const std::string &input : reads) {
      if (input.empty() || !seen.insert(input).second)
        continue;
      auto producer = producers.find(input);
      if (producer != producers.end()) {
        consumers[producer->second].push_back(index);
        ++pending[index];
      } else if (!values.count(input) && !initializers.count(input) &&
                 !deferred.contains(input)) {
        InFlightDiagnostic diag = emitError(getNodeLoc(*node, index))
                                  << "node '" << getNodeName(*node, index)
                                  << "' (" << node->op_type() << "): ";
        bool read = !llvm::is_contained(node->input(), input);
        return diag << (read ? "its subgraph reads '" : "input '") << input
                    << (read ? "', which is" : "' is")
                    << " not defined (no graph input, initializer or node "
                       "output has that name)";
      }
    }
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
  for (size_t index = 0; index < nodes.size(); ++index)
    if (pending[index] == 0)
      ready.push(index);
  size_t imported = 0;
  while (!ready.empty()) {
    size_t index = ready.top();
    ready.pop();
    if (failed(importNode(*nodes[index], index)))
      return failure();
    ++imported;
    for (size_t consumer : consumers[index])
      if (--pending[consumer] == 0)
        ready.push(consumer);
  }
  if (imported == nodes.size())
    return success();
  for (auto [index, node] : llvm::enumerate(nodes))
    if (pending[index] != 0)
      return emitError(getNodeLoc(*node, index))
             << "node '" << getNodeName(*node, index) << "' ("
             << node->op_type()
             << ") is part of, or depends on, a cycle in the graph";
  llvm_unreachable("unimported nodes without pending inputs");
}

/// What `importer` does not handle in `value`'s type ("unsigned integers",
/// "float8 or float4 tensors"); empty if it handles it (or `value` is null).
static StringRef getRejectedKind(const RegisteredImporter &importer,
                                 Value value) {
  if (!value)
    return {};
  if (!importer.acceptsUnsigned && isUnsignedTensor(value.getType()))
    return "unsigned integers";
  if (!importer.acceptsMinifloats &&
      isMinifloat(getElementTypeOrSelf(value.getType())))
    return "float8 or float4 tensors";
  return {};
}

LogicalResult FunctionImporter::importNode(const onnx::NodeProto &node,
                                           size_t index) {
  Location loc = getNodeLoc(node, index);
  StringRef domain = normalizeDomain(node.domain());
  auto opset = model.opsets.find(domain);
  SmallVector<Value> operands;
  SmallVector<std::optional<SmallVector<Value>>> sequenceOperands;
  NodeContext probe(builder, loc, node, operands, 0);
  if (opset == model.opsets.end())
    return probe.emitError()
           << "the model imports no opset of domain '"
           << (domain.empty() ? StringRef("ai.onnx") : domain) << "'";
  const RegisteredImporter *importer =
      model.registry.lookup(domain, node.op_type());
  if (!importer)
    return probe.emitError() << "unsupported op '" << node.op_type()
                             << "' (opset " << opset->second << ")";
  const OpsetRange &versions = importer->versions;
  if (opset->second < versions.since || opset->second > versions.until) {
    InFlightDiagnostic diag =
        probe.emitError() << "unsupported opset " << opset->second
                          << " of domain '"
                          << (domain.empty() ? StringRef("ai.onnx") : domain)
                          << "': " << node.op_type() << " is imported for ";
    if (versions.since == versions.until)
      return diag << "opset " << versions.since << " only";
    return diag << "opsets " << versions.since << " to " << versions.until;
  }

  for (auto [position, input] : llvm::enumerate(node.input())) {
    operands.emplace_back();
    sequenceOperands.emplace_back();
    if (input.empty())
      continue;
    if (deferred.contains(input))
      inferDeferredInputDims(node, position);
    const GraphValue *value = lookup(input);
    if (!value) {
      if (unproduced.count(input))
        return probe.emitError()
               << "input '" << input << "' is an output the importer of node '"
               << getNodeName(*nodes[unproduced.lookup(input)],
                              unproduced.lookup(input))
               << "' does not produce";
      return failure(); // The initializer's constant reported its error.
    }
    if (value->isSequence)
      sequenceOperands.back() = value->values;
    else
      operands.back() = value->values.front();
  }

  for (auto [position, operand] : llvm::enumerate(operands))
    if (StringRef kind = getRejectedKind(*importer, operand); !kind.empty())
      return probe.emitError()
             << "input '" << node.input(position) << "' has type "
             << operand.getType() << ": the importer of " << node.op_type()
             << " does not handle " << kind;

  SmallVector<std::optional<RankedTensorType>> declaredTypes;
  for (const std::string &output : node.output()) {
    auto info = declared.find(output);
    declaredTypes.push_back(info == declared.end()
                                ? std::nullopt
                                : model.types.getStaticType(*info->second));
  }
  NodeContext ctx(builder, loc, node, operands, opset->second,
                  sequenceOperands);
  ctx.declaredResultTypes = declaredTypes;
  ctx.maxTensorElements = model.types.getMaxTensorElements();
  ctx.getRandomStep = [this] { return getRandomStep(); };
  ctx.importSubgraph = [this, &ctx](const onnx::GraphProto &graph,
                                    ArrayRef<GraphValue> arguments,
                                    OpBuilder &body) {
    return importSubgraph(ctx, graph, arguments, body);
  };
  Block *block = builder.getInsertionBlock();
  Block::iterator point = builder.getInsertionPoint();
  Operation *previous = point == block->begin() ? nullptr : &*std::prev(point);
  FailureOr<SmallVector<Value>> results = importer->import(ctx);
  if (failed(results) || ctx.hadAttributeError)
    return failure();
  for (const onnx::AttributeProto &attr : node.attribute())
    if (!ctx.wasAttrRead(attr.name()))
      return ctx.emitError()
             << "unsupported attribute '" << attr.name()
             << "': the importer does not read it, and ignoring it could "
                "change the result";
  if (static_cast<int64_t>(results->size()) != ctx.getNumResults())
    return ctx.emitError() << "importer returned " << results->size()
                           << " values for " << ctx.getNumResults()
                           << " outputs";
  for (auto [resultIndex, result] : llvm::enumerate(*results))
    if (StringRef kind = getRejectedKind(*importer, result); !kind.empty())
      return ctx.emitError()
             << "output '" << node.output(resultIndex) << "' has type "
             << result.getType() << ": the importer of " << node.op_type()
             << " does not handle " << kind;
  foldConstantResults(
      builder, previous ? std::next(previous->getIterator()) : block->begin(),
      *results);
  for (auto [resultIndex, name] : llvm::enumerate(node.output())) {
    if (name.empty())
      continue;
    // Computed tensors obey the size limit of read ones (Expand, Tile or a
    // constant shape can ask for any size).
    if (Value value = (*results)[resultIndex])
      if (auto type = dyn_cast<RankedTensorType>(value.getType());
          type && failed(checkResultSize(ctx, resultIndex, type)))
        return failure();
    auto sequence = ctx.sequenceResults.find(resultIndex);
    if (sequence != ctx.sequenceResults.end()) {
      values[name] = GraphValue{sequence->second, /*isSequence=*/true};
      continue;
    }
    Value value = (*results)[resultIndex];
    if (!value) {
      unproduced[name] = index;
      continue;
    }
    values[name].values.push_back(value);
    // Later declarations (a gradient's) may name the dims only this value
    // determines.
    auto info = declared.find(name);
    if (auto type = dyn_cast<RankedTensorType>(value.getType());
        type && info != declared.end())
      model.types.bindDims(*info->second, type.getShape());
  }
  return success();
}

LogicalResult FunctionImporter::createReturn(func::FuncOp func) {
  SmallVector<Value> returned;
  SmallVector<std::string> labels;
  for (const FunctionResult &result : spec.results) {
    Location loc = getValueLoc(result.valueName);
    const GraphValue *value = lookup(result.valueName);
    if (!value) {
      if (unproduced.count(result.valueName))
        return emitError(loc)
               << "output '" << result.valueName
               << "' is not produced by the importer of node '"
               << getNodeName(*nodes[unproduced.lookup(result.valueName)],
                              unproduced.lookup(result.valueName))
               << "'";
      if (initializers.count(result.valueName))
        return failure(); // Reported when decoding the initializer.
      return emitError(loc) << "output '" << result.valueName
                            << "' is not defined in the graph";
    }
    // A declared static type must agree with what the nodes compute.
    auto declared = outputs.find(result.valueName);
    if (declared != outputs.end() && !value->isSequence) {
      std::optional<RankedTensorType> type =
          model.types.getStaticType(*declared->second);
      if (type && *type != value->values.front().getType())
        return emitError(loc)
               << "output '" << result.valueName << "' is declared as " << *type
               << " but computes " << value->values.front().getType();
    }
    for (auto [index, element] : llvm::enumerate(value->values)) {
      returned.push_back(element);
      labels.push_back(value->isSequence
                           ? result.label + "[" + std::to_string(index) + "]"
                           : result.label);
    }
  }
  func::ReturnOp::create(builder, model.fileLoc, returned);
  func.setFunctionType(builder.getFunctionType(
      func.getArgumentTypes(), ValueRange(returned).getTypes()));
  for (auto [index, label] : llvm::enumerate(labels))
    func.setResultAttr(index, kONNXNameAttr, builder.getStringAttr(label));
  return success();
}

BlockArgument FunctionImporter::insertArgument(unsigned index, Type type,
                                               StringRef name, Location loc) {
  LogicalResult inserted =
      function.insertArgument(index, type,
                              builder.getDictionaryAttr(builder.getNamedAttr(
                                  kONNXNameAttr, builder.getStringAttr(name))),
                              loc);
  (void)inserted;
  assert(succeeded(inserted) && "func.func takes arguments of any type");
  return function.getArgument(index);
}

Value FunctionImporter::getRandomStep() {
  if (parent)
    return parent->getRandomStep();
  if (!randomStep) {
    randomStep = insertArgument(function.getNumArguments(),
                                RankedTensorType::get({}, builder.getI64Type()),
                                kRandomStepName, model.fileLoc);
  }
  return randomStep;
}

FailureOr<SmallVector<GraphValue>> FunctionImporter::importSubgraph(
    const NodeContext &ctx, const onnx::GraphProto &graph,
    ArrayRef<GraphValue> arguments, OpBuilder &body) {
  StringRef opType = ctx.node.op_type();
  auto error = [&] {
    return ctx.emitError() << "subgraph '" << graph.name() << "' ";
  };
  if (graph.input_size() != static_cast<int>(arguments.size()))
    return error() << "declares " << graph.input_size() << " inputs, " << opType
                   << " binds " << arguments.size();
  FunctionSpec spec;
  spec.name = graph.name();
  spec.graphs.push_back(&graph);
  llvm::scope_exit restoreDims(
      [&, dims = model.types.getInferredDims()]() mutable {
        model.types.setInferredDims(std::move(dims));
      });
  FunctionImporter child(model, spec, this);
  child.builder.restoreInsertionPoint(body.saveInsertionPoint());
  if (failed(child.collectDefinitions()))
    return failure();

  // Values read from this graph (or further out) materialize where they
  // dominate the op holding the subgraph's block.
  {
    OpBuilder::InsertionGuard guard(builder);
    Block *block = body.getInsertionBlock();
    if (block != builder.getInsertionBlock()) {
      Operation *anchor = block->getParentOp();
      while (anchor && anchor->getBlock() != builder.getInsertionBlock())
        anchor = anchor->getParentOp();
      if (anchor)
        builder.setInsertionPoint(anchor);
    }
    SmallVector<std::string> reads;
    llvm::StringSet<> seen;
    collectOuterReferences(graph, reads, seen);
    for (const std::string &name : reads) {
      const GraphValue *value = lookup(name);
      if (!value) {
        if (initializers.count(name))
          return failure(); // Reported when decoding the initializer.
        if (unproduced.count(name))
          return error() << "reads '" << name
                         << "', an output its node's importer does not "
                            "produce";
        return error() << "reads '" << name
                       << "', which no enclosing graph defines";
      }
      child.values[name] = *value;
    }
  }

  for (auto [input, argument] : llvm::zip_equal(graph.input(), arguments)) {
    const onnx::TypeProto &declaredType = getPresentType(input.type());
    if (declaredType.value_case() != onnx::TypeProto::VALUE_NOT_SET &&
        declaredType.has_sequence_type() != argument.isSequence)
      return error() << "input '" << input.name() << "' is declared as a "
                     << (argument.isSequence ? "tensor" : "sequence") << " but "
                     << opType << " binds a "
                     << (argument.isSequence ? "sequence" : "tensor");
    std::optional<RankedTensorType> type = model.types.getStaticType(input);
    if (type && !argument.isSequence &&
        *type != argument.values.front().getType())
      return error() << "input '" << input.name() << "' is declared as "
                     << *type << " but " << opType << " binds "
                     << argument.values.front().getType();
    child.values[input.name()] = argument;
  }
  if (failed(child.importNodes()))
    return failure();

  SmallVector<GraphValue> results;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    const GraphValue *value = child.lookup(output.name());
    if (!value) {
      if (child.unproduced.count(output.name()))
        return error() << "output '" << output.name()
                       << "' is not produced by the importer of its node";
      if (child.initializers.count(output.name()))
        return failure();
      return error() << "output '" << output.name() << "' is not defined";
    }
    std::optional<RankedTensorType> type = model.types.getStaticType(output);
    if (type && !value->isSequence && *type != value->values.front().getType())
      return error() << "output '" << output.name() << "' is declared as "
                     << *type << " but computes "
                     << value->values.front().getType();
    results.push_back(*value);
  }
  return results;
}

FailureOr<func::FuncOp> FunctionImporter::run() {
  if (failed(collectDefinitions()))
    return failure();
  auto func = func::FuncOp::create(model.fileLoc, spec.name,
                                   builder.getFunctionType({}, {}));
  function = func;
  auto materializeUnread = [&] {
    for (const onnx::ValueInfoProto *input : inputOrder)
      if (deferred.contains(input->name()) &&
          failed(materializeInput(input->name())))
        return failure();
    return success();
  };
  if (failed(createArguments(func)) || failed(importNodes()) ||
      failed(materializeUnread()) || failed(createReturn(func))) {
    func.erase();
    return failure();
  }
  eraseUnsignedIntegers(func);
  return func;
}

//===----------------------------------------------------------------------===//
// ModelImporter
//===----------------------------------------------------------------------===//

LogicalResult ModelImporter::collectOpsets() {
  for (const onnx::OperatorSetIdProto &opset : model.opset_import()) {
    StringRef domain = normalizeDomain(opset.domain());
    if (!opsets.try_emplace(domain, opset.version()).second)
      return emitError(fileLoc) << "the model imports domain '"
                                << opset.domain() << "' more than once";
  }
  return success();
}

LogicalResult ModelImporter::importModel(ModuleOp module) {
  if (failed(collectOpsets()))
    return failure();
  const onnx::GraphProto &graph = model.graph();
  SymbolTable symbols(module);
  auto import = [&](const FunctionSpec &spec) -> LogicalResult {
    FailureOr<func::FuncOp> func = FunctionImporter(*this, spec).run();
    if (failed(func))
      return failure();
    symbols.insert(*func);
    return success();
  };

  FunctionSpec main;
  main.name = graph.name().empty() ? "main" : graph.name();
  main.graphs.push_back(&graph);
  for (const onnx::ValueInfoProto &output : graph.output())
    main.results.push_back({output.name(), output.name()});
  if (failed(import(main)))
    return failure();

  int numTrainings = model.training_info_size();
  for (auto [index, training] : llvm::enumerate(model.training_info())) {
    std::string suffix = numTrainings == 1 ? "" : "_" + std::to_string(index);
    if (training.initialization().node_size() > 0 ||
        training.initialization().output_size() > 0) {
      FunctionSpec init;
      init.name = "train_init" + suffix;
      init.graphs.push_back(&training.initialization());
      for (const onnx::StringStringEntryProto &binding :
           training.initialization_binding())
        init.results.push_back({binding.value(), binding.key()});
      if (failed(import(init)))
        return failure();
    }
    FunctionSpec step;
    step.name = "train_step" + suffix;
    step.graphs = {&graph, &training.algorithm()};
    for (const onnx::StringStringEntryProto &binding :
         training.update_binding()) {
      if (llvm::is_contained(step.stateArguments, binding.key()))
        return emitError(fileLoc) << "update_binding of training_info " << index
                                  << " binds '" << binding.key() << "' twice";
      step.stateArguments.push_back(binding.key());
      step.results.push_back({binding.value(), binding.key()});
    }
    for (const onnx::GraphProto *part : step.graphs)
      for (const onnx::ValueInfoProto &output : part->output())
        step.results.push_back({output.name(), output.name()});
    if (failed(import(step)))
      return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

static const OpImporterRegistry &getRegistry() {
  static const OpImporterRegistry registry = [] {
    OpImporterRegistry registry;
    populateAllOpImporters(registry);
    return registry;
  }();
  return registry;
}

/// Reads the data of the main graph's tensors stored outside the model
/// (initializers and tensor attributes such as Constant's value; torch's
/// dynamo exporter writes its weights so) from their files beside it.
static LogicalResult inlineModelExternalData(onnx::ModelProto &model,
                                             StringRef modelPath,
                                             Location fileLoc) {
  StringRef baseDir = llvm::sys::path::parent_path(modelPath);
  ExternalDataFiles files;
  auto inlineTensor = [&](onnx::TensorProto &tensor,
                          const Twine &what) -> LogicalResult {
    if (llvm::Error error = inlineExternalData(tensor, baseDir, files))
      return emitError(fileLoc)
             << what << ": " << llvm::toString(std::move(error));
    return success();
  };
  onnx::GraphProto &graph = *model.mutable_graph();
  for (onnx::TensorProto &init : *graph.mutable_initializer())
    if (failed(inlineTensor(init, "initializer '" + init.name() + "'")))
      return failure();
  for (onnx::NodeProto &node : *graph.mutable_node())
    for (onnx::AttributeProto &attr : *node.mutable_attribute())
      if (attr.has_t() &&
          failed(inlineTensor(*attr.mutable_t(), "attribute '" + attr.name() +
                                                     "' of node '" +
                                                     node.name() + "'")))
        return failure();
  return success();
}

/// Fails when a --onnx-dim names no symbolic dimension of the main graph's
/// inputs, outputs or value_info (a misspelled name would else go unnoticed).
static LogicalResult checkDimNames(const onnx::ModelProto &model,
                                   const ONNXImportOptions &options,
                                   Location fileLoc) {
  llvm::StringSet<> used;
  const onnx::GraphProto &graph = model.graph();
  for (const auto *infos :
       {&graph.input(), &graph.output(), &graph.value_info()})
    for (const onnx::ValueInfoProto &info : *infos)
      if (info.type().has_tensor_type())
        for (const auto &dim : info.type().tensor_type().shape().dim())
          if (dim.has_dim_param())
            used.insert(dim.dim_param());
  for (const auto &entry : options.dimValues)
    if (!used.contains(entry.getKey()))
      return emitError(fileLoc)
             << "--onnx-dim names '" << entry.getKey()
             << "', which no input, output or value_info of the graph uses";
  return success();
}

OwningOpRef<ModuleOp>
muon::onnx_import::importONNXModel(llvm::MemoryBufferRef buffer,
                                   MLIRContext *context,
                                   const ONNXImportOptions &options) {
  context->loadDialect<arith::ArithDialect, cf::ControlFlowDialect,
                       func::FuncDialect, linalg::LinalgDialect,
                       math::MathDialect, scf::SCFDialect,
                       tensor::TensorDialect, muon::optim::OptimDialect>();
  Location fileLoc =
      FileLineColLoc::get(context, buffer.getBufferIdentifier(), 0, 0);
  StringRef bytes = buffer.getBuffer();
  if (bytes.size() > options.maxFileBytes) {
    emitError(fileLoc) << "model file of " << bytes.size()
                       << " bytes exceeds the limit of " << options.maxFileBytes
                       << " bytes";
    return nullptr;
  }
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    emitError(fileLoc) << "not a valid ONNX model: protobuf parsing failed "
                          "(not an ONNX file, truncated or corrupt)";
    return nullptr;
  }
  if (!model.has_graph() || !model.has_ir_version()) {
    emitError(fileLoc) << "not an ONNX model: no "
                       << (model.has_graph() ? "IR version" : "graph");
    return nullptr;
  }

  if (failed(checkDimNames(model, options, fileLoc)) ||
      failed(inlineModelExternalData(model, buffer.getBufferIdentifier(),
                                     fileLoc)) ||
      failed(inlineLocalFunctions(model, fileLoc)))
    return nullptr;
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  ModelImporter importer(context, buffer.getBufferIdentifier(), model, options,
                         getRegistry());
  if (failed(importer.importModel(*module)) || failed(verify(*module)))
    return nullptr;
  return module;
}
