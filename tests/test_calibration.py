"""Temperature scaling and expected calibration error; abstaining on low-confidence predictions."""

from __future__ import annotations

import math
import random

import pytest

from conftest import TINY_ROWS, TINY_STANCE_ROWS, stance_row
from stance.calibration import calibrate, expected_calibration_error, fit_temperature


def test_ece_of_perfect_and_overconfident_predictions():
    assert expected_calibration_error([1.0, 1.0], [True, True]) == 0.0
    assert expected_calibration_error([0.9] * 10, [True] * 5 + [False] * 5) == pytest.approx(0.4)
    with pytest.raises(ValueError):
        expected_calibration_error([0.5], [])


def test_fit_temperature_recovers_the_temperature_that_made_the_labels():
    rng = random.Random(0)
    rows, gold = [], []
    for _ in range(3000):
        logits = [rng.gauss(0, 3) for _ in range(3)]
        true = [math.exp(v / 2.5) for v in logits]  # labels drawn at T = 2.5 ...
        total = sum(true)
        gold.append(rng.choices(range(3), weights=[v / total for v in true])[0])
        sharp = [math.exp(v) for v in logits]  # ... but the model reports T = 1: over-confident
        rows.append([v / sum(sharp) for v in sharp])
    temperature = fit_temperature(rows, gold)
    assert 2.2 < temperature < 2.8
    before = expected_calibration_error([max(r) for r in rows], [r.index(max(r)) == g for r, g in zip(rows, gold)])
    assert before > 0.1


def test_calibrate_sets_both_temperatures(tiny_model):
    type_rows = [{"text": t, "label": l} for t, l in TINY_ROWS]
    stance_rows = [stance_row(t, targets) for t, targets in TINY_STANCE_ROWS]
    report = calibrate(tiny_model, type_rows, stance_rows)
    assert set(report) == {"types", "stance"}
    assert tiny_model.config.type_temperature == report["types"]["temperature"]
    assert tiny_model.config.stance_temperature == report["stance"]["temperature"]
    assert report["stance"]["rows"] == sum(len(targets) for _, targets in TINY_STANCE_ROWS)


def test_abstain_marks_low_confidence_and_keeps_scores(tiny_model):
    text = "Beijing praised the BRI. Washington should drop its tariffs."
    unsure = tiny_model.analyze(text, abstain=0.99)
    assert {s.label for s in unsure.sentences} == {"abstain"}
    assert all(a.label == "abstain" for s in unsure.sentences for a in s.actors) and unsure.sentences[0].actors
    assert all(abs(sum(s.scores.values()) - 1) < 1e-4 for s in unsure.sentences)
    sure = tiny_model.analyze(text, abstain=0.01)
    assert "abstain" not in {s.label for s in sure.sentences}
    with pytest.raises(ValueError, match="abstain"):
        tiny_model.analyze(text, abstain=1.5)
