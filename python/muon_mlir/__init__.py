"""muon-mlir from Python.

User API: `aot` (call a step compiled by muon-compile), `onnx_training` (one
compiled training step from ONNX Runtime training artifacts), `runner` (run
a function with the muon-run tool). `muon_mlir.testing` holds what the test
suite and benchmarks use: module builders (`ir`), independent numpy and torch
references, the bundled example's inputs and the numeric tests' plumbing.
"""
