"""Run a function of an MLIR module with the muon-run tool."""

import os
import shlex
import subprocess
import tempfile

import numpy as np


def run(module, function, inputs, num_results, runner="muon-run", extra_args=()):
    """Runs `function` of `module` (MLIR text) on `inputs` (numpy arrays, in
    argument order) and returns its `num_results` results as numpy arrays.
    `runner` is muon-run's path, with options if any (shell words)."""
    with tempfile.TemporaryDirectory(prefix="muon-run-") as tmp:
        module_path = os.path.join(tmp, "module.mlir")
        with open(module_path, "w") as f:
            f.write(module)
        cmd = [*shlex.split(runner), module_path, f"--function={function}", *extra_args]
        for i, value in enumerate(inputs):
            path = os.path.join(tmp, f"in{i}.npy")
            np.save(path, np.asarray(value))
            cmd.append(f"--input=@{path}")
        outputs = [os.path.join(tmp, f"out{i}.npy") for i in range(num_results)]
        cmd += [f"--output=@{path}" for path in outputs]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr}")
        return [np.load(path) for path in outputs]
