"""The user-facing model: load, classify sentences, analyse documents, save.

    >>> import stance
    >>> model = stance.load()                 # the shipped default model
    >>> model.classify(["Exports will rise next year."])[0].label
    'forecast'
    >>> doc = model.analyze(open("op-ed.txt").read())

Inference sorts sentences by token length and pads each batch only to its longest member, so a batch
of short sentences costs what short sentences cost; results come back in input order.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .document import Document, Prediction, Sentence
from .segment import segment

__all__ = ["StanceModel", "load", "default_model_path", "BUNDLED_MODELS"]

# Models known by name; "default" ships inside the wheel (stance/_models) and in a checkout (models/).
BUNDLED_MODELS = ("default",)


def default_model_path(name: str = "default") -> Path:
    """Where a bundled model lives: inside the installed package, else in the source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_models" / name, here.parent / "models" / name):
        if (candidate / "config.json").is_file():
            return candidate
    raise FileNotFoundError(
        f"bundled model {name!r} not found (looked in {here / '_models' / name} and "
        f"{here.parent / 'models' / name}); reinstall stance-mining or pass a model folder"
    )


def load(path: str | os.PathLike[str] | None = None) -> "StanceModel":
    """Load a model: ``None`` or a bundled name for a shipped model, else a folder from ``save_pretrained``."""
    if path is None or (isinstance(path, str) and path in BUNDLED_MODELS):
        return StanceModel.from_pretrained(default_model_path(path or "default"))
    return StanceModel.from_pretrained(path)


class StanceModel:
    """Tokenizer + network + config; what :func:`load` returns."""

    def __init__(self, network: Any, tokenizer: Any, source: str | None = None):
        self.network = network.eval()
        self.tokenizer = tokenizer
        self.config = network.config
        self.source = source

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike[str]) -> "StanceModel":
        from transformers import AutoTokenizer

        from .modeling import load_network

        directory = Path(directory)
        if not directory.is_dir():
            raise FileNotFoundError(f"model folder {directory} does not exist")
        network = load_network(directory)
        tokenizer = AutoTokenizer.from_pretrained(str(directory))
        return cls(network, tokenizer, source=str(directory))

    def save_pretrained(self, directory: str | os.PathLike[str], weights_dtype: str | None = None) -> None:
        from .modeling import save_network

        save_network(self.network, directory, weights_dtype=weights_dtype)
        self.tokenizer.save_pretrained(str(directory))

    @property
    def type_labels(self) -> list[str]:
        return list(self.config.type_labels)

    def classify(self, sentences: Sequence[str], batch_size: int = 64) -> list[Prediction]:
        """The sentence type of each sentence, with the probability of every type."""
        predictions, _ = self._classify(sentences, batch_size)
        return predictions

    def analyze(self, text: str, batch_size: int = 64, id: str | None = None) -> Document:
        """Segment ``text`` and type every segment; offsets index into ``text``."""
        if not isinstance(text, str):
            raise TypeError(f"analyze() needs the text as str, got {type(text).__name__}")
        spans = segment(text)
        predictions, truncated = self._classify([s.text for s in spans], batch_size)
        sentences = [
            Sentence(s.text, s.start, s.end, s.kind, p.label, p.scores, cut)
            for s, p, cut in zip(spans, predictions, truncated)
        ]
        return Document(text=text, sentences=sentences, model=self.describe(), id=id)

    def analyze_many(self, texts: Iterable[str], batch_size: int = 64) -> Iterable[Document]:
        """Analyse texts one by one, lazily, so a corpus of any size streams through."""
        for text in texts:
            yield self.analyze(text, batch_size=batch_size)

    def describe(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "base_model": self.config.base_model,
            "library_version": self.config.library_version,
            "max_length": self.config.max_length,
        }

    def _classify(self, sentences: Sequence[str], batch_size: int) -> tuple[list[Prediction], list[bool]]:
        import torch

        if isinstance(sentences, str):
            raise TypeError("classify() needs a list of sentences, not one string")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        for i, sentence in enumerate(sentences):
            if not isinstance(sentence, str):
                raise TypeError(f"sentence {i} is {type(sentence).__name__}, not str")
            if not sentence.strip():
                raise ValueError(f"sentence {i} is empty or only whitespace")
        if not sentences:
            return [], []
        encoded, truncated = self.tokenize(sentences)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        labels = self.type_labels
        probabilities: list[list[float] | None] = [None] * len(encoded)
        with torch.inference_mode():
            for begin in range(0, len(order), batch_size):
                batch = order[begin : begin + batch_size]
                input_ids, attention_mask = self.pad([encoded[i] for i in batch])
                logits = self.network(input_ids=input_ids, attention_mask=attention_mask)["logits"]
                for i, row in zip(batch, logits.float().softmax(-1).tolist()):
                    probabilities[i] = row
        predictions = []
        for row in probabilities:
            assert row is not None
            best = max(range(len(labels)), key=row.__getitem__)
            predictions.append(Prediction(labels[best], dict(zip(labels, row))))
        return predictions, truncated

    def tokenize(self, sentences: Sequence[str]) -> tuple[list[list[int]], list[bool]]:
        """Token ids with [CLS]/[SEP], cut to ``max_length``; the flags say which were cut."""
        limit = self.config.max_length
        ids = self.tokenizer(list(sentences), add_special_tokens=True, truncation=False, verbose=False)["input_ids"]
        sep = self.tokenizer.sep_token_id
        truncated = [len(row) > limit for row in ids]
        return [row[: limit - 1] + [sep] if cut else row for row, cut in zip(ids, truncated)], truncated

    def pad(self, rows: list[list[int]]):
        import torch

        width = max(len(r) for r in rows)
        pad_id = self.tokenizer.pad_token_id
        input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            input_ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
            attention_mask[i, : len(row)] = 1
        return input_ids, attention_mask
