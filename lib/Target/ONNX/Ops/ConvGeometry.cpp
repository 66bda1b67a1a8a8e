//===- ConvGeometry.cpp - Sizes of convolutions and poolings --------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "ConvGeometry.h"
#include "ImporterUtils.h"

using namespace mlir;
using namespace muon::onnx_import;

/// A spatial attribute `name` with one positive entry per spatial dimension
/// (default: all 1).
static FailureOr<SmallVector<int64_t>>
getSpatialAttr(NodeContext &ctx, StringRef name, int64_t rank) {
  SmallVector<int64_t> values =
      ctx.getIntsAttr(name).value_or(SmallVector<int64_t>(rank, 1));
  if (static_cast<int64_t>(values.size()) != rank ||
      llvm::any_of(values, [](int64_t v) { return v < 1; }))
    return emitUnsupportedAttr(ctx, name)
           << ": expects " << rank << " positive values, got ["
           << llvm::make_range(values.begin(), values.end()) << "]";
  return values;
}

LogicalResult muon::onnx_import::fillSpatialGeometry(NodeContext &ctx,
                                                     ConvGeometry &geometry) {
  int64_t rank = geometry.getRank();
  FailureOr<SmallVector<int64_t>> strides =
      getSpatialAttr(ctx, "strides", rank);
  FailureOr<SmallVector<int64_t>> dilations =
      getSpatialAttr(ctx, "dilations", rank);
  if (failed(strides) || failed(dilations))
    return failure();
  geometry.strides = *strides;
  geometry.dilations = *dilations;

  std::string autoPad = ctx.getStringAttr("auto_pad").value_or("NOTSET");
  SmallVector<int64_t> pads(2 * rank, 0);
  if (autoPad == "NOTSET") {
    if (auto given = ctx.getIntsAttr("pads")) {
      if (static_cast<int64_t>(given->size()) != 2 * rank ||
          llvm::any_of(*given, [](int64_t p) { return p < 0; }))
        return emitUnsupportedAttr(ctx, "pads")
               << ": expects " << 2 * rank << " non-negative values";
      pads = *given;
    }
  } else if (ctx.getAttr("pads")) {
    return emitUnsupportedAttr(ctx, "pads") << ": given with auto_pad";
  } else if (autoPad != "VALID" && autoPad != "SAME_UPPER" &&
             autoPad != "SAME_LOWER") {
    return emitUnsupportedAttr(ctx, "auto_pad")
           << ": '" << autoPad
           << "' (expects NOTSET, VALID, SAME_UPPER or SAME_LOWER)";
  }
  for (int64_t i = 0; i < rank; ++i) {
    int64_t in = geometry.input[i], stride = geometry.strides[i];
    int64_t extent = (geometry.kernel[i] - 1) * geometry.dilations[i] + 1;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      // Output ceil(in / stride); the odd padding goes to the end (UPPER).
      int64_t out = llvm::divideCeil(in, stride);
      int64_t total = std::max<int64_t>(0, (out - 1) * stride + extent - in);
      int64_t small = total / 2;
      pads[i] = autoPad == "SAME_UPPER" ? small : total - small;
      pads[rank + i] = total - pads[i];
    }
    int64_t padded = in + pads[i] + pads[rank + i];
    if (padded < extent)
      return ctx.emitError()
             << "spatial dimension " << i << ": the dilated kernel (" << extent
             << ") is larger than the padded input (" << padded << ")";
    geometry.padBegin.push_back(pads[i]);
    geometry.output.push_back((padded - extent) / stride + 1);
  }
  return success();
}
