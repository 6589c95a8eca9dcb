"""Knowledge distillation: a trained teacher model's probabilities as soft targets for a student.

A teacher (typically a larger, slower model) knows more than the gold labels say: how close a sentence
is to each type, how a mention leans even when it is labelled neutral, and what it thinks of actor
mentions nobody annotated. :func:`teacher_scores` writes that knowledge onto training rows, as
``type_scores`` per row and ``stance_scores`` per target (in the teacher's label order), and
``StanceNetwork`` adds a soft cross-entropy toward them to the gold loss. Scoring a training set takes
the teacher a while, so :func:`cached_teacher_scores` keeps the result beside the checkpoints, keyed by
the teacher's files and each row, and a resumed, repeated or extended run reuses it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .actors import ActorFinder
    from .pipeline import StanceModel

__all__ = ["teacher_scores", "cached_teacher_scores", "teacher_fingerprint"]

log = logging.getLogger("stance.distillation")


def teacher_scores(
    teacher: StanceModel, rows: list[dict[str, Any]], finder: ActorFinder | None = None, batch_size: int = 64
) -> list[dict[str, Any]]:
    """Copies of ``rows`` with the teacher's ``type_scores`` on every row and ``stance_scores`` on every target.

    A row without targets gets the actor mentions ``finder`` detects as targets, scored by the teacher
    but without a gold ``stance``: the student learns the teacher's view of mentions nobody labelled.
    Gold labels are kept as they are. The input rows are not changed.
    """
    if finder is None:
        from .actors import ActorFinder

        finder = ActorFinder()
    targets = [_targets(row, finder) for row in rows]
    # Training sets repeat rows to weight sources; the teacher scores each distinct (text, spans) once.
    keys = [(row["text"], tuple((t["start"], t["end"]) for t in row_targets)) for row, row_targets in zip(rows, targets)]
    distinct = list(dict.fromkeys(keys))
    types, stances, _ = teacher.predict([text for text, _ in distinct], [list(spans) for _, spans in distinct], batch_size)
    position = {key: i for i, key in enumerate(distinct)}
    types = [types[position[key]] for key in keys]
    stances = [stances[position[key]] for key in keys]
    type_labels, stance_labels = teacher.type_labels, teacher.stance_labels
    scored = []
    for row, row_targets, kind, row_stances in zip(rows, targets, types, stances):
        for target, stance in zip(row_targets, row_stances):
            target["stance_scores"] = [stance.scores[label] for label in stance_labels]
        scored.append({**row, "targets": row_targets, "type_scores": [kind.scores[label] for label in type_labels]})
    return scored


def _targets(row: dict[str, Any], finder: ActorFinder) -> list[dict[str, Any]]:
    """New dicts for the row's targets, or for the mentions ``finder`` detects when it has none."""
    if row.get("targets"):
        return [dict(target) for target in row["targets"]]
    return [{"mention": m.mention, "start": m.start, "end": m.end, "actor": m.actor} for m in finder.find([row["text"]])[0]]


def cached_teacher_scores(
    teacher_dir: str | os.PathLike[str],
    rows: list[dict[str, Any]],
    cache_path: str | os.PathLike[str],
    finder: ActorFinder | None = None,
    batch_size: int = 64,
    device: str | None = None,
) -> list[dict[str, Any]]:
    """:func:`teacher_scores` of the model in ``teacher_dir`` (run on ``device``, the CPU by default),
    reusing the scores kept in ``cache_path``.

    The cache (JSONL: a ``{"fingerprint": ...}`` header of the teacher's config and weights and the
    gazetteer's version, then one ``{"key", "scored"}`` line per distinct row) answers every row it
    holds; only rows it lacks are scored, so adding data to a recipe costs the teacher only the new rows.
    The teacher is loaded only when some row is missing. The rewritten cache keeps the current rows.
    """
    if finder is None:
        from .actors import ActorFinder

        finder = ActorFinder()
    cache_path = Path(cache_path)
    fingerprint = teacher_fingerprint(teacher_dir, finder.gazetteer.version)
    cached = _read_cache(cache_path, fingerprint)
    keys = [_row_key(row) for row in rows]
    missing = {key: row for key, row in zip(keys, rows) if key not in cached}
    if not missing:
        log.info("teacher scores for %d rows read from %s", len(rows), cache_path)
        return [dict(cached[key]) for key in keys]
    from . import pipeline

    log.info("scoring %d of %d distinct rows with teacher %s (the rest are in %s)",
             len(missing), len(set(keys)), teacher_dir, cache_path)
    scored = teacher_scores(pipeline.load(teacher_dir, device=device), list(missing.values()), finder, batch_size)
    cached.update(zip(missing, scored))
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    partial = cache_path.with_name(cache_path.name + ".tmp")
    with partial.open("w", encoding="utf-8") as out:
        out.write(json.dumps({"fingerprint": fingerprint}) + "\n")
        out.writelines(
            json.dumps({"key": key, "scored": cached[key]}, ensure_ascii=False) + "\n" for key in dict.fromkeys(keys)
        )
    # A run killed mid-write leaves the old cache or none, never a truncated one that looks valid.
    os.replace(partial, cache_path)
    log.info("teacher scores for %d distinct rows written to %s", len(set(keys)), cache_path)
    return [dict(cached[key]) for key in keys]


def teacher_fingerprint(teacher_dir: str | os.PathLike[str], gazetteer_version: str) -> str:
    """What the scores depend on besides the row: the teacher's files and the gazetteer that finds the
    mentions of rows without targets. A score cache's header holds it; a cache made elsewhere can be
    re-stamped with it (training/gpu_sweep/sweep.sh)."""
    from .modeling import CONFIG_NAME, WEIGHTS_NAME

    teacher_dir = Path(teacher_dir)
    digest = hashlib.sha256(gazetteer_version.encode("utf-8"))
    for name in (CONFIG_NAME, WEIGHTS_NAME):
        if not (teacher_dir / name).is_file():
            raise FileNotFoundError(f"teacher {teacher_dir} is not a stance model folder: {name} is missing")
        with (teacher_dir / name).open("rb") as file:
            for chunk in iter(lambda: file.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _row_key(row: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _read_cache(path: Path, fingerprint: str) -> dict[str, dict[str, Any]]:
    """Scored rows by key when ``path`` was written for ``fingerprint``, else nothing."""
    try:
        with path.open(encoding="utf-8") as lines:
            if json.loads(next(lines, "{}")).get("fingerprint") != fingerprint:
                return {}
            entries = [json.loads(line) for line in lines]
            return {entry["key"]: entry["scored"] for entry in entries}
    except FileNotFoundError:
        return {}
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
        log.warning("teacher score cache %s is unreadable: scoring again", path)
        return {}
