# Stands for the MLIRConfig.cmake of another LLVM release (consumer.mlir):
# MuonMLIRConfig.cmake must refuse it.
set(LLVM_PACKAGE_VERSION 21.1.0)
