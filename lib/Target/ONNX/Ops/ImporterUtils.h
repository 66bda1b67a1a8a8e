//===- ImporterUtils.h - Shared helpers of ONNX op importers ----*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Operand/attribute checks that report located errors through NodeContext,
// and the importers' own builders (softmax, broadcasting with located
// errors); the generic linalg/tensor builders are muon/Utils/LinalgBuilders.h.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_TARGET_ONNX_OPS_IMPORTERUTILS_H
#define MUON_LIB_TARGET_ONNX_OPS_IMPORTERUTILS_H

#include "muon/Target/ONNX/OpImporter.h"
#include "muon/Utils/LinalgBuilders.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace muon::onnx_import {

using ImportResult = mlir::FailureOr<llvm::SmallVector<mlir::Value>>;

//===----------------------------------------------------------------------===//
// Checks (each emits a located error on failure)
//===----------------------------------------------------------------------===//

/// The node's results from `values` (say, an inlined subgraph's outputs):
/// tensors returned, sequences stored in ctx.sequenceResults (their slot a
/// null Value).
ImportResult returnGraphValues(NodeContext &ctx,
                               llvm::ArrayRef<GraphValue> values);

/// Input `index` as the node's only result, a tensor or a sequence
/// (Identity, OptionalGetElement); fails when it is absent.
ImportResult forwardOperand(NodeContext &ctx, unsigned index);

/// Whether the node declares output `index` under a name (an optional
/// output may be omitted, or given as "").
bool hasResult(NodeContext &ctx, int64_t index);

/// Fails unless the node has between `min` and `max` inputs (omitted trailing
/// optional inputs count as absent).
mlir::LogicalResult checkNumOperands(NodeContext &ctx, unsigned min,
                                     unsigned max);

/// The statically shaped tensor type of input `index`.
mlir::FailureOr<mlir::RankedTensorType> getOperandType(NodeContext &ctx,
                                                       unsigned index);

/// checkNumOperands, then the statically shaped type of input 0.
mlir::FailureOr<mlir::RankedTensorType>
getFirstOperandType(NodeContext &ctx, unsigned minOperands,
                    unsigned maxOperands);

/// Fails unless input `index` has a float element type.
mlir::FailureOr<mlir::FloatType> getFloatElementType(NodeContext &ctx,
                                                     unsigned index);

/// The element type inputs `first`.. share (all present and static).
mlir::FailureOr<mlir::Type> getCommonElementType(NodeContext &ctx,
                                                 unsigned first = 0);

/// The type of inputs `first` and `second`, which must be one float tensor
/// type.
mlir::FailureOr<mlir::RankedTensorType>
getSameFloatTypes(NodeContext &ctx, unsigned first, unsigned second);

/// `axis` in [-rank, rank) made non-negative; `what` names the attribute.
mlir::FailureOr<int64_t> normalizeAxis(NodeContext &ctx, int64_t axis,
                                       int64_t rank,
                                       llvm::StringRef what = "axis");

/// Unique, non-negative axes, sorted unless `sort` is false (when other
/// inputs are given per axis); duplicates and out-of-range values are errors.
mlir::FailureOr<llvm::SmallVector<int64_t>>
normalizeAxes(NodeContext &ctx, llvm::ArrayRef<int64_t> axes, int64_t rank,
              llvm::StringRef what = "axes", bool sort = true);

/// The integer values of input `index`, which must be a constant (an
/// initializer or a folded shape computation): shapes, axes and split sizes.
mlir::FailureOr<llvm::SmallVector<int64_t>>
getConstantIntOperand(NodeContext &ctx, unsigned index);

/// getConstantIntOperand for the shape of a tensor the node builds: its dims
/// must be non-negative and their product fit in int64_t (the importer
/// checks the size limit on the node's results; the product is computed
/// before that).
mlir::FailureOr<llvm::SmallVector<int64_t>>
getConstantShapeOperand(NodeContext &ctx, unsigned index);

/// Fails, as the importer does after a node whose result is too large, when
/// output `index` of type `type` has more than ctx.maxTensorElements
/// elements: for importers whose IR grows with a result's size, before they
/// build it.
mlir::LogicalResult checkResultSize(NodeContext &ctx, unsigned index,
                                    mlir::RankedTensorType type);

/// Numpy-style broadcast of `shapes`; std::nullopt when they do not
/// broadcast.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<llvm::ArrayRef<int64_t>> shapes);

/// Numpy-style broadcast of the shapes of `values` (all ranked, static).
mlir::FailureOr<llvm::SmallVector<int64_t>>
getBroadcastShape(NodeContext &ctx, mlir::ValueRange values);

/// Emits an error that attribute `name` has a value the importer does not
/// support.
mlir::InFlightDiagnostic emitUnsupportedAttr(NodeContext &ctx,
                                             llvm::StringRef name);

/// Reads the 0/1 attribute `name` (`defaultValue` when absent). Any other
/// value is an error: runtimes disagree on it (some test `!= 0`, others
/// `== 1`), so no reading of it is the model's.
mlir::FailureOr<bool> getFlagAttr(NodeContext &ctx, llvm::StringRef name,
                                  bool defaultValue = false);

//===----------------------------------------------------------------------===//
// IR builders (the shared ones: muon/Utils/LinalgBuilders.h)
//===----------------------------------------------------------------------===//

using muon::buildBroadcastMap;
using muon::buildEmpty;
using muon::buildFilled;
using muon::buildReduce;
using muon::buildReshape;
using muon::buildScalar;
using muon::buildScalarGeneric;
using muon::buildTranspose;
using muon::getKeptDimsShape;
using muon::ReduceKind;
using muon::ScalarBodyFn;

/// Like buildBroadcastMap with the broadcast shape of the inputs; fails (with
/// an error) when the shapes do not broadcast.
mlir::FailureOr<mlir::Value> buildElementwise(NodeContext &ctx,
                                              mlir::ValueRange inputs,
                                              mlir::Type elementType,
                                              ScalarBodyFn body);

/// lhs · rhs as numpy.matmul (1-D operands promoted, batch dimensions
/// broadcast): linalg.matmul or batch_matmul where the shapes allow.
mlir::FailureOr<mlir::Value> buildMatMul(NodeContext &ctx, mlir::Value lhs,
                                         mlir::Value rhs);

/// Whether `type` is a float8 or float4 type (a minifloat).
bool isMinifloat(mlir::Type type);

/// `value` (a float, integer or bool scalar) converted to the minifloat type
/// `target` as Cast and QuantizeLinear convert: with `saturate` (float8;
/// float4 always saturates) clamped to ±the largest finite value first, so
/// that infinities go there too; a NaN to float4 becomes −0, as ONNX's
/// reference (ml_dtypes) converts it; then rounded to nearest even.
mlir::Value buildMinifloatCast(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value value, mlir::FloatType target,
                               bool saturate, bool fromUnsigned = false);

/// `value` (a float, integer or bool scalar) converted to `to` with ONNX
/// Cast's semantics (float8 targets without saturation): float -> integer
/// truncates, x -> bool is x != 0. Scalars are signless;
/// `fromUnsigned`/`toUnsigned` say how their integers read.
mlir::Value buildCast(mlir::OpBuilder &b, mlir::Location loc, mlir::Value value,
                      mlir::Type to, bool fromUnsigned = false,
                      bool toUnsigned = false);

//===----------------------------------------------------------------------===//
// Unsigned integers: `uiN` tensors while importing (../UnsignedIntegers.h)
//===----------------------------------------------------------------------===//

/// Whether `type` is a tensor of unsigned integers.
bool isUnsignedTensor(mlir::Type type);

/// The signless integer of `type`'s width when `type` is an unsigned
/// integer, else `type`: what arith computes on.
mlir::Type getSignlessType(mlir::Type type);

/// `tensor` with signless elements (a tensor.bitcast when they are
/// unsigned), for arith and linalg to compute on.
mlir::Value buildSignlessTensor(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value tensor);

/// The node's operands through buildSignlessTensor (absent ones stay null).
llvm::SmallVector<mlir::Value> buildSignlessTensors(NodeContext &ctx);

/// `tensor` (signless elements) as a tensor of `elementType`, which has the
/// same width: a tensor.bitcast when `elementType` is unsigned.
mlir::Value buildTensorOfElementType(mlir::OpBuilder &b, mlir::Location loc,
                                     mlir::Value tensor,
                                     mlir::Type elementType);

/// A node with one float input imported as one element-wise generic
/// applying `fn` to it.
ImportResult
importUnaryFloat(NodeContext &ctx,
                 llvm::function_ref<mlir::Value(mlir::OpBuilder &,
                                                mlir::Location, mlir::Value)>
                     fn);

/// The 2-D view [prod(dims < axis), prod(dims >= axis)] of `shape` that the
/// softmax ops before opset 13 normalize over (per row).
llvm::SmallVector<int64_t> getCoercedShape(llvm::ArrayRef<int64_t> shape,
                                           int64_t axis);

/// Imports a node with one float input X computed along its `axis` by
/// `build` (X's shape out): from opset 13 along the one dimension `axis`
/// (default -1); earlier opsets view X as getCoercedShape at `axis` (default
/// 1) and compute along its rows (Softmax, LogSoftmax, Hardmax).
ImportResult importAlongCoercedAxis(
    NodeContext &ctx,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::Value, int64_t)>
        build);

/// Softmax of a float tensor over `axis` as `linalg.softmax`; with
/// `logSoftmax` the numerically stable log-softmax (max subtracted first).
mlir::Value buildSoftmax(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value value, int64_t axis, bool logSoftmax);

/// Checks the indices in operand `operand` of the node, which it reads a
/// dimension of size `size` with: each must lie in [lower, size) or equal
/// `allowed`. Constant indices are checked now (an error if one is out of
/// range); others get a `cf.assert` naming the node and the input, which
/// `muon-assertions-to-status` turns into the step's status. The reading op
/// must still clamp what it reads with: the assert does not stop it.
mlir::LogicalResult checkIndices(NodeContext &ctx, unsigned operand,
                                 int64_t lower, int64_t size,
                                 std::optional<int64_t> allowed = {});

/// Whether one element of an index operand is valid, given its position in
/// the operand (an index value per dimension).
using IndexPredicate = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::Value element,
    mlir::ValueRange position)>;

/// Asserts at run time (a `cf.assert`, as checkIndices) that `valid` holds
/// for every element of operand `operand`; the message says the node,
/// `element` (what an element is) in the input, and then `violation`.
void assertEachIndex(NodeContext &ctx, unsigned operand,
                     llvm::StringRef violation, IndexPredicate valid,
                     llvm::StringRef element = "an index");

/// Checks the integer divisors (signed or unsigned) in operand `operand` of
/// the node (Div, Mod)
/// as checkIndices checks indices: none may be 0. The division must still
/// use buildSafeDivision: the assert does not stop it, and a zero divisor
/// traps (SIGFPE) on x86.
mlir::LogicalResult checkDivisors(NodeContext &ctx, unsigned operand);

/// `lhs / rhs` (arith.divsi) or, with `remainder`, `lhs % rhs` (arith.remsi)
/// on signed integers, defined everywhere: a 0 divisor divides by 1 (the
/// step's status reports it, checkDivisors), and -1 negates (the quotient
/// of the type's minimum by -1 wraps, as ONNX Runtime's does, where the
/// instruction would trap). With `isUnsigned`, divui/remui, where only 0
/// needs replacing.
mlir::Value buildSafeDivision(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value lhs, mlir::Value rhs, bool remainder,
                              bool isUnsigned = false);

/// `index` (an index value) clamped to [0, size).
mlir::Value buildClampedIndex(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value index, int64_t size);

/// A tensor of `shape` reading `source` at the indices `getIndex` computes,
/// one per source dimension, from the position (`linalg.index` values): one
/// parallel generic with a `tensor.extract`, which the GPU pipeline runs in
/// its kernel. The indices must be in bounds.
mlir::Value buildIndexedRead(
    mlir::OpBuilder &b, mlir::Location loc, mlir::Value source,
    llvm::ArrayRef<int64_t> shape,
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   int64_t dim, mlir::Value position)>
        getIndex);

/// The maps of a generic whose loops are `rank` parallel ones over a tensor
/// and one reduction loop (d`rank`) running along `axis`: the identity and
/// the identity with `axis` replaced by the reduction loop (CumSum, TopK,
/// ScatterElements).
llvm::SmallVector<mlir::AffineMap> getAlongAxisMaps(mlir::MLIRContext *context,
                                                    int64_t rank, int64_t axis);

/// The integer element `index` as an index value, wrapped once when negative
/// (ONNX's -size..-1) and, unless `clamp` is false, clamped to [0, size).
mlir::Value buildWrappedIndex(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value index, int64_t size,
                              bool clamp = true);

} // namespace muon::onnx_import

#endif // MUON_LIB_TARGET_ONNX_OPS_IMPORTERUTILS_H
