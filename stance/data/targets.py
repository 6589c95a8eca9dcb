"""Stance toward actors: the project's format, the NewsMTSC loader, and a held-out split that keeps
every copy of a sentence on one side.

The project's format is JSON Lines, one sentence per line::

    {"text": "...", "targets": [{"mention": "Beijing", "start": 4, "end": 11, "actor": "China", "stance": "favor"}]}

``text[start:end]`` must equal ``mention``; every problem is reported with file, line and field.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path
from collections.abc import Callable
from typing import Any

from ..labels import STANCES
from .errors import DataError
from .jsonl import iter_jsonl

__all__ = ["read_stance_rows", "load_newsmtsc", "split_by_text", "majority_stance", "NEWSMTSC_POLARITY"]

NEWSMTSC_POLARITY = {2.0: "against", 4.0: "neutral", 6.0: "favor"}


def read_stance_rows(path: str | Path) -> list[dict[str, Any]]:
    """Rows of the project's stance format, validated; extra fields are kept as they are."""
    rows = []
    for line, row in iter_jsonl(path):
        text = row.get("text")
        if not isinstance(text, str) or not text.strip():
            raise DataError(path, line, "missing, empty or not a string", "text")
        targets = row.get("targets")
        if not isinstance(targets, list) or not targets:
            raise DataError(path, line, "needs a non-empty list of targets", "targets")
        for i, target in enumerate(targets):
            _check_target(target, text, path, line, f"targets[{i}]")
        rows.append(row)
    if not rows:
        raise DataError(path, None, "no rows")
    return rows


def _check_target(target: Any, text: str, path: str | Path, line: int, where: str) -> None:
    if not isinstance(target, dict):
        raise DataError(path, line, "must be an object", where)
    for key in ("mention", "actor"):
        if not isinstance(target.get(key), str) or not target[key].strip():
            raise DataError(path, line, "missing or empty", f"{where}.{key}")
    start, end = target.get("start"), target.get("end")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
        raise DataError(path, line, f"span [{start!r}, {end!r}) is not inside the text (length {len(text)})", f"{where}.start")
    if text[start:end] != target["mention"]:
        raise DataError(path, line, f"text[{start}:{end}] is {text[start:end]!r}, not the mention {target['mention']!r}", f"{where}.mention")
    if target.get("stance") not in STANCES:
        raise DataError(path, line, f"unknown stance {target.get('stance')!r}; expected one of {', '.join(STANCES)}", f"{where}.stance")


_GID_NAME = re.compile(r"^[^_]+_\d+_\d+_\d+_(?P<name>.+)_\d+_\d+$")


def load_newsmtsc(path: str | Path) -> list[dict[str, Any]]:
    """NewsMTSC ``train.jsonl`` (MIT): news sentences with 1-3 people as targets, polarity 2/4/6.

    The canonical actor is the entity name NewsMTSC's target id carries ("President Trump" and "Trump"
    both name "Donald Trump" there when the annotators linked them); ``further_mentions`` (automatic
    coreference) are kept as ``coreferences`` so a model may pool them with the mention.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "train.jsonl"
    rows = []
    for line, record in iter_jsonl(path):
        text = record.get("sentence_normalized")
        if not isinstance(text, str) or not text.strip():
            raise DataError(path, line, "missing or empty", "sentence_normalized")
        targets = []
        for i, raw in enumerate(record.get("targets") or []):
            where = f"targets[{i}]"
            polarity = raw.get("polarity") if isinstance(raw, dict) else None
            if polarity not in NEWSMTSC_POLARITY:
                raise DataError(path, line, f"polarity {polarity!r} is not one of 2.0, 4.0, 6.0", f"{where}.polarity")
            start, end, mention = raw.get("from"), raw.get("to"), raw.get("mention")
            if not (isinstance(start, int) and isinstance(end, int) and text[start:end] == mention):
                raise DataError(path, line, f"text[{start}:{end}] does not match the mention {mention!r}", f"{where}.from")
            name = _GID_NAME.match(str(raw.get("Input.gid", "")))
            actor = name.group("name").strip(" \u2019'\u201c\u201d\"") if name else mention
            coreferences = [
                {"start": m["from"], "end": m["to"]}
                for m in raw.get("further_mentions") or []
                if isinstance(m, dict) and text[m.get("from", 0) : m.get("to", 0)] == m.get("mention")
            ]
            targets.append(
                {"mention": mention, "start": start, "end": end, "actor": actor or mention,
                 "stance": NEWSMTSC_POLARITY[polarity], "coreferences": coreferences}
            )
        if not targets:
            raise DataError(path, line, "no targets", "targets")
        rows.append({"text": text, "targets": targets, "id": record.get("primary_gid"), "source": "newsmtsc"})
    if not rows:
        raise DataError(path, None, "no rows")
    return rows


def majority_stance(group: list[dict[str, Any]]) -> str:
    """The most frequent stance over the targets of a group of rows (ties: alphabetical first)."""
    counts = Counter(t["stance"] for r in group for t in r["targets"])
    return max(sorted(counts), key=counts.__getitem__)


def split_by_text(
    rows: list[dict[str, Any]],
    fraction: float,
    seed: int,
    stratum: Callable[[list[dict[str, Any]]], str] = majority_stance,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(kept, held out): whole texts (every copy, whitespace aside) go to one side, stratified by
    ``stratum`` of the text's rows (the majority stance by default), at least one text per stratum,
    with ``random.Random(seed)``; the same inputs always give the same split."""
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
    by_text: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_text.setdefault(" ".join(row["text"].split()), []).append(row)
    strata: dict[str, list[str]] = {}
    for key, group in by_text.items():
        strata.setdefault(stratum(group), []).append(key)
    rng = random.Random(seed)
    held: set[str] = set()
    for label in sorted(strata):
        keys = sorted(strata[label])
        rng.shuffle(keys)
        held.update(keys[: max(1, round(len(keys) * fraction))])
    kept = [r for k, g in by_text.items() if k not in held for r in g]
    heldout = [r for k, g in by_text.items() if k in held for r in g]
    return kept, heldout
