"""Build the project's sentence-type labels for NewsMTSC sentences (a label overlay, no public text).

    python training/prepare_newsmtsc_types.py --texts ../shared/datasets/newsmtsc/train.jsonl

Reads the labelling passes in ``data/types/newsmtsc/passes/``: ``first_*.jsonl`` (the first pass, one
file per annotator), ``second*.jsonl`` (an independent blind pass over a sample of each batch) and
``adjudication.jsonl`` (the decision, by ANNOTATION.md, on each disagreement; ``"label": "drop"`` leaves
a sentence out where the guide does not decide it) and ``audit.jsonl`` (a blind decision on training rows where
the accurate model disagreed with the label; an adjudication, where one exists, wins over it). Prints the agreement between the passes, drops near
duplicates, and writes ``data/types/newsmtsc/{train,dev,test}.jsonl`` as overlays
(``stance.data.overlay``): NewsMTSC id, text fingerprint, label and kind. A row's split follows from its
fingerprint, as in data/types. Only preparing needs the NewsMTSC file; the overlays are in git.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stance.data import DataError, write_jsonl  # noqa: E402
from stance.data.overlay import newsmtsc_sentences, text_fingerprint  # noqa: E402
from stance.labels import SENTENCE_TYPES  # noqa: E402
from training.corpus import (  # noqa: E402
    SPLITS, agreement, count_table, deduplicate, in_labelling_order, print_label_counts, read_pass, read_passes, split_of, update_card,
)

DEFAULT_TEXTS = REPO.parent / "shared" / "datasets" / "newsmtsc" / "train.jsonl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=Path, default=DEFAULT_TEXTS, help="NewsMTSC's train.jsonl")
    parser.add_argument("--out", type=Path, default=REPO / "data" / "types" / "newsmtsc")
    args = parser.parse_args(argv)

    texts = newsmtsc_sentences(args.texts)
    passes = args.out / "passes"
    first = read_passes(in_labelling_order(passes.glob("first_*.jsonl")))  # one file per annotator
    second = read_passes(in_labelling_order(passes.glob("second*.jsonl")))  # one blind pass per batch
    decided = read_pass(args.out / "adjudication.jsonl", {*SENTENCE_TYPES, "drop"})
    audit_path = args.out / "audit.jsonl"
    audited = read_pass(audit_path, set(SENTENCE_TYPES)) if audit_path.is_file() else {}
    for gid in [*first, *second, *decided, *audited]:
        if gid not in texts:
            raise DataError(args.texts, None, f"labelled id {gid!r} is not in this file")

    both = [gid for gid in second if gid in first]
    stats = agreement([first[g]["label"] for g in both], [second[g]["label"] for g in both])
    disagreements = [g for g in both if first[g]["label"] != second[g]["label"]]
    undecided = [g for g in disagreements if g not in decided]
    if undecided:
        raise SystemExit(f"{len(undecided)} disagreements have no adjudication, e.g. {undecided[:3]}")
    print(f"second pass over {stats['n']} sentences: raw {stats['raw']:.3f}, kappa {stats['kappa']:.3f}, "
          f"macro-F1 {stats['macro_f1']:.3f}; {len(disagreements)} disagreements adjudicated")

    unlabelled = [g for g in audited if g not in first]
    if unlabelled:
        line = int(audited[unlabelled[0]]["origin"].rsplit(":", 1)[1])
        raise DataError(audit_path, line, f"audited id {unlabelled[0]!r} has no first-pass label ({len(unlabelled)} such ids)", "gid")
    audit_changes = {g: d for g, d in audited.items() if g not in decided and d["label"] != first[g]["label"]}
    if audited:
        print(f"audit of {len(audited)} model-flagged rows: {len(audit_changes)} labels changed")
    # An audit decides the label only; the row keeps its annotator's hard-case kind (the audit's own
    # kind names stay in audit.jsonl).
    decided = {**{g: {"label": d["label"]} for g, d in audit_changes.items()}, **decided}

    rows, dropped_by_rule = [], []
    for gid, row in first.items():
        label = decided[gid]["label"] if gid in decided else row["label"]
        if label == "drop":
            dropped_by_rule.append(gid)
            continue
        kind = decided.get(gid, {}).get("kind") or row.get("kind") or "plain"
        rows.append({"id": gid, "text": texts[gid], "label": label, "kind": kind, "origin": row["origin"]})
    kept, near = deduplicate(rows)
    for row, twin, score in near:
        print(f"near-duplicate ({score:.2f}) dropped {row['id']}: {row['text'][:70]!r}")
    splits: dict[str, list[dict]] = {name: [] for name, _ in SPLITS}
    for row in kept:
        fingerprint = text_fingerprint(row["text"])
        splits[split_of(fingerprint)].append(
            {"id": row["id"], "sha1": fingerprint, "label": row["label"], "kind": row["kind"]}
        )
    for name, split_rows in splits.items():
        split_rows.sort(key=lambda r: r["sha1"])
        write_jsonl(split_rows, args.out / f"{name}.jsonl")
    hard = sum(r["kind"] != "plain" for r in kept)
    update_card(
        args.out / "README.md",
        "training/prepare_newsmtsc_types.py",
        f"{len(kept)} sentences ({len(first)} labelled, {len(dropped_by_rule)} left out by adjudication, "
        f"{len(near)} near duplicates dropped); {hard} ({hard / len(kept):.0%}) of a hard-case kind. "
        f"Second pass: {stats['n']} sentences, raw agreement {stats['raw']:.3f}, Cohen's kappa {stats['kappa']:.3f}, "
        f"macro-F1 {stats['macro_f1']:.3f}.",
        [count_table(splits, field) for field in ("label", "kind")],
    )
    print_label_counts(splits, SENTENCE_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
