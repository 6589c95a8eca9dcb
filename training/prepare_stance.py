"""Build the fixed train/dev/test splits of the project's actor-stance corpus.

    python training/prepare_stance.py           # writes data/stance/{train,dev,test}.jsonl, prints counts

Sources are ``data/stance/sources/*.jsonl`` as written: ``{"text", "targets": [{"mention", "actor",
"stance"}], "domain", "register", "kind"}`` with targets in text order. Each mention is located after
the previous one (on word boundaries), so a name that occurs twice is listed twice; the character
offsets are computed here, never typed by hand. Ids, splits and near-duplicate removal are those of
the sentence-type corpus (``training/corpus.py``).
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
from training.corpus import check_fields, count_table, deduplicate, update_card, write_splits  # noqa: E402
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
    for path in sorted(folder.glob("*.jsonl")):
        for line, row in iter_jsonl(path):
            check_fields(row, path, line, REQUIRED, {"domain": DOMAINS, "register": REGISTERS})
            if not isinstance(row.get("targets"), list) or not row["targets"]:
                raise DataError(path, line, "needs a non-empty list", "targets")
            targets = locate(row["text"], row["targets"], path, line)
            rows.append({**row, "targets": targets, "origin": f"{path.name}:{line}"})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, default=REPO / "data" / "stance" / "sources")
    parser.add_argument("--out", type=Path, default=REPO / "data" / "stance")
    args = parser.parse_args(argv)

    rows = read_sources(args.sources)
    kept, dropped = deduplicate(rows)
    splits = write_splits(kept, dropped, args.out, ("text", "targets", *REQUIRED[1:]))

    mentions = [dict(t, split=name) for name, split_rows in splits.items() for r in split_rows for t in r["targets"]]
    mixed = sum(len({t["stance"] for t in r["targets"]}) > 1 for r in kept)
    by_split = {name: [t for t in mentions if t["split"] == name] for name in splits}
    update_card(
        args.out / "README.md",
        "training/prepare_stance.py",
        f"{len(kept)} sentences ({len(rows)} written, {len(dropped)} near duplicates dropped), {len(mentions)} actor mentions, "
        f"{len({t['actor'] for t in mentions})} distinct actors; {mixed} sentences ({mixed / len(kept):.0%}) have actors of different stance.",
        [count_table(by_split, "stance"), count_table(splits, "domain"), count_table(splits, "register"), count_table(splits, "kind")],
    )
    print(f"{len(rows)} source rows, {len(dropped)} near duplicates dropped, {len(kept)} kept, {len(mentions)} mentions, {mixed} mixed")
    for name, split_mentions in by_split.items():
        labels = Counter(t["stance"] for t in split_mentions)
        print(f"{name:5s} {len(splits[name]):5d} sentences {len(split_mentions):5d} mentions  " + "  ".join(f"{s} {labels[s]}" for s in STANCES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
