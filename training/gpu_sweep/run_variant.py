"""Train and evaluate one variant of training/configs/default.toml; append its numbers to a JSONL file.

    python training/gpu_sweep/run_variant.py NAME RESULTS.jsonl

NAME is ``base`` or parts joined by ``_``, each changing one setting of the default recipe:
``lr1e4`` learning rate 1e-4, ``s14`` seed 14, ``ep6`` 6 epochs, ``steps4`` 4 steps (a dry run), ``fe`` only the embeddings frozen,
``dw0.5`` distillation weight 0.5, ``L4`` the encoder cut to its first 4 layers, ``plain`` NewsMTSC alone
with no teacher (stance only). Written for the device machine (sweep.sh), where many variants share one GPU;
on a machine without one it trains on the CPU like ``stance train``.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import torch

import stance.modeling as modeling
from stance.training import TrainConfig, train


def keep_first_layers(count: int) -> None:
    """Build new networks with only the base encoder's first ``count`` layers (a smaller, faster student)."""
    build = modeling.StanceNetwork.build.__func__

    def truncated(cls, config, load_base_weights=True, for_loading=False):
        network = build(cls, config, load_base_weights, for_loading)
        if not for_loading:
            network.encoder.encoder.layer = network.encoder.encoder.layer[:count]
            network.config.encoder_config["num_hidden_layers"] = count
        return network

    modeling.StanceNetwork.build = classmethod(truncated)


def variant(name: str) -> TrainConfig:
    folder = Path("build") / f"sw_{name}"
    config = TrainConfig.from_file(
        "training/configs/default.toml",
        output_dir=str(folder.resolve()), checkpoint_dir=str(folder.resolve()) + "-checkpoints", progress=False,
    )
    for part in name.split("_"):
        rate = re.fullmatch(r"lr(\d+(?:\.\d+)?)e(\d+)", part)
        if part == "base":
            continue
        elif rate:
            config.learning_rate = float(f"{rate[1]}e-{rate[2]}")
        elif re.fullmatch(r"s\d+", part):
            config.seed = int(part[1:])
        elif re.fullmatch(r"ep\d+", part):
            config.epochs = float(part[2:])
        elif re.fullmatch(r"steps\d+", part):
            config.max_steps = int(part[5:])
        elif part == "fe":
            config.freeze = ["encoder.embeddings"]
        elif re.fullmatch(r"dw\d+(?:\.\d+)?", part):
            config.distill_weight = float(part[2:])
        elif re.fullmatch(r"L\d", part):
            keep_first_layers(int(part[1:]))
        elif part == "plain":
            config.teacher = None
            config.train = [s for s in config.train if s.loader == "newsmtsc"]
            config.dev = [s for s in config.dev if s.loader == "newsmtsc"]
            config.evaluate = [s for s in config.evaluate if s.loader == "newsmtsc"]
        else:
            raise SystemExit(f"unknown part {part!r} in run name {name!r}")
    return config


def main() -> None:
    name, results = sys.argv[1], Path(sys.argv[2])
    # Many variants share the machine's cores; each needs one for its Python loop.
    torch.set_num_threads(1)
    config = variant(name)
    started = time.time()
    result = train(config)
    record = {
        "run": name,
        "seconds": round(time.time() - started, 1),
        "steps": result.global_step,
        "dev": {task: round(report["macro_f1"], 4) for task, report in result.dev_metrics.items()},
        "eval": {
            source: {task: round(report["macro_f1"], 4) for task, report in reports.items()}
            for source, reports in result.eval_metrics.items()
        },
        "dev_by_epoch": [
            {k: round(v, 4) for k, v in entry.items() if k.startswith("eval_") and k.endswith("f1")} | {"epoch": entry["epoch"]}
            for entry in result.log_history if "eval_macro_f1" in entry
        ],
    }
    with results.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
