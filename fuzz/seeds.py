#!/usr/bin/env python3
"""Writes the seed corpus of a fuzz target from the repository's test inputs.

usage: seeds.py <target> <output dir>

  muon-fuzz-npy           every .npy file under examples/ and test/
  muon-fuzz-input-spec    every --input=/--expected_output=/--output= value
                          quoted in test/, examples/ and python/
  muon-fuzz-optim-parser  every .mlir case under test/ (split at `// -----`
                          and split-file `//--- name` markers) and examples/
  muon-fuzz-onnx-import   the models of the importer tests (make_model.py,
                          the op cases of Ops/check_ops.py, control_flow.py's,
                          sequences.py's and runtime_slices.py's models)
                          and of ONNX's training-op conformance cases
  muon-fuzz-tensor-proto  the .pb inputs and outputs of those cases

The ONNX seeds are written by the test generators, which need the `onnx`
package of the project's .venv.

A new target adds a function to SEEDS.
"""
import hashlib
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def files(*patterns):
    for pattern in patterns:
        yield from sorted(ROOT.glob(pattern))


def npy_file(descr, shape, data, version=1):
    """A .npy image written by hand (no numpy needed)."""
    dims = ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "")
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}"
    length_bytes = 2 if version == 1 else 4
    header += " " * (-(10 + length_bytes - 2 + len(header) + 1) % 64) + "\n"
    return (b"\x93NUMPY" + bytes([version, 0]) +
            len(header).to_bytes(length_bytes, "little") + header.encode() + data)


def npy_seeds():
    yield npy_file("<f4", (2, 3), bytes(24))
    yield npy_file("<f8", (), bytes(8), version=2)
    yield npy_file("<i8", (3,), bytes(24), version=3)
    yield npy_file("|b1", (2, 2), bytes(4))
    yield npy_file("<f2", (0, 4), b"")
    yield npy_file("<i4", (1, 1, 1), bytes(4))
    for path in files("examples/**/*.npy", "test/**/*.npy"):
        yield path.read_bytes()


FLAG = re.compile(r"--(input|expected_output|output)=([^\s\"']+)")


def input_spec_seeds():
    for path in files("test/**/*", "examples/**/*.py", "python/**/*.py"):
        if not path.is_file():
            continue
        for kind, value in FLAG.findall(path.read_text(errors="replace")):
            yield (("-\n" + value) if kind == "output" else value + "\n-").encode()


# Splits a file at `// -----` (-split-input-file) and at split-file markers.
CASE_SPLIT = re.compile(r"^// -----\s*$|^//--- .*$", re.MULTILINE)


def optim_parser_seeds():
    for path in files("test/**/*.mlir", "examples/**/*.mlir"):
        for case in CASE_SPLIT.split(path.read_text()):
            # RUN/CHECK lines only make the inputs longer.
            lines = [l for l in case.splitlines()
                     if not re.match(r"\s*// *(RUN|CHECK|[A-Z-]+:)", l)]
            text = "\n".join(lines).strip()
            if text:
                yield text.encode()


VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
ONNX_TESTS = ROOT / "test" / "Target" / "ONNX"


def generated_onnx_files(pattern):
    """Files matching `pattern` among what the ONNX test generators write."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        run = lambda *args: subprocess.run([str(VENV_PYTHON), *map(str, args)],
                                           check=True, capture_output=True)
        cases = re.findall(r'^    "(\w+)":', (ONNX_TESTS / "make_model.py").read_text(),
                           re.MULTILINE)
        for case in cases:
            run(ONNX_TESTS / "make_model.py", case, tmp / f"{case}.onnx")
        # The optimizers, and tensors of the packed and minifloat types.
        for case in ["test_adam_multiple", "test_momentum", "test_nesterov_momentum",
                     "test_adagrad_multiple", "test_cast_FLOAT_to_INT4",
                     "test_cast_no_saturate_FLOAT_to_FLOAT8E4M3FN",
                     "test_dequantizelinear_e4m3fn", "test_dequantizelinear_int4",
                     "test_dequantizelinear_float4e2m1"]:
            run(ONNX_TESTS / "conformance" / "gen_node_test.py", case, tmp / case)
        for flag in ("--models", "--errors"):
            run(ONNX_TESTS / "Ops" / "check_ops.py", flag, tmp / "ops")
        # If, Loop and Scan, nested subgraphs among them; sequences,
        # optionals and loops carrying sequences; slices at run-time offsets.
        for script in ("control_flow", "sequences", "runtime_slices"):
            for mode in ("models", "errors"):
                run(ONNX_TESTS / f"{script}.py", mode, tmp / script / mode)
        for path in sorted(tmp.glob(pattern)):
            yield path.read_bytes()


def onnx_import_seeds():
    yield from generated_onnx_files("**/*.onnx")


def tensor_proto_seeds():
    yield from generated_onnx_files("**/*.pb")


SEEDS = {
    "muon-fuzz-npy": npy_seeds,
    "muon-fuzz-input-spec": input_spec_seeds,
    "muon-fuzz-optim-parser": optim_parser_seeds,
    "muon-fuzz-onnx-import": onnx_import_seeds,
    "muon-fuzz-tensor-proto": tensor_proto_seeds,
}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in SEEDS:
        sys.exit(__doc__)
    out = pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for seed in SEEDS[sys.argv[1]]():
        (out / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
        count += 1
    print(f"{count} seeds in {out}")


if __name__ == "__main__":
    main()
