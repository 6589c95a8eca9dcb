"""Calibration: temperature scaling of each head, fitted on dev, and expected calibration error.

A head's probability should mean what it says: of the sentences given 0.8, about 80% should be right.
Fine-tuned encoders are usually over-confident; dividing the logits by one temperature per head,
chosen to minimise the negative log-likelihood on dev, fixes most of it without changing any label.
The temperatures live in the model's config (``type_temperature``, ``stance_temperature``) and are
applied by inference; :func:`calibrate` fits them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["expected_calibration_error", "fit_temperature", "calibrate"]


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], bins: int = 15) -> float:
    """The gap between confidence and accuracy, averaged over equal-width confidence bins by their size."""
    if len(confidences) != len(correct):
        raise ValueError(f"{len(confidences)} confidences but {len(correct)} outcomes")
    if not confidences:
        return 0.0
    totals = [[0, 0.0, 0] for _ in range(bins)]  # count, summed confidence, right
    for confidence, right in zip(confidences, correct):
        slot = totals[min(int(confidence * bins), bins - 1)]
        slot[0] += 1
        slot[1] += confidence
        slot[2] += bool(right)
    return sum(abs(summed - right) for _, summed, right in totals) / len(confidences)


def fit_temperature(probabilities: Sequence[Sequence[float]], gold: Sequence[int]) -> float:
    """The temperature T minimising the NLL of softmax(log p / T) over the rows (T in [0.05, 20]).

    Log-probabilities differ from logits by a constant per row, which softmax ignores, so the
    probabilities a model returned at T = 1 are all that is needed.
    """
    if not probabilities or len(probabilities) != len(gold):
        raise ValueError("fit_temperature needs one gold index per probability row, and at least one row")
    def nll(log_t: float) -> float:
        t = math.exp(log_t)
        return -sum(_log_softmax(row, t)[answer] for row, answer in zip(probabilities, gold)) / len(gold)

    # NLL is unimodal in log T; a golden-section search is exact enough and needs no optimiser.
    low, high = math.log(0.05), math.log(20.0)
    ratio = (math.sqrt(5) - 1) / 2
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    fa, fb = nll(a), nll(b)
    for _ in range(60):
        if fa < fb:
            high, b, fb = b, a, fa
            a = high - ratio * (high - low)
            fa = nll(a)
        else:
            low, a, fa = a, b, fb
            b = low + ratio * (high - low)
            fb = nll(b)
    return math.exp((low + high) / 2)


def calibrate(model: Any, type_rows: list[dict[str, Any]], stance_rows: list[dict[str, Any]], batch_size: int = 64) -> dict[str, Any]:
    """Fit both heads' temperatures on dev rows, set them in ``model.config``, report ECE before and after.

    ``type_rows`` are ``{"text", "label"}``, ``stance_rows`` are ``{"text", "targets"}``; a head with no
    rows keeps its temperature.
    """
    config = model.config
    config.type_temperature = config.stance_temperature = 1.0
    texts = [r["text"] for r in type_rows] + [r["text"] for r in stance_rows]
    spans = [[] for _ in type_rows] + [[(t["start"], t["end"]) for t in r["targets"]] for r in stance_rows]
    types, stances, _ = model.predict(texts, spans, batch_size) if texts else ([], [], [])
    heads = {
        "types": (types[: len(type_rows)], [r["label"] for r in type_rows], list(config.type_labels), "type_temperature"),
        "stance": (
            [p for row in stances[len(type_rows):] for p in row],
            [t["stance"] for r in stance_rows for t in r["targets"]],
            list(config.stance_labels),
            "stance_temperature",
        ),
    }
    report = {}
    for head, (predictions, gold, labels, attribute) in heads.items():
        if not predictions:
            continue
        rows = [[p.scores[label] for label in labels] for p in predictions]
        answers = [labels.index(g) for g in gold]
        temperature = fit_temperature(rows, answers)
        setattr(config, attribute, temperature)
        rescaled = [[math.exp(v) for v in _log_softmax(r, temperature)] for r in rows]
        report[head] = {
            "temperature": temperature, "ece_before": _ece_of_rows(rows, answers),
            "ece_after": _ece_of_rows(rescaled, answers), "rows": len(rows),
        }
    return report


def _log_softmax(probabilities: Sequence[float], temperature: float) -> list[float]:
    """log softmax(log p / T): the row's log-probabilities at temperature T."""
    scaled = [math.log(max(p, 1e-12)) / temperature for p in probabilities]
    top = max(scaled)
    norm = top + math.log(sum(math.exp(v - top) for v in scaled))
    return [v - norm for v in scaled]


def _ece_of_rows(rows: list[list[float]], answers: list[int]) -> float:
    return expected_calibration_error([max(r) for r in rows], [r.index(max(r)) == a for r, a in zip(rows, answers)])
