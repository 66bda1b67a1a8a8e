//===- ConstantFolding.cpp - Constant node results ------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// A small host interpreter for the IR the op importers emit
// (linalg.generic/reduce/transpose/fill, tensor reshapes and slices, scalar
// ops in generic bodies). Evaluating the emitted IR rather than the ONNX ops
// keeps each op's semantics in its importer alone. Scalar ops evaluate
// through their own folders (`Operation::fold`, as upstream's SCCP does), so
// integer and float arithmetic, comparisons and casts fold exactly as the
// canonicalizer would fold them. Anything it does not know (dynamic shapes,
// other ops, an op whose folder declines, such as division by zero) leaves
// the node's IR as it is.
//
//===----------------------------------------------------------------------===//

#include "ConstantFolding.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

/// Bounds that keep folding cheap: shape computations are tiny.
static constexpr int64_t kMaxElements = 4096;
static constexpr int64_t kMaxIterations = 1 << 16;

/// Integer, index and float scalars: the ones IntegerAttr/FloatAttr hold.
static bool isFoldableScalarType(Type type) {
  return isa<IntegerType, IndexType, FloatType>(type);
}

/// A statically shaped integer or float tensor of at most kMaxElements
/// elements.
static RankedTensorType getFoldableType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() ||
      !isFoldableScalarType(tensor.getElementType()))
    return {};
  // Dims of any size reach here (the importer bounds results only after
  // folding): count without overflow.
  int64_t count = 1;
  for (int64_t dim : tensor.getShape())
    if (dim > kMaxElements || (count *= dim) > kMaxElements)
      return {};
  return tensor;
}

static int64_t linearize(ArrayRef<int64_t> index, ArrayRef<int64_t> shape) {
  int64_t linear = 0;
  for (auto [i, dim] : llvm::zip_equal(index, shape))
    linear = linear * dim + i;
  return linear;
}

/// The row-major multi-index of `linear` in `shape`.
static SmallVector<int64_t> delinearize(int64_t linear,
                                        ArrayRef<int64_t> shape) {
  SmallVector<int64_t> index(shape.size());
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    index[d] = linear % shape[d];
    linear /= shape[d];
  }
  return index;
}

namespace {
/// Row-major elements of a foldable tensor, each an IntegerAttr or FloatAttr
/// of the element type.
struct HostTensor {
  SmallVector<int64_t> shape;
  SmallVector<Attribute> data;

  Attribute &at(ArrayRef<int64_t> index) {
    return data[linearize(index, shape)];
  }
};

class Evaluator {
public:
  LogicalResult evaluate(Operation *op);
  /// The value of a tensor (evaluated, or a constant).
  HostTensor *getTensor(Value value);

private:
  /// The value of a scalar (evaluated, or a constant); null if unknown.
  Attribute getScalar(Value value);
  LogicalResult setTensor(Value value, HostTensor tensor);
  LogicalResult evaluateScalarOp(Operation *op, ArrayRef<int64_t> point);
  Attribute evaluateExtract(tensor::ExtractOp extract);
  /// Runs a linalg body at iteration `point`; fills `yielded`.
  LogicalResult evaluateBody(Block &body, ArrayRef<Attribute> args,
                             ArrayRef<int64_t> point,
                             SmallVectorImpl<Attribute> &yielded);
  LogicalResult evaluateGeneric(linalg::GenericOp op);
  LogicalResult evaluateReduce(linalg::ReduceOp op);
  LogicalResult evaluateTranspose(linalg::TransposeOp op);
  LogicalResult evaluateSlice(OffsetSizeAndStrideOpInterface slice,
                              Value source, Value dest, Value result);

  DenseMap<Value, HostTensor> tensors;
  DenseMap<Value, Attribute> scalars;
};
} // namespace

HostTensor *Evaluator::getTensor(Value value) {
  auto found = tensors.find(value);
  if (found != tensors.end())
    return &found->second;
  DenseElementsAttr attr;
  RankedTensorType type = getFoldableType(value.getType());
  if (!type || !matchPattern(value, m_Constant(&attr)))
    return nullptr;
  HostTensor tensor{llvm::to_vector(type.getShape()),
                    llvm::to_vector(attr.getValues<Attribute>())};
  return &tensors.try_emplace(value, std::move(tensor)).first->second;
}

LogicalResult Evaluator::setTensor(Value value, HostTensor tensor) {
  if (!getFoldableType(value.getType()))
    return failure();
  tensors[value] = std::move(tensor);
  return success();
}

Attribute Evaluator::getScalar(Value value) {
  if (Attribute known = scalars.lookup(value))
    return known;
  Attribute attr;
  if (!isFoldableScalarType(value.getType()) ||
      !matchPattern(value, m_Constant(&attr)) ||
      !isa<IntegerAttr, FloatAttr>(attr))
    return {};
  return attr;
}

Attribute Evaluator::evaluateExtract(tensor::ExtractOp extract) {
  HostTensor *tensor = getTensor(extract.getTensor());
  if (!tensor)
    return {};
  SmallVector<int64_t> index;
  for (auto [operand, dim] :
       llvm::zip_equal(extract.getIndices(), tensor->shape)) {
    auto arg = dyn_cast_or_null<IntegerAttr>(getScalar(operand));
    if (!arg || arg.getInt() < 0 || arg.getInt() >= dim)
      return {};
    index.push_back(arg.getInt());
  }
  return tensor->at(index);
}

LogicalResult Evaluator::evaluateScalarOp(Operation *op,
                                          ArrayRef<int64_t> point) {
  if (op->getNumResults() != 1 ||
      !isFoldableScalarType(op->getResult(0).getType()))
    return failure();
  Value result = op->getResult(0);
  Attribute value;
  if (auto index = dyn_cast<linalg::IndexOp>(op)) {
    if (index.getDim() >= point.size())
      return failure();
    value = IntegerAttr::get(result.getType(), point[index.getDim()]);
  } else if (auto extract = dyn_cast<tensor::ExtractOp>(op)) {
    value = evaluateExtract(extract);
  } else if (!op->getNumRegions()) {
    // A folder may answer with one of the op's operands (select), decline
    // (division by zero, an out-of-range float-to-integer cast, poison) or
    // rewrite the op in place into an equivalent one (extsi of an extsi reads
    // the inner operand; commutative ops move constants right), which is then
    // folded again.
    for (int attempt = 0; attempt < 3 && !value; ++attempt) {
      SmallVector<Attribute> operands;
      for (Value operand : op->getOperands()) {
        operands.push_back(getScalar(operand));
        if (!operands.back())
          return failure();
      }
      SmallVector<OpFoldResult, 1> folded;
      if (failed(op->fold(operands, folded)) || folded.size() > 1)
        return failure();
      if (folded.empty())
        continue;
      if (auto operand = dyn_cast<Value>(folded.front()))
        value = getScalar(operand);
      else
        value = cast<Attribute>(folded.front());
      if (!value)
        return failure();
    }
  }
  auto typed = dyn_cast_or_null<TypedAttr>(value);
  if (!typed || !isa<IntegerAttr, FloatAttr>(typed) ||
      typed.getType() != result.getType())
    return failure();
  scalars[result] = value;
  return success();
}

LogicalResult Evaluator::evaluateBody(Block &body, ArrayRef<Attribute> args,
                                      ArrayRef<int64_t> point,
                                      SmallVectorImpl<Attribute> &yielded) {
  for (auto [arg, value] : llvm::zip_equal(body.getArguments(), args))
    scalars[arg] = value;
  for (Operation &op : body) {
    if (auto yield = dyn_cast<linalg::YieldOp>(op)) {
      yielded.clear();
      for (Value operand : yield.getOperands()) {
        Attribute value = getScalar(operand);
        if (!value)
          return failure();
        yielded.push_back(value);
      }
      return success();
    }
    if (failed(evaluateScalarOp(&op, point)))
      return failure();
  }
  return failure();
}

LogicalResult Evaluator::evaluateGeneric(linalg::GenericOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t total = 1;
  for (int64_t range : ranges) {
    if (ShapedType::isDynamic(range) || range > kMaxIterations)
      return failure();
    total *= range;
    if (total > kMaxIterations)
      return failure();
  }
  SmallVector<HostTensor *> inputs;
  for (Value input : op.getDpsInputs()) {
    HostTensor *tensor = getTensor(input);
    if (!tensor)
      return failure();
    inputs.push_back(tensor);
  }
  SmallVector<HostTensor> outputs;
  for (Value init : op.getDpsInits()) {
    HostTensor *tensor = getTensor(init);
    if (!tensor)
      return failure();
    outputs.push_back(*tensor);
  }
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<Attribute> args, yielded;
  for (int64_t linear = 0; linear < total; ++linear) {
    SmallVector<int64_t> point = delinearize(linear, ranges);
    args.clear();
    for (auto [tensor, map] : llvm::zip(inputs, maps))
      args.push_back(tensor->at(map.compose(point)));
    auto outputMaps = ArrayRef<AffineMap>(maps).drop_front(inputs.size());
    for (auto [tensor, map] : llvm::zip_equal(outputs, outputMaps))
      args.push_back(tensor.at(map.compose(point)));
    if (failed(evaluateBody(*op.getBlock(), args, point, yielded)))
      return failure();
    for (auto [tensor, map, value] :
         llvm::zip_equal(outputs, outputMaps, yielded))
      tensor.at(map.compose(point)) = value;
  }
  for (auto [result, tensor] : llvm::zip_equal(op.getResults(), outputs))
    if (failed(setTensor(result, std::move(tensor))))
      return failure();
  return success();
}

LogicalResult Evaluator::evaluateReduce(linalg::ReduceOp op) {
  if (op.getInputs().size() != 1 || op.getInits().size() != 1)
    return failure();
  HostTensor *input = getTensor(op.getInputs()[0]);
  HostTensor *init = getTensor(op.getInits()[0]);
  if (!input || !init)
    return failure();
  HostTensor output = *init;
  ArrayRef<int64_t> reduced = op.getDimensions();
  SmallVector<Attribute> yielded;
  for (int64_t linear = 0, e = input->data.size(); linear < e; ++linear) {
    SmallVector<int64_t> index = delinearize(linear, input->shape);
    SmallVector<int64_t> outIndex;
    for (auto [d, i] : llvm::enumerate(index))
      if (!llvm::is_contained(reduced, static_cast<int64_t>(d)))
        outIndex.push_back(i);
    Attribute &acc = output.at(outIndex);
    if (failed(evaluateBody(op.getCombiner().front(),
                            {input->data[linear], acc}, index, yielded)))
      return failure();
    acc = yielded.front();
  }
  return setTensor(op.getResult(0), std::move(output));
}

LogicalResult Evaluator::evaluateTranspose(linalg::TransposeOp op) {
  HostTensor *input = getTensor(op.getInput());
  auto type = dyn_cast<RankedTensorType>(op.getResult()[0].getType());
  if (!input || !type)
    return failure();
  HostTensor output{llvm::to_vector(type.getShape()), input->data};
  ArrayRef<int64_t> perm = op.getPermutation();
  SmallVector<int64_t> inIndex(perm.size());
  for (int64_t linear = 0, e = output.data.size(); linear < e; ++linear) {
    SmallVector<int64_t> index = delinearize(linear, output.shape);
    for (auto [d, p] : llvm::enumerate(perm))
      inIndex[p] = index[d];
    output.data[linear] = input->at(inIndex);
  }
  return setTensor(op.getResult()[0], std::move(output));
}

/// extract_slice (`insert` false: source -> result) or insert_slice (source
/// written into a copy of dest), static offsets, sizes and strides.
LogicalResult Evaluator::evaluateSlice(OffsetSizeAndStrideOpInterface slice,
                                       Value source, Value dest, Value result) {
  HostTensor *input = getTensor(source);
  RankedTensorType type = getFoldableType(result.getType());
  ArrayRef<int64_t> offsets = slice.getStaticOffsets(),
                    sizes = slice.getStaticSizes(),
                    strides = slice.getStaticStrides();
  auto dynamic = [](ArrayRef<int64_t> values) {
    return llvm::any_of(values, ShapedType::isDynamic);
  };
  if (!input || !type || dynamic(offsets) || dynamic(sizes) || dynamic(strides))
    return failure();
  HostTensor output{llvm::to_vector(type.getShape()), {}};
  if (dest) {
    HostTensor *destTensor = getTensor(dest);
    if (!destTensor)
      return failure();
    output = *destTensor;
  }
  // The slice has as many elements as the source (insert) or the result
  // (extract), both foldable; other sizes are rejected before they multiply.
  int64_t count = dest ? input->data.size() : type.getNumElements();
  int64_t product = 1;
  for (int64_t size : sizes)
    if (size < 0 || size > count || (product *= size) > count)
      return failure();
  if (product != count)
    return failure();
  ArrayRef<int64_t> bounds = dest ? output.shape : input->shape;
  SmallVector<int64_t> index(sizes.size());
  for (int64_t linear = 0; linear < count; ++linear) {
    SmallVector<int64_t> position = delinearize(linear, sizes);
    for (size_t d = 0; d < sizes.size(); ++d) {
      index[d] = offsets[d] + position[d] * strides[d];
      if (index[d] < 0 || index[d] >= bounds[d])
        return failure();
    }
    if (dest)
      output.at(index) = input->data[linear];
    else
      output.data.push_back(input->at(index));
  }
  return setTensor(result, std::move(output));
}

LogicalResult Evaluator::evaluate(Operation *op) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](arith::ConstantOp constant) {
        if (isa<RankedTensorType>(constant.getType()))
          return success(getTensor(constant) != nullptr);
        return evaluateScalarOp(op, {});
      })
      .Case([&](tensor::EmptyOp empty) {
        RankedTensorType type = getFoldableType(empty.getType());
        if (!type)
          return failure();
        Attribute zero =
            Builder(op->getContext()).getZeroAttr(type.getElementType());
        return setTensor(empty,
                         {llvm::to_vector(type.getShape()),
                          SmallVector<Attribute>(type.getNumElements(), zero)});
      })
      .Case([&](linalg::FillOp fill) {
        RankedTensorType type = getFoldableType(fill.getResult(0).getType());
        Attribute value = getScalar(fill.getInputs()[0]);
        if (!type || !value)
          return failure();
        return setTensor(
            fill.getResult(0),
            {llvm::to_vector(type.getShape()),
             SmallVector<Attribute>(type.getNumElements(), value)});
      })
      .Case<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(
          [&](Operation *reshape) {
            HostTensor *input = getTensor(reshape->getOperand(0));
            auto type = cast<RankedTensorType>(reshape->getResult(0).getType());
            if (!input)
              return failure();
            return setTensor(reshape->getResult(0),
                             {llvm::to_vector(type.getShape()), input->data});
          })
      .Case([&](tensor::ExtractSliceOp slice) {
        return evaluateSlice(slice, slice.getSource(), Value(),
                             slice.getResult());
      })
      .Case([&](tensor::InsertSliceOp slice) {
        return evaluateSlice(slice, slice.getSource(), slice.getDest(),
                             slice.getResult());
      })
      .Case([&](linalg::GenericOp generic) { return evaluateGeneric(generic); })
      .Case([&](linalg::ReduceOp reduce) { return evaluateReduce(reduce); })
      .Case([&](linalg::TransposeOp transpose) {
        return evaluateTranspose(transpose);
      })
      .Default([&](Operation *) {
        // Scalar math outside linalg bodies.
        if (isa<linalg::IndexOp>(op))
          return failure();
        return evaluateScalarOp(op, {});
      });
}

void muon::onnx_import::foldConstantResults(OpBuilder &builder,
                                            Block::iterator begin,
                                            MutableArrayRef<Value> results) {
  SmallVector<Operation *> ops;
  for (auto it = begin, end = builder.getInsertionPoint(); it != end; ++it)
    ops.push_back(&*it);
  llvm::SmallPtrSet<Operation *, 16> emitted(llvm::from_range, ops);
  auto isFoldable = [&](Value result) {
    Operation *producer = result ? result.getDefiningOp() : nullptr;
    return producer && emitted.contains(producer) &&
           !isa<arith::ConstantOp>(producer) &&
           getFoldableType(result.getType());
  };
  if (llvm::none_of(results, isFoldable))
    return;
  // Ops that cannot be evaluated leave their results unknown, and so every
  // op reading them.
  Evaluator evaluator;
  for (Operation *op : ops)
    (void)evaluator.evaluate(op);
  bool folded = false;
  for (Value &result : results) {
    if (!isFoldable(result))
      continue;
    if (HostTensor *tensor = evaluator.getTensor(result)) {
      result = arith::ConstantOp::create(
          builder, result.getLoc(),
          DenseElementsAttr::get(cast<ShapedType>(result.getType()),
                                 tensor->data));
      folded = true;
    }
  }
  if (!folded)
    return;
  // The node's results have no uses yet: keep the ops that still produce one.
  llvm::SmallPtrSet<Operation *, 4> producers;
  for (Value result : results)
    if (result)
      if (Operation *producer = result.getDefiningOp())
        producers.insert(producer);
  for (Operation *op : llvm::reverse(ops))
    if (op->use_empty() && !producers.contains(op))
      op->erase();
}
