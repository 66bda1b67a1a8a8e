//===- DepthToSpace.cpp - DepthToSpace and SpaceToDepth importers ---------===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//
//
// DepthToSpace (nn.PixelShuffle) and SpaceToDepth move blocks of b×b pixels
// between the channels and the spatial dims of X [N, C, H, W]: a reshape, a
// transpose and a reshape, as ONNX defines them.
//
//   DepthToSpace DCR: [N, b, b, C/b², H, W] -> perm 0 3 4 1 5 2
//   DepthToSpace CRD: [N, C/b², b, b, H, W] -> perm 0 1 4 2 5 3
//     -> [N, C/b², H·b, W·b]
//   SpaceToDepth DCR: [N, C, H/b, b, W/b, b] -> perm 0 3 5 1 2 4
//   SpaceToDepth CRD (opset 28's mode): the same -> perm 0 1 3 5 2 4
//     -> [N, C·b², H/b, W/b]
//
// Forward only: ORT has no gradient for either (torch exports
// pixel_unshuffle as the Reshape/Transpose pair itself).
//
//===----------------------------------------------------------------------===//

#include "ImporterUtils.h"
#include "muon/Target/ONNX/OpImporters.h"

using namespace mlir;
using namespace muon::onnx_import;

/// X's type and the blocksize, checked: X is 4-D and splits into blocks.
static FailureOr<std::pair<RankedTensorType, int64_t>>
getBlocks(NodeContext &ctx, bool toSpace) {
  FailureOr<RankedTensorType> type = getFirstOperandType(ctx, 1, 1);
  if (failed(type))
    return failure();
  if (type->getRank() != 4)
    return ctx.emitError() << "expects X [N, C, H, W], got " << *type;
  std::optional<int64_t> blocksize = ctx.getIntAttr("blocksize");
  if (!blocksize)
    return ctx.emitError() << "expects attribute 'blocksize'";
  // Bounded so that b² cannot overflow.
  if (*blocksize <= 0 || *blocksize > (int64_t{1} << 31))
    return emitUnsupportedAttr(ctx, "blocksize")
           << ": " << *blocksize << " (expects a positive size)";
  int64_t block = *blocksize;
  ArrayRef<int64_t> shape = type->getShape();
  if (toSpace ? shape[1] % (block * block) != 0
              : shape[2] % block != 0 || shape[3] % block != 0)
    return ctx.emitError() << "blocksize " << block
                           << (toSpace ? " squared does not divide the "
                                         "channels of "
                                       : " does not divide H and W of ")
                           << *type;
  return std::make_pair(*type, block);
}

/// Whether the node's `mode` is DCR (the default) rather than CRD.
static FailureOr<bool> isDCR(NodeContext &ctx) {
  std::string mode = ctx.getStringAttr("mode").value_or("DCR");
  if (mode != "DCR" && mode != "CRD")
    return emitUnsupportedAttr(ctx, "mode")
           << ": '" << mode << "' (expects 'DCR' or 'CRD')";
  return mode == "DCR";
}

/// X reshaped to `split`, transposed by `perm` and reshaped to `result`.
static ImportResult moveBlocks(NodeContext &ctx, ArrayRef<int64_t> split,
                               ArrayRef<int64_t> perm,
                               ArrayRef<int64_t> result) {
  OpBuilder &b = ctx.builder;
  Value blocked = buildReshape(b, ctx.loc, ctx.getOperand(0), split);
  Value moved = buildTranspose(b, ctx.loc, blocked, perm);
  return SmallVector<Value>{buildReshape(b, ctx.loc, moved, result)};
}

static ImportResult importDepthToSpace(NodeContext &ctx) {
  FailureOr<std::pair<RankedTensorType, int64_t>> blocks =
      getBlocks(ctx, /*toSpace=*/true);
  FailureOr<bool> dcr = isDCR(ctx);
  if (failed(blocks) || failed(dcr))
    return failure();
  auto [type, block] = *blocks;
  int64_t n = type.getDimSize(0), c = type.getDimSize(1) / (block * block),
          h = type.getDimSize(2), w = type.getDimSize(3);
  SmallVector<int64_t> split =
      *dcr ? SmallVector<int64_t>{n, block, block, c, h, w}
           : SmallVector<int64_t>{n, c, block, block, h, w};
  SmallVector<int64_t> perm = *dcr ? SmallVector<int64_t>{0, 3, 4, 1, 5, 2}
                                   : SmallVector<int64_t>{0, 1, 4, 2, 5, 3};
  return moveBlocks(ctx, split, perm, {n, c, h * block, w * block});
}

static ImportResult importSpaceToDepth(NodeContext &ctx) {
  FailureOr<std::pair<RankedTensorType, int64_t>> blocks =
      getBlocks(ctx, /*toSpace=*/false);
  FailureOr<bool> dcr = isDCR(ctx);
  if (failed(blocks) || failed(dcr))
    return failure();
  auto [type, block] = *blocks;
  int64_t n = type.getDimSize(0), c = type.getDimSize(1),
          h = type.getDimSize(2) / block, w = type.getDimSize(3) / block;
  return moveBlocks(ctx, {n, c, h, block, w, block},
                    *dcr ? SmallVector<int64_t>{0, 3, 5, 1, 2, 4}
                         : SmallVector<int64_t>{0, 1, 3, 5, 2, 4},
                    {n, c * block * block, h, w});
}

void muon::onnx_import::populateDepthToSpaceImporters(
    OpImporterRegistry &registry) {
  registry.add("", "DepthToSpace", importDepthToSpace);
  registry.add("", "SpaceToDepth", importSpaceToDepth);
  registry.acceptUnsigned("", {"DepthToSpace", "SpaceToDepth"});
}
