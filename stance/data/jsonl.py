"""The project's labelled-sentence format: JSONL, one ``{"text", "label", ...}`` object per line.

Fields beyond ``text`` and ``label`` (domain, register, kind, source, ...) are kept. Every problem is
reported with file and line, and nothing is skipped: a bad row stops the read rather than quietly
shrinking the data. Blank lines carry no row and are allowed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..labels import SENTENCE_TYPES, LabelSet
from .errors import DataError

__all__ = ["iter_jsonl", "read_typed_sentences", "read_unlabelled_sentences", "write_jsonl", "to_dataset"]


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; raises DataError on bad encoding or JSON."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, "file not found")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise DataError(path, number, f"not valid UTF-8 (byte {err.start}: {raw[err.start:err.start + 1]!r})") from None
            if number == 1:
                line = line.removeprefix("\ufeff")
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(path, number, f"broken JSON: {err.msg} at column {err.colno}") from None
            if not isinstance(row, dict):
                raise DataError(path, number, f"expected a JSON object, got {type(row).__name__}")
            yield number, row


def read_typed_sentences(path: str | Path, labels: LabelSet = SENTENCE_TYPES) -> list[dict[str, Any]]:
    """Rows with a non-empty ``text`` and a ``label`` from ``labels``; extra fields kept as they are."""
    rows = []
    for number, row in iter_jsonl(path):
        _check_text(path, number, row)
        label = row.get("label")
        if label not in labels:
            raise DataError(path, number, f"unknown label {label!r}; expected one of {', '.join(labels)}", "label")
        rows.append(row)
    if not rows:
        raise DataError(path, None, "no rows")
    return rows


def read_unlabelled_sentences(path: str | Path) -> list[dict[str, Any]]:
    """The sentences of unlabelled texts: one ``{"text", ...}`` object per line (an article, a paragraph or
    a sentence), split by ``stance.segment`` as ``analyze`` splits text. Each sentence keeps its row's other
    fields and gains ``line`` (its row's line number), so it can be traced back to its document."""
    from ..segment import segment

    rows = []
    for number, row in iter_jsonl(path):
        text = _check_text(path, number, row)
        rows.extend({**row, "text": span.text, "line": number} for span in segment(text))
    if not rows:
        raise DataError(path, None, "no rows")
    return rows


def _check_text(path: str | Path, number: int, row: dict[str, Any]) -> str:
    text = row.get("text")
    if not isinstance(text, str):
        raise DataError(path, number, "missing or not a string" if text is None else f"not a string ({type(text).__name__})", "text")
    if not text.strip():
        raise DataError(path, number, "empty text", "text")
    return text


def write_jsonl(rows: Iterable[dict[str, Any]], path: str | Path) -> int:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def to_dataset(rows: list[dict[str, Any]], labels: LabelSet = SENTENCE_TYPES):
    """A ``datasets.Dataset`` with ``text``, integer ``label`` and the extra fields (JSON-encoded when mixed)."""
    import datasets

    columns: dict[str, list[Any]] = {"text": [r["text"] for r in rows], "label": [labels.index(r["label"]) for r in rows]}
    extra = sorted({k for r in rows for k in r} - {"text", "label"})
    for key in extra:
        values = [r.get(key) for r in rows]
        kinds = {type(v) for v in values if v is not None}
        # Arrow needs one type per column; a field that mixes types is kept verbatim as JSON text.
        columns[key] = values if len(kinds) <= 1 else [json.dumps(v, ensure_ascii=False) for v in values]
    features = datasets.Features(
        {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=list(labels))}
    )
    dataset = datasets.Dataset.from_dict({"text": columns["text"], "label": columns["label"]}, features=features)
    for key in extra:
        dataset = dataset.add_column(key, columns[key])
    return dataset
