"""Python helpers of muon-mlir: build step modules, run them with muon-run,
and compute independent references (numpy formulas, torch optimizers)."""
