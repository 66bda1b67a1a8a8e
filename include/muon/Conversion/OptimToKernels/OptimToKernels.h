//===- OptimToKernels.h - optim updates bufferize to kernels ----*- C++ -*-===//
//
// Part of the muon-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef MUON_CONVERSION_OPTIMTOKERNELS_OPTIMTOKERNELS_H
#define MUON_CONVERSION_OPTIMTOKERNELS_OPTIMTOKERNELS_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace muon::optim {

/// Lets `optim.muon`, `optim.muon2` (full second moment), `optim.adamw` and
/// `optim.newton_schulz` bufferize: each becomes its fused block × thread
/// kernels and runtime GEMM calls on the buffers of its operands, writing
/// fresh result buffers. The GPU pipeline keeps these ops until one-shot
/// bufferization (convert-optim-to-linalg keep-fusable).
void registerBufferizableOpInterfaceExternalModels(
    mlir::DialectRegistry &registry);

} // namespace muon::optim

#endif // MUON_CONVERSION_OPTIMTOKERNELS_OPTIMTOKERNELS_H
