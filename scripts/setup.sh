#!/usr/bin/env bash
# Installs everything muon-mlir needs on a fresh Debian 12 machine and builds
# it into build/. Safe to re-run: installed packages, the virtual environment
# and the build directory are reused.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  cmake ninja-build ccache g++ python3 python3-venv libdnnl-dev
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools
  libonnx-dev libprotobuf-dev protobuf-compiler
)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# Test-only Python packages live in .venv; lit runs under its interpreter.
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c "import numpy, torch, onnx, onnxruntime, onnxscript, transformers, scikit_build_core, matplotlib" 2>/dev/null; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r python/requirements-test.txt
fi

# ccache, when installed, makes rebuilds in other checkouts of the tree cheap.
LAUNCHER=()
if command -v ccache >/dev/null; then
  LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
if [ ! -f build/build.ninja ]; then
  cmake -G Ninja -S . -B build "${LAUNCHER[@]}" \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DPython3_EXECUTABLE="$PWD/.venv/bin/python"
fi
cmake --build build
