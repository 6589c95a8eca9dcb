"""Second labelling passes of the corpus builders: agreement numbers and the adjudication checks."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.corpus import agreement, read_passes, row_id  # noqa: E402
from training.prepare_types import second_pass_agreement  # noqa: E402
from stance.data import DataError  # noqa: E402


def test_agreement_counts_raw_kappa_and_macro_f1():
    first = ["fact", "fact", "opinion", "opinion"]
    second = ["fact", "opinion", "opinion", "opinion"]
    stats = agreement(first, second)
    assert stats["raw"] == pytest.approx(0.75)
    # expected agreement 0.5*0.25 + 0.5*0.75 = 0.5
    assert stats["kappa"] == pytest.approx(0.5)
    assert stats["macro_f1"] == pytest.approx((2 / 3 + 4 / 5) / 2)


def test_agreement_of_two_passes_on_a_single_label_is_perfect():
    stats = agreement(["neutral"] * 3, ["neutral"] * 3)
    assert stats["raw"] == stats["kappa"] == stats["macro_f1"] == 1.0


def test_agreement_refuses_passes_of_different_lengths_or_none():
    with pytest.raises(ValueError, match="different numbers"):
        agreement(["fact", "fact"], ["fact"])
    with pytest.raises(ValueError, match="no labels"):
        agreement([], [])


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


ROWS = [
    {"text": "The port fee rose 4% in May.", "label": "fact", "origin": "a.jsonl:1"},
    {"text": "Ministers must act now.", "label": "recommendation", "origin": "a.jsonl:2"},
]


def test_second_pass_needs_a_decision_for_every_disagreement(tmp_path):
    _write(tmp_path / "second_x.jsonl", [
        {"id": row_id(ROWS[0]["text"]), "label": "fact"}, {"id": row_id(ROWS[1]["text"]), "label": "opinion"},
    ])
    with pytest.raises(SystemExit, match="no decision"):
        second_pass_agreement(ROWS, tmp_path)
    _write(tmp_path / "adjudication.jsonl", [{"id": row_id(ROWS[1]["text"]), "label": "opinion", "first": "recommendation"}])
    with pytest.raises(SystemExit, match="the adjudication decided opinion"):
        second_pass_agreement(ROWS, tmp_path)  # the source row still carries the old label
    _write(tmp_path / "adjudication.jsonl", [{"id": row_id(ROWS[1]["text"]), "label": "recommendation", "first": "recommendation"}])
    stats = second_pass_agreement(ROWS, tmp_path)
    assert (stats["n"], stats["disagreements"], stats["raw"]) == (2, 1, 0.5)


def test_second_pass_rejects_unknown_ids_and_double_labels(tmp_path):
    _write(tmp_path / "second_x.jsonl", [{"id": "000000000000", "label": "fact"}])
    with pytest.raises(SystemExit, match="no source row"):
        second_pass_agreement(ROWS, tmp_path)
    _write(tmp_path / "second_x.jsonl", [{"id": row_id(ROWS[0]["text"]), "label": "fact"}])
    _write(tmp_path / "second_y.jsonl", [{"id": row_id(ROWS[0]["text"]), "label": "fact"}])
    with pytest.raises(DataError, match="also labelled"):
        read_passes(sorted(tmp_path.glob("second_*.jsonl")), key="id")
    assert second_pass_agreement(ROWS, tmp_path / "none") is None


STANCE_ROWS = [
    {"text": "Beijing praised Kenya's port deal.", "origin": "s.jsonl:1", "targets": [
        {"mention": "Beijing", "start": 0, "end": 7, "actor": "China", "stance": "neutral"},
        {"mention": "Kenya", "start": 16, "end": 21, "actor": "Kenya", "stance": "favor"},
    ]},
]


def test_stance_second_pass_is_scored_per_mention_and_needs_decisions(tmp_path):
    from training.prepare_stance import second_pass_agreement as stance_agreement

    identifier = row_id(STANCE_ROWS[0]["text"])
    _write(tmp_path / "second_1.jsonl", [{"id": identifier, "stances": ["neutral", "neutral"]}])
    with pytest.raises(SystemExit, match="target 1 .*no decision"):
        stance_agreement(STANCE_ROWS, tmp_path)
    decision = {"id": identifier, "target": 1, "stance": "neutral", "first": "favor", "reason": "no evaluation"}
    _write(tmp_path / "adjudication.jsonl", [decision])
    with pytest.raises(SystemExit, match="the adjudication decided neutral"):
        stance_agreement(STANCE_ROWS, tmp_path)  # the source row still carries the writer's label
    _write(tmp_path / "adjudication.jsonl", [dict(decision, stance="favor")])
    stats = stance_agreement(STANCE_ROWS, tmp_path)
    assert (stats["sentences"], stats["n"], stats["disagreements"], stats["raw"]) == (1, 2, 1, 0.5)


def test_stance_second_pass_rejects_wrong_lengths_and_labels(tmp_path):
    from training.prepare_stance import second_pass_agreement as stance_agreement

    identifier = row_id(STANCE_ROWS[0]["text"])
    _write(tmp_path / "second_1.jsonl", [{"id": identifier, "stances": ["neutral"]}])
    with pytest.raises(SystemExit, match="1 stances for the 2 targets"):
        stance_agreement(STANCE_ROWS, tmp_path)
    _write(tmp_path / "second_1.jsonl", [{"id": identifier, "stances": ["neutral", "positive"]}])
    with pytest.raises(DataError, match="second_1.jsonl.*stances"):
        stance_agreement(STANCE_ROWS, tmp_path)
    assert stance_agreement(STANCE_ROWS, tmp_path / "none") is None


def test_shipped_stance_corpus_carries_every_adjudicated_label():
    """The recorded second pass of data/stance matches its sources, and every decision is applied."""
    from training.prepare_stance import REPO, read_sources
    from training.prepare_stance import second_pass_agreement as stance_agreement

    stats = stance_agreement(read_sources(REPO / "data" / "stance" / "sources"), REPO / "data" / "stance" / "passes")
    assert stats is not None and stats["sentences"] >= 190
    assert stats["kappa"] > 0.8


def test_numbered_files_are_read_in_labelling_order():
    from pathlib import Path

    from training.corpus import in_labelling_order

    names = ["first_10.jsonl", "first_2.jsonl", "s10_law.jsonl", "first_1.jsonl", "s9_geo.jsonl", "b2_econ.jsonl", "climate.jsonl"]
    assert [p.name for p in in_labelling_order(Path(n) for n in names)] == [
        "b2_econ.jsonl", "climate.jsonl", "first_1.jsonl", "first_2.jsonl", "first_10.jsonl", "s9_geo.jsonl", "s10_law.jsonl",
    ]


def _corpus_folder(tmp_path: Path, name: str) -> Path:
    """An empty corpus folder as the second-pass tool expects it: sources/ and passes/."""
    data = tmp_path / name
    (data / "sources").mkdir(parents=True)
    (data / "passes").mkdir()
    return data


def test_stance_second_pass_from_sample_to_applied_decisions(tmp_path):
    """sample -> second pass -> blinded disagreements -> decisions applied, and prepare_stance accepts the result."""
    from training.prepare_stance import read_sources, second_pass_agreement as stance_agreement
    from training.second_pass import CORPORA, apply, disagree, sample

    corpus, data = CORPORA["stance"], _corpus_folder(tmp_path, "stance")
    texts = [
        ("Beijing praised Brussels for the deal.", [("Beijing", "against"), ("Brussels", "favor")]),
        ("Washington blamed Tehran for the attack.", [("Washington", "neutral"), ("Tehran", "against")]),
        ("The IMF cut its forecast.", [("IMF", "neutral")]),
    ]
    sources = [{"text": t, "targets": [{"mention": m, "actor": m, "stance": s} for m, s in targets],
                "domain": "geopolitics", "register": "wire_report", "kind": "plain"} for t, targets in texts]
    _write(data / "sources" / "s1_geo.jsonl", sources)
    _write(data / "dev.jsonl", [{"text": texts[0][0]}, {"text": texts[1][0]}])
    _write(data / "test.jsonl", [])
    _write(data / "passes" / "second_1.jsonl", [{"id": row_id(texts[1][0]), "stances": ["neutral", "against"]}])
    work = tmp_path / "work"

    picked = sample(corpus, data, work, parts=2, seed=1, unseen_eval=True, batch=[], fraction=0.1)
    assert [r["text"] for r in picked] == [texts[0][0]]  # the other dev row has a pass, the third is training
    asked = [json.loads(line) for line in (work / "input_0.jsonl").read_text().splitlines()]
    assert "stance" not in json.dumps(asked) and (work / "input_1.jsonl").read_text() == ""
    _write(work / "second_0.jsonl", [{"id": asked[0]["id"], "stances": ["neutral", "favor"]}])
    (work / "second_1.jsonl").write_text("")

    cases = disagree(corpus, data, work, adjudicators=1, seed=1)
    assert [(c["target"], {c["label_A"], c["label_B"]}) for c in cases] == [(0, {"neutral", "against"})]
    _write(work / "adjudication_raw_0.jsonl", [{"id": cases[0]["id"], "target": 0, "stance": "neutral", "reason": "Beijing only speaks: praise for another actor takes no side on the speaker"}])
    assert apply(corpus, data, work, "second_2") == {("against", "neutral"): 1}

    rows = read_sources(data / "sources")
    assert [t["stance"] for t in rows[0]["targets"]] == ["neutral", "favor"]
    stats = stance_agreement(rows, data / "passes")
    assert stats["sentences"] == 2 and stats["disagreements"] == 1 and stats["n"] == 4
    with pytest.raises(SystemExit, match="never overwritten"):
        apply(corpus, data, work, "second_2")


def test_stance_second_pass_refuses_answers_out_of_order(tmp_path):
    from training.second_pass import CORPORA, disagree

    corpus = CORPORA["stance"]
    data = tmp_path / "stance"
    (data / "sources").mkdir(parents=True)
    _write(data / "sources" / "s1_geo.jsonl", [{"text": "The IMF cut its forecast.", "targets": [{"mention": "IMF", "actor": "IMF", "stance": "neutral"}],
                                                "domain": "geopolitics", "register": "wire_report", "kind": "plain"}])
    work = tmp_path / "work"
    work.mkdir()
    _write(work / "input_0.jsonl", [{"id": row_id("The IMF cut its forecast."), "text": "The IMF cut its forecast.", "mentions": []}])
    _write(work / "second_0.jsonl", [{"id": "someone-else", "stances": ["neutral"]}])
    with pytest.raises(SystemExit, match="not those of input_0.jsonl"):
        disagree(corpus, data, work, adjudicators=1, seed=1)
    _write(work / "second_0.jsonl", [{"id": row_id("The IMF cut its forecast."), "stances": ["neutral", "favor"]}])
    with pytest.raises(SystemExit, match="`stances` needs 1 label"):
        disagree(corpus, data, work, adjudicators=1, seed=1)


def test_types_second_pass_from_sample_to_applied_decisions(tmp_path):
    """The same tool on data/types rows: one label per sentence, and prepare_types accepts the result."""
    from training.prepare_types import read_sources
    from training.second_pass import CORPORA, apply, disagree, sample

    corpus, data = CORPORA["types"], _corpus_folder(tmp_path, "types")
    written = [
        ("Exports will rise 3% next year, the ministry said.", "fact"),
        ("The central bank should cut rates before the summer.", "recommendation"),
        ("The tariff is a blunt and self-defeating tool.", "opinion"),
        ("Brent crude closed at $82 a barrel on Friday.", "fact"),
    ]
    _write(data / "sources" / "b6_econ.jsonl", [
        {"text": t, "label": label, "domain": "economy_markets", "register": "wire_report", "kind": "plain"} for t, label in written
    ])
    work = tmp_path / "work"
    picked = sample(corpus, data, work, parts=1, seed=3, unseen_eval=False, batch=["b6_"], fraction=0.5)
    assert len(picked) == 2
    asked = [json.loads(line) for line in (work / "input_0.jsonl").read_text().splitlines()]
    assert all(set(row) == {"id", "text"} for row in asked)  # blind: no label, no kind
    by_text = dict(written)
    answers = [{"id": row["id"], "label": "forecast" if i == 0 else by_text[row["text"]], "kind": "plain"} for i, row in enumerate(asked)]
    _write(work / "second_0.jsonl", answers)

    cases = disagree(corpus, data, work, adjudicators=1, seed=3)
    assert [(c["text"], {c["label_A"], c["label_B"]}) for c in cases] == [(asked[0]["text"], {by_text[asked[0]["text"]], "forecast"})]
    assert "target" not in cases[0]
    _write(work / "adjudication_raw_0.jsonl", [{"id": cases[0]["id"], "label": "forecast", "reason": "the ministry's own projection"}])
    assert apply(corpus, data, work, "second_1") == {(by_text[asked[0]["text"]], "forecast"): 1}

    rows = read_sources(data / "sources")
    assert next(r["label"] for r in rows if r["text"] == asked[0]["text"]) == "forecast"
    stats = second_pass_agreement(rows, data / "passes")
    assert (stats["n"], stats["disagreements"]) == (2, 1)
    recorded = [json.loads(line) for line in (data / "passes" / "second_1.jsonl").read_text().splitlines()]
    assert recorded[0] == {"id": asked[0]["id"], "label": "forecast", "kind": "plain"}
    for refused in ({"label": "maybe", "reason": "not a type"}, {"label": "opinion", "reason": " "}):
        _write(work / "adjudication_raw_0.jsonl", [{"id": cases[0]["id"], **refused}])
        with pytest.raises(SystemExit, match="needs a label from"):
            apply(corpus, data, work, "second_2")
    # A third label, neither annotator's, stands when the adjudicator gives the rule that demands it.
    _write(work / "adjudication_raw_0.jsonl", [{"id": cases[0]["id"], "label": "opinion", "reason": "a contestable claim"}])
    assert apply(corpus, data, work, "second_2") == {("forecast", "opinion"): 1}


def test_sample_all_hard_takes_every_hard_row_and_a_share_of_the_plain_ones(tmp_path):
    from training.second_pass import CORPORA, sample

    data = tmp_path / "types"
    (data / "sources").mkdir(parents=True)
    rows = [{"text": f"Sentence number {i} about the port of Mombasa.", "label": "fact", "domain": "trade",
             "register": "wire_report", "kind": "plain" if i < 10 else "background_request"} for i in range(14)]
    _write(data / "sources" / "b7_trade.jsonl", rows)
    _write(data / "sources" / "b8_trade.jsonl", [dict(rows[10], text="Another hard row from a later batch.")])
    picked = sample(CORPORA["types"], data, tmp_path / "work", parts=1, seed=5, unseen_eval=False, batch=["b7_"], fraction=0.2, all_hard=True)
    texts = {r["text"] for r in picked}
    assert {r["text"] for r in rows[10:]} <= texts and len(texts) == 4 + 2  # every hard row of b7, 20% of its 10 plain rows
    assert "Another hard row from a later batch." not in texts


def _overlay_rows(out: Path) -> dict[str, dict]:
    rows = [json.loads(line) for name in ("train", "dev", "test") for line in (out / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
    return {row["id"]: row for row in rows}


def test_newsmtsc_types_audit_changes_labels_but_an_adjudication_wins(tmp_path):
    from training.prepare_newsmtsc_types import main

    texts = {
        "g1": "The senator voted against the bill on Tuesday.",
        "g2": "Her remarks were a calculated insult to every farmer in the state.",
        "g3": "Officials said the bridge will reopen in March after repairs.",
    }
    news = tmp_path / "newsmtsc.jsonl"
    _write(news, [{"primary_gid": gid, "sentence_normalized": text} for gid, text in texts.items()])
    out = tmp_path / "overlay"
    (out / "passes").mkdir(parents=True)
    _write(out / "passes" / "first_0.jsonl", [
        {"gid": "g1", "label": "fact"}, {"gid": "g2", "label": "fact", "kind": "opinion_no_adjective"},
        {"gid": "g3", "label": "fact"},
    ])
    _write(out / "passes" / "second.jsonl", [{"gid": "g3", "label": "forecast"}])
    _write(out / "adjudication.jsonl", [{"gid": "g3", "label": "forecast", "reason": "scheduled event"}])
    _write(out / "audit.jsonl", [
        {"gid": "g1", "label": "fact"},  # kept
        {"gid": "g2", "label": "opinion", "kind": "loaded_wording"},  # changed
        {"gid": "g3", "label": "fact"},  # the adjudication stands
    ])
    assert main(["--texts", str(news), "--out", str(out)]) == 0
    rows = _overlay_rows(out)
    assert {gid: row["label"] for gid, row in rows.items()} == {"g1": "fact", "g2": "opinion", "g3": "forecast"}
    assert rows["g2"]["kind"] == "opinion_no_adjective"  # the audit decides the label, not the kind


def test_newsmtsc_types_audit_of_an_unknown_sentence_fails(tmp_path):
    from training.prepare_newsmtsc_types import main

    news = tmp_path / "newsmtsc.jsonl"
    _write(news, [{"primary_gid": "g1", "sentence_normalized": "Rates rose."}])
    out = tmp_path / "overlay"
    (out / "passes").mkdir(parents=True)
    _write(out / "passes" / "first_0.jsonl", [{"gid": "g1", "label": "fact"}])
    _write(out / "adjudication.jsonl", [])
    _write(out / "audit.jsonl", [{"gid": "g9", "label": "opinion"}])
    with pytest.raises(DataError, match="g9"):
        main(["--texts", str(news), "--out", str(out)])


def test_newsmtsc_types_audit_of_a_sentence_no_pass_labelled_fails(tmp_path):
    from training.prepare_newsmtsc_types import main

    news = tmp_path / "newsmtsc.jsonl"
    _write(news, [{"primary_gid": "g1", "sentence_normalized": "Rates rose."},
                  {"primary_gid": "g2", "sentence_normalized": "Rates should fall."},
                  {"primary_gid": "g3", "sentence_normalized": "The rise was a reckless gamble."}])
    out = tmp_path / "overlay"
    (out / "passes").mkdir(parents=True)
    _write(out / "passes" / "first_0.jsonl", [{"gid": "g1", "label": "fact"}, {"gid": "g3", "label": "opinion"}])
    _write(out / "passes" / "second.jsonl", [{"gid": "g1", "label": "fact"}, {"gid": "g3", "label": "opinion"}])
    _write(out / "adjudication.jsonl", [])
    _write(out / "audit.jsonl", [{"gid": "g2", "label": "recommendation"}])
    with pytest.raises(DataError, match="'g2' has no first-pass label"):
        main(["--texts", str(news), "--out", str(out)])
