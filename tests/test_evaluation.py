import pytest

from stance.evaluation import classification_report, cue_word_baseline, evaluate_types, format_report


def test_report_numbers_by_hand():
    labels = ["fact", "forecast", "recommendation", "opinion"]
    gold = ["fact", "fact", "forecast", "opinion"]
    predicted = ["fact", "forecast", "forecast", "fact"]
    report = classification_report(predicted, gold, labels)
    assert report["accuracy"] == pytest.approx(0.5)
    assert report["per_class"]["fact"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    assert report["per_class"]["forecast"]["f1"] == pytest.approx(2 / 3)
    assert report["per_class"]["recommendation"]["f1"] == 0.0
    assert report["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 0 + 0) / 4)
    assert report["confusion"] == [[1, 1, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]]


def test_unknown_label_is_an_error():
    with pytest.raises(ValueError, match="rumour"):
        classification_report(["rumour"], ["fact"], ["fact", "opinion"])


@pytest.mark.parametrize(
    "sentence, label",
    [
        ("The government should act.", "recommendation"),
        ("Growth will slow next year.", "forecast"),
        ("It was a remarkable success.", "opinion"),
        ("The vote took place on Monday.", "fact"),
    ],
)
def test_cue_word_baseline(sentence, label):
    assert cue_word_baseline(sentence) == label


def test_evaluate_types_and_table(tiny_model, tiny_corpus):
    from stance.data import read_typed_sentences

    report = evaluate_types(tiny_model, read_typed_sentences(tiny_corpus))
    assert report["rows"] == 16
    assert set(report) >= {"macro_f1", "accuracy", "per_class", "confusion", "baseline"}
    assert sum(map(sum, report["confusion"])) == 16
    table = format_report(report)
    for word in ("macro-F1", "accuracy", "precision", "confusion", "baseline", "recommendation"):
        assert word in table
