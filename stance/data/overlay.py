"""Label overlays: the project's own labels for sentences of a public dataset, kept apart from its text.

Public texts may not be copied into the project, so a label the project gives to a public sentence is
stored with the sentence's id in that dataset and a fingerprint of its text, never the text::

    {"id": "<the dataset's sentence id>", "sha1": "<text_fingerprint(text)>", "label": "fact", "kind": "plain"}

``load_label_overlay`` joins such a file with the user's copy of the dataset and returns ordinary
labelled rows. The fingerprint proves that the joined text is the one that was labelled: a different
release of the dataset fails with the file, line and id instead of training on mislabelled text.

Formats (``OVERLAY_LOADERS``):

* ``newsmtsc_types``: sentence types over NewsMTSC's ``train.jsonl`` (MIT), keyed by ``primary_gid``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stance.data.errors import DataError
from stance.data.jsonl import iter_jsonl
from stance.labels import SENTENCE_TYPES

__all__ = ["OVERLAY_LOADERS", "load_label_overlay", "newsmtsc_sentences", "text_fingerprint"]


def text_fingerprint(text: str) -> str:
    """The first 12 hex digits of the SHA-1 of the whitespace-normalised text."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()[:12]


def newsmtsc_sentences(path: str | Path) -> dict[str, str]:
    """NewsMTSC ``primary_gid`` -> ``sentence_normalized``, from its train.jsonl (or the folder holding it)."""
    path = Path(path)
    if path.is_dir():
        path = path / "train.jsonl"
    texts = {}
    for line, record in iter_jsonl(path):
        gid, text = record.get("primary_gid"), record.get("sentence_normalized")
        if not isinstance(gid, str) or not isinstance(text, str):
            raise DataError(path, line, "needs string fields primary_gid and sentence_normalized")
        texts[gid] = text
    return texts


OVERLAY_LOADERS: dict[str, Callable[[str | Path], dict[str, str]]] = {"newsmtsc_types": newsmtsc_sentences}


def load_label_overlay(path: str | Path, texts: str | Path, loader: str = "newsmtsc_types") -> list[dict[str, Any]]:
    """The overlay's rows as ``{"text", "label", "kind", "id", "origin"}``, texts read from ``texts``."""
    if loader not in OVERLAY_LOADERS:
        raise ValueError(f"no label overlay format {loader!r}; known: {sorted(OVERLAY_LOADERS)}")
    path = Path(path)
    if not Path(texts).exists():
        raise DataError(path, None, f"its texts are read from {texts}, which is not there")
    by_id = OVERLAY_LOADERS[loader](texts)
    rows = []
    for line, record in iter_jsonl(path):
        identifier = record.get("id")
        if identifier not in by_id:
            raise DataError(path, line, f"id {identifier!r} is not in {texts}", "id")
        text = by_id[identifier]
        if record.get("sha1") != text_fingerprint(text):
            raise DataError(
                path, line, f"the text of {identifier!r} in {texts} is not the one labelled (fingerprint differs)", "sha1"
            )
        if record.get("label") not in SENTENCE_TYPES:
            raise DataError(path, line, f"label {record.get('label')!r} is not one of {list(SENTENCE_TYPES)}", "label")
        rows.append({"text": text, "label": record["label"], "kind": record.get("kind", "plain"),
                     "id": identifier, "origin": f"{path.name}:{line}"})
    if not rows:
        raise DataError(path, None, "no rows")
    return rows
