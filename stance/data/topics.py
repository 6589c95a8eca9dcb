"""Topic-stance public datasets as stance rows: SemEval-2016 (TweetEval), P-Stance, VAST and IBM Claim Stance.

These datasets label a text's stance toward a *topic* ("Hillary Clinton", "gun control"); the model scores
stance toward a *span* of the text. A row is therefore usable only when its topic is anchored to a span:
IBM gives the claim target's span; for the others the first occurrence of the topic or one of its
ALIASES (case-insensitive, whole words) is taken, and ``actor`` is the canonical topic name. Every loader
returns ALL rows in the project's stance format (see ``stance.data.targets``)::

    {"text", "targets": [{"mention", "start", "end", "actor", "stance"}] or [],
     "topic", "topic_stance", "split", "source", "origin", ...}

so nothing is lost silently: an unanchored row keeps ``targets: []``, and :func:`anchored` keeps the
anchored rows and warns how many of each file it left out. ``origin`` is ``file:line`` (the file relative
to the folder passed in; a spreadsheet's row number for VAST).

Like ``stance.data.public``: bad input raises DataError (file, line, field); rows sharing a text and a
topic are deduplicated (same stance: one kept; conflicting stances: all dropped) unless ``dedupe=False``;
drops are logged on ``stance.data`` at WARNING with their count.
"""

from __future__ import annotations

import html
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import DataError
from .public import (_csv_records, _files, _int_label, _read_text, _rel, _repair_mojibake, _report_repairs, _warn_drops,
                     log)

__all__ = ["ALIASES", "SEMEVAL_TARGETS", "TOPIC_LOADERS", "anchor", "anchored", "load_ibm_claim_stance",
           "load_pstance", "load_semeval2016", "load_vast"]

SEMEVAL_TARGETS = {"abortion": "Legalization of Abortion", "atheism": "Atheism",
                   "climate": "Climate Change is a Real Concern", "feminist": "Feminist Movement",
                   "hillary": "Hillary Clinton"}
SEMEVAL_LABELS = {"2": "favor", "1": "against", "0": "neutral"}  # 0 "none" also covers unrelated tweets
PSTANCE_TARGETS = ("Donald Trump", "Joe Biden", "Bernie Sanders")
PSTANCE_LABELS = {"FAVOR": "favor", "AGAINST": "against"}
VAST_LABELS = {"1": "favor", "0": "against", "2": "neutral"}
IBM_STANCE = {"PRO": "favor", "CON": "against"}
IBM_SENTIMENT = {"1": "favor", "-1": "against"}

# Words that name a topic in a text. People: full name, surname, an unambiguous first name ("Joe" and
# "Donald" name too many others), @handle (also matched as a #hashtag) and full-name hashtag. Propositions are
# anchored at the noun they are about, whose stance is then the proposition's ("Climate Change is a Real
# Concern" -> "climate change"). A topic not listed here is its own only alias.
ALIASES: dict[str, tuple[str, ...]] = {
    "Hillary Clinton": ("Hillary Clinton", "Hillary Rodham Clinton", "@HillaryClinton", "Hillary", "Clinton"),
    "Donald Trump": ("Donald Trump", "Donald J. Trump", "@realDonaldTrump", "#DonaldTrump", "#DonaldJTrump", "Trump"),
    "Joe Biden": ("Joe Biden", "@JoeBiden", "Biden"),
    "Bernie Sanders": ("Bernie Sanders", "@BernieSanders", "@SenSanders", "Bernie", "Sanders"),
    "Legalization of Abortion": ("legalization of abortion", "abortion", "abortions"),
    "Atheism": ("atheism", "atheist", "atheists"),
    "Climate Change is a Real Concern": ("climate change", "global warming"),
    "Feminist Movement": ("feminist movement", "feminism", "feminist", "feminists"),
}


@lru_cache(maxsize=None)
def _pattern(aliases: tuple[str, ...]) -> re.Pattern[str]:
    # Longest alias first, so at one position "Hillary Clinton" wins over "Hillary"; (?<!\w) rather than \b
    # so that "@JoeBiden" can start a match and "Trump" inside "@realDonaldTrump" cannot.
    words = sorted(set(aliases), key=len, reverse=True)
    escaped = ("[@#]" + re.escape(w[1:]) if w.startswith("@") else re.escape(w) for w in words)
    body = "|".join(e.replace(r"\ ", r"\s+") for e in escaped)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def anchor(text: str, topic: str, *more_aliases: str) -> dict[str, Any] | None:
    """The first mention of ``topic`` in ``text`` as a target without stance, or None when it has none."""
    aliases = tuple(a for a in ALIASES.get(topic, (topic,)) + more_aliases if a.strip())
    match = _pattern(aliases).search(text) if aliases else None
    if match is None:
        return None
    return {"mention": match.group(), "start": match.start(), "end": match.end(), "actor": topic}


def _row(text: str, topic: str, topic_stance: str, source: str, origin: str, target: dict[str, Any] | None,
         target_stance: str | None = None, **extra: Any) -> dict[str, Any]:
    targets = [] if target is None else [{**target, "stance": target_stance or topic_stance}]
    return {"text": text, "targets": targets, "topic": topic, "topic_stance": topic_stance,
            "source": source, "origin": origin, **extra}


def _file_of(row: dict[str, Any]) -> tuple[Any, str]:
    return row.get("source"), str(row.get("origin", "")).rpartition(":")[0]


def anchored(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows whose topic is anchored to a span; warns how many rows of which file were left out."""
    rows = list(rows)
    total = Counter(_file_of(r) for r in rows)
    left = Counter(_file_of(r) for r in rows if not r["targets"])
    for (source, file), count in sorted(left.items(), key=str):
        warnings.warn(f"{source}: left out {count} of {total[source, file]} rows of {file or '?'}: their topic is not "
                      "mentioned in the text (or no target span is given)", stacklevel=2)
    return [r for r in rows if r["targets"]]


def _finish(rows: list[dict[str, Any]], source: str, path: Path, drops: Counter[str], dedupe: bool) -> list[dict[str, Any]]:
    """Deduplicate by (text, topic) and log the drops; a loader must yield at least one row."""
    if not rows:
        raise DataError(path, None, "no rows")
    if dedupe:
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in rows:
            groups.setdefault((" ".join(row["text"].split()), row["topic"]), []).append(row)
        rows = []
        for copies in groups.values():
            if len({(c["topic_stance"], tuple(t["stance"] for t in c["targets"])) for c in copies}) == 1:
                rows.append(copies[0])
                drops["duplicate (text, topic) rows (kept one)"] += len(copies) - 1
            else:
                drops["copies of (text, topic) rows with conflicting stances (all copies dropped)"] += len(copies)
    _warn_drops(source, path, drops)
    return rows


def _label(table: dict[str, str], value: str, path: Path, line: int, field: str) -> str:
    if value not in table:
        raise DataError(path, line, f"unknown label {value!r}; expected one of {', '.join(table)}", field)
    return table[value]


def _columns(header: list[str], wanted: Iterable[str], path: Path) -> dict[str, int]:
    missing = [c for c in wanted if c not in header]
    if missing:
        raise DataError(path, 1, f"missing column(s) {', '.join(missing)}; the header is {header}", missing[0])
    return {c: header.index(c) for c in header}


def _tweet(text: str) -> str:
    """P-Stance keeps HTML entities (&amp;); whitespace runs carry nothing in a tweet."""
    return " ".join(html.unescape(text).split())


# --------------------------------------------------------------------------- SemEval-2016 (TweetEval)


def load_semeval2016(
    folder: str | Path, *, splits: tuple[str, ...] = ("train", "val"), dedupe: bool = True
) -> list[dict[str, Any]]:
    """TweetEval's stance folder (``<target>/{train,val}_{text,labels}.txt``) or one ``<target>`` folder;
    the folder's name is the target. ``#SemST`` is stripped; rows carry ``split``."""
    source, root = "semeval2016", Path(folder)
    targets = [root] if root.name in SEMEVAL_TARGETS else [root / n for n in SEMEVAL_TARGETS if (root / n).is_dir()]
    if not targets:
        raise DataError(root, None, f"not a TweetEval stance folder: no subfolder named {', '.join(SEMEVAL_TARGETS)}")
    base = root.parent if targets == [root] else root
    rows, drops = [], Counter()
    for target_dir in targets:
        topic = SEMEVAL_TARGETS[target_dir.name]
        for split in splits:
            text_path, label_path = target_dir / f"{split}_text.txt", target_dir / f"{split}_labels.txt"
            if not text_path.is_file() and not label_path.is_file():
                continue
            for path in (text_path, label_path):
                if not path.is_file():
                    raise DataError(path, None, "file not found (texts and labels come in pairs)")
            texts, labels = _read_text(text_path).splitlines(), _read_text(label_path).splitlines()
            if len(texts) != len(labels):
                raise DataError(label_path, None, f"{len(labels)} labels for the {len(texts)} lines of {text_path.name}")
            for line, (raw, label) in enumerate(zip(texts, labels), 1):
                stance = _label(SEMEVAL_LABELS, label.strip(), label_path, line, "label")
                text = _tweet(raw.replace("#SemST", ""))
                if not text:
                    raise DataError(text_path, line, "empty tweet", "text")
                origin = f"{_rel(base, text_path)}:{line}"
                rows.append(_row(text, topic, stance, source, origin, anchor(text, topic), split=split))
    return _finish(rows, source, root, drops, dedupe)


# --------------------------------------------------------------------------- P-Stance


def load_pstance(path: str | Path, *, dedupe: bool = True) -> list[dict[str, Any]]:
    """P-Stance ``raw_{split}_{target}.csv`` (``Tweet,Target,Stance``), or a folder of them; HTML entities are
    unescaped. ``split`` comes from the file name."""
    source = "pstance"
    root, files = _files(path, "raw_*.csv")
    rows, drops = [], Counter()
    for file in files:
        records = _csv_records(file, _read_text(file), ",")
        col = _columns(next(records, (1, []))[1], ("Tweet", "Target", "Stance"), file)
        split = re.match(r"raw_([a-z]+)_", file.name)
        for line, fields in records:
            if len(fields) != len(col):
                raise DataError(file, line, f"expected {len(col)} comma-separated fields, got {len(fields)}")
            topic = fields[col["Target"]].strip()
            if topic not in PSTANCE_TARGETS:
                raise DataError(file, line, f"unknown target {topic!r}; expected {', '.join(PSTANCE_TARGETS)}", "Target")
            stance = _label(PSTANCE_LABELS, fields[col["Stance"]].strip(), file, line, "Stance")
            text = _tweet(fields[col["Tweet"]])
            if not text:
                raise DataError(file, line, "empty tweet", "Tweet")
            rows.append(_row(text, topic, stance, source, f"{_rel(root, file)}:{line}", anchor(text, topic),
                             split=split.group(1) if split else None))
    return _finish(rows, source, Path(path), drops, dedupe)


# --------------------------------------------------------------------------- VAST


def _cell(value: Any) -> str:
    """A spreadsheet cell as the text typed into it: Excel turned "9/11" into a date and "911" into a number."""
    if isinstance(value, date):
        return f"{value.month}/{value.day}"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value)


def load_vast(path: str | Path, *, dedupe: bool = True) -> list[dict[str, Any]]:
    """VAST ``vast_train.xlsx`` (or a folder of ``vast_*.xlsx``): text = ``post``, topic = ``new_topic``.

    Synthetic neutral rows (``type_idx`` 4) pair a comment with another comment's topic, which is stored in
    ``topic_str`` only (their ``new_topic`` is the comment's own topic): their topic is ``topic_str``.
    ``topic_str`` (a normalised form such as "food label") is also an alias. Needs openpyxl."""
    try:
        import openpyxl
    except ImportError:
        raise ImportError("reading VAST (.xlsx) needs openpyxl: pip install openpyxl "
                          "(or pip install stance-mining[public])") from None
    source = "vast"
    root, files = _files(path, "vast_*.xlsx")
    rows, drops, repaired = [], Counter(), Counter()
    for file in files:
        try:
            book = openpyxl.load_workbook(file, read_only=True, data_only=True)
        except Exception as err:  # openpyxl raises zip, XML and its own errors for a file that is no workbook
            raise DataError(file, None, f"not a readable .xlsx workbook ({type(err).__name__}: {err})") from None
        try:
            sheet = book["vast_train"] if "vast_train" in book.sheetnames else book.worksheets[0]
            cells = sheet.iter_rows(values_only=True)
            col = _columns([_cell(c) for c in next(cells, ())], ("post", "new_topic", "label", "type_idx"), file)
            split = re.match(r"vast_([a-z]+)", file.name)
            for line, values in enumerate(cells, 2):
                record = {name: values[i] if i < len(values) else None for name, i in col.items()}
                if all(v is None for v in record.values()):
                    continue
                label = _label(VAST_LABELS, _int_label(_cell(record["label"])) or repr(record["label"]), file, line, "label")
                type_idx = _int_label(_cell(record["type_idx"]))
                if type_idx is None:
                    raise DataError(file, line, f"not an integer ({record['type_idx']!r})", "type_idx")
                text = _repair_mojibake(_cell(record["post"]), repaired)
                topic_str = _repair_mojibake(_cell(record.get("topic_str")).strip())
                topic = topic_str if type_idx == "4" and topic_str else _repair_mojibake(_cell(record["new_topic"]).strip())
                if not text.strip() or not topic:
                    raise DataError(file, line, "empty", "post" if not text.strip() else "new_topic")
                target = anchor(text, topic, *([topic_str] if topic_str else []))
                rows.append(_row(text, topic, label, source, f"{_rel(root, file)}:{line}", target,
                                 split=split.group(1) if split else None, type_idx=int(type_idx), id=record.get("new_id")))
        finally:
            book.close()
    _report_repairs(source, Path(path), repaired)
    return _finish(rows, source, Path(path), drops, dedupe)


# --------------------------------------------------------------------------- IBM Claim Stance

IBM_COLUMNS = ("split", "topicText", "claims.claimId", "claims.stance", "claims.claimCorrectedText",
               "claims.Compatible", "claims.claimTarget.text", "claims.claimTarget.span.start",
               "claims.claimTarget.span.end", "claims.claimSentiment")


def _claim_target(text: str, target: str, start: str, end: str, file: Path, line: int) -> dict[str, Any] | None:
    """The claim target's span: as given when it holds the target's text, else the target found in the text."""
    try:
        s, e = int(start), int(end)
    except ValueError:
        field = "claims.claimTarget.span.start"
        raise DataError(file, line, f"span ({start!r}, {end!r}) is not two integers", field) from None
    if text[s:e] == target:
        return {"mention": target, "start": s, "end": e, "actor": target}
    found = anchor(text, target)
    return None if found is None else {**found, "actor": target}


def load_ibm_claim_stance(path: str | Path, *, dedupe: bool = True) -> list[dict[str, Any]]:
    """The repaired ``claim_stance_dataset_v1.csv``: text = claimCorrectedText, target = claimTarget at its
    span, stance toward it = claimSentiment; ``topic`` = topicText and ``topic_stance`` = PRO/CON toward it.
    Claims with Compatible = no have no sentiment and keep ``targets: []``. A record with the wrong number
    of fields (claimId 824404 is column-shifted) is skipped and logged with its line."""
    source = "ibm_claim_stance"
    root, files = _files(path, "claim_stance_dataset_v1.csv")
    rows, drops, missing = [], Counter(), []
    for file in files:
        records = _csv_records(file, _read_text(file), ",")
        col = _columns(next(records, (1, []))[1], IBM_COLUMNS, file)
        for line, fields in records:
            if len(fields) != len(col):
                claim = fields[col["claims.claimId"]] if len(fields) > col["claims.claimId"] else "?"
                where = f"{_rel(root, file)}:{line}, claimId {claim}"
                drops[f"column-shifted row ({where}: {len(fields)} fields, expected {len(col)})"] += 1
                continue
            get = {name: fields[i] for name, i in col.items()}.__getitem__
            text, claim = get("claims.claimCorrectedText"), get("claims.claimId")
            if not text.strip():
                raise DataError(file, line, f"claimId {claim}: empty", "claims.claimCorrectedText")
            topic_stance = _label(IBM_STANCE, get("claims.stance"), file, line, "claims.stance")
            compatible = _label({"yes": "yes", "no": "no"}, get("claims.Compatible"), file, line, "claims.Compatible")
            target = target_stance = None
            if compatible == "yes":
                target_stance = _label(IBM_SENTIMENT, get("claims.claimSentiment"), file, line, "claims.claimSentiment")
                if not get("claims.claimTarget.text").strip():
                    raise DataError(file, line, f"claimId {claim}: empty for a compatible claim", "claims.claimTarget.text")
                target = _claim_target(text, get("claims.claimTarget.text"), get("claims.claimTarget.span.start"),
                                       get("claims.claimTarget.span.end"), file, line)
                if target is None:
                    missing.append(f"{_rel(root, file)}:{line}")
            origin = f"{_rel(root, file)}:{line}"
            rows.append(_row(text, get("topicText"), topic_stance, source, origin, target, target_stance,
                             split=get("split"), id=claim))
    if missing:
        log.warning("%s: %d claim targets are neither at their span nor in the claim (kept without a target): %s",
                    source, len(missing), ", ".join(missing[:10]))
    return _finish(rows, source, Path(path), drops, dedupe)


TOPIC_LOADERS: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "semeval2016": load_semeval2016,
    "pstance": load_pstance,
    "vast": load_vast,
    "ibm_claim_stance": load_ibm_claim_stance,
}
"""Loader per dataset: ``stance.training`` reads them through :func:`anchored` as stance sources."""
