"""Results: a prediction with its full distribution, sentences with offsets and actor stances, and the
document with its per-actor summary (ANNOTATION.md section 3: the label with the largest summed
probability, with the counts of each label beside it).

These are plain dataclasses with ``to_dict`` so that JSON, JSONL and the table all render the same
values; nothing here needs torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Prediction", "ActorStance", "Sentence", "ActorSummary", "Document", "render_table", "summarize_actors"]


@dataclass(frozen=True)
class Prediction:
    """A label and the probability of every label (``scores`` sums to 1, in the head's label order)."""

    label: str
    scores: dict[str, float]

    @property
    def confidence(self) -> float:
        """The probability of the most probable label (also when the label is "abstain")."""
        return max(self.scores.values())

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "scores": dict(self.scores)}


@dataclass(frozen=True)
class ActorStance:
    """The stance a sentence takes toward one actor mention; offsets index into the document text."""

    actor: str
    mention: str
    start: int
    end: int
    label: str
    scores: dict[str, float]
    type: str = "actor"

    def to_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "mention": self.mention,
            "start": self.start,
            "end": self.end,
            "type": self.type,
            "label": self.label,
            "scores": dict(self.scores),
        }


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
    actors: tuple[ActorStance, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "label": self.label,
            "scores": dict(self.scores),
            "truncated": self.truncated,
            "actors": [a.to_dict() for a in self.actors],
        }


@dataclass(frozen=True)
class ActorSummary:
    """A document's stance toward one actor: ``label`` has the largest ``evidence`` (summed probabilities)."""

    actor: str
    label: str
    mentions: int
    counts: dict[str, int]
    evidence: dict[str, float]
    mean_scores: dict[str, float]
    type: str = "actor"

    def to_dict(self) -> dict[str, Any]:
        return {
            "actor": self.actor,
            "type": self.type,
            "label": self.label,
            "mentions": self.mentions,
            "counts": dict(self.counts),
            "evidence": {k: round(v, 6) for k, v in self.evidence.items()},
            "mean_scores": {k: round(v, 6) for k, v in self.mean_scores.items()},
        }


def summarize_actors(sentences: list[Sentence]) -> dict[str, ActorSummary]:
    """Per actor, in order of first mention: counts per predicted label and summed probabilities."""
    grouped: dict[str, list[ActorStance]] = {}
    for sentence in sentences:
        for stance in sentence.actors:
            grouped.setdefault(stance.actor, []).append(stance)
    summaries = {}
    for actor, stances in grouped.items():
        labels = list(stances[0].scores)
        evidence = {label: sum(s.scores[label] for s in stances) for label in labels}
        counts = {label: sum(1 for s in stances if s.label == label) for label in labels}
        best = max(labels, key=lambda label: (evidence[label], counts[label]))
        mean = {label: evidence[label] / len(stances) for label in labels}
        summaries[actor] = ActorSummary(actor, best, len(stances), counts, evidence, mean, stances[0].type)
    return summaries


@dataclass
class Document:
    """An analysed text: its sentences in order, and where the analysis came from."""

    text: str
    sentences: list[Sentence]
    model: dict[str, Any] = field(default_factory=dict)
    id: str | None = None

    @property
    def actors(self) -> dict[str, ActorSummary]:
        """Canonical actor name -> the document's stance toward it."""
        return summarize_actors(self.sentences)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.id is not None:
            out["id"] = self.id
        out["sentences"] = [s.to_dict() for s in self.sentences]
        out["label_counts"] = self.label_counts()
        out["actors"] = [summary.to_dict() for summary in self.actors.values()]
        out["model"] = dict(self.model)
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def label_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for sentence in self.sentences:
            counts[sentence.label] = counts.get(sentence.label, 0) + 1
        return counts


def _table(header: list[str], rows: list[list[str]], left: set[int]) -> list[str]:
    """Fixed-width columns; the last column is free text and is not padded."""
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [row[c].ljust(widths[c]) if c in left else row[c].rjust(widths[c]) for c in range(len(widths))]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * max(len(header[-1]), 8))
    return lines


def render_table(document: Document, labels: list[str], width: int = 72) -> str:
    """Sentences (label, every probability, and the stance toward each actor under the sentence),
    then the per-actor summary of the document."""
    rows = []
    for i, sentence in enumerate(document.sentences, 1):
        text = " ".join(sentence.text.split())
        if len(text) > width:
            text = text[: width - 3] + "..."
        rows.append([str(i), sentence.label, *(f"{sentence.scores[label]:.2f}" for label in labels), text])
        for stance in sentence.actors:
            scores = " ".join(f"{k} {v:.2f}" for k, v in stance.scores.items())
            rows.append(["", "", *([""] * len(labels)), f"  -> {stance.actor} ({stance.mention!r} {stance.start}-{stance.end}): {stance.label}  [{scores}]"])
    lines = _table(["#", "type", *labels, "sentence"], rows, left={1})
    counts = ", ".join(f"{label} {document.label_counts().get(label, 0)}" for label in labels)
    lines.append(f"\n{len(document.sentences)} sentences: {counts}")
    summaries = document.actors
    if summaries:
        stance_labels = list(next(iter(summaries.values())).evidence)
        actor_rows = [
            [s.actor, s.label, str(s.mentions), *(str(s.counts[k]) for k in stance_labels), *(f"{s.mean_scores[k]:.2f}" for k in stance_labels), s.type]
            for s in summaries.values()
        ]
        header = ["actor", "stance", "mentions", *stance_labels, *(f"p({k})" for k in stance_labels), "type"]
        lines += ["", f"{len(summaries)} actors:", *_table(header, actor_rows, left={0, 1})]
    return "\n".join(lines)
