#!/usr/bin/env bash
# Builds a fuzz target and runs it for a set time.
#
#   fuzz/run.sh <target> <seconds> [libFuzzer flags...]
#   fuzz/run.sh muon-fuzz-npy 600
#
# Targets: muon-fuzz-npy, muon-fuzz-input-spec, muon-fuzz-optim-parser,
# muon-fuzz-onnx-import, muon-fuzz-tensor-proto.
# Configures build-fuzz/ with clang-22 and -DMUON_ENABLE_FUZZING=ON the first
# time. The corpus grows in build-fuzz/fuzz/<target>/corpus (seeded from the
# tests by fuzz/seeds.py); crashes, timeouts and out-of-memory inputs land in
# build-fuzz/fuzz/<target>/artifacts/. One process, one job: the machine is
# shared.
set -euo pipefail
cd "$(dirname "$0")/.."

if (($# < 2)); then
  sed -n '2,12p' "$0"
  exit 2
fi
target=$1 seconds=$2
shift 2

build=${MUON_FUZZ_BUILD_DIR:-build-fuzz}
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S . -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DMUON_ENABLE_FUZZING=ON
fi
cmake --build "$build" --target "$target" -j"${MUON_FUZZ_BUILD_JOBS:-2}"

work=$build/fuzz/$target
mkdir -p "$work/corpus" "$work/artifacts"
python3 fuzz/seeds.py "$target" "$work/seeds"

# Leaks are not what these runs look for (and libMLIR's registrations would
# report some); out-of-memory and slow inputs are.
# User poisoning is off: LLVM's allocators poison their slabs in code inlined
# into the targets but not in the uninstrumented libMLIR, whose objects would
# then read as poisoned (test/lit.cfg.py does the same).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1:allow_user_poisoning=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
dict=fuzz/$target.dict
exec "$build/bin/$target" "$work/corpus" "$work/seeds" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len="${MUON_FUZZ_MAX_LEN:-8192}" -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" \
  $([ -f "$dict" ] && echo "-dict=$dict") "$@"
