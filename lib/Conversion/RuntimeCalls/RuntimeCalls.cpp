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

/// The f32 scalars and i1 flags that follow a GPU GEMM call's buffers.
static void appendGemmScalars(OpBuilder &b, Location loc,
                              SmallVectorImpl<Value> &args, double alpha,
                              double beta, ArrayRef<bool> flags) {
  Type f32 = b.getF32Type();
  args.push_back(arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, alpha)));
  args.push_back(arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, beta)));
  for (bool flag : flags)
    args.push_back(arith::ConstantIntOp::create(b, loc, flag, 1));
}

/// `name` + "_bf16" or "_f32" for the element type of `buffer`.
static std::string gpuCallee(StringRef name, Value buffer) {
  Type type = cast<MemRefType>(buffer.getType()).getElementType();
  return (name + (type.isBF16() ? "_bf16" : "_f32")).str();
}

void muon::createGPUGemmCall(OpBuilder &b, Location loc, Value lhs, Value rhs,
                             Value addend, Value result, double alpha,
                             double beta, bool transposeLhs, bool transposeRhs,
                             StringRef variant) {
  SmallVector<Value> args;
  for (Value buffer : {lhs, rhs, addend, result})
    args.push_back(castToDynamicStrided(b, loc, buffer));
  appendGemmScalars(b, loc, args, alpha, beta, {transposeLhs, transposeRhs});
  createRuntimeCall(b, loc, gpuCallee("muon_gpu_gemm", lhs) + variant.str(),
                    args);
}

void muon::createGPUSymmetricRankKCall(OpBuilder &b, Location loc, Value lhs,
                                       Value addend, Value result, double alpha,
                                       double beta, bool transposeLhs) {
  SmallVector<Value> args;
  for (Value buffer : {lhs, addend, result})
    args.push_back(castToDynamicStrided(b, loc, buffer));
  appendGemmScalars(b, loc, args, alpha, beta, {transposeLhs});
  createRuntimeCall(b, loc, gpuCallee("muon_gpu_syrk", lhs), args);
}
