"""Analyse a corpus of any size into JSONL, one document per line, in constant memory, resumably.

    stance analyze --corpus news.jsonl --output results.jsonl            # {"id", "text"} per line
    stance analyze --corpus news.jsonl --output results.jsonl --resume   # after an interruption

Documents are read lazily and each result line is written and flushed as soon as its document is
scored. ``--resume`` keeps every complete line already written (a half-written last line, from a
killed run, is cut off), checks that those lines are the corpus's first documents in order, and
continues with the next one: nothing is lost or written twice.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .data import DataError
from .data.jsonl import iter_jsonl

__all__ = ["read_corpus", "analyze_corpus", "CorpusRun"]


@dataclass
class CorpusRun:
    """What one call to :func:`analyze_corpus` did."""

    resumed_after: int  # documents found complete in the output before this run
    written: int  # documents this run added

    @property
    def total(self) -> int:
        return self.resumed_after + self.written


def read_corpus(path: str | Path, text_field: str = "text", id_field: str = "id") -> Iterator[tuple[str, str]]:
    """(id, text) for each document, lazily. A ``.jsonl`` file holds one JSON object per line with the
    text in ``text_field`` and an optional id in ``id_field``; any other file holds one document per
    non-blank line. A document without an id is called ``FILE:LINE``."""
    path = Path(path)
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for number, row in iter_jsonl(path):
            text = row.get(text_field)
            if not isinstance(text, str):
                reason = "missing" if text is None else f"not a string ({type(text).__name__})"
                raise DataError(path, number, reason, text_field)
            identifier = row.get(id_field)
            yield (f"{path.name}:{number}" if identifier is None else str(identifier)), text
        return
    if not path.is_file():
        raise DataError(path, None, "file not found")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                line = raw.decode("utf-8").removeprefix("\ufeff" if number == 1 else "")
            except UnicodeDecodeError as err:
                raise DataError(path, number, f"not valid UTF-8 (byte {err.start}: {raw[err.start:err.start + 1]!r})") from None
            if line.strip():
                yield f"{path.name}:{number}", line.rstrip("\r\n")


def analyze_corpus(
    model: Any,
    corpus: str | Path,
    output: str | Path,
    resume: bool = False,
    actors: Mapping[str, Sequence[str]] | None = None,
    batch_size: int = 64,
    progress: bool = False,
    text_field: str = "text",
    id_field: str = "id",
    abstain: float | None = None,
) -> CorpusRun:
    """Write one JSON line per document of ``corpus`` to ``output`` (see the module docstring)."""
    output = Path(output)
    documents = read_corpus(corpus, text_field, id_field)
    done = 0
    if output.exists() and output.stat().st_size > 0:
        if not resume:
            raise FileExistsError(f"{output} already holds results; pass --resume to continue it, or choose another file")
        done = _keep_complete_lines(output)
        _skip_done(documents, output, done, corpus)
    output.parent.mkdir(parents=True, exist_ok=True)
    # Two views of one lazy stream; analyze_many zips them in lockstep, so tee holds at most one document.
    for_texts, for_ids = itertools.tee(documents)
    bar = _progress_bar(progress, done)
    written = 0
    with output.open("a", encoding="utf-8") as handle:
        for document in model.analyze_many(
            (text for _, text in for_texts), actors=actors, batch_size=batch_size, ids=(id for id, _ in for_ids),
            abstain=abstain,
        ):
            handle.write(json.dumps(document.to_dict(), ensure_ascii=False) + "\n")
            handle.flush()
            written += 1
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    return CorpusRun(done, written)


def _keep_complete_lines(output: Path) -> int:
    """Count the complete result lines of ``output``, cutting off a half-written last line."""
    complete, keep_bytes = 0, 0
    with output.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                ok = raw.endswith(b"\n") and isinstance(json.loads(raw), dict)
            except (ValueError, UnicodeDecodeError):
                ok = False
            if not ok:
                if handle.read(1):
                    raise DataError(output, number, "not a complete result line, and not the last line: the file was changed by hand?")
                break
            complete += 1
            keep_bytes += len(raw)
    if keep_bytes < output.stat().st_size:
        with output.open("r+b") as handle:
            handle.truncate(keep_bytes)
    return complete


def _skip_done(documents: Iterator[tuple[str, str]], output: Path, done: int, corpus: str | Path) -> None:
    """Advance ``documents`` past the ``done`` documents already in ``output``, checking their ids match."""
    with output.open(encoding="utf-8") as handle:
        for number, line in enumerate(itertools.islice(handle, done), 1):
            written_id = json.loads(line).get("id")
            corpus_id = next(documents, (None, None))[0]
            if corpus_id is None:
                raise DataError(output, number, f"has more results than {corpus} has documents: is it the output of another corpus?")
            if written_id != corpus_id:
                raise DataError(
                    output, number, f"holds document {written_id!r} where {corpus} has {corpus_id!r}: not this corpus's output", "id"
                )


def _progress_bar(enabled: bool, initial: int) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(initial=initial, unit="doc", desc="analyze", file=sys.stderr, dynamic_ncols=True)
