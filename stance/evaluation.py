"""Scoring a model on labelled sentences, beside a cue-word baseline, through ``evaluate``.

Metrics come from the local ``evaluate`` module in ``stance/metrics`` (the hub's metric scripts are not
reachable offline). The baseline is the regex a reader would write first: it shows how much of a score
is the cue words alone.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["cue_word_baseline", "classification_report", "evaluate_types", "format_report"]

METRIC_DIR = Path(__file__).resolve().parent / "metrics" / "classification_report"

_CUES = (
    ("recommendation", r"\b(should|must|ought to|needs? to|have to|has to|urge[sd]?|urging|call(s|ed)? (for|on)|propose[sd]?|recommend(s|ed)?|let us|let's)\b"),
    ("forecast", r"\b(will|won't|shall|expected to|likely|(is|are) set to|forecast|projected|poised to|may|might|could|next (year|week|month)|by 20\d\d)\b"),
    ("opinion", r"\b(seems?|arguably|remarkable|aggressive|unfair|fairer|best|worst|most|essential|important|significant(ly)?|clearly|obviously|good|bad|great|terrible|failed|success(ful)?)\b"),
)


@lru_cache(maxsize=1)
def _compiled_cues() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((label, re.compile(pattern, re.IGNORECASE)) for label, pattern in _CUES)


def cue_word_baseline(sentence: str) -> str:
    """should/must/urge -> recommendation; will/expected/may -> forecast; evaluative words -> opinion; else fact."""
    for label, pattern in _compiled_cues():
        if pattern.search(sentence):
            return label
    return "fact"


@lru_cache(maxsize=1)
def _metric():
    import evaluate

    return evaluate.load(str(METRIC_DIR))


def classification_report(predicted: list[str], gold: list[str], labels: list[str]) -> dict[str, Any]:
    """accuracy, macro_f1, per_class, confusion, computed by the local ``evaluate`` module."""
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted({label for label in [*predicted, *gold] if label not in index})
    if unknown:
        raise ValueError(f"labels {unknown} are not among {labels}")
    return _metric().compute(
        predictions=[index[p] for p in predicted], references=[index[g] for g in gold], labels=labels
    )


def evaluate_types(model: Any, rows: list[dict[str, Any]], batch_size: int = 64) -> dict[str, Any]:
    """Score ``model.classify`` on rows with ``text`` and ``label``; the cue-word baseline beside it."""
    labels = list(model.type_labels)
    texts = [row["text"] for row in rows]
    gold = [row["label"] for row in rows]
    predicted = [p.label for p in model.classify(texts, batch_size=batch_size)]
    report = classification_report(predicted, gold, labels)
    report["labels"] = labels
    report["rows"] = len(rows)
    baseline = classification_report([cue_word_baseline(t) for t in texts], gold, labels)
    report["baseline"] = {"name": "cue words", "macro_f1": baseline["macro_f1"], "accuracy": baseline["accuracy"], "per_class": baseline["per_class"]}
    return report


def format_report(report: dict[str, Any]) -> str:
    """The report as aligned text tables: summary, per class, confusion (rows gold, columns predicted)."""
    labels = report["labels"]
    base = report["baseline"]
    width = max(len(label) for label in [*labels, "macro avg"])
    lines = [
        f"rows: {report['rows']}",
        f"{'':<{width}}  {'model':>8}  {'baseline':>8}",
        f"{'macro-F1':<{width}}  {report['macro_f1']:8.3f}  {base['macro_f1']:8.3f}",
        f"{'accuracy':<{width}}  {report['accuracy']:8.3f}  {base['accuracy']:8.3f}",
        "",
        f"{'class':<{width}}  {'precision':>9}  {'recall':>6}  {'F1':>6}  {'support':>7}  {'baseline F1':>11}",
    ]
    for label in labels:
        c = report["per_class"][label]
        lines.append(
            f"{label:<{width}}  {c['precision']:9.3f}  {c['recall']:6.3f}  {c['f1']:6.3f}  {c['support']:7d}  {base['per_class'][label]['f1']:11.3f}"
        )
    lines += ["", "confusion (rows: gold, columns: predicted)"]
    cell = max(6, *(len(label) for label in labels))
    lines.append(f"{'':<{width}}  " + "  ".join(f"{label:>{cell}}" for label in labels))
    for label, row in zip(labels, report["confusion"]):
        lines.append(f"{label:<{width}}  " + "  ".join(f"{n:>{cell}d}" for n in row))
    return "\n".join(lines)
