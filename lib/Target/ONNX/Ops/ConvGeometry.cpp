//===- ConvGeometry.cpp - Sizes of convolutions and poolings --------------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#include "ConvGeometry.h"
#include "ImporterUtils.h"

using namespace mlir;
using namespace muon::onnx_import;

/// The largest stride, dilation or pad: sizes computed from a few products
/// of them and of dimensions (at most 2^31) stay below 2^63.
static constexpr int64_t kMaxSpatialAttr = int64_t(1) << 30;

/// A spatial attribute `name` with one positive entry per spatial dimension
/// (default: all 1).
static FailureOr<SmallVector<int64_t>>
getSpatialAttr(NodeContext &ctx, StringRef name, int64_t rank) {
  SmallVector<int64_t> values =
      ctx.getIntsAttr(name).value_or(SmallVector<int64_t>(rank, 1));
  if (static_cast<int64_t>(values.size()) != rank ||
      llvm::any_of(values,
                   [](int64_t v) { return v < 1 || v > kMaxSpatialAttr; }))
    return emitUnsupportedAttr(ctx, name)
           << ": expects " << rank << " values in [1, 2^30], got ["
           << llvm::make_range(values.begin(), values.end()) << "]";
  return values;
}

/// Sets `geometry`'s strides and dilations (one per kernel dimension).
static LogicalResult readStridesAndDilations(NodeContext &ctx,
                                             ConvGeometry &geometry) {
  int64_t rank = geometry.kernel.size();
  FailureOr<SmallVector<int64_t>> strides =
      getSpatialAttr(ctx, "strides", rank);
  FailureOr<SmallVector<int64_t>> dilations =
      getSpatialAttr(ctx, "dilations", rank);
  if (failed(strides) || failed(dilations))
    return failure();
  geometry.strides = *strides;
  geometry.dilations = *dilations;
  return success();
}

namespace {
/// auto_pad and the explicit pads [begin..., end...] (zeros unless NOTSET
/// gives them).
struct PadsAttr {
  std::string autoPad;
  SmallVector<int64_t> pads;

  bool isSame() const {
    return autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  }
};
} // namespace

static FailureOr<PadsAttr> readPads(NodeContext &ctx, int64_t rank) {
  PadsAttr result{ctx.getStringAttr("auto_pad").value_or("NOTSET"),
                  SmallVector<int64_t>(2 * rank, 0)};
  if (result.autoPad == "NOTSET") {
    if (auto given = ctx.getIntsAttr("pads")) {
      if (static_cast<int64_t>(given->size()) != 2 * rank ||
          llvm::any_of(*given,
                       [](int64_t p) { return p < 0 || p > kMaxSpatialAttr; }))
        return emitUnsupportedAttr(ctx, "pads")
               << ": expects " << 2 * rank << " values in [0, 2^30]";
      result.pads = *given;
    }
  } else if (ctx.getAttr("pads")) {
    return emitUnsupportedAttr(ctx, "pads") << ": given with auto_pad";
  } else if (result.autoPad != "VALID" && !result.isSame()) {
    return emitUnsupportedAttr(ctx, "auto_pad")
           << ": '" << result.autoPad
           << "' (expects NOTSET, VALID, SAME_UPPER or SAME_LOWER)";
  }
  return result;
}

LogicalResult muon::onnx_import::fillSpatialGeometry(NodeContext &ctx,
                                                     ConvGeometry &geometry,
                                                     bool ceilMode) {
  int64_t rank = geometry.getRank();
  if (failed(readStridesAndDilations(ctx, geometry)))
    return failure();
  FailureOr<PadsAttr> padsAttr = readPads(ctx, rank);
  if (failed(padsAttr))
    return failure();
  SmallVector<int64_t> &pads = padsAttr->pads;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t in = geometry.input[i], stride = geometry.strides[i];
    int64_t extent = (geometry.kernel[i] - 1) * geometry.dilations[i] + 1;
    if (padsAttr->isSame()) {
      // Output ceil(in / stride); the odd padding goes to the end (UPPER).
      int64_t out = llvm::divideCeil(in, stride);
      int64_t total = std::max<int64_t>(0, (out - 1) * stride + extent - in);
      int64_t small = total / 2;
      pads[i] = padsAttr->autoPad == "SAME_UPPER" ? small : total - small;
      pads[rank + i] = total - pads[i];
    }
    int64_t padded = in + pads[i] + pads[rank + i];
    if (padded < extent)
      return ctx.emitError()
             << "spatial dimension " << i << ": the dilated kernel (" << extent
             << ") is larger than the padded input (" << padded << ")";
    geometry.padBegin.push_back(pads[i]);
    // SAME's output is ceil(in / stride) in either mode: ORT pads to it,
    // negatively where the kernel is smaller than the stride, which the
    // rounding down here matches.
    bool roundUp = ceilMode && !padsAttr->isSame();
    int64_t out = (roundUp ? llvm::divideCeil(padded - extent, stride)
                           : (padded - extent) / stride) +
                  1;
    // A rounded-up last window starting in the end padding is dropped, as
    // ONNX (shape inference, the reference) and torch do.
    if (roundUp && out > 1 && (out - 1) * stride >= in + pads[i])
      --out;
    geometry.output.push_back(out);
  }
  return success();
}

LogicalResult
muon::onnx_import::fillTransposedSpatialGeometry(NodeContext &ctx,
                                                 ConvGeometry &geometry) {
  int64_t rank = geometry.kernel.size();
  if (failed(readStridesAndDilations(ctx, geometry)))
    return failure();
  FailureOr<PadsAttr> padsAttr = readPads(ctx, rank);
  if (failed(padsAttr))
    return failure();
  SmallVector<int64_t> outputPadding =
      ctx.getIntsAttr("output_padding").value_or(SmallVector<int64_t>(rank, 0));
  if (static_cast<int64_t>(outputPadding.size()) != rank)
    return emitUnsupportedAttr(ctx, "output_padding")
           << ": expects " << rank << " values";
  for (int64_t i = 0; i < rank; ++i) {
    int64_t p = outputPadding[i];
    // torch's bound too: beyond it, only positions no tap reaches are added.
    if (p < 0 || (p >= geometry.strides[i] && p >= geometry.dilations[i]))
      return emitUnsupportedAttr(ctx, "output_padding")
             << ": " << p
             << " must be non-negative and smaller than the stride ("
             << geometry.strides[i] << ") or the dilation ("
             << geometry.dilations[i] << ")";
  }
  std::optional<SmallVector<int64_t>> outputShape =
      ctx.getIntsAttr("output_shape");
  if (outputShape) {
    // [N, C, D...] is accepted as well as the spatial sizes alone.
    if (static_cast<int64_t>(outputShape->size()) == rank + 2 &&
        (*outputShape)[0] == geometry.batch &&
        (*outputShape)[1] == geometry.channels)
      outputShape->erase(outputShape->begin(), outputShape->begin() + 2);
    if (static_cast<int64_t>(outputShape->size()) != rank ||
        llvm::any_of(*outputShape, [](int64_t v) { return v < 1; }))
      return emitUnsupportedAttr(ctx, "output_shape")
             << ": expects " << rank
             << " positive spatial sizes (or N = " << geometry.batch
             << ", C = " << geometry.channels << " and them)";
  }
  const SmallVector<int64_t> &pads = padsAttr->pads;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t in = geometry.output[i], stride = geometry.strides[i];
    // No overflow: strides, dilations and pads are at most 2^30.
    int64_t extent = (geometry.kernel[i] - 1) * geometry.dilations[i] + 1;
    int64_t natural = stride * (in - 1) + extent;
    int64_t unpadded = natural + outputPadding[i];
    // Beyond what output_padding could add, ORT's kernel and ONNX's
    // reference disagree (or fail): no definition to follow.
    if (outputShape && (*outputShape)[i] - natural >= stride)
      return emitUnsupportedAttr(ctx, "output_shape")
             << ": " << (*outputShape)[i] << " in spatial dimension " << i
             << " exceeds " << natural + stride - 1
             << ", the most this input yields (its size " << natural
             << " plus stride - 1)";
    int64_t out, padBegin;
    if (outputShape || padsAttr->isSame()) {
      // The padding that crops the unpadded output to the wanted size (none
      // when that is larger: the positions past it are zeros, as ORT
      // computes them); its odd unit goes to the end with SAME_UPPER, to
      // the beginning otherwise.
      out = outputShape ? (*outputShape)[i] : in * stride;
      int64_t total = std::max<int64_t>(0, unpadded - out);
      padBegin =
          padsAttr->autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
    } else {
      padBegin = pads[i];
      out = unpadded - pads[i] - pads[rank + i];
      if (out < 1)
        return ctx.emitError()
               << "spatial dimension " << i << ": pads " << pads[i] << " and "
               << pads[rank + i] << " leave no output (" << unpadded
               << " positions before padding)";
    }
    geometry.padBegin.push_back(padBegin);
    geometry.input.push_back(out);
  }
  return success();
}
