//===- ResultAliases.cpp - Results updated in an argument's buffer --------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Transforms/ResultAliases.h"

using namespace mlir;

FailureOr<SmallVector<std::optional<unsigned>>>
muon::getResultAliases(FunctionOpInterface func) {
  unsigned numResults = func.getNumResults();
  SmallVector<std::optional<unsigned>> aliases(numResults);
  for (unsigned arg = 0, e = func.getNumArguments(); arg < e; ++arg) {
    Attribute attr = func.getArgAttr(arg, kAliasingOutputAttrName);
    if (!attr)
      continue;
    auto index = dyn_cast<IntegerAttr>(attr);
    if (!index || index.getType().isInteger(1))
      return func.emitError()
             << "argument " << arg << ": '" << kAliasingOutputAttrName
             << "' must be an integer result index";
    int64_t result = index.getInt();
    if (result < 0 || result >= numResults)
      return func.emitError()
             << "argument " << arg << ": '" << kAliasingOutputAttrName
             << "' = " << result << " is not a result index (the function has "
             << numResults << " results)";
    if (aliases[result])
      return func.emitError()
             << "result " << result << " is tied to two arguments ("
             << *aliases[result] << " and " << arg << ")";
    Type argType = func.getArgumentTypes()[arg];
    Type resultType = func.getResultTypes()[result];
    if (argType != resultType)
      return func.emitError()
             << "argument " << arg << " of type " << argType
             << " cannot hold result " << result << " of type " << resultType;
    aliases[result] = arg;
  }
  return aliases;
}

bool muon::hasResultAliases(FunctionOpInterface func) {
  for (unsigned arg = 0, e = func.getNumArguments(); arg < e; ++arg)
    if (func.getArgAttr(arg, kAliasingOutputAttrName))
      return true;
  return false;
}

void muon::removeResultAliases(FunctionOpInterface func) {
  for (unsigned arg = 0, e = func.getNumArguments(); arg < e; ++arg)
    func.removeArgAttr(arg, kAliasingOutputAttrName);
}
