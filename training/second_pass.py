"""A blind second labelling pass over the rows of a corpus (data/types or data/stance), and adjudication
of where it disagrees with the first.

    python training/second_pass.py stance sample WORK --unseen-eval --parts 6    # every dev/test row no pass has seen
    python training/second_pass.py types sample WORK --batch b6_ --fraction 0.1 --all-hard    # every hard row, 10% of plain
    python training/second_pass.py stance disagree WORK --adjudicators 2
    python training/second_pass.py stance apply WORK second_5

``sample`` writes ``WORK/input_K.jsonl`` for the second annotators, without labels: ``{"id", "text"}``,
and for stance the mentions to judge (``"mentions": [{"mention", "actor", "start", "end"}]``). They answer
in ``WORK/second_K.jsonl``, rows in the input's order: ``{"id", "label"}`` (a ``kind`` may be added) for
types, ``{"id", "stances"}`` (one per mention) for stance. ``disagree`` writes every item where the passes
differ (a sentence's type, a mention's stance: ``target`` is the mention's index) to
``WORK/to_adjudicate_K.jsonl`` with the two labels as ``label_A``/``label_B`` in random order, so an
adjudicator cannot tell which is the writer's; adjudicators answer in ``WORK/adjudication_raw_K.jsonl``
(``{"id", "label", "reason"}``, for stance ``{"id", "target", "stance", "reason"}``, in the same order).
``apply`` records the pass as ``data/CORPUS/passes/NAME.jsonl``, appends the decisions to
``passes/adjudication.jsonl`` and writes every changed label into the source rows;
``training/prepare_types.py`` or ``prepare_stance.py`` then rebuilds the splits and checks that every
decision is carried.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stance.data import iter_jsonl  # noqa: E402
from stance.labels import SENTENCE_TYPES, STANCES  # noqa: E402
from training import prepare_stance, prepare_types  # noqa: E402
from training.corpus import row_id  # noqa: E402


@dataclass(frozen=True)
class Corpus:
    """What differs between the corpora: where a row's labels are, and the files' field names. A stance row
    holds one label per mention (``per_mention``), a types row one label."""

    name: str
    read_sources: Callable[[Path], list[dict]]
    labels: tuple[str, ...]
    per_mention: bool

    @property
    def answer_field(self) -> str:  # in second_K.jsonl and the recorded pass
        return "stances" if self.per_mention else "label"

    @property
    def decision_field(self) -> str:  # in adjudication_raw_K.jsonl and passes/adjudication.jsonl
        return "stance" if self.per_mention else "label"

    def first_labels(self, row: dict) -> list[str]:
        return [t["stance"] for t in row["targets"]] if self.per_mention else [row["label"]]

    def relabel(self, row: dict, target: int | None, label: str) -> None:
        if self.per_mention:
            row["targets"][target]["stance"] = label
        else:
            row["label"] = label

    def question(self, row: dict) -> dict:
        asked = {"id": row_id(row["text"]), "text": row["text"]}
        if self.per_mention:
            asked["mentions"] = [{k: t[k] for k in ("mention", "actor", "start", "end")} for t in row["targets"]]
        return asked

    def answer(self, row: dict) -> list[str] | None:
        value = row.get(self.answer_field)
        return value if self.per_mention else [value]

    def pass_record(self, source: dict, labels: list[str], answer: dict) -> dict:
        if self.per_mention:
            return {"id": row_id(source["text"]), "stances": labels}
        return {"id": row_id(source["text"]), "label": labels[0], **({"kind": answer["kind"]} if "kind" in answer else {})}


CORPORA = {
    "types": Corpus("types", prepare_types.read_sources, tuple(SENTENCE_TYPES), per_mention=False),
    "stance": Corpus("stance", prepare_stance.read_sources, tuple(STANCES), per_mention=True),
}


def _numbered(work: Path, stem: str) -> list[Path]:
    paths = sorted(work.glob(f"{stem}_*.jsonl"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    if not paths:
        raise SystemExit(f"{work}: no {stem}_K.jsonl files")
    return paths


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def sample(
    corpus: Corpus, data: Path, work: Path, parts: int, seed: int, unseen_eval: bool, batch: list[str], fraction: float,
    all_hard: bool = False,
) -> list[dict]:
    """Rows for a second pass, split into ``parts`` input files: the dev and test rows that no recorded
    pass has seen (``unseen_eval``), or a random ``fraction`` of the rows from source files whose names
    start with one of ``batch`` (with ``all_hard``: every row of a hard-case kind, and that fraction of the
    ``plain`` rows)."""
    rows = corpus.read_sources(data / "sources")
    if unseen_eval:
        passed = {row["id"] for path in (data / "passes").glob("second_*.jsonl") for _, row in iter_jsonl(path)}
        evaluated = {row_id(row["text"]) for split in ("dev", "test") for _, row in iter_jsonl(data / f"{split}.jsonl")}
        picked = [r for r in rows if row_id(r["text"]) in evaluated - passed]
        random.Random(seed).shuffle(picked)
    else:
        in_batch = [r for r in rows if r["origin"].startswith(tuple(batch))]
        taken_whole = [all_hard and r.get("kind", "plain") != "plain" for r in in_batch]
        hard = [r for r, whole in zip(in_batch, taken_whole) if whole]
        rest = [r for r, whole in zip(in_batch, taken_whole) if not whole]
        rng = random.Random(seed)
        picked = rng.sample(rest, round(len(rest) * fraction))
        if hard:
            picked = hard + picked
            rng.shuffle(picked)  # annotators must not tell hard rows from plain ones by their place
    work.mkdir(parents=True, exist_ok=True)
    for part in range(parts):
        _write(work / f"input_{part}.jsonl", [corpus.question(r) for r in picked[part::parts]])
    return picked


def _second_labels(corpus: Corpus, data: Path, work: Path) -> list[tuple[dict, list[str], dict]]:
    """(source row, second-pass labels, the answer row) for every answered input row, checked against the inputs."""
    by_id = {row_id(r["text"]): r for r in corpus.read_sources(data / "sources")}
    answered = []
    for inputs in _numbered(work, "input"):
        second = work / inputs.name.replace("input_", "second_")
        asked = [row["id"] for _, row in iter_jsonl(inputs)]
        answers = [(line, row) for line, row in iter_jsonl(second)]
        if [row.get("id") for _, row in answers] != asked:
            raise SystemExit(f"{second}: its ids are not those of {inputs.name}, in that order")
        for line, row in answers:
            source = by_id[row["id"]]
            labels, wanted = corpus.answer(row), len(corpus.first_labels(source))
            if not isinstance(labels, list) or len(labels) != wanted or any(label not in corpus.labels for label in labels):
                raise SystemExit(
                    f"{second}:{line}: `{corpus.answer_field}` needs {wanted} label(s) from {list(corpus.labels)}, "
                    f"got {row.get(corpus.answer_field)!r}"
                )
            answered.append((source, labels, row))
    return answered


def disagree(corpus: Corpus, data: Path, work: Path, adjudicators: int, seed: int) -> list[dict]:
    """Every item where the passes differ, dealt to ``adjudicators`` files with the labels blinded."""
    rng = random.Random(seed)
    cases = []
    for source, labels, _ in _second_labels(corpus, data, work):
        for index, (first, second) in enumerate(zip(corpus.first_labels(source), labels)):
            if first == second:
                continue
            pair = [first, second]
            rng.shuffle(pair)
            case = {"id": row_id(source["text"])}
            if corpus.per_mention:
                target = source["targets"][index]
                case.update(target=index, mention=target["mention"], actor=target["actor"])
            cases.append({**case, "text": source["text"], "label_A": pair[0], "label_B": pair[1]})
    for part in range(adjudicators):
        _write(work / f"to_adjudicate_{part}.jsonl", cases[part::adjudicators])
    return cases


def apply(corpus: Corpus, data: Path, work: Path, name: str) -> Counter:
    """Record the pass and the decisions, and write changed labels into the sources; returns the
    changes as (writer's label, decided label) counts."""
    answered = _second_labels(corpus, data, work)
    passes = data / "passes"
    if (passes / f"{name}.jsonl").exists():
        raise SystemExit(f"{passes / name}.jsonl exists: a recorded pass is never overwritten")
    cases, decisions = [], []
    for asked in _numbered(work, "to_adjudicate"):
        cases += [row for _, row in iter_jsonl(asked)]
        answers = work / asked.name.replace("to_adjudicate_", "adjudication_raw_")
        decisions += [(line, row, answers) for line, row in iter_jsonl(answers)]
    if [(c["id"], c.get("target")) for c in cases] != [(row.get("id"), row.get("target")) for _, row, _ in decisions]:
        raise SystemExit(f"{work}: the adjudication_raw files do not answer the to_adjudicate files case by case, in order")
    by_id = {row_id(source["text"]): source for source, _, _ in answered}
    field = corpus.decision_field
    records: list[dict] = []
    changes: dict[str, dict[int | None, str]] = {}  # row id -> {mention index (None: the sentence): decided label}
    for (line, decision, path), case in zip(decisions, cases):
        # The adjudication briefs allow a third label where the rules demand it; the reason must say why.
        if decision.get(field) not in corpus.labels or not str(decision.get("reason", "")).strip():
            raise SystemExit(f"{path}:{line}: needs a {field} from {list(corpus.labels)} and a reason")
        target = case.get("target")
        first = corpus.first_labels(by_id[decision["id"]])[target or 0]
        where = {"target": target} if corpus.per_mention else {}
        records.append({"id": decision["id"], **where, field: decision[field], "first": first, "reason": decision["reason"]})
        if decision[field] != first:
            changes.setdefault(decision["id"], {})[target] = decision[field]
    _write(passes / f"{name}.jsonl", [corpus.pass_record(source, labels, answer) for source, labels, answer in answered])
    with (passes / "adjudication.jsonl").open("a", encoding="utf-8") as out:
        out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    changed = Counter(
        (corpus.first_labels(by_id[key])[target or 0], label) for key, decided in changes.items() for target, label in decided.items()
    )
    _rewrite_sources(corpus, data / "sources", changes)
    return changed


def _rewrite_sources(corpus: Corpus, folder: Path, changes: dict[str, dict[int | None, str]]) -> None:
    """Write the decided labels into the source rows, leaving every other line as it is written."""
    for path in sorted(folder.glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        touched = False
        for n, line in enumerate(lines):
            if not line.strip():
                continue
            row = json.loads(line)
            decided = changes.get(row_id(row["text"]))
            if decided:
                for target, label in decided.items():
                    corpus.relabel(row, target, label)
                lines[n], touched = json.dumps(row, ensure_ascii=False) + "\n", True
        if touched:
            path.write_text("".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", choices=sorted(CORPORA))
    parser.add_argument("--data", type=Path, help="the corpus folder (default: data/CORPUS)")
    parser.add_argument("--seed", type=int, default=17)
    steps = parser.add_subparsers(dest="step", required=True)
    take = steps.add_parser("sample", help="write the second annotators' input files")
    take.add_argument("work", type=Path)
    take.add_argument("--parts", type=int, default=2)
    which = take.add_mutually_exclusive_group(required=True)
    which.add_argument("--unseen-eval", action="store_true", help="every dev and test row no recorded pass has seen")
    which.add_argument("--batch", nargs="+", metavar="PREFIX", help="source files whose names start with PREFIX")
    take.add_argument("--fraction", type=float, default=0.1, help="share of the batch's rows (with --batch)")
    take.add_argument("--all-hard", action="store_true", help="with --batch: every hard-case row, and --fraction of the plain ones")
    compare = steps.add_parser("disagree", help="write the disagreements, blinded, for adjudication")
    compare.add_argument("work", type=Path)
    compare.add_argument("--adjudicators", type=int, default=2)
    record = steps.add_parser("apply", help="record the pass and the decisions; change the sources")
    record.add_argument("work", type=Path)
    record.add_argument("name", help="the pass's file name in passes/, e.g. second_5")
    args = parser.parse_args(argv)
    corpus = CORPORA[args.corpus]
    data = args.data or REPO / "data" / corpus.name
    if args.step == "sample":
        picked = sample(corpus, data, args.work, args.parts, args.seed, args.unseen_eval, args.batch or [], args.fraction, args.all_hard)
        items = sum(len(corpus.first_labels(r)) for r in picked)
        print(f"{len(picked)} rows, {items} items to label in {args.parts} input files")
    elif args.step == "disagree":
        print(f"{len(disagree(corpus, data, args.work, args.adjudicators, args.seed))} disagreements")
    else:
        changed = apply(corpus, data, args.work, args.name)
        print(f"{sum(changed.values())} labels changed: " + ", ".join(f"{a} -> {b} {n}" for (a, b), n in changed.most_common()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
