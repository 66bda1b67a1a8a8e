"""muon-mlir from Python.

User API: `optim` (muon_mlir.optim.Muon, a torch optimizer), `training`
(Trainer: train ONNX Runtime training artifacts with one compiled step),
`aot` (call a step compiled by muon-compile), `onnx_training` (the step
module from ORT artifacts), `runner` (run a function with the muon-run
tool). `muon_mlir.testing` holds what the test
suite and benchmarks use: module builders (`ir`), independent numpy and torch
references, the bundled example's inputs and the numeric tests' plumbing.
"""
