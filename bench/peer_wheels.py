"""Peers' wheels for the GPU machine, which has no network and takes 64 MiB
per device call: `download` fetches them here for its Python (CPython 3.12,
x86-64 Linux), without dependencies (the list names the closure, so that
torch, which the machine has, is not fetched), and stores a wheel over
`--max-wheel-mib` as an xz-compressed tar of its files instead (the CUTLASS
DSL's 74.5 MB wheel becomes 52 MB); `install` (there) unpacks all of them
once into a site directory under $TMPDIR and adds it to the path, with its
.pth files (the CUTLASS DSL puts its packages on the path through one).

    .venv/bin/python bench/peer_wheels.py --out gpu-artifacts/gram \\
        gram-newton-schulz==0.1.6 quack-kernels==0.5.0 ...
    gpu_peers.add_wheels("gpu-artifacts/gram")   # there
"""

import argparse
import glob
import hashlib
import json
import os
import shutil
import site
import subprocess
import sys
import tarfile
import tempfile
import zipfile

MANIFEST = "manifest.json"
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_24_x86_64",
             "manylinux_2_27_x86_64", "manylinux_2_28_x86_64")


def download(out, requirements, python="3.12", max_wheel_mib=16, binary=True):
    """Wheels of `requirements` into `out` (none of their dependencies); a
    wheel over `max_wheel_mib` repacked as NAME.tar.xz. Returns the stored
    file names, or raises CalledProcessError with pip's message."""
    os.makedirs(out, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", out]
    if binary:  # the target machine's wheels, not this one's
        command += ["--only-binary=:all:", "--python-version", python, "--implementation",
                    "cp"] + [f"--platform={p}" for p in PLATFORMS]
    subprocess.run(command + list(requirements), check=True, capture_output=True, text=True)
    for wheel in glob.glob(os.path.join(out, "*.whl")):
        if os.path.getsize(wheel) > max_wheel_mib << 20:
            _repack(wheel)
    return sorted(f for f in os.listdir(out) if f.endswith((".whl", ".tar.xz")))


def _repack(wheel):
    with tempfile.TemporaryDirectory() as tree:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(tree)
        with tarfile.open(wheel[:-len(".whl")] + ".tar.xz", "w:xz",
                          preset=9) as bundle:
            for name in sorted(os.listdir(tree)):
                bundle.add(os.path.join(tree, name), arcname=name)
    os.remove(wheel)


def install(directory):
    """Unpacks the wheels and bundles of `directory` into a site directory
    of their own under the temporary directory (not beside them, where it
    would travel with the artifacts: 194 MiB for gram's), once: a stamp
    lists what it holds; adds it to the path. Returns it, or None when
    there is nothing to install."""
    files = sorted(f for f in os.listdir(directory) if f.endswith((".whl", ".tar.xz"))) \
        if os.path.isdir(directory) else []
    if not files:
        return None
    key = hashlib.sha256(os.path.abspath(directory).encode()).hexdigest()[:12]
    target = os.path.join(tempfile.gettempdir(), f"muon-peer-site-{key}")
    stamp = os.path.join(target, ".installed")
    if not os.path.exists(stamp) or open(stamp).read().split() != files:
        shutil.rmtree(target, ignore_errors=True)
        os.makedirs(target)
        for name in files:
            path = os.path.join(directory, name)
            if name.endswith(".whl"):
                with zipfile.ZipFile(path) as archive:
                    archive.extractall(target)
            else:
                with tarfile.open(path, "r:xz") as bundle:
                    bundle.extractall(target, filter="data")
        with open(stamp, "w") as f:
            f.write("\n".join(files))
    if target not in sys.path:
        site.addsitedir(target)
    return target


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--python", default="3.12", help="the GPU machine's Python version")
    p.add_argument("--max-wheel-mib", type=int, default=16)
    p.add_argument("requirements", nargs="+")
    args = p.parse_args()
    manifest_path = os.path.join(args.out, MANIFEST)
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            if json.load(f).get("requirements") == args.requirements:
                print(f"{args.out}: up to date")
                return
    shutil.rmtree(args.out, ignore_errors=True)
    try:
        files = download(args.out, args.requirements, args.python, args.max_wheel_mib)
    except subprocess.CalledProcessError as e:
        sys.exit(f"error: pip download failed: {(e.stderr.strip().splitlines() or ['?'])[-1]}")
    sizes = {f: os.path.getsize(os.path.join(args.out, f)) for f in files}
    with open(manifest_path, "w") as f:
        json.dump({"requirements": args.requirements, "python": args.python,
                   "files": sizes}, f, indent=1)
    print(f"{args.out}: {len(files)} files, {sum(sizes.values()) / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
