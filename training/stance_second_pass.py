"""A blind second labelling pass over data/stance rows, and adjudication of where it disagrees.

    python training/stance_second_pass.py sample WORK --unseen-eval --parts 6    # every dev/test row no pass has seen
    python training/stance_second_pass.py sample WORK --batch s13_ s14_ --fraction 0.1
    python training/stance_second_pass.py disagree WORK --adjudicators 2
    python training/stance_second_pass.py apply WORK second_5

``sample`` writes ``WORK/input_K.jsonl`` (``{"id", "text", "mentions": [{"mention", "actor", "start",
"end"}]}``, no stances) for the second annotators, who write ``WORK/second_K.jsonl`` (``{"id", "stances"}``,
one stance per mention, rows in the input's order). ``disagree`` writes every mention where the passes
differ to ``WORK/to_adjudicate_K.jsonl`` with the two labels as ``label_A``/``label_B`` in random order, so
an adjudicator cannot tell which is the writer's; adjudicators answer in ``WORK/adjudication_raw_K.jsonl``
(``{"id", "target", "stance", "reason"}``, rows in the same order). ``apply`` records the pass as
``data/stance/passes/NAME.jsonl``, appends the decisions to ``passes/adjudication.jsonl`` and writes every
changed label into the source rows; ``training/prepare_stance.py`` then rebuilds the splits and checks
that every decision is carried.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stance.data import iter_jsonl  # noqa: E402
from stance.labels import STANCES  # noqa: E402
from training.corpus import row_id  # noqa: E402
from training.prepare_stance import read_sources  # noqa: E402


def _numbered(work: Path, stem: str) -> list[Path]:
    paths = sorted(work.glob(f"{stem}_*.jsonl"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    if not paths:
        raise SystemExit(f"{work}: no {stem}_K.jsonl files")
    return paths


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def sample(data: Path, work: Path, parts: int, seed: int, unseen_eval: bool, batch: list[str], fraction: float) -> list[dict]:
    """Rows for a second pass, split into ``parts`` input files: the dev and test rows that no recorded
    pass has seen (``unseen_eval``), or a random ``fraction`` of the rows from source files whose names
    start with one of ``batch``."""
    rows = read_sources(data / "sources")
    if unseen_eval:
        passed = {row["id"] for path in (data / "passes").glob("second_*.jsonl") for _, row in iter_jsonl(path)}
        evaluated = {row_id(row["text"]) for split in ("dev", "test") for _, row in iter_jsonl(data / f"{split}.jsonl")}
        picked = [r for r in rows if row_id(r["text"]) in evaluated - passed]
        random.Random(seed).shuffle(picked)
    else:
        in_batch = [r for r in rows if r["origin"].startswith(tuple(batch))]
        picked = random.Random(seed).sample(in_batch, round(len(in_batch) * fraction))
    work.mkdir(parents=True, exist_ok=True)
    for part in range(parts):
        _write(work / f"input_{part}.jsonl", [
            {"id": row_id(r["text"]), "text": r["text"], "mentions": [{k: t[k] for k in ("mention", "actor", "start", "end")} for t in r["targets"]]}
            for r in picked[part::parts]
        ])
    return picked


def _second_labels(data: Path, work: Path) -> list[tuple[dict, list[str]]]:
    """(source row, second-pass stances) for every answered input row, checked against the inputs."""
    by_id = {row_id(r["text"]): r for r in read_sources(data / "sources")}
    answered = []
    for inputs in _numbered(work, "input"):
        second = work / inputs.name.replace("input_", "second_")
        asked = [row["id"] for _, row in iter_jsonl(inputs)]
        answers = [(line, row) for line, row in iter_jsonl(second)]
        if [row.get("id") for _, row in answers] != asked:
            raise SystemExit(f"{second}: its ids are not those of {inputs.name}, in that order")
        for line, row in answers:
            source = by_id[row["id"]]
            stances = row.get("stances")
            if not isinstance(stances, list) or len(stances) != len(source["targets"]) or any(s not in STANCES for s in stances):
                raise SystemExit(f"{second}:{line}: needs {len(source['targets'])} stances from {list(STANCES)}, got {stances!r}")
            answered.append((source, stances))
    return answered


def disagree(data: Path, work: Path, adjudicators: int, seed: int) -> list[dict]:
    """Every mention where the passes differ, dealt to ``adjudicators`` files with the labels blinded."""
    rng = random.Random(seed)
    cases = []
    for source, stances in _second_labels(data, work):
        for index, (target, second) in enumerate(zip(source["targets"], stances)):
            if target["stance"] != second:
                pair = [target["stance"], second]
                rng.shuffle(pair)
                cases.append({
                    "id": row_id(source["text"]), "target": index, "mention": target["mention"], "actor": target["actor"],
                    "text": source["text"], "label_A": pair[0], "label_B": pair[1],
                })
    for part in range(adjudicators):
        _write(work / f"to_adjudicate_{part}.jsonl", cases[part::adjudicators])
    return cases


def apply(data: Path, work: Path, name: str) -> Counter:
    """Record the pass and the decisions, and write changed labels into the sources; returns the
    changes as (writer's label, decided label) counts."""
    answered = _second_labels(data, work)
    passes = data / "passes"
    if (passes / f"{name}.jsonl").exists():
        raise SystemExit(f"{passes / name}.jsonl exists: a recorded pass is never overwritten")
    cases, decisions = [], []
    for asked in _numbered(work, "to_adjudicate"):
        cases += [row for _, row in iter_jsonl(asked)]
        answers = work / asked.name.replace("to_adjudicate_", "adjudication_raw_")
        decisions += [(line, row, answers) for line, row in iter_jsonl(answers)]
    if [(c["id"], c["target"]) for c in cases] != [(row.get("id"), row.get("target")) for _, row, _ in decisions]:
        raise SystemExit(f"{work}: the adjudication_raw files do not answer the to_adjudicate files case by case, in order")
    by_id = {row_id(source["text"]): source for source, _ in answered}
    records: list[dict] = []
    changes: dict[str, dict[int, str]] = {}  # row id -> {mention index: decided stance}
    for (line, decision, path), case in zip(decisions, cases):
        if decision.get("stance") not in (case["label_A"], case["label_B"]) or not str(decision.get("reason", "")).strip():
            raise SystemExit(f"{path}:{line}: needs a stance that is label_A or label_B of its case, and a reason")
        first = by_id[decision["id"]]["targets"][decision["target"]]["stance"]
        records.append({"id": decision["id"], "target": decision["target"], "stance": decision["stance"], "first": first, "reason": decision["reason"]})
        if decision["stance"] != first:
            changes.setdefault(decision["id"], {})[decision["target"]] = decision["stance"]
    _write(passes / f"{name}.jsonl", [{"id": row_id(source["text"]), "stances": stances} for source, stances in answered])
    with (passes / "adjudication.jsonl").open("a", encoding="utf-8") as out:
        out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    for path in sorted((data / "sources").glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        touched = False
        for n, line in enumerate(lines):
            if not line.strip():
                continue
            row = json.loads(line)
            decided = changes.get(row_id(row["text"]))
            if decided:
                for index, stance in decided.items():
                    row["targets"][index]["stance"] = stance
                lines[n], touched = json.dumps(row, ensure_ascii=False) + "\n", True
        if touched:
            path.write_text("".join(lines), encoding="utf-8")
    return Counter(
        (by_id[key]["targets"][index]["stance"], stance) for key, decided in changes.items() for index, stance in decided.items()
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "data" / "stance")
    parser.add_argument("--seed", type=int, default=17)
    steps = parser.add_subparsers(dest="step", required=True)
    take = steps.add_parser("sample", help="write the second annotators' input files")
    take.add_argument("work", type=Path)
    take.add_argument("--parts", type=int, default=2)
    which = take.add_mutually_exclusive_group(required=True)
    which.add_argument("--unseen-eval", action="store_true", help="every dev and test row no recorded pass has seen")
    which.add_argument("--batch", nargs="+", metavar="PREFIX", help="source files whose names start with PREFIX")
    take.add_argument("--fraction", type=float, default=0.1, help="share of the batch's rows (with --batch)")
    compare = steps.add_parser("disagree", help="write the disagreements, blinded, for adjudication")
    compare.add_argument("work", type=Path)
    compare.add_argument("--adjudicators", type=int, default=2)
    record = steps.add_parser("apply", help="record the pass and the decisions; change the sources")
    record.add_argument("work", type=Path)
    record.add_argument("name", help="the pass's file name in passes/, e.g. second_5")
    args = parser.parse_args(argv)
    if args.step == "sample":
        picked = sample(args.data, args.work, args.parts, args.seed, args.unseen_eval, args.batch or [], args.fraction)
        print(f"{len(picked)} rows, {sum(len(r['targets']) for r in picked)} mentions in {args.parts} input files")
    elif args.step == "disagree":
        print(f"{len(disagree(args.data, args.work, args.adjudicators, args.seed))} disagreements")
    else:
        changed = apply(args.data, args.work, args.name)
        print(f"{sum(changed.values())} labels changed: " + ", ".join(f"{a} -> {b} {n}" for (a, b), n in changed.most_common()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
