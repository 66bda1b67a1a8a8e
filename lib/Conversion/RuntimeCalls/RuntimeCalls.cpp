//===- RuntimeCalls.cpp - Calls of the project's runtime libraries --------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Conversion/RuntimeCalls.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

MemRefType muon::getDynamicStridedType(MemRefType type) {
  int64_t rank = type.getRank();
  SmallVector<int64_t> dynamic(rank, ShapedType::kDynamic);
  auto layout = StridedLayoutAttr::get(type.getContext(), ShapedType::kDynamic,
                                       dynamic);
  return MemRefType::get(dynamic, type.getElementType(), layout);
}

Value muon::castToDynamicStrided(OpBuilder &b, Location loc, Value value) {
  auto type = cast<MemRefType>(value.getType());
  return memref::CastOp::create(b, loc, getDynamicStridedType(type), value);
}

func::CallOp muon::createRuntimeCall(OpBuilder &b, Location loc,
                                     StringRef callee, ValueRange args) {
  auto module =
      b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  if (!SymbolTable::lookupSymbolIn(module, callee)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    auto decl = func::FuncOp::create(
        b, loc, callee, b.getFunctionType(args.getTypes(), {}));
    decl.setPrivate();
    // The runtime takes memref descriptors by pointer.
    decl->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  }
  return func::CallOp::create(b, loc, callee, TypeRange(), args);
}
