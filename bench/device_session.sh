#!/usr/bin/env bash
# Every prepared GPU measurement of the open issues, for one device call
# (10 minutes at most; a task's device time is ~15 minutes in all, machine
# start included). Runs on the GPU machine from the repository root, after
# bench/build_device_artifacts.sh here:
#
#   device tool: run(command="bash bench/device_session.sh first", timeout_s=600,
#     carry=["gpu-artifacts/numerics", "gpu-artifacts/optim", "gpu-artifacts/train",
#            "gpu-artifacts/bench"])
#   device tool: run(command="bash bench/device_session.sh second", timeout_s=360,
#     carry=["gpu-artifacts/train", "gpu-artifacts/bench"])   # at once, while warm
#   (a later task: "llama-train" with carry=["gpu-artifacts/train-llama"],
#    "gram" with carry=["gpu-artifacts/bench", "gpu-artifacts/gram"])
#
# "first" (default, ~8 minutes) holds muon-mlir's measurements against the
# eager peers; "second" the torch.compile peers, which compile for minutes;
# "llama-train" the LLaMA-style training step; "gram" the gram-newton-schulz
# peer (its wheels alone are 54 MiB) against muon-mlir and the eager peers.
# Each measurement has its own time limit and writes its JSON and log as it
# goes, so one that fails or overruns costs only itself; after each one,
# $OUT/results.tar.gz is rewritten with all of them (the tool brings back 8
# files at most). The summary at the end lists each one's exit status.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/device-out}
A=gpu-artifacts
RESULTS=$(mktemp -d)
mkdir -p "$OUT"
export LD_LIBRARY_PATH="$PWD/$A/bench:${LD_LIBRARY_PATH:-}" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader \
  > "$RESULTS/device.txt" 2>&1
cat "$RESULTS/device.txt"
summary=()

measure() {  # measure NAME SECONDS COMMAND...
  local name=$1 limit=$2; shift 2
  echo "== $name (at most ${limit} s): $*"
  local start=$SECONDS
  timeout --signal=INT --kill-after=15 "$limit" "$@" > "$RESULTS/$name.log" 2>&1
  local rc=$?
  tail -n 40 "$RESULTS/$name.log"
  summary+=("$name: rc $rc, $((SECONDS - start)) s")
  printf '%s\n' "${summary[@]}" > "$RESULTS/summary.txt"
  tar czf "$OUT/results.tar.gz" -C "$RESULTS" .
}

case "${1:-first}" in
  first)
    # What the first H200 session (2026-12-04) learnt: torch.compile peers
    # compile for minutes there, so this call holds everything else.
    # Issue 20: whole training steps against ORT / the CPU step (5 steps, 1e-4).
    measure training_numerics 90 python3 bench/training_numerics.py run \
      --artifacts "$A/numerics" --json "$RESULTS/training_numerics.json"
    # Issue 20: the whole GPT-2-small training step against torch eager.
    measure train_step_gpu 150 python3 bench/train_step_gpu.py run --artifacts "$A/train" \
      --steps 10 --warmup 2 --peers eager --json "$RESULTS/train_step_gpu.json"
    # Issue 21: parity, CUDA graphs, dispatch and memory of muon_mlir.optim.Muon.
    measure optim_gpu 100 python3 bench/optim_gpu.py run --artifacts "$A/optim" \
      --sets gpt2 --json "$RESULTS/optim_gpu.json"
    # Issue 23: the optimizer sets against the eager peers.
    measure gpu_step 200 python3 bench/gpu_step.py run --artifacts "$A/bench" \
      --sets gpt2,ns4096,llama1b --peers eager,eager-fused --child-timeout 60 \
      --json "$RESULTS/gpu_step.json"
    ;;
  second)
    # The peers that compile: each in its own measurement, minutes each.
    measure train_step_gpu_compile 200 python3 bench/train_step_gpu.py run \
      --artifacts "$A/train" --steps 10 --warmup 2 --peers compile-ro \
      --json "$RESULTS/train_step_gpu_compile.json"
    measure gpu_step_compiled 140 python3 bench/gpu_step.py run --artifacts "$A/bench" \
      --sets gpt2 --peers compile,compile-ro,batched,heavyball --runs 1 --child-timeout 60 \
      --json "$RESULTS/gpu_step_compiled.json"
    ;;
  llama-train)
    measure train_step_gpu_llama 240 python3 bench/train_step_gpu.py run \
      --artifacts "$A/train-llama" --steps 10 --warmup 2 --json "$RESULTS/train_step_gpu_llama.json"
    ;;
  gram)
    # Its kernels compile (CuTe DSL) and its restarts autotune on first use.
    measure gpu_step_gram 300 python3 bench/gpu_step.py run --artifacts "$A/bench" \
      --extra-wheels "$A/gram" --sets gpt2,llama1b --peers gram,eager-fused --runs 3 \
      --child-timeout 90 --json "$RESULTS/gpu_step_gram.json"
    ;;
  *) echo "usage: $0 [first|second|llama-train|gram]" >&2; exit 2 ;;
esac
printf '%s\n' "== summary" "${summary[@]}"
