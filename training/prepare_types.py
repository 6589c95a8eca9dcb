"""Build the fixed train/dev/test splits of the project's sentence-type corpus.

    python training/prepare_types.py            # writes data/types/{train,dev,test}.jsonl, prints counts

Sources are ``data/types/sources/*.jsonl`` (the rows as written and labelled). Each row gets an ``id``
from its text, and its split from that id, so adding rows never moves an old row to another split.
Exact and near duplicates (word-trigram Jaccard >= 0.6) are reported and only the first copy is kept,
so no sentence sits in training with its twin in test.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stance.data import iter_jsonl  # noqa: E402
from stance.labels import SENTENCE_TYPES  # noqa: E402
from training.corpus import print_label_counts, check_fields, count_table, deduplicate, update_card, write_splits  # noqa: E402

DOMAINS = {
    "geopolitics", "trade", "economy_markets", "business", "technology", "science", "climate_energy",
    "health", "elections_parties", "law_courts", "security_war", "sport_culture",
}
# A first batch used broader names; they fold into the fixed domain list.
DOMAIN_ALIASES = {"economy_trade": "economy_markets", "diplomacy_politics": "geopolitics"}
REGISTERS = {"wire_report", "op_ed", "communique", "analyst_note", "speech", "interview_quote", "press_release", "blog"}
REQUIRED = ("text", "label", "domain", "register", "kind")


def read_sources(folder: Path) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("*.jsonl")):
        for line, row in iter_jsonl(path):
            if isinstance(row.get("domain"), str):
                row["domain"] = DOMAIN_ALIASES.get(row["domain"], row["domain"])
            check_fields(row, path, line, REQUIRED, {"label": set(SENTENCE_TYPES), "domain": DOMAINS, "register": REGISTERS})
            rows.append({**row, "origin": f"{path.name}:{line}"})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, default=REPO / "data" / "types" / "sources")
    parser.add_argument("--out", type=Path, default=REPO / "data" / "types")
    args = parser.parse_args(argv)

    rows = read_sources(args.sources)
    kept, dropped = deduplicate(rows)
    splits = write_splits(kept, dropped, args.out, REQUIRED)
    print(f"{len(rows)} source rows, {len(dropped)} near duplicates dropped, {len(kept)} kept")
    total = len(kept)
    hard = sum(r["kind"] != "plain" for r in kept)
    update_card(
        args.out / "README.md",
        "training/prepare_types.py",
        f"{total} sentences ({len(rows)} written, {len(dropped)} near duplicates dropped); {hard} ({hard / total:.0%}) of a hard-case kind.",
        [count_table(splits, field) for field in ("label", "domain", "register", "kind")],
    )
    print_label_counts(splits, SENTENCE_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
