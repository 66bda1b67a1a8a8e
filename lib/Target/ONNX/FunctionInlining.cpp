//===- FunctionInlining.cpp - Expand ONNX model-local functions -----------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "FunctionInlining.h"

#include "mlir/IR/Diagnostics.h"
#include "onnx/onnx_pb.h"

#include "llvm/ADT/StringMap.h"

#include <google/protobuf/unknown_field_set.h>

using namespace mlir;

namespace {
/// ModelProto fields newer than the onnx 1.12 headers this builds with,
/// which protobuf keeps as unknown fields.
constexpr int kFunctionAttributeProto = 11; // FunctionProto.attribute_proto
constexpr int kFunctionOverload = 13;       // FunctionProto.overload
constexpr int kNodeOverload = 8;            // NodeProto.overload

/// The length-delimited unknown fields numbered `number` of `message`.
SmallVector<std::string> unknownFields(const google::protobuf::Message &message,
                                       int number) {
  SmallVector<std::string> found;
  const google::protobuf::UnknownFieldSet &fields =
      message.GetReflection()->GetUnknownFields(message);
  for (int i = 0; i < fields.field_count(); ++i) {
    const google::protobuf::UnknownField &field = fields.field(i);
    if (field.number() == number &&
        field.type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED)
      found.push_back(field.length_delimited());
  }
  return found;
}

std::string overloadOf(const google::protobuf::Message &message, int number) {
  SmallVector<std::string> values = unknownFields(message, number);
  return values.empty() ? std::string() : values.back();
}

StringRef normalizeDomain(StringRef domain) {
  return domain == "ai.onnx" ? StringRef() : domain;
}

/// The key of a function: domain, name and overload.
std::string functionKey(StringRef domain, StringRef name, StringRef overload) {
  return (normalizeDomain(domain) + "\n" + name + "\n" + overload).str();
}

struct LocalFunction {
  const onnx::FunctionProto *proto = nullptr;
  /// Attribute defaults (attribute_proto), by name.
  llvm::StringMap<onnx::AttributeProto> defaults;
  /// Whether its opset imports were checked against the model's.
  bool opsetsChecked = false;
};

class Inliner {
public:
  Inliner(onnx::ModelProto &model, Location fileLoc)
      : model(model), fileLoc(fileLoc) {}

  LogicalResult collectFunctions();
  LogicalResult inlineGraph(onnx::GraphProto &graph);

private:
  LocalFunction *lookup(const onnx::NodeProto &node) {
    auto it = functions.find(functionKey(node.domain(), node.op_type(),
                                         overloadOf(node, kNodeOverload)));
    return it == functions.end() ? nullptr : &it->second;
  }
  InFlightDiagnostic emitCallError(const onnx::NodeProto &call) {
    return emitError(fileLoc)
           << "node '" << call.name() << "' (" << call.op_type() << ", domain '"
           << (call.domain().empty() ? StringRef("ai.onnx")
                                     : StringRef(call.domain()))
           << "'), a call of a model-local function: ";
  }
  LogicalResult checkOpsets(const onnx::NodeProto &call, LocalFunction &fn);
  /// Appends the nodes `call` stands for to `out`; `active`: the functions
  /// being expanded around it.
  LogicalResult expand(const onnx::NodeProto &call,
                       SmallVectorImpl<onnx::NodeProto> &out,
                       SmallVectorImpl<LocalFunction *> &active);

  onnx::ModelProto &model;
  Location fileLoc;
  llvm::StringMap<LocalFunction> functions;
  /// How often each call name has prefixed body values.
  llvm::StringMap<unsigned> prefixUses;
};
} // namespace

LogicalResult Inliner::collectFunctions() {
  for (const onnx::FunctionProto &proto : model.functions()) {
    std::string key = functionKey(proto.domain(), proto.name(),
                                  overloadOf(proto, kFunctionOverload));
    auto [it, inserted] = functions.try_emplace(key);
    if (!inserted)
      return emitError(fileLoc)
             << "model-local function '" << proto.name() << "' of domain '"
             << proto.domain() << "' is defined more than once";
    it->second.proto = &proto;
    for (const std::string &bytes :
         unknownFields(proto, kFunctionAttributeProto)) {
      onnx::AttributeProto attr;
      if (!attr.ParseFromString(bytes))
        return emitError(fileLoc)
               << "model-local function '" << proto.name()
               << "': an attribute default is not a valid AttributeProto";
      it->second.defaults[attr.name()] = std::move(attr);
    }
  }
  return success();
}

/// A function's body ops resolve through its own opset imports; the importer
/// resolves every node through the model's, so they must agree (a domain the
/// model does not import is added to it).
LogicalResult Inliner::checkOpsets(const onnx::NodeProto &call,
                                   LocalFunction &fn) {
  if (fn.opsetsChecked)
    return success();
  fn.opsetsChecked = true;
  for (const onnx::OperatorSetIdProto &opset : fn.proto->opset_import()) {
    StringRef domain = normalizeDomain(opset.domain());
    const onnx::OperatorSetIdProto *own = nullptr;
    for (const onnx::OperatorSetIdProto &modelOpset : model.opset_import())
      if (normalizeDomain(modelOpset.domain()) == domain)
        own = &modelOpset;
    if (!own) {
      *model.add_opset_import() = opset;
      continue;
    }
    if (own->version() != opset.version())
      return emitCallError(call)
             << "its body imports opset " << opset.version() << " of domain '"
             << (domain.empty() ? StringRef("ai.onnx") : domain)
             << "', the model " << own->version()
             << "; mixed opset versions are not supported";
  }
  return success();
}

LogicalResult Inliner::expand(const onnx::NodeProto &call,
                              SmallVectorImpl<onnx::NodeProto> &out,
                              SmallVectorImpl<LocalFunction *> &active) {
  LocalFunction *fn = lookup(call);
  if (!fn) {
    out.push_back(call);
    return success();
  }
  if (llvm::is_contained(active, fn))
    return emitCallError(call) << "the function calls itself";
  if (failed(checkOpsets(call, *fn)))
    return failure();
  const onnx::FunctionProto &proto = *fn->proto;
  if (call.input_size() > proto.input_size() ||
      call.output_size() > proto.output_size())
    return emitCallError(call)
           << "it has " << call.input_size() << " inputs and "
           << call.output_size() << " outputs, the function "
           << proto.input_size() << " and " << proto.output_size();

  // Formal parameters name the call's values (an omitted optional input: "");
  // every other body value gets the call's name as prefix, numbered where
  // names repeat (node names are optional in ONNX).
  std::string prefix = call.name().empty() ? call.op_type() : call.name();
  if (unsigned uses = prefixUses[prefix]++)
    prefix += "#" + std::to_string(uses);
  prefix += "/";
  llvm::StringMap<std::string> names;
  for (int i = 0; i < proto.input_size(); ++i)
    names[proto.input(i)] = i < call.input_size() ? call.input(i) : "";
  for (int i = 0; i < proto.output_size(); ++i)
    if (i < call.output_size() && !call.output(i).empty())
      names[proto.output(i)] = call.output(i);
  auto rename = [&](const std::string &name) {
    if (name.empty())
      return name;
    auto it = names.find(name);
    return it != names.end() ? it->second : prefix + name;
  };

  active.push_back(fn);
  for (const onnx::NodeProto &body : proto.node()) {
    onnx::NodeProto node = body;
    node.set_name(prefix + body.name());
    for (std::string &input : *node.mutable_input())
      input = rename(input);
    for (std::string &output : *node.mutable_output())
      output = rename(output);
    node.clear_attribute();
    for (const onnx::AttributeProto &attr : body.attribute()) {
      if (attr.has_g() || attr.graphs_size() > 0)
        return emitCallError(call)
               << "its body node '" << body.name() << "' (" << body.op_type()
               << ") has a subgraph attribute, not supported in functions";
      if (!attr.has_ref_attr_name()) {
        *node.add_attribute() = attr;
        continue;
      }
      // A reference: the call's attribute, else the default, else absent.
      const onnx::AttributeProto *bound = nullptr;
      for (const onnx::AttributeProto &given : call.attribute())
        if (given.name() == attr.ref_attr_name())
          bound = &given;
      auto fallback = fn->defaults.find(attr.ref_attr_name());
      if (!bound && fallback != fn->defaults.end())
        bound = &fallback->second;
      if (!bound)
        continue;
      onnx::AttributeProto *copy = node.add_attribute();
      *copy = *bound;
      copy->set_name(attr.name());
    }
    if (failed(expand(node, out, active)))
      return failure();
  }
  active.pop_back();
  return success();
}

LogicalResult Inliner::inlineGraph(onnx::GraphProto &graph) {
  if (llvm::none_of(graph.node(), [&](const onnx::NodeProto &node) {
        return lookup(node) != nullptr;
      }))
    return success();
  SmallVector<onnx::NodeProto> nodes;
  SmallVector<LocalFunction *> active;
  for (const onnx::NodeProto &node : graph.node())
    if (failed(expand(node, nodes, active)))
      return failure();
  graph.clear_node();
  for (onnx::NodeProto &node : nodes)
    *graph.add_node() = std::move(node);
  return success();
}

LogicalResult muon::onnx_import::inlineLocalFunctions(onnx::ModelProto &model,
                                                      Location fileLoc) {
  if (model.functions_size() == 0)
    return success();
  Inliner inliner(model, fileLoc);
  if (failed(inliner.collectFunctions()) ||
      failed(inliner.inlineGraph(*model.mutable_graph())))
    return failure();
  for (onnx::TrainingInfoProto &training : *model.mutable_training_info())
    if (failed(inliner.inlineGraph(*training.mutable_initialization())) ||
        failed(inliner.inlineGraph(*training.mutable_algorithm())))
      return failure();
  return success();
}
