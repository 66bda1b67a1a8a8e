//===- RuntimeCalls.cpp - Calls of the project's runtime libraries --------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Conversion/RuntimeCalls.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

MemRefType muon::getDynamicStridedType(MemRefType type) {
  int64_t rank = type.getRank();
  SmallVector<int64_t> dynamic(rank, ShapedType::kDynamic);
  auto layout =
      StridedLayoutAttr::get(type.getContext(), ShapedType::kDynamic, dynamic);
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
    auto decl = func::FuncOp::create(b, loc, callee,
                                     b.getFunctionType(args.getTypes(), {}));
    decl.setPrivate();
    // The runtime takes memref descriptors by pointer.
    decl->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  }
  return func::CallOp::create(b, loc, callee, TypeRange(), args);
}

void muon::createGPUGemmCall(OpBuilder &b, Location loc, Value lhs, Value rhs,
                             Value addend, Value result, double alpha,
                             double beta, bool transposeLhs,
                             bool transposeRhs) {
  Type type = cast<MemRefType>(lhs.getType()).getElementType();
  StringRef callee = type.isBF16() ? "muon_gpu_gemm_bf16" : "muon_gpu_gemm_f32";
  SmallVector<Value> args;
  for (Value buffer : {lhs, rhs, addend, result})
    args.push_back(castToDynamicStrided(b, loc, buffer));
  Type f32 = b.getF32Type();
  args.push_back(arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, alpha)));
  args.push_back(arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, beta)));
  args.push_back(arith::ConstantIntOp::create(b, loc, transposeLhs, 1));
  args.push_back(arith::ConstantIntOp::create(b, loc, transposeRhs, 1));
  createRuntimeCall(b, loc, callee, args);
}
