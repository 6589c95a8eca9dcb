"""Build the fixed train/dev/test splits of the project's actor-stance corpus.

    python training/prepare_stance.py           # writes data/stance/{train,dev,test}.jsonl, prints counts

Sources are ``data/stance/sources/*.jsonl`` as written: ``{"text", "targets": [{"mention", "actor",
"stance"}], "domain", "register", "kind"}`` with targets in text order. Each mention is located after
the previous one (on word boundaries), so a name that occurs twice is listed twice; the character
offsets are computed here, never typed by hand. Ids, splits and near-duplicate removal are those of
the sentence-type corpus (``training/corpus.py``).

Independent second labelling passes are ``data/stance/passes/second_*.jsonl`` (``{"id", "stances"}``: the
id of the row's text and one stance per target, in the row's order, labelled without seeing the first
labels); ``passes/adjudication.jsonl`` holds the decision on every mention where the passes disagree
(``{"id", "target", "stance", "first", "reason"}``, ``target`` the mention's index, ``first`` the label it
had before), and the source row carries the decided label. The script prints the agreement per mention
and stops when a disagreement has no decision or a source row does not carry it.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stance.data import DataError, iter_jsonl  # noqa: E402
from stance.labels import STANCES  # noqa: E402
from training.corpus import (  # noqa: E402
    agreement, check_fields, count_table, deduplicate, first_label, in_labelling_order, read_passes, row_id, update_card, write_splits,
)
from training.prepare_types import DOMAINS  # noqa: E402

REGISTERS = {
    "wire_report", "op_ed", "official_communique", "analyst_note", "speech_transcript", "interview_quote",
    "press_release", "blog", "editorial", "feature",
}
REQUIRED = ("text", "domain", "register", "kind")


def locate(text: str, targets: list[dict], path: Path, line: int) -> list[dict]:
    """Targets with ``start``/``end``: each mention found after the previous one, on word boundaries."""
    located, position = [], 0
    for i, target in enumerate(targets):
        mention = target.get("mention")
        if not isinstance(mention, str) or not mention.strip():
            raise DataError(path, line, "missing or empty", f"targets[{i}].mention")
        for key in ("actor", "stance"):
            if not isinstance(target.get(key), str) or not target[key].strip():
                raise DataError(path, line, "missing or empty", f"targets[{i}].{key}")
        if target["stance"] not in STANCES:
            raise DataError(path, line, f"unknown stance {target['stance']!r}", f"targets[{i}].stance")
        found = re.compile(r"(?<!\w)" + re.escape(mention) + r"(?!\w)").search(text, position)
        if found is None:
            raise DataError(path, line, f"mention {mention!r} not found after character {position}", f"targets[{i}].mention")
        located.append({"mention": mention, "start": found.start(), "end": found.end(), "actor": target["actor"].strip(), "stance": target["stance"]})
        position = found.end()
    return located


def read_sources(folder: Path) -> list[dict]:
    rows = []
    for path in in_labelling_order(folder.glob("*.jsonl")):
        for line, row in iter_jsonl(path):
            check_fields(row, path, line, REQUIRED, {"domain": DOMAINS, "register": REGISTERS})
            if not isinstance(row.get("targets"), list) or not row["targets"]:
                raise DataError(path, line, "needs a non-empty list", "targets")
            targets = locate(row["text"], row["targets"], path, line)
            rows.append({**row, "targets": targets, "origin": f"{path.name}:{line}"})
    return rows


def _read_adjudication(path: Path) -> dict[tuple[str, int], dict]:
    decided: dict[tuple[str, int], dict] = {}
    if not path.exists():
        return decided
    for line, row in iter_jsonl(path):
        for key, kind in (("id", str), ("target", int), ("stance", str), ("first", str), ("reason", str)):
            if not isinstance(row.get(key), kind):
                raise DataError(path, line, f"missing or not a {kind.__name__}", key)
        if row["stance"] not in STANCES or row["first"] not in STANCES:
            raise DataError(path, line, f"stance and first must be one of {list(STANCES)}", "stance")
        decided[(row["id"], row["target"])] = row
    return decided


def second_pass_agreement(rows: list[dict], passes: Path) -> dict[str, float] | None:
    """Per-mention agreement of the second passes in ``passes`` with the first labels (before
    adjudication), or None when there is no second pass."""
    second = read_passes(in_labelling_order(passes.glob("second_*.jsonl")), key="id", allowed=set(STANCES), field="stances", many=True)
    if not second:
        return None
    decided = _read_adjudication(passes / "adjudication.jsonl")
    by_id = {row_id(row["text"]): row for row in rows}
    first_labels, second_labels = [], []
    for identifier, again in second.items():
        row = by_id.get(identifier)
        if row is None:
            raise SystemExit(f"{passes / again['origin']}: no source row has the id {identifier!r}")
        if len(again["stances"]) != len(row["targets"]):
            raise SystemExit(f"{passes / again['origin']}: {len(again['stances'])} stances for the {len(row['targets'])} targets of {row['origin']}")
        for index, (target, stance) in enumerate(zip(row["targets"], again["stances"])):
            where = f"{row['origin']}: target {index} ({target['mention']!r})"
            first = first_label(where, target["stance"], stance, decided.get((identifier, index)), "stance", passes / "adjudication.jsonl")
            first_labels.append(first)
            second_labels.append(stance)
    stats = agreement(first_labels, second_labels)
    stats["sentences"] = len(second)
    stats["disagreements"] = sum(a != b for a, b in zip(first_labels, second_labels))
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, default=REPO / "data" / "stance" / "sources")
    parser.add_argument("--out", type=Path, default=REPO / "data" / "stance")
    args = parser.parse_args(argv)

    rows = read_sources(args.sources)
    second = second_pass_agreement(rows, args.out / "passes")
    if second:
        print(f"second pass over {second['sentences']} sentences ({second['n']} mentions): raw {second['raw']:.3f}, "
              f"kappa {second['kappa']:.3f}, macro-F1 {second['macro_f1']:.3f}; {second['disagreements']} disagreements adjudicated")
    kept, dropped = deduplicate(rows)
    splits = write_splits(kept, dropped, args.out, ("text", "targets", *REQUIRED[1:]))

    mentions = [dict(t, split=name) for name, split_rows in splits.items() for r in split_rows for t in r["targets"]]
    mixed = sum(len({t["stance"] for t in r["targets"]}) > 1 for r in kept)
    by_split = {name: [t for t in mentions if t["split"] == name] for name in splits}
    update_card(
        args.out / "README.md",
        "training/prepare_stance.py",
        f"{len(kept)} sentences ({len(rows)} written, {len(dropped)} near duplicates dropped), {len(mentions)} actor mentions, "
        f"{len({t['actor'] for t in mentions})} distinct actors; {mixed} sentences ({mixed / len(kept):.0%}) have actors of different stance."
        + (f" Recorded second pass (`passes/`): {second['sentences']} sentences, {second['n']} mentions, raw agreement "
           f"{second['raw']:.3f}, Cohen's kappa {second['kappa']:.3f}, macro-F1 {second['macro_f1']:.3f}." if second else ""),
        [count_table(by_split, "stance"), count_table(splits, "domain"), count_table(splits, "register"), count_table(splits, "kind")],
    )
    print(f"{len(rows)} source rows, {len(dropped)} near duplicates dropped, {len(kept)} kept, {len(mentions)} mentions, {mixed} mixed")
    for name, split_mentions in by_split.items():
        labels = Counter(t["stance"] for t in split_mentions)
        print(f"{name:5s} {len(splits[name]):5d} sentences {len(split_mentions):5d} mentions  " + "  ".join(f"{s} {labels[s]}" for s in STANCES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
