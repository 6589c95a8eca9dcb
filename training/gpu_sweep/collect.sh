#!/bin/bash
# After the sweep (finished or cut off): logs, cards and per-epoch dev scores into $OUT; the best models too.
mkdir -p /tmp/col
for d in build/sw_*-checkpoints; do
  run=${d#build/sw_}; run=${run%-checkpoints}
  state=$(ls -d $d/checkpoint-* 2>/dev/null | sort -t- -k2 -n | tail -1)
  [ -n "$state" ] && cp $state/trainer_state.json /tmp/col/$run.trainer_state.json
  [ -f build/sw_$run/training.json ] && cp build/sw_$run/training.json /tmp/col/$run.training.json
  tail -c 4000 /tmp/logs/$run.log > /tmp/col/$run.log.tail
done
cp /tmp/logs/gpu.csv /tmp/col/ 2>/dev/null
tar czf $OUT/sweep.tgz -C /tmp col
python3 - <<'PY'
import json, os, subprocess
rows = [json.loads(l) for l in open(os.environ["OUT"] + "/results.jsonl") if l.strip()] if os.path.exists(os.environ["OUT"] + "/results.jsonl") else []
done = [r for r in rows if "eval" in r]
def score(r):
    e = r["eval"]; keys = [("real-news dev (shared/dev)", "types"), ("NewsMTSC dev (held-out 10% of train)", "stance"), ("data/stance test", "stance")]
    vals = [e.get(a, {}).get(b) for a, b in keys]
    return sum(v for v in vals if v is not None) / 3
for r in sorted(done, key=score, reverse=True)[:2]:
    run = r["run"]
    subprocess.run(["tar", "czf", f"/tmp/model_{run}.tgz", "-C", "build", "--exclude=tokenizer*", f"sw_{run}"], check=False)
    # One file back is at most 16 MiB: two parts.
    subprocess.run(["split", "-b", "12M", "-d", f"/tmp/model_{run}.tgz", f"{os.environ['OUT']}/model_{run}.tgz.part"], check=False)
    print("kept model", run, round(score(r), 4))
PY
ls -la $OUT
