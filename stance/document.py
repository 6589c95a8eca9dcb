"""Results: a prediction with its full distribution, sentences with offsets, and the document.

These are plain dataclasses with ``to_dict`` so that JSON, JSONL and the table all render the same
values; nothing here needs torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Prediction", "Sentence", "Document", "render_table"]


@dataclass(frozen=True)
class Prediction:
    """A label and the probability of every label (``scores`` sums to 1, in the head's label order)."""

    label: str
    scores: dict[str, float]

    @property
    def confidence(self) -> float:
        return self.scores[self.label]

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "scores": dict(self.scores)}


@dataclass(frozen=True)
class Sentence:
    """One segment of a document: ``document.text[start:end] == text``."""

    text: str
    start: int
    end: int
    kind: str
    label: str
    scores: dict[str, float]
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "label": self.label,
            "scores": dict(self.scores),
            "truncated": self.truncated,
        }


@dataclass
class Document:
    """An analysed text: its sentences in order, and where the analysis came from."""

    text: str
    sentences: list[Sentence]
    model: dict[str, Any] = field(default_factory=dict)
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        out["sentences"] = [s.to_dict() for s in self.sentences]
        out["label_counts"] = self.label_counts()
        out["model"] = dict(self.model)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def label_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for sentence in self.sentences:
            counts[sentence.label] = counts.get(sentence.label, 0) + 1
        return counts


def render_table(document: Document, labels: list[str], width: int = 72) -> str:
    """A fixed-width table: one row per sentence with its label and every probability."""
    header = ["#", "type", *labels, "sentence"]
    rows = []
    for i, sentence in enumerate(document.sentences, 1):
        text = " ".join(sentence.text.split())
        if len(text) > width:
            text = text[: width - 3] + "..."
        rows.append([str(i), sentence.label, *(f"{sentence.scores[label]:.2f}" for label in labels), text])
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [row[c].rjust(widths[c]) if c == 0 or c > 1 else row[c].ljust(widths[c]) for c in range(len(widths))]
        lines.append("  ".join([*cells, row[-1]]))
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * min(width, 40))
    counts = ", ".join(f"{label} {document.label_counts().get(label, 0)}" for label in labels)
    lines.append(f"\n{len(document.sentences)} sentences: {counts}")
    return "\n".join(lines)
