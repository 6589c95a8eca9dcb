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

__all__ = [
    "cue_word_baseline",
    "sentiment_word_baseline",
    "classification_report",
    "evaluate_types",
    "evaluate_stance",
    "evaluate_actors",
    "format_report",
    "format_actor_report",
]

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


# The stance baseline: the sentence's polarity words, given to every mention alike. It shows how much
# of a stance score needs no notion of which actor the sentence is about.
_POSITIVE = re.compile(
    r"\b(praise[sd]?|welcome[sd]?|success(ful)?|boost(s|ed|ing)?|support(s|ed)?|benefit(s|ed|ing)?|strong|"
    r"achiev\w*|win(s|ning)?|won|help(s|ed|ing)?|improv\w*|good|great|popular|leader|stabilit\w*|progress|"
    r"credit(s|ed)?|hail(s|ed)?|defend(s|ed)?|victim)\b",
    re.IGNORECASE,
)
_NEGATIVE = re.compile(
    r"\b(criticis\w*|criticiz\w*|blame[sd]?|accus\w*|fail(s|ed|ure)?|aggressive|threat\w*|attack\w*|"
    r"condemn\w*|corrupt\w*|scandal|crisis|damag\w*|protectionis\w*|restrict\w*|sanction\w*|weak\w*|"
    r"lie[sd]?|lying|fraud\w*|abuse[sd]?|trap\w*|bull(y|ied|ies)|undermin\w*|diminish\w*|violat\w*)\b",
    re.IGNORECASE,
)


def sentiment_word_baseline(sentence: str) -> str:
    """More positive than negative words -> favor, fewer -> against, else neutral; same for every mention."""
    balance = len(_POSITIVE.findall(sentence)) - len(_NEGATIVE.findall(sentence))
    return "favor" if balance > 0 else "against" if balance < 0 else "neutral"


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
    predictions = model.classify(texts, batch_size=batch_size)
    predicted = [p.label for p in predictions]
    report = classification_report(predicted, gold, labels)
    report["labels"] = labels
    report["rows"] = len(rows)
    report["ece"] = _ece(predictions, gold)
    baseline = classification_report([cue_word_baseline(t) for t in texts], gold, labels)
    report["baseline"] = {"name": "cue words", "macro_f1": baseline["macro_f1"], "accuracy": baseline["accuracy"], "per_class": baseline["per_class"]}
    return report


def evaluate_stance(model: Any, rows: list[dict[str, Any]], batch_size: int = 64) -> dict[str, Any]:
    """Score the stance head on gold mentions (``{"text", "targets": [{"start", "end", "stance"}]}``)."""
    labels = list(model.stance_labels)
    texts = [row["text"] for row in rows]
    spans = [[(t["start"], t["end"]) for t in row["targets"]] for row in rows]
    _, scored, _ = model.predict(texts, spans, batch_size)
    gold = [t["stance"] for row in rows for t in row["targets"]]
    flat = [p for per_row in scored for p in per_row]
    predicted = [p.label for p in flat]
    report = classification_report(predicted, gold, labels)
    report["labels"] = labels
    report["rows"] = len(gold)
    report["ece"] = _ece(flat, gold)
    report["sentences"] = len(rows)
    guesses = [sentiment_word_baseline(row["text"]) for row in rows for _ in row["targets"]]
    baseline = classification_report(guesses, gold, labels)
    report["baseline"] = {"name": "sentiment words", "macro_f1": baseline["macro_f1"], "accuracy": baseline["accuracy"], "per_class": baseline["per_class"]}
    return report


def _ece(predictions: list[Any], gold: list[str]) -> float:
    from .calibration import expected_calibration_error

    return expected_calibration_error([max(p.scores.values()) for p in predictions], [p.label == g for p, g in zip(predictions, gold)])


def evaluate_actors(finder: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Actor detection against gold mentions: precision, recall and F1, strict (same span and actor)
    and lenient (overlapping span, same actor). Rows are taken as one document, in order, so names
    resolve across sentences as they do in ``analyze``."""
    found = finder.find([row["text"] for row in rows])
    counts = {"strict": [0, 0], "lenient": [0, 0]}  # [true positives among predicted, true positives among gold]
    missed, spurious = [], []
    predicted_total = gold_total = 0
    for row, mentions in zip(rows, found):
        gold = [(t["start"], t["end"], t["actor"]) for t in row["targets"]]
        guess = [(m.start, m.end, m.actor) for m in mentions]
        predicted_total += len(guess)
        gold_total += len(gold)
        for mode, match in (("strict", _same_span), ("lenient", _overlapping)):
            counts[mode][0] += sum(any(match(p, g) for g in gold) for p in guess)
            counts[mode][1] += sum(any(match(p, g) for p in guess) for g in gold)
        missed += [row["text"][s:e] + f" -> {a}" for s, e, a in gold if not any(_overlapping(p, (s, e, a)) for p in guess)]
        spurious += [row["text"][s:e] + f" -> {a}" for s, e, a in guess if not any(_overlapping((s, e, a), g) for g in gold)]
    report: dict[str, Any] = {"sentences": len(rows), "gold_mentions": gold_total, "predicted_mentions": predicted_total}
    for mode, (right_predicted, right_gold) in counts.items():
        precision = right_predicted / predicted_total if predicted_total else 0.0
        recall = right_gold / gold_total if gold_total else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        report[mode] = {"precision": precision, "recall": recall, "f1": f1}
    report["missed"] = missed
    report["spurious"] = spurious
    return report


def _same_span(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    return a == b


def _overlapping(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    return a[2] == b[2] and a[0] < b[1] and b[0] < a[1]


def format_actor_report(report: dict[str, Any], examples: int = 20) -> str:
    lines = [f"sentences: {report['sentences']}, gold mentions: {report['gold_mentions']}, predicted: {report['predicted_mentions']}",
             f"{'':<8}  {'precision':>9}  {'recall':>6}  {'F1':>6}"]
    for mode in ("strict", "lenient"):
        r = report[mode]
        lines.append(f"{mode:<8}  {r['precision']:9.3f}  {r['recall']:6.3f}  {r['f1']:6.3f}")
    for name in ("missed", "spurious"):
        if report[name]:
            lines += ["", f"{name} ({len(report[name])}):", *(f"  {x}" for x in report[name][:examples])]
    return "\n".join(lines)


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
        f"{'ECE':<{width}}  {report['ece']:8.3f}  {'':>8}   (expected calibration error, 15 bins)",
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
