"""Loaders for the public datasets that carry sentence-type evidence, in their original formats.

Each loader takes the path of one file or of a dataset folder (as copied under shared/datasets, see
shared/datasets/DATASETS.md) and returns rows::

    {"text": str, "label": str | None, "allowed": list[str],
     "source": str, "source_label": str, "origin": str}

``allowed`` lists every sentence type (SENTENCE_TYPES, in that order) that the source label is
consistent with under shared/ANNOTATION.md section 1; ``label`` is set only when that list has one
entry. Most public datasets answer a narrower question than ours (subjective or not, suggestion or not,
check-worthy or not), so a partial label is the honest translation: a trainer can use ``label`` rows as
ordinary examples and ``allowed`` rows with a partial-label loss, or leave them out.
``origin`` is ``file:line`` for line-based formats and ``file#id`` for records with an id, the file
given relative to the folder that was passed in (just its name when a file was passed).

Mapping choices (the why of each is ANNOTATION.md section 1; rule order recommendation > forecast >
opinion > fact decides a sentence that fits several):

* cdcp: value -> opinion; policy -> recommendation (CDCP "policy" is what should be done);
  fact and testimony -> fact (testimony is personal experience, which ANNOTATION.md calls fact);
  reference (a bare URL or citation) has no sentence type and is dropped. CDCP has no forecast class,
  so its labels are kept definite as DATASETS.md maps them.
* checkthat2025_subjectivity_en: OBJ -> fact, forecast or recommendation (OBJ holds scheduled events
  and reported forecasts, "The trend is expected to reverse ...", and reported calls, which
  ANNOTATION.md labels recommendation); SUBJ -> forecast, recommendation or opinion: a subjective
  sentence carries the author's judgement, exhortation or speculation; a speculation about the future
  is a forecast ("a prediction phrased as a judgement is forecast"), so forecast stays allowed. Fact
  is excluded for SUBJ and opinion for OBJ: that is the signal the dataset gives.
* suggestion_mining_semeval2019_t9: 1 (suggestion) -> recommendation; 0 -> fact, forecast or opinion
  (not a suggestion; which of the three is unknown, so 0 is never mapped to fact).
* claimbuster: 3-class CFS 1 and UFS 0 -> fact (check-worthy or not, both are checkable factual
  statements); NFS -1 -> forecast, recommendation or opinion (non-factual). 2-class: 1 (CFS) -> fact;
  0 merges NFS and UFS, so every type stays allowed (the row is kept, it carries a text only).
* future_statements_en: an article sentence that aligns with an extracted future statement -> forecast.
  The benchmark labels articles, not sentences: a sentence is taken only when it shares strong token
  overlap with one statement's fields and contains a future cue (will, expected, could, next, ...),
  because some "statements" are paraphrased past events. Sentences that align with nothing are not
  emitted at all: absence of an extracted statement does not make a sentence a non-forecast.

Every loader deduplicates by text (whitespace-normalised) unless called with ``dedupe=False``: of rows
sharing a text, the one with the narrowest ``allowed`` is kept when its labels are consistent with all
the others (e.g. ClaimBuster 2-class 0 and 3-class NFS keep NFS); when they are not (a suggestion in
one copy, not in another), every copy is dropped as a conflict. Duplicates would otherwise leak across
train/dev splits.

Bad input raises DataError with file and line (or record id) and the reason. Nothing is dropped
silently: every drop is counted and logged once per reason through ``logging.getLogger("stance.data")``
at WARNING, with the count in the message and in the record's ``dropped`` attribute.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypedDict

from stance.data.errors import DataError
from stance.labels import SENTENCE_TYPES

__all__ = [
    "PUBLIC_LOADERS",
    "PublicRow",
    "load_cdcp",
    "load_checkthat",
    "load_claimbuster",
    "load_future_statements",
    "load_public",
    "load_suggestion_mining",
]

log = logging.getLogger("stance.data")


class PublicRow(TypedDict):
    text: str
    label: str | None
    allowed: list[str]
    source: str
    source_label: str
    origin: str


def _types(*labels: str) -> tuple[str, ...]:
    """The given sentence types in SENTENCE_TYPES order (so equal sets compare equal), checked."""
    for label in labels:
        SENTENCE_TYPES.index(label)  # raises on a typo in the tables below
    return tuple(label for label in SENTENCE_TYPES if label in labels)


ALL_TYPES = _types(*SENTENCE_TYPES)

# Source label -> allowed sentence types; None means the row has no sentence type and is dropped.
CDCP_TYPES: dict[str, tuple[str, ...] | None] = {
    "value": _types("opinion"),
    "policy": _types("recommendation"),
    "fact": _types("fact"),
    "testimony": _types("fact"),
    "reference": None,
}
CHECKTHAT_TYPES: dict[str, tuple[str, ...] | None] = {
    "OBJ": _types("fact", "forecast", "recommendation"),
    "SUBJ": _types("forecast", "recommendation", "opinion"),
}
SUGGESTION_TYPES: dict[str, tuple[str, ...] | None] = {
    "1": _types("recommendation"),
    "0": _types("fact", "forecast", "opinion"),
}
CLAIMBUSTER_3CLASS_TYPES: dict[str, tuple[str, ...] | None] = {
    "1": _types("fact"),
    "0": _types("fact"),
    "-1": _types("forecast", "recommendation", "opinion"),
}
CLAIMBUSTER_2CLASS_TYPES: dict[str, tuple[str, ...] | None] = {
    "1": _types("fact"),
    "0": ALL_TYPES,
}
FUTURE_TYPES: dict[str, tuple[str, ...] | None] = {"forecast": _types("forecast")}


# --------------------------------------------------------------------------- shared helpers


def _files(path: str | Path, pattern: str) -> tuple[Path, list[Path]]:
    """(root, files): the file itself, or the files under a folder matching ``pattern``, sorted."""
    path = Path(path)
    if path.is_file():
        return path.parent, [path]
    if not path.is_dir():
        raise DataError(path, None, "file not found")
    files = sorted(p for p in path.rglob(pattern) if p.is_file())
    if not files:
        raise DataError(path, None, f"no {pattern} files in this folder")
    return path, files


def _rel(root: Path, file: Path) -> str:
    return file.relative_to(root).as_posix()


def _read_text(path: Path) -> str:
    """The file as strict UTF-8 (BOM removed); a bad byte is reported with its line."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise DataError(path, line, f"not valid UTF-8 (byte {data[err.start:err.start + 1]!r})") from None


def _read_json_array(path: Path) -> list[tuple[int, Any]]:
    """(line, value) for each element of a top-level JSON array, so record errors can name a line."""
    text = _read_text(path)
    decoder = json.JSONDecoder()
    space = re.compile(r"\s*")
    items: list[tuple[int, Any]] = []
    line, counted = 1, 0

    def line_at(pos: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, pos)
        counted = pos
        return line

    pos = space.match(text).end()
    if text[pos:pos + 1] != "[":
        raise DataError(path, line_at(pos), "broken JSON: expected a JSON array")
    pos = space.match(text, pos + 1).end()
    if text[pos:pos + 1] == "]":
        pos += 1
    else:
        while True:
            try:
                value, end = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as err:
                raise DataError(path, err.lineno, f"broken JSON: {err.msg} at column {err.colno}") from None
            items.append((line_at(pos), value))
            pos = space.match(text, end).end()
            sep = text[pos:pos + 1]
            pos = space.match(text, pos + 1).end()
            if sep == "]":
                break
            if sep != ",":
                raise DataError(path, line_at(pos), "broken JSON: expected ',' or ']' after an array element")
    if text[pos:].strip():
        raise DataError(path, line_at(pos), "broken JSON: extra data after the array")
    return items


# UTF-8 bytes decoded as cp1252 or Latin-1 come out as runs of non-ASCII characters ("â€™" for "’").
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_C1 = frozenset(map(chr, range(0x80, 0xA0)))


def _repair_run(match: re.Match[str]) -> str:
    run = match.group()
    for _ in range(3):  # up to three layers of double encoding occur (ClaimBuster "Ã¢â‚¬â„¢")
        try:
            # Per character: cp1252 where it maps, else Latin-1 (C1 bytes such as 0x8F have no cp1252 character).
            raw = b"".join(ch.encode("cp1252") if ch not in _C1 else ch.encode("latin-1") for ch in run)
            run = raw.decode("utf-8")
        except UnicodeError:
            break
    return run


def _repair_mojibake(text: str, repaired: Counter[str] | None = None) -> str:
    """Undo UTF-8 read as cp1252/Latin-1, run by run. Only a lossless round trip is accepted, so real
    accented text ("café": b"caf\\xe9" is not UTF-8) is left alone."""
    fixed = _NON_ASCII_RUN.sub(_repair_run, text)
    if repaired is not None and fixed != text:
        repaired["texts"] += 1
    return fixed


def _report_repairs(source: str, path: Path, repaired: Counter[str]) -> None:
    if repaired["texts"]:
        log.info("%s: repaired double-encoded UTF-8 in %d texts (from %s)", source, repaired["texts"], path)


def _row(
    text: str,
    source: str,
    source_label: str,
    origin: str,
    types: Mapping[str, tuple[str, ...] | None],
    path: Path,
    line: int | None,
    label_field: str,
    where: str = "",
) -> PublicRow | None:
    """One row, or None when the source label has no sentence type (the caller counts the drop)."""
    if source_label not in types:
        known = ", ".join(repr(k) for k in types)
        raise DataError(path, line, f"{where}unknown {source} label {source_label!r}; expected one of {known}", label_field)
    # Sentences are classified as a unit; line breaks and runs of spaces inside them carry nothing.
    text = " ".join(text.split())
    if not text:
        raise DataError(path, line, f"{where}empty text")
    allowed = types[source_label]
    if allowed is None:
        return None
    return {
        "text": text,
        "label": allowed[0] if len(allowed) == 1 else None,
        "allowed": list(allowed),
        "source": source,
        "source_label": source_label,
        "origin": origin,
    }


def _warn_drops(source: str, path: Path, drops: Counter[str]) -> None:
    for reason, count in sorted(drops.items()):
        if count:
            log.warning(
                "%s: dropped %d %s (from %s)", source, count, reason, path,
                extra={"dropped": count, "drop_reason": reason},
            )


def _dedupe(rows: list[PublicRow], drops: Counter[str]) -> list[PublicRow]:
    """One row per text: the most specific of consistent copies, none of conflicting ones."""
    groups: dict[str, list[PublicRow]] = {}
    for row in rows:
        groups.setdefault(row["text"], []).append(row)
    kept = []
    for copies in groups.values():
        if len(copies) == 1:
            kept.append(copies[0])
            continue
        # Consistent means one copy's allowed set lies inside every other's: that copy says it all.
        narrowest = min(copies, key=lambda r: len(r["allowed"]))
        if all(set(narrowest["allowed"]) <= set(r["allowed"]) for r in copies):
            kept.append(narrowest)
            drops["duplicate texts (kept the copy with the most specific label)"] += len(copies) - 1
        else:
            drops["copies of texts with conflicting labels (all copies dropped)"] += len(copies)
    return kept


def _finish(rows: list[PublicRow], source: str, path: Path, drops: Counter[str], dedupe: bool) -> list[PublicRow]:
    if dedupe:
        rows = _dedupe(rows, drops)
    _warn_drops(source, path, drops)
    return rows


def _require(record: Any, keys: tuple[str, ...], path: Path, line: int, where: str) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise DataError(path, line, f"{where}expected a JSON object, got {type(record).__name__}")
    for key in keys:
        if key not in record:
            raise DataError(path, line, f"{where}missing field", key)
    return record


def _text_field(record: dict[str, Any], key: str, path: Path, line: int | None, where: str) -> str:
    value = record.get(key)
    if not isinstance(value, str):
        raise DataError(path, line, f"{where}not a string ({type(value).__name__})", key)
    return value


# --------------------------------------------------------------------------- CDCP


def load_cdcp(folder: str | Path, *, dedupe: bool = True) -> list[PublicRow]:
    """Propositions of the CDCP comments (``NNNNN.txt`` + ``NNNNN.ann.json``) under ``folder``
    (or one ``.ann.json`` file), cut from the text by their offsets and stripped."""
    source = "cdcp"
    root, files = _files(folder, "*.ann.json")
    rows: list[PublicRow] = []
    drops: Counter[str] = Counter()
    for ann_path in files:
        txt_path = ann_path.with_name(ann_path.name.removesuffix(".ann.json") + ".txt")
        if not txt_path.is_file():
            raise DataError(txt_path, None, f"file not found (the text of {ann_path.name})")
        text = _read_text(txt_path)
        try:
            ann = json.loads(_read_text(ann_path))
        except json.JSONDecodeError as err:
            raise DataError(ann_path, err.lineno, f"broken JSON: {err.msg} at column {err.colno}") from None
        if not isinstance(ann, dict):
            raise DataError(ann_path, 1, f"expected a JSON object, got {type(ann).__name__}")
        labels, offsets = ann.get("prop_labels"), ann.get("prop_offsets")
        for key, value in (("prop_labels", labels), ("prop_offsets", offsets)):
            if not isinstance(value, list):
                raise DataError(ann_path, 1, "missing or not a list", key)
        if len(labels) != len(offsets):
            raise DataError(ann_path, 1, f"{len(labels)} prop_labels but {len(offsets)} prop_offsets")
        covered = 0
        for index, (label, span) in enumerate(zip(labels, offsets)):
            where = f"proposition {index}: "
            if not (isinstance(span, list) and len(span) == 2 and all(type(x) is int for x in span)
                    and 0 <= span[0] <= span[1] <= len(text)):
                raise DataError(ann_path, 1, f"{where}bad offsets {span!r} for a text of {len(text)} characters", "prop_offsets")
            start, end = span
            # Offsets partition the text; a non-blank stretch between them is text nobody annotated.
            if text[covered:start].strip():
                drops["unannotated text spans outside every proposition"] += 1
            covered = max(covered, end)
            row = _row(text[start:end], source, str(label), f"{_rel(root, ann_path)}#{index}",
                       CDCP_TYPES, ann_path, 1, "prop_labels", where)
            if row is None:
                drops[f"{label!r} propositions (no sentence type)"] += 1
            else:
                rows.append(row)
        if text[covered:].strip():
            drops["unannotated text spans outside every proposition"] += 1
    return _finish(rows, source, Path(folder), drops, dedupe)


# --------------------------------------------------------------------------- CSV / TSV


def _csv_records(path: Path, text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(first line of the record, fields); records may span lines through quoted newlines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for fields in reader:
            if fields:  # a blank line carries no record
                yield start, fields
            start = reader.line_num + 1
    except csv.Error as err:
        raise DataError(path, reader.line_num, f"broken CSV: {err}") from None


def load_checkthat(path: str | Path, *, dedupe: bool = True) -> list[PublicRow]:
    """CheckThat! 2025 subjectivity TSV files (``sentence_id sentence label [solved_conflict]``);
    a folder loads every ``*.tsv`` in it. Rows without ``solved_conflict`` (end of dev_en.tsv) are valid."""
    source = "checkthat2025_subjectivity_en"
    root, files = _files(path, "*.tsv")
    rows: list[PublicRow] = []
    drops: Counter[str] = Counter()
    for file in files:
        records = _csv_records(file, _read_text(file), "\t")
        header = next(records, (1, []))[1]
        if header[:3] != ["sentence_id", "sentence", "label"]:
            raise DataError(file, 1, f"expected the header sentence_id, sentence, label[, solved_conflict]; got {header[:4]}")
        for line, fields in records:
            if len(fields) not in (3, 4):
                raise DataError(file, line, f"expected 3 or 4 tab-separated fields, got {len(fields)}")
            row = _row(fields[1], source, fields[2], f"{_rel(root, file)}:{line}", CHECKTHAT_TYPES, file, line, "label")
            rows.append(row)
    return _finish(rows, source, Path(path), drops, dedupe)


def _strip_outer_quotes(text: str) -> str:
    """Remove the literal quote pairs wrapped around whole sentences (one pair in most rows, two in a few)."""
    text = text.strip()
    while len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    return text


def load_suggestion_mining(path: str | Path, *, dedupe: bool = True) -> list[PublicRow]:
    """SemEval-2019 Task 9 CSV files (``id,sentence,label``); a folder loads every ``*.csv`` in it.

    The training file has no header and must be UTF-8; the trial files have a header and stray single
    bytes left from the organisers' own character clean-up (``caf_\\x8f_``): in those, undecodable bytes
    are removed (counted in a warning). The literal quotes left around most training sentences after CSV
    parsing are stripped and double-encoded UTF-8 (``â€™``) is repaired."""
    source = "suggestion_mining_semeval2019_t9"
    root, files = _files(path, "*.csv")
    rows: list[PublicRow] = []
    drops: Counter[str] = Counter()
    repaired: Counter[str] = Counter()
    for file in files:
        data = file.read_bytes()
        has_header = data.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].strip() == b"id,sentence,label"
        if has_header:
            text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
            bad = text.count("\ufffd")
            if bad:
                log.warning("%s: removed %d undecodable bytes from %s", source, bad, file)
                text = text.replace("\ufffd", "")
        else:
            text = _read_text(file)
        records = _csv_records(file, text, ",")
        if has_header:
            next(records)
        for line, fields in records:
            if len(fields) != 3:
                raise DataError(file, line, f"expected 3 comma-separated fields (id, sentence, label), got {len(fields)}")
            sentence = _repair_mojibake(_strip_outer_quotes(fields[1]), repaired)
            row = _row(sentence, source, fields[2].strip(), f"{_rel(root, file)}:{line}", SUGGESTION_TYPES, file, line, "label")
            rows.append(row)
    _report_repairs(source, Path(path), repaired)
    return _finish(rows, source, Path(path), drops, dedupe)


# --------------------------------------------------------------------------- ClaimBuster


def _int_label(value: Any) -> str | None:
    """'-1' for -1 or "-1"; None for anything else (bool is not a label)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return str(int(value))
    return None


def load_claimbuster(path: str | Path, *, dedupe: bool = True) -> list[PublicRow]:
    """ClaimBuster JSON arrays; a folder loads every ``*.json`` in it. A file whose records carry
    ``screening`` is 3-class (NFS -1 / UFS 0 / CFS 1), otherwise 2-class (0 / CFS 1). Ids and labels
    may be strings or integers. The files overlap in texts: deduplication by text is what joins them."""
    source = "claimbuster"
    root, files = _files(path, "*.json")
    rows: list[PublicRow] = []
    drops: Counter[str] = Counter()
    repaired: Counter[str] = Counter()
    for file in files:
        records = _read_json_array(file)
        three_class = bool(records) and isinstance(records[0][1], dict) and "screening" in records[0][1]
        types = CLAIMBUSTER_3CLASS_TYPES if three_class else CLAIMBUSTER_2CLASS_TYPES
        seen_ids: set[str] = set()
        for line, record in records:
            record = _require(record, ("sentence_id", "label", "text"), file, line, "")
            sentence_id = _int_label(record["sentence_id"])
            if sentence_id is None:
                raise DataError(file, line, f"not an integer id ({record['sentence_id']!r})", "sentence_id")
            where = f"sentence_id {sentence_id}: "
            if sentence_id in seen_ids:
                raise DataError(file, line, f"{where}id occurs twice in this file", "sentence_id")
            seen_ids.add(sentence_id)
            label = _int_label(record["label"])
            text = _repair_mojibake(_text_field(record, "text", file, line, where), repaired)
            row = _row(text, source, label if label is not None else repr(record["label"]),
                       f"{_rel(root, file)}#{sentence_id}", types, file, line, "label", where)
            rows.append(row)
    _report_repairs(source, Path(path), repaired)
    return _finish(rows, source, Path(path), drops, dedupe)


# --------------------------------------------------------------------------- future statements

# A boundary is end punctuation (plus closing quotes/brackets) and space before a capital, digit or
# opening quote; paragraphs (newlines) always end a sentence.
_BOUNDARY = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_ABBREVIATION = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Col|Lt|Sgt|St|Jr|Sr|Inc|Corp|Ltd|Co|No|vs|"
                           r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|approx|est)|\b[A-Z]|(?:[A-Z]\.)+[A-Z])\.$")


def _split_sentences(text: str) -> list[str]:
    """A simple regex splitter: good enough to locate a statement's sentence, not a tokenizer."""
    sentences = []
    for paragraph in text.splitlines():
        pieces = _BOUNDARY.split(paragraph)
        # A split after "Mr." or "U.S." is no boundary: glue the piece back to the next one.
        merged: list[str] = []
        for piece in pieces:
            if merged and _ABBREVIATION.search(merged[-1].rstrip()):
                merged[-1] = merged[-1].rstrip() + " " + piece
            else:
                merged.append(piece)
        sentences.extend(s.strip() for s in merged if s.strip())
    return sentences


_STOPWORDS = frozenset(
    "a about after also an and are as at be been before being but by can could did do does for from had has "
    "have he her his i if in into is it its may might more most no not of on or our over said say says shall "
    "she should so such than that the their then there these they this those to up was we were what when where "
    "which while who will with would you your article state states stated statement explicitly".split()
)
_WORD = re.compile(r"[a-z0-9]+(?:['’.][a-z0-9]+)*")
# Future cues (ANNOTATION.md's forecast signals); required because some extracted "statements" are past
# events. A modal before "have" ("may have been caused") looks back, so it is no cue.
_FUTURE_CUE = re.compile(
    r"\b(?:(?:will|won't|shall|would|could|may|might)(?!\s+(?:not\s+)?have\b)|expect\w*|forecast\w*|predict\w*|projected|projections?|"
    r"likely|unlikely|plan(?:s|ned|ning)? to|intends?|intended|set to|going to|to be held|next|upcoming|soon|"
    r"scheduled|anticipat\w*|about to|(?:is|are) to|by 20\d\d)\b",
    re.IGNORECASE,
)
# Fields that restate the predicted event; Modality Evidence is the article's wording, paraphrased.
ALIGN_FIELDS = ("Modality Evidence", "Event Variable", "Predicted Attribute", "Magnitude / Predicted Value")
MIN_SHARED_TOKENS = 3
MIN_FIELD_COVERAGE = 0.4  # share of the statement's content tokens found in the sentence


def _content_tokens(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and (len(w) > 2 or w.isdigit())}


def _align(statement: dict[str, Any], sentence_tokens: list[set[str]]) -> tuple[int | None, str]:
    """(index of the sentence the statement aligns with, or None and why not)."""
    fields = set().union(*(_content_tokens(str(statement[k])) for k in ALIGN_FIELDS if statement.get(k) is not None))
    if not fields:
        return None, "statements with no text in their alignment fields"
    scored = sorted(
        ((len(tokens & fields), i) for i, tokens in enumerate(sentence_tokens)), key=lambda s: (-s[0], s[1])
    )
    if not scored:
        return None, "statements of articles with no sentences"
    shared, best = scored[0]
    if shared < MIN_SHARED_TOKENS or shared / len(fields) < MIN_FIELD_COVERAGE:
        return None, "statements with no sentence of strong token overlap"
    if len(scored) > 1 and scored[1][0] == shared:
        return None, "statements overlapping two sentences equally (ambiguous)"
    return best, ""


def load_future_statements(path: str | Path, *, dedupe: bool = True) -> list[PublicRow]:
    """Forecast sentences of the future-statements benchmark (``goldEN.json``, or a folder of ``*.json``).

    Each article is split into sentences; a sentence is emitted, labelled forecast, when an extracted
    statement aligns with it: the sentence holds at least MIN_SHARED_TOKENS and MIN_FIELD_COVERAGE of
    the content tokens of the statement's ALIGN_FIELDS, more than any other sentence of the article,
    and it has a future cue. Origin is ``file#article.sentence`` (0-based indices)."""
    source = "future_statements_en"
    root, files = _files(path, "*.json")
    rows: list[PublicRow] = []
    drops: Counter[str] = Counter()
    statements = aligned = 0
    for file in files:
        for article_index, (line, record) in enumerate(_read_json_array(file)):
            where = f"article {article_index}: "
            record = _require(record, ("original_text", "extracted"), file, line, where)
            text = _text_field(record, "original_text", file, line, where)
            extracted = record["extracted"]
            if not isinstance(extracted, list):
                raise DataError(file, line, f"{where}not a list ({type(extracted).__name__})", "extracted")
            sentences = _split_sentences(text)
            tokens = [_content_tokens(s) for s in sentences]
            hits: dict[int, int] = {}  # sentence index -> statements aligned to it
            for n, statement in enumerate(extracted):
                if not isinstance(statement, dict):
                    raise DataError(file, line, f"{where}statement {n}: expected a JSON object, got {type(statement).__name__}", "extracted")
                for key in ALIGN_FIELDS:
                    if not isinstance(statement.get(key), (str, int, float, type(None))):
                        raise DataError(file, line, f"{where}statement {n}: not a string or number", key)
                statements += 1
                index, why = _align(statement, tokens)
                if index is None:
                    drops[why] += 1
                elif not _FUTURE_CUE.search(sentences[index]):
                    drops["statements whose sentence has no future cue (will, expected, could, ...)"] += 1
                else:
                    aligned += 1
                    hits[index] = hits.get(index, 0) + 1
            for index in sorted(hits):
                row = _row(sentences[index], source, "forecast", f"{_rel(root, file)}#{article_index}.{index}",
                           FUTURE_TYPES, file, line, "original_text", where)
                rows.append(row)
    log.info(
        "%s: %d of %d statements aligned to %d sentences in %s", source, aligned, statements, len(rows), path,
        extra={"statements": statements, "aligned": aligned},
    )
    return _finish(rows, source, Path(path), drops, dedupe)


# --------------------------------------------------------------------------- registry

PUBLIC_LOADERS: dict[str, Callable[..., list[PublicRow]]] = {
    "cdcp": load_cdcp,
    "checkthat2025_subjectivity_en": load_checkthat,
    "suggestion_mining_semeval2019_t9": load_suggestion_mining,
    "claimbuster": load_claimbuster,
    "future_statements_en": load_future_statements,
}
"""Loader per dataset, keyed by its folder name under shared/datasets."""


def load_public(name: str, path: str | Path, **options: Any) -> list[PublicRow]:
    """Rows of the named public dataset (a PUBLIC_LOADERS key) from ``path``; options go to the loader."""
    try:
        loader = PUBLIC_LOADERS[name]
    except KeyError:
        raise ValueError(f"unknown public dataset loader {name!r}; known loaders: {', '.join(sorted(PUBLIC_LOADERS))}") from None
    return loader(path, **options)
