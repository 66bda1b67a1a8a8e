//===- TensorPrinter.cpp - Human-readable tensors -------------------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "muon/Runner/TensorPrinter.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace muon;

static void printElement(raw_ostream &os, const HostTensor &tensor,
                         int64_t index) {
  if (isFloatElementType(tensor.getElementType()))
    os << format("%g", tensor.getDouble(index));
  else if (tensor.getElementType() == ElementType::U64)
    os << static_cast<uint64_t>(tensor.getInt(index));
  else
    os << tensor.getInt(index);
}

/// Prints the elements of dimensions `dim...` starting at `offset`; every
/// dimension but the outermost is bracketed, as in iree-run-module.
static void printDims(raw_ostream &os, const HostTensor &tensor, unsigned dim,
                      int64_t offset) {
  ArrayRef<int64_t> shape = tensor.getShape();
  if (dim == shape.size()) {
    printElement(os, tensor, offset);
    return;
  }
  int64_t stride = 1;
  for (int64_t size : shape.drop_front(dim + 1))
    stride *= size;
  bool innermost = dim + 1 == shape.size();
  for (int64_t i = 0; i < shape[dim]; ++i) {
    if (innermost && i > 0)
      os << ' ';
    if (!innermost)
      os << '[';
    printDims(os, tensor, dim + 1, offset + i * stride);
    if (!innermost)
      os << ']';
  }
}

void muon::printTensor(raw_ostream &os, const HostTensor &tensor,
                       int64_t maxElements) {
  os << tensor.getType().str() << '=';
  int64_t count = tensor.getNumElements();
  if (count <= maxElements) {
    printDims(os, tensor, 0, 0);
    return;
  }
  for (int64_t i = 0; i < maxElements; ++i) {
    printElement(os, tensor, i);
    os << ' ';
  }
  os << "... (" << count << " elements, first " << maxElements << " shown)";
}
