"""Build the fixed train/dev/test splits of the project's sentence-type corpus.

    python training/prepare_types.py            # writes data/types/{train,dev,test}.jsonl, prints counts

Sources are ``data/types/sources/*.jsonl`` (the rows as written and labelled). Each row gets an ``id``
from its text, and its split from that id, so adding rows never moves an old row to another split.
Exact and near duplicates (word-trigram Jaccard >= 0.6) are reported and only the first copy is kept,
so no sentence sits in training with its twin in test.

Independent second labelling passes are ``data/types/passes/second_*.jsonl`` (``{"id", "label", "kind"}``,
the id of the row's text); ``passes/adjudication.jsonl`` holds the decision on every disagreement
(``{"id", "label", "first", "reason"}``, ``first`` the label the row had before), and the source row
carries the decided label. The script prints the agreement between the passes and stops when a
disagreement has no decision or a source row does not carry it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stance.data import iter_jsonl  # noqa: E402
from stance.labels import SENTENCE_TYPES  # noqa: E402
from training.corpus import (  # noqa: E402
    agreement, check_fields, count_table, deduplicate, first_label, in_labelling_order, print_label_counts, read_pass, read_passes, row_id, update_card,
    write_splits,
)

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
    for path in in_labelling_order(folder.glob("*.jsonl")):
        for line, row in iter_jsonl(path):
            if isinstance(row.get("domain"), str):
                row["domain"] = DOMAIN_ALIASES.get(row["domain"], row["domain"])
            check_fields(row, path, line, REQUIRED, {"label": set(SENTENCE_TYPES), "domain": DOMAINS, "register": REGISTERS})
            rows.append({**row, "origin": f"{path.name}:{line}"})
    return rows


def second_pass_agreement(rows: list[dict], passes: Path) -> dict[str, float] | None:
    """Agreement of the second passes in ``passes`` with the first labels (before adjudication), or None."""
    second = read_passes(in_labelling_order(passes.glob("second_*.jsonl")), key="id")
    if not second:
        return None
    decided = read_pass(passes / "adjudication.jsonl", set(SENTENCE_TYPES), key="id") if (passes / "adjudication.jsonl").exists() else {}
    by_id = {row_id(row["text"]): row for row in rows}
    first_labels, second_labels = [], []
    for identifier, again in second.items():
        if identifier not in by_id:
            raise SystemExit(f"{passes / again['origin']}: no source row has the id {identifier!r}")
        row = by_id[identifier]
        first = first_label(row["origin"], row["label"], again["label"], decided.get(identifier), "label", passes / "adjudication.jsonl")
        first_labels.append(first)
        second_labels.append(again["label"])
    stats = agreement(first_labels, second_labels)
    stats["disagreements"] = sum(a != b for a, b in zip(first_labels, second_labels))
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, default=REPO / "data" / "types" / "sources")
    parser.add_argument("--out", type=Path, default=REPO / "data" / "types")
    args = parser.parse_args(argv)

    rows = read_sources(args.sources)
    second = second_pass_agreement(rows, args.out / "passes")
    if second:
        print(f"second pass over {second['n']} sentences: raw {second['raw']:.3f}, kappa {second['kappa']:.3f}, "
              f"macro-F1 {second['macro_f1']:.3f}; {second['disagreements']} disagreements adjudicated")
    kept, dropped = deduplicate(rows)
    splits = write_splits(kept, dropped, args.out, REQUIRED)
    print(f"{len(rows)} source rows, {len(dropped)} near duplicates dropped, {len(kept)} kept")
    total = len(kept)
    hard = sum(r["kind"] != "plain" for r in kept)
    update_card(
        args.out / "README.md",
        "training/prepare_types.py",
        f"{total} sentences ({len(rows)} written, {len(dropped)} near duplicates dropped); {hard} ({hard / total:.0%}) of a hard-case kind."
        + (f" Recorded second pass (`passes/`): {second['n']} sentences, raw agreement {second['raw']:.3f}, "
           f"Cohen's kappa {second['kappa']:.3f}, macro-F1 {second['macro_f1']:.3f}." if second else ""),
        [count_table(splits, field) for field in ("label", "domain", "register", "kind")],
    )
    print_label_counts(splits, SENTENCE_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
