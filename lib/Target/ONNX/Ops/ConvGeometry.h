//===- ConvGeometry.h - Sizes of convolutions and poolings ------*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The spatial attributes Conv, ConvTranspose, their gradients and the
// pooling ops share (strides, dilations, pads or auto_pad; ConvTranspose's
// output_padding and output_shape) turned into padding and output sizes, as
// ONNX defines them.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_LIB_TARGET_ONNX_OPS_CONVGEOMETRY_H
#define MUON_LIB_TARGET_ONNX_OPS_CONVGEOMETRY_H

#include "muon/Target/ONNX/OpImporter.h"

#include "llvm/ADT/SmallVector.h"

namespace muon::onnx_import {

/// Sizes of one convolution; spatial vectors have one entry per spatial
/// dimension. A ConvTranspose is described by the convolution it is the data
/// gradient of: that convolution's input is its output and the reverse.
struct ConvGeometry {
  int64_t batch = 0, channels = 0, outChannels = 0, group = 1;
  llvm::SmallVector<int64_t> input, kernel, strides, dilations, padBegin,
      output;

  int64_t getRank() const { return input.size(); }
  int64_t getGroupChannels() const { return channels / group; }
  int64_t getGroupOutChannels() const { return outChannels / group; }
  int64_t getNumTaps() const { return product(kernel); }
  int64_t getNumPositions() const { return product(output); }
  static int64_t product(llvm::ArrayRef<int64_t> values) {
    int64_t result = 1;
    for (int64_t v : values)
      result *= v;
    return result;
  }
};

/// Reads strides, dilations and pads or auto_pad for `geometry`'s input and
/// kernel (set by the caller) and sets its strides, dilations, padBegin and
/// output; fails with a located error. `ceilMode` (a pooling's ceil_mode)
/// rounds the explicit or VALID padding's output size up, adding a last
/// partial window; SAME's output, ceil(in / stride), is the same either way.
mlir::LogicalResult fillSpatialGeometry(NodeContext &ctx,
                                        ConvGeometry &geometry,
                                        bool ceilMode = false);

/// For a ConvTranspose whose input sizes are `geometry.output`, with its
/// batch, channels (its output channels) and kernel set: reads strides,
/// dilations, output_padding, output_shape and pads or auto_pad and sets
/// strides, dilations, padBegin and input (its output sizes); fails with a
/// located error.
mlir::LogicalResult fillTransposedSpatialGeometry(NodeContext &ctx,
                                                  ConvGeometry &geometry);

} // namespace muon::onnx_import

#endif // MUON_LIB_TARGET_ONNX_OPS_CONVGEOMETRY_H
