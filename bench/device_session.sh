#!/usr/bin/env bash
# Every prepared GPU measurement of the open issues, for one device call
# (10 minutes at most; a task's device time is ~15 minutes in all, machine
# start included). Runs on the GPU machine from the repository root, after
# bench/build_device_artifacts.sh here:
#
#   device tool: run(command="bash bench/device_session.sh first", timeout_s=600,
#     carry=["gpu-artifacts/optim", "gpu-artifacts/train", "gpu-artifacts/bench"])
#   device tool: run(command="bash bench/device_session.sh second", timeout_s=600,
#     carry=["gpu-artifacts/train-llama", "gpu-artifacts/bench"])
#
# "first" (default, ~9 minutes) holds what has never run on a GPU; "second"
# the larger sets. Each measurement has its own time limit and writes its
# JSON and log into $OUT as it goes, so one that fails or overruns costs
# only itself. The summary at the end lists each one's exit status.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/device-out}
A=gpu-artifacts
mkdir -p "$OUT"
export LD_LIBRARY_PATH="$PWD/$A/bench:${LD_LIBRARY_PATH:-}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader \
  > "$OUT/device.txt" 2>&1
cat "$OUT/device.txt"
summary=()

measure() {  # measure NAME SECONDS COMMAND...
  local name=$1 limit=$2; shift 2
  echo "== $name (at most ${limit} s): $*"
  local start=$SECONDS
  timeout --signal=INT --kill-after=15 "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  tail -n 60 "$OUT/$name.log"
  summary+=("$name: rc $rc, $((SECONDS - start)) s")
}

case "${1:-first}" in
  first)
    # Issue 21: parity, CUDA graphs, dispatch and memory of muon_mlir.optim.Muon.
    measure optim_gpu 150 python3 bench/optim_gpu.py run --artifacts "$A/optim" \
      --json "$OUT/optim_gpu.json"
    # Issue 20: the whole GPT-2-small training step against torch.
    measure train_step_gpu 240 python3 bench/train_step_gpu.py run --artifacts "$A/train" \
      --json "$OUT/train_step_gpu.json"
    # Issue 23: GPT-2 small's optimizer step against its peers.
    measure gpu_step_gpt2 150 python3 bench/gpu_step.py run --artifacts "$A/bench" \
      --sets gpt2 --child-timeout 120 --json "$OUT/gpu_step_gpt2.json"
    ;;
  second)
    measure train_step_gpu_llama 240 python3 bench/train_step_gpu.py run \
      --artifacts "$A/train-llama" --json "$OUT/train_step_gpu_llama.json"
    measure gpu_step_llama1b 180 python3 bench/gpu_step.py run --artifacts "$A/bench" \
      --sets llama1b --peers eager,eager-fused,compile,batched,heavyball \
      --child-timeout 150 --json "$OUT/gpu_step_llama1b.json"
    measure gpu_step_ns4096 120 python3 bench/gpu_step.py run --artifacts "$A/bench" \
      --sets ns4096 --peers eager,compile --child-timeout 100 --json "$OUT/gpu_step_ns4096.json"
    ;;
  *) echo "usage: $0 [first|second]" >&2; exit 2 ;;
esac
printf '%s\n' "== summary" "${summary[@]}" | tee "$OUT/summary.txt"
