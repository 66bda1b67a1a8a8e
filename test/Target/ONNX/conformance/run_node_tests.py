"""Runs the ONNX backend node tests of a list file (see gen_node_test.py)
through the importer and muon-run: writes each case, imports it and runs it
against its expected outputs. Prints one FAIL line per failing case (with
the tools' output) and a summary.

usage: run_node_tests.py [-jN] LIST OUTDIR MUON_TRANSLATE MUON_RUN [MUON_RUN_ARGS...]
(-jN: N cases at a time, default 1)
"""

from multiprocessing import Pool
import os
import shlex
import subprocess
import sys

from gen_node_test import find_case, load_case_list, write_case

# Largest relative Frobenius error accepted unless the list names another.
DEFAULT_THRESHOLD = 1e-5


def run_case(name, module, threshold, consts, out_dir, translate, run):
    """None when the case passes, else what went wrong."""
    case_dir = os.path.join(out_dir, name)
    try:
        inputs, outputs, flags = write_case(find_case(name, module), case_dir,
                                            consts)
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        # Data the harness cannot pass (an empty optional, strings).
        return "cannot write the case's data: %r" % error
    mlir = os.path.join(case_dir, "model.mlir")
    commands = [
        [translate, "--import-onnx", os.path.join(case_dir, "model.onnx"),
         "-o", mlir] + flags,
        run + [mlir, "--expected_f32_threshold=%g" %
               (threshold if threshold is not None else DEFAULT_THRESHOLD)]
        + ["--input=@" + p for p in inputs]
        + ["--expected_output=@" + p for p in outputs],
    ]
    for command in commands:
        try:
            result = subprocess.run(command, capture_output=True, text=True,
                                    timeout=120)
        except subprocess.TimeoutExpired:
            return "timed out: " + shlex.join(command)
        if result.returncode != 0:
            return "exit %d: %s\n%s" % (result.returncode, shlex.join(command),
                                        result.stderr.strip())
    return None


def main():
    args = sys.argv[1:]
    jobs = 1
    if args[0].startswith("-j"):
        jobs = int(args.pop(0)[2:])
    list_path, out_dir, translate = args[:3]
    run = shlex.split(args[3]) + args[4:]
    entries = load_case_list(list_path)
    with Pool(jobs) as pool:
        errors = pool.starmap(
            run_case,
            [(name, module, threshold, consts, out_dir, translate, run)
             for name, module, threshold, consts in entries])
    failed = 0
    for (name, *_), error in zip(entries, errors):
        if error:
            failed += 1
            print("FAIL %s: %s" % (name, error))
    print("%d of %d node tests passed" % (len(entries) - failed, len(entries)))


if __name__ == "__main__":
    main()
