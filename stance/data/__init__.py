"""Labelled data: the project's JSONL format and loaders for public datasets (sentence types:
``stance.data.public``; stance toward actors: ``stance.data.targets``; topic stance: ``stance.data.topics``),
and unlabelled texts for distillation (``read_unlabelled_sentences``)."""

from .errors import DataError
from .jsonl import iter_jsonl, read_typed_sentences, read_unlabelled_sentences, to_dataset, write_jsonl

__all__ = ["DataError", "iter_jsonl", "read_typed_sentences", "read_unlabelled_sentences", "to_dataset", "write_jsonl"]
