"""A local ``evaluate`` metric: accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix.

It lives in the package because ``evaluate.load("f1")`` fetches its script from the hub, which is not
reachable offline; ``evaluate.load(<this folder>)`` works anywhere. Pure Python, no scikit-learn.
"""

import datasets
import evaluate

_DESCRIPTION = "Accuracy, macro-F1, per-class precision/recall/F1/support and confusion for single-label classification."
_KWARGS = """
Args:
    predictions (list of int): predicted class ids.
    references (list of int): gold class ids.
    labels (list of str): class names, index = class id; every class is reported, also when absent.
Returns:
    accuracy, macro_f1, per_class {name: {precision, recall, f1, support}}, confusion (rows gold, columns predicted).
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class ClassificationReport(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS,
            features=datasets.Features({"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}),
        )

    def _compute(self, predictions, references, labels):
        n = len(labels)
        for value in list(predictions) + list(references):
            if not 0 <= value < n:
                raise ValueError(f"class id {value} outside 0..{n - 1} ({n} labels given)")
        confusion = [[0] * n for _ in range(n)]
        for gold, predicted in zip(references, predictions):
            confusion[gold][predicted] += 1
        per_class = {}
        for c, name in enumerate(labels):
            true_positive = confusion[c][c]
            predicted_c = sum(confusion[g][c] for g in range(n))
            gold_c = sum(confusion[c])
            precision = true_positive / predicted_c if predicted_c else 0.0
            recall = true_positive / gold_c if gold_c else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            per_class[name] = {"precision": precision, "recall": recall, "f1": f1, "support": gold_c}
        total = len(references)
        return {
            "accuracy": sum(confusion[c][c] for c in range(n)) / total if total else 0.0,
            "macro_f1": sum(v["f1"] for v in per_class.values()) / n,
            "per_class": per_class,
            "confusion": confusion,
        }
