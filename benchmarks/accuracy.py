"""Macro-F1 of each task on each evaluation set, for each model and inference precision.

The sets are the default training recipe's dev and evaluation sources (training/configs/default.toml):
the project's splits and the seed's gold always, ../shared/dev and the public NewsMTSC dev split when
present. One list, so the benchmark and the model card never disagree about what was measured.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_RECIPE = REPO / "training" / "configs" / "default.toml"


def evaluation_sets(recipe: Path = DEFAULT_RECIPE) -> list[Any]:
    """The recipe's dev and evaluate sources that exist here, each once."""
    from stance.training import TrainConfig

    config = TrainConfig.from_file(recipe)
    seen, sets = set(), []
    for source in [*config.evaluate, *config.dev]:
        key = (str(Path(source.path).resolve()), source.loader, source.task, source.part)
        if key in seen or source.missing_file():
            continue
        seen.add(key)
        sets.append(source)
    return sets


def accuracy_rows(model: str, precisions: list[str], sets: list[Any], batch_size: int = 64) -> list[dict[str, Any]]:
    """One row per (precision, set, task): macro-F1, accuracy, row count and scoring speed."""
    import stance
    from stance.training import evaluate_rows, read_source

    loaded_sets = [(source, read_source(source)) for source in sets]
    rows = []
    for precision in precisions:
        loaded = stance.load(model, precision=precision)
        for source, data in loaded_sets:
            began = time.perf_counter()
            reports = evaluate_rows(loaded, data)
            seconds = time.perf_counter() - began
            for task, report in reports.items():
                rows.append({
                    "model": model, "precision": loaded.precision, "set": source.label(), "task": task,
                    "macro_f1": report["macro_f1"], "accuracy": report["accuracy"], "ece": report["ece"], "rows": report["rows"],
                    "seconds": seconds,
                })
    return rows
