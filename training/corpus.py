"""What the corpus builders share: stable ids and splits from the text, near-duplicate removal, and
the generated count tables of a data card.

A row's id is a hash of its normalised text and its split follows from the id, so adding rows never
moves an old row to another split.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

SPLITS = (("test", 0.15), ("dev", 0.10), ("train", 0.75))
NEAR_DUPLICATE = 0.6


def normalise(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def row_id(text: str) -> str:
    return hashlib.sha1(normalise(text).encode("utf-8")).hexdigest()[:12]


def split_of(identifier: str) -> str:
    point = int(identifier, 16) / 16 ** len(identifier)
    edge = 0.0
    for name, share in SPLITS:
        edge += share
        if point < edge:
            return name
    return SPLITS[-1][0]


def in_labelling_order(paths) -> list[Path]:
    """Numbered corpus files in the order they were written (``first_2`` before ``first_10``, ``s9_`` before
    ``s10_``): of two near duplicates :func:`deduplicate` keeps the earlier, so a new file never drops or
    moves a row already in a split."""
    return sorted(paths, key=lambda path: [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)])


def shingles(text: str) -> set[tuple[str, ...]]:
    words = normalise(text).split()
    return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def deduplicate(rows: list[dict]) -> tuple[list[dict], list[tuple[dict, dict, float]]]:
    kept: list[dict] = []
    kept_shingles: list[set] = []
    index: dict[tuple[str, ...], list[int]] = {}
    dropped = []
    for row in rows:
        mine = shingles(row["text"])
        candidates = Counter(i for s in mine for i in index.get(s, ()))
        twin = None
        for i, _ in candidates.most_common(5):
            score = len(mine & kept_shingles[i]) / len(mine | kept_shingles[i])
            if score >= NEAR_DUPLICATE:
                twin = (kept[i], score)
                break
        if twin:
            dropped.append((row, twin[0], twin[1]))
            continue
        for s in mine:
            index.setdefault(s, []).append(len(kept))
        kept.append(row)
        kept_shingles.append(mine)
    return kept, dropped


def count_table(splits: dict[str, list[dict]], field: str) -> str:
    totals = Counter(r[field] for rows in splits.values() for r in rows)
    header = f"| {field} | " + " | ".join(splits) + " | all |\n|---|" + "---:|" * (len(splits) + 1)
    lines = [header]
    for value, total in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])):
        per_split = [sum(r[field] == value for r in rows) for rows in splits.values()]
        lines.append(f"| {value} | " + " | ".join(map(str, per_split)) + f" | {total} |")
    return "\n".join(lines)


def update_card(card: Path, writer: str, summary: str, tables: list[str]) -> None:
    """Rewrite the generated counts between the markers of the data card; the prose stays as written."""
    start, end = f"<!-- counts: written by {writer} -->", "<!-- /counts -->"
    body = "\n\n".join([summary, *tables])
    text = card.read_text(encoding="utf-8") if card.exists() else f"# {card.parent.name}\n\n{start}\n{end}\n"
    if start not in text or end not in text:
        raise SystemExit(f"{card}: the counts markers are missing")
    head, rest = text.split(start, 1)
    card.write_text(f"{head}{start}\n{body}\n{end}{rest.split(end, 1)[1]}", encoding="utf-8")




def write_splits(kept: list[dict], dropped: list[tuple[dict, dict, float]], out: Path, fields: tuple[str, ...]) -> dict[str, list[dict]]:
    """Report the dropped near duplicates, give each kept row its id and split, write the split files.

    Rows keep ``fields`` first, then any other field they carry (except where they came from).
    """
    from stance.data import write_jsonl

    for row, twin, score in dropped:
        print(f"near-duplicate ({score:.2f}) dropped {row['origin']}: {row['text'][:70]!r}\n    twin of {twin['origin']}: {twin['text'][:70]!r}")
    splits: dict[str, list[dict]] = {name: [] for name, _ in SPLITS}
    for row in kept:
        identifier = row_id(row["text"])
        written = {"id": identifier, **{k: row[k] for k in fields}}
        written.update({k: v for k, v in row.items() if k not in written and k != "origin"})
        splits[split_of(identifier)].append(written)
    for name, split_rows in splits.items():
        split_rows.sort(key=lambda r: r["id"])
        write_jsonl(split_rows, out / f"{name}.jsonl")
    return splits


def print_label_counts(splits: dict[str, list[dict]], labels: tuple[str, ...] | list[str]) -> None:
    """One line per split: its size and how many rows carry each sentence type."""
    for name, split_rows in splits.items():
        counts = Counter(r["label"] for r in split_rows)
        print(f"{name:5s} {len(split_rows):5d}  " + "  ".join(f"{label} {counts[label]}" for label in labels))


def check_fields(row: dict, path: Path, line: int, required: tuple[str, ...], allowed: dict[str, set[str]]) -> None:
    """Every ``required`` field a non-empty string, and each field in ``allowed`` one of its values."""
    from stance.data import DataError

    for field in required:
        if not isinstance(row.get(field), str) or not row[field].strip():
            raise DataError(path, line, "missing or empty", field)
    for field, values in allowed.items():
        if row[field] not in values:
            raise DataError(path, line, f"unknown {field} {row[field]!r}", field)


def read_pass(path: Path, allowed: set[str], key: str = "gid", field: str = "label", many: bool = False) -> dict[str, dict]:
    """One labelling pass's file: ``{key, field, ...}`` rows by ``key``, each tagged with its origin.

    ``field`` holds one label from ``allowed``, or with ``many`` a non-empty list of them (one per
    mention of a sentence, in order).
    """
    from stance.data import DataError, iter_jsonl

    labels = {}
    for line, row in iter_jsonl(path):
        if not isinstance(row.get(key), str):
            raise DataError(path, line, "missing or not a string", key)
        value = row.get(field)
        if many:
            if not isinstance(value, list) or not value or any(label not in allowed for label in value):
                raise DataError(path, line, f"needs a non-empty list of labels from {sorted(allowed)}", field)
        elif value not in allowed:
            raise DataError(path, line, f"{field} {value!r} is not one of {sorted(allowed)}", field)
        if row[key] in labels:
            raise DataError(path, line, f"{row[key]!r} labelled twice", key)
        labels[row[key]] = {**row, "origin": f"{path.name}:{line}"}
    return labels


def read_passes(
    paths: list[Path], key: str = "gid", allowed: set[str] | None = None, field: str = "label", many: bool = False
) -> dict[str, dict]:
    """The labels of several files of one pass (sentence types unless ``allowed`` says otherwise); a
    sentence may be labelled in only one of them."""
    from stance.data import DataError
    from stance.labels import SENTENCE_TYPES

    labels: dict[str, dict] = {}
    for path in paths:
        for gid, row in read_pass(path, allowed or set(SENTENCE_TYPES), key, field, many).items():
            if gid in labels:
                raise DataError(path, None, f"{gid!r} is also labelled in {labels[gid]['origin']}")
            labels[gid] = row
    return labels


def first_label(where: str, current: str, second: str, decision: dict | None, field: str, adjudication: Path) -> str:
    """The first pass's label of one item (a sentence, a mention), checked against the second pass.

    ``current`` is the label the source carries now, ``decision`` the adjudication's row for the item (its
    ``first`` is the label before adjudication, ``field`` the decided one). Stops when the passes disagree
    and nothing was decided, or when the source does not carry the decision.
    """
    first = decision.get("first", current) if decision else current
    if first != second:
        if decision is None:
            raise SystemExit(f"{where}: the passes disagree ({first} vs {second}) and {adjudication} has no decision")
        if decision[field] != current:
            raise SystemExit(f"{where}: labelled {current}, but the adjudication decided {decision[field]}")
    return first


def agreement(first: list[str], second: list[str]) -> dict[str, float]:
    """Raw agreement, Cohen's kappa, and macro-F1 of the second pass scored against the first."""
    if len(first) != len(second):
        raise ValueError(f"the passes label different numbers of items: {len(first)} and {len(second)}")
    if not first:
        raise ValueError("no labels to compare")
    n = len(first)
    observed = sum(a == b for a, b in zip(first, second)) / n
    count_a, count_b = Counter(first), Counter(second)
    labels = sorted(set(count_a) | set(count_b))
    expected = sum(count_a[label] * count_b[label] for label in labels) / (n * n)
    f1s = []
    for label in labels:
        both = sum(a == b == label for a, b in zip(first, second))
        f1s.append(2 * both / (count_a[label] + count_b[label]))
    # Both passes on one and the same label agree perfectly by chance as well as in fact: kappa's limit is 1.
    kappa = 1.0 if expected == 1 else (observed - expected) / (1 - expected)
    return {"n": n, "raw": observed, "kappa": kappa, "macro_f1": sum(f1s) / len(f1s)}
