"""The label sets of the library, as fixed by ANNOTATION.md.

Every other module takes its labels from here, and a saved model records the labels it was trained
with in its own config, so a model trained on a different label set still loads and reports correctly.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LabelSet", "SENTENCE_TYPES", "STANCES", "ABSTAIN"]


@dataclass(frozen=True)
class LabelSet:
    """An ordered set of label names; the order is the order of a head's output logits."""

    name: str
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(set(self.labels)) != len(self.labels) or not self.labels:
            raise ValueError(f"label set {self.name!r} needs distinct, non-empty labels: {self.labels}")

    def __len__(self) -> int:
        return len(self.labels)

    def __iter__(self):
        return iter(self.labels)

    def __contains__(self, label: object) -> bool:
        return label in self.labels

    def index(self, label: str) -> int:
        try:
            return self.labels.index(label)
        except ValueError:
            raise ValueError(
                f"unknown {self.name} label {label!r}; expected one of {', '.join(self.labels)}"
            ) from None

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.labels))

    @property
    def label2id(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels)}


SENTENCE_TYPES = LabelSet("sentence type", ("fact", "forecast", "recommendation", "opinion"))
STANCES = LabelSet("stance", ("favor", "against", "neutral"))

# The label ``analyze(..., abstain=p)`` gives a sentence or mention whose most probable label has
# probability below p: the scores are kept, the guess is not made.
ABSTAIN = "abstain"
