#!/usr/bin/env bash
# Builds, here, everything bench/device_session.sh runs on the GPU machine
# (which has no MLIR and no network) into gpu-artifacts/ (git-ignored; the
# device tool carries what one call needs, 64 MiB at most: see
# bench/device_session.sh).
# After scripts/setup.sh. About 23 minutes on 2 cores (the GPT-2 training
# step 6, the LLaMA-350M one 11, the numerics bundles 3); a directory is
# rebuilt when the sources it comes from changed since it was built.
# Carried: 47 MiB for the first call, 25 MiB for the second, 11 MiB for
# llama-train, 56 MiB for gram.
#
#   bash bench/build_device_artifacts.sh [--with-ortho-study]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
A=gpu-artifacts
mkdir -p "$A"

# What the artifacts are built from: a directory built at a commit from which
# none of these changed (and with none of them modified since) is reused.
SOURCES=(CMakeLists.txt dialects include lib tools runtime python bench examples
         test/Integration/Target/ONNX/ort_training_models.py)

step() {  # step DIR COMMAND...: runs COMMAND unless DIR is up to date
  local dir=$1; shift
  local built
  built=$(cat "$dir/.source-commit" 2>/dev/null || true)
  if [[ -f "$dir/manifest.json" && -n "$built" ]] &&
     git diff --quiet "$built" HEAD -- "${SOURCES[@]}" 2>/dev/null &&
     git diff --quiet HEAD -- "${SOURCES[@]}"; then
    echo "== $dir: up to date (built at ${built:0:12})"; return
  fi
  rm -rf "$dir"
  echo "== $dir"; local start=$SECONDS
  "$@"
  git rev-parse HEAD > "$dir/.source-commit"
  echo "   $((SECONDS - start)) s"
}

# Issue 21: muon_mlir.optim.Muon on CUDA (a precompiled step cache).
step "$A/optim" $PY bench/optim_gpu.py build --out "$A/optim"
# Issue 20: whole training steps against ORT / the CPU compilation (small
# models, five steps), GPT-2 small and the LLaMA-style 350M timed.
step "$A/numerics" $PY bench/training_numerics.py build --out "$A/numerics"
step "$A/train" $PY bench/train_step_gpu.py build --out "$A/train"
step "$A/train-llama" $PY bench/train_step_gpu.py build --model llama-350m --out "$A/train-llama"
# Issue 23: the optimizer step against its peers (peer wheels downloaded here).
ortho=()
if [[ "${1:-}" == "--with-ortho-study" && ! -f "$A/ortho_study.json" ]]; then
  $PY bench/ortho_study.py --d-model 512 --layers 4 --heads 8 --steps 200 \
      --json "$A/ortho_study.json"
fi
[[ -f "$A/ortho_study.json" ]] && ortho=(--ortho-matched "$A/ortho_study.json")
step "$A/bench" $PY bench/gpu_step.py build --out "$A/bench" "${ortho[@]}"
# Issue 23: the gram-newton-schulz peer, its wheels for the GPU machine's
# Python 3.12 (their pinned closure; torch is there already). 54 MiB, so it
# has a device call of its own ("gram"); downloaded once (3 minutes of xz).
$PY bench/peer_wheels.py --out "$A/gram" gram-newton-schulz==0.1.6 quack-kernels==0.5.0 \
    nvidia-cutlass-dsl==4.5.2 nvidia-cutlass-dsl-libs-base==4.5.2 \
    "apache-tvm-ffi>=0.1.6,<0.2" torch-c-dlpack-ext einops

du -sh "$A"/* | sed 's/^/   /'
# What each call of bench/device_session.sh carries must fit 64 MiB.
check_carry() {  # check_carry CALL DIR...
  local call=$1; shift
  local total
  total=$(du -scb "$@" | tail -1 | cut -f1)
  echo "device_session.sh $call carries $((total >> 20)) MiB: $*"
  (( total <= 64 << 20 )) || { echo "error: over the 64 MiB the device tool carries" >&2; exit 1; }
}
check_carry first "$A/numerics" "$A/optim" "$A/train" "$A/bench"
check_carry second "$A/train" "$A/bench"
check_carry llama-train "$A/train-llama"
check_carry gram "$A/bench" "$A/gram"
