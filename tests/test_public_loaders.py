"""Loaders of public sentence-type datasets (stance.data.public).

Synthetic fixtures reproduce each format and its quirks (no data is copied from the real files); the
last tests read the real copies under shared/datasets, when present, and check DATASETS.md's counts.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from pathlib import Path

import pytest

from stance.data.errors import DataError
from stance.data.public import (
    PUBLIC_LOADERS,
    load_cdcp,
    load_checkthat,
    load_claimbuster,
    load_future_statements,
    load_public,
    load_suggestion_mining,
)
from stance.labels import SENTENCE_TYPES

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
ROW_KEYS = {"text", "label", "allowed", "source", "source_label", "origin"}


@pytest.fixture
def drops(caplog):
    """Sum of the counts the loaders logged as dropped, optionally only for reasons containing ``word``."""
    caplog.set_level(logging.INFO, logger="stance.data")

    def total(word: str = "") -> int:
        return sum(r.dropped for r in caplog.records if hasattr(r, "dropped") and word in r.drop_reason)

    return total


def check_rows(rows):
    for row in rows:
        assert set(row) == ROW_KEYS
        assert row["allowed"] and all(a in SENTENCE_TYPES for a in row["allowed"])
        assert row["allowed"] == [t for t in SENTENCE_TYPES if t in row["allowed"]]
        assert row["label"] == (row["allowed"][0] if len(row["allowed"]) == 1 else None)
        assert row["text"] and row["text"] == " ".join(row["text"].split())


def raises_at(path: Path, line: int | None, words: str):
    """DataError whose message names ``path:line`` (or the path alone) and contains ``words``."""
    where = f"{path}:{line}" if line is not None else str(path)
    return pytest.raises(DataError, match=f"{re.escape(where)}.*{re.escape(words)}")


# --------------------------------------------------------------------------- CDCP


def write_cdcp(folder: Path, name: str, text: str, labels: list[str], offsets: list[list[int]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    ann = {"evidences": [], "prop_labels": labels, "prop_offsets": offsets, "reasons": [], "url": {}}
    path = folder / f"{name}.ann.json"
    path.write_text(json.dumps(ann), encoding="utf-8")
    return path


def spans(*parts: str) -> tuple[str, list[list[int]]]:
    """The text and end-exclusive offsets that partition it, as CDCP stores them."""
    offsets, start = [], 0
    for part in parts:
        offsets.append([start, start + len(part)])
        start += len(part)
    return "".join(parts), offsets


def test_cdcp_splits_by_offsets_maps_and_drops_references(tmp_path, drops):
    text, offsets = spans("Lenders should cap fees.", " I was called at 3am\ntwice.", " It is unfair.", " __URL__")
    write_cdcp(tmp_path / "train", "00001", text, ["policy", "testimony", "value", "reference"], offsets)
    text, offsets = spans("Collectors called 40 times.", " It is unfair.")
    write_cdcp(tmp_path / "train", "00002", text, ["fact", "value"], offsets)

    rows = load_cdcp(tmp_path)
    check_rows(rows)
    assert [(r["text"], r["label"], r["source_label"]) for r in rows] == [
        ("Lenders should cap fees.", "recommendation", "policy"),
        ("I was called at 3am twice.", "fact", "testimony"),
        ("It is unfair.", "opinion", "value"),
        ("Collectors called 40 times.", "fact", "fact"),
    ]
    assert rows[0]["origin"] == "train/00001.ann.json#0" and rows[0]["source"] == "cdcp"
    assert drops("reference") == 1 and drops("duplicate") == 1
    assert len(load_cdcp(tmp_path, dedupe=False)) == 5


def test_cdcp_conflicting_duplicates_and_unannotated_text_are_dropped_and_counted(tmp_path, drops):
    write_cdcp(tmp_path, "00001", "Too bad. Fees rose.", ["value", "fact"], [[0, 8], [8, 19]])
    write_cdcp(tmp_path, "00002", "Too bad. Thanks.", ["fact"], [[0, 8]])
    rows = load_cdcp(tmp_path / "00001.ann.json") + load_cdcp(tmp_path / "00002.ann.json")
    assert len(rows) == 3
    assert [r["text"] for r in load_cdcp(tmp_path)] == ["Fees rose."]
    assert drops("conflicting") == 2 and drops("unannotated") == 2


def test_cdcp_bad_input(tmp_path):
    folder = tmp_path / "c"
    with raises_at(folder, None, "file not found"):
        load_cdcp(folder)
    folder.mkdir()
    with raises_at(folder, None, "no *.ann.json files"):
        load_cdcp(folder)
    ann = write_cdcp(folder, "00001", "Fees rose.", ["claim"], [[0, 10]])
    with raises_at(ann, 1, "unknown cdcp label 'claim'"):
        load_cdcp(folder)
    write_cdcp(folder, "00001", "Fees rose.", ["fact"], [[0, 11]])
    with raises_at(ann, 1, "bad offsets"):
        load_cdcp(folder)
    write_cdcp(folder, "00001", "Fees rose.  ", ["fact", "fact"], [[0, 10], [10, 12]])
    with raises_at(ann, 1, "empty text"):
        load_cdcp(folder)
    ann.write_text('{"prop_labels": ["fact"],\n "prop_offsets": [[0, 10]')
    with raises_at(ann, 2, "broken JSON"):
        load_cdcp(folder)
    write_cdcp(folder, "00001", "Fees rose.", ["fact"], [[0, 10]])
    (folder / "00001.txt").write_bytes(b"Fees\nrose \xff.")
    with raises_at(folder / "00001.txt", 2, "not valid UTF-8"):
        load_cdcp(folder)
    (folder / "00001.txt").unlink()
    with raises_at(folder / "00001.txt", None, "file not found"):
        load_cdcp(folder)


# --------------------------------------------------------------------------- CheckThat


CHECKTHAT = (
    "sentence_id\tsentence\tlabel\tsolved_conflict\n"
    "a1\tThe trend is expected to reverse next month.\tOBJ\tFalse\n"
    'a2\t"""I was just drowning."""\tSUBJ\tTrue\n'
    "a3\tWhat a  disgrace.\tSUBJ\n"  # the 3-column rows at the end of dev_en.tsv
    "a4\tThe trend is expected to reverse next month.\tOBJ\n"
)


def test_checkthat_maps_to_partial_labels(tmp_path, drops):
    path = tmp_path / "dev_en.tsv"
    path.write_text(CHECKTHAT, encoding="utf-8")
    rows = load_checkthat(path)
    check_rows(rows)
    assert [r["text"] for r in rows] == [
        "The trend is expected to reverse next month.", '"I was just drowning."', "What a disgrace."
    ]
    assert rows[0]["allowed"] == ["fact", "forecast", "recommendation"] and rows[0]["label"] is None
    assert rows[1]["allowed"] == ["forecast", "recommendation", "opinion"] and rows[1]["source_label"] == "SUBJ"
    assert rows[2]["origin"] == "dev_en.tsv:4" and rows[0]["source"] == "checkthat2025_subjectivity_en"
    assert drops("duplicate") == 1
    assert len(load_checkthat(tmp_path, dedupe=False)) == 4


@pytest.mark.parametrize(
    "line, words",
    [
        ("b1\tFees rose.\tNEUTRAL\tFalse", "unknown checkthat2025_subjectivity_en label 'NEUTRAL'"),
        ("b1\tFees rose.", "expected 3 or 4 tab-separated fields, got 2"),
        ("b1\t  \tOBJ\tFalse", "empty text"),
    ],
)
def test_checkthat_bad_rows(tmp_path, line, words):
    path = tmp_path / "train_en.tsv"
    path.write_text(CHECKTHAT + line + "\n", encoding="utf-8")
    with raises_at(path, 6, words):
        load_checkthat(path)


def test_checkthat_bad_header_and_encoding(tmp_path):
    path = tmp_path / "train_en.tsv"
    path.write_text("id\ttext\tlabel\n", encoding="utf-8")
    with raises_at(path, 1, "expected the header"):
        load_checkthat(path)
    path.write_bytes(CHECKTHAT.encode() + b"b1\tcaf\xe9\tOBJ\tFalse\n")
    with raises_at(path, 6, "not valid UTF-8"):
        load_checkthat(path)


# --------------------------------------------------------------------------- suggestion mining


TRAINING = (
    '1_1,"""Please add a dark mode.""",1\r\n'
    '1_2,"""The app crashes\r\nwhen I log in.""",0\r\n'
    "1_2,The app crashes when I log in.,0\r\n"  # the same id and sentence, without the extra quotes
    '2_1,"""Maybe add tabs.""",1\r\n'
    '2_1,"""Maybe add tabs.""",0\r\n'  # conflicting duplicate
    '3_1,"""Loading is slow\u00e2\u0080\u00a6 more""",0\r\n'  # UTF-8 that was decoded as Latin-1, saved again
)


def test_suggestion_mining_training_file(tmp_path, drops):
    path = tmp_path / "V1.4_Training.csv"
    path.write_text(TRAINING, encoding="utf-8", newline="")
    rows = load_suggestion_mining(path)
    check_rows(rows)
    assert [(r["text"], r["label"], r["source_label"], r["origin"]) for r in rows] == [
        ("Please add a dark mode.", "recommendation", "1", "V1.4_Training.csv:1"),
        ("The app crashes when I log in.", None, "0", "V1.4_Training.csv:2"),
        ("Loading is slow\u2026 more", None, "0", "V1.4_Training.csv:7"),
    ]
    assert rows[1]["allowed"] == ["fact", "forecast", "opinion"]
    assert drops("duplicate") == 1 and drops("conflicting") == 2
    assert len(load_suggestion_mining(path, dedupe=False)) == 6


def test_suggestion_mining_trial_file_with_stray_bytes(tmp_path, caplog):
    path = tmp_path / "SubtaskB_Trial_Test_Labeled.csv"
    path.write_bytes(b'id,sentence,label\r\n1,"Try the caf_\x8f_ nearby, it is great.",1\r\n2,Room _\x90\xa3_ fine.,0\r\n')
    caplog.set_level(logging.WARNING, logger="stance.data")
    rows = load_suggestion_mining(tmp_path)
    check_rows(rows)
    assert [(r["text"], r["label"], r["origin"]) for r in rows] == [
        ("Try the caf__ nearby, it is great.", "recommendation", "SubtaskB_Trial_Test_Labeled.csv:2"),
        ("Room __ fine.", None, "SubtaskB_Trial_Test_Labeled.csv:3"),
    ]
    assert "removed 3 undecodable bytes" in caplog.text


def test_suggestion_mining_bad_input(tmp_path):
    path = tmp_path / "V1.4_Training.csv"
    path.write_bytes(TRAINING.encode() + b'4_1,"caf\xe9",0\r\n')
    with raises_at(path, 8, "not valid UTF-8"):
        load_suggestion_mining(path)
    path.write_text(TRAINING + "4_1,Add tabs.,yes\r\n", encoding="utf-8", newline="")
    with raises_at(path, 8, "unknown suggestion_mining_semeval2019_t9 label 'yes'"):
        load_suggestion_mining(path)
    path.write_text(TRAINING + "4_1,Add tabs.\r\n", encoding="utf-8", newline="")
    with raises_at(path, 8, "expected 3 comma-separated fields"):
        load_suggestion_mining(path)
    path.write_text(TRAINING + '4_1,"""""",1\r\n', encoding="utf-8", newline="")
    with raises_at(path, 8, "empty text"):
        load_suggestion_mining(path)
    with raises_at(tmp_path / "missing.csv", None, "file not found"):
        load_suggestion_mining(tmp_path / "missing.csv")


# --------------------------------------------------------------------------- ClaimBuster


def write_json(path: Path, value) -> Path:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


# "\u2013" after UTF-8 -> cp1252 twice, as in ClaimBuster's two-class file.
MOJIBAKE_DASH = "\u2013".encode().decode("cp1252").encode().decode("cp1252")


def claimbuster_folder(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    write_json(folder / "classification_8000_3class.json", [
        {"sentence_id": "16", "screening": -3, "label": "-1", "text": "I think we should raise taxes."},
        {"sentence_id": "18", "screening": None, "label": "1", "text": "We lost 700,000 jobs last year."},
        {"sentence_id": "20", "screening": -3, "label": "0", "text": "I was born in Ohio."},
    ])
    write_json(folder / "disjoint_2000_3class.json", [
        {"sentence_id": 17, "screening": -3, "label": -1, "text": "Taxes will fall."},
        {"sentence_id": 19, "screening": -3, "label": 1, "text": "Unemployment is 9 percent."},
    ])
    write_json(folder / "kfold_25ncs_2class.json", [
        {"sentence_id": 16, "label": 0, "text": "I think we should raise taxes."},  # NFS merged into 0
        {"sentence_id": 19, "label": 0, "text": "Taxes will fall."},
        {"sentence_id": 30, "label": 1, "text": "Taxes will fall."},  # NFS in 3-class: conflict
        {"sentence_id": 31, "label": 0, "text": "Thank you."},
        {"sentence_id": 32, "label": 1, "text": f"Prices rose 5 percent {MOJIBAKE_DASH} a record."},
    ])
    return folder


def test_claimbuster_three_and_two_class_files(tmp_path, drops):
    folder = claimbuster_folder(tmp_path / "cb")
    rows = load_claimbuster(folder)
    check_rows(rows)
    by_text = {r["text"]: r for r in rows}
    assert sorted(by_text) == sorted([
        "I think we should raise taxes.", "We lost 700,000 jobs last year.", "I was born in Ohio.",
        "Unemployment is 9 percent.", "Thank you.", "Prices rose 5 percent \u2013 a record.",
    ])
    nfs = by_text["I think we should raise taxes."]
    assert (nfs["label"], nfs["allowed"], nfs["source_label"]) == (None, ["forecast", "recommendation", "opinion"], "-1")
    assert nfs["origin"] == "classification_8000_3class.json#16"  # the 3-class copy is the more specific one
    assert by_text["I was born in Ohio."]["label"] == "fact"
    assert by_text["Unemployment is 9 percent."]["origin"] == "disjoint_2000_3class.json#19"
    assert by_text["Thank you."]["allowed"] == list(SENTENCE_TYPES)
    assert by_text["Prices rose 5 percent \u2013 a record."]["label"] == "fact"
    assert drops("duplicate") == 1 and drops("conflicting") == 3  # all three copies of "Taxes will fall."
    assert len(load_claimbuster(folder, dedupe=False)) == 10


@pytest.mark.parametrize(
    "records, line, words",
    [
        ([{"sentence_id": 1, "label": 1, "text": "A."}, {"sentence_id": 2, "label": 1}], 7, "field 'text': missing field"),
        ([{"sentence_id": 1, "label": 1, "text": "A."}, {"sentence_id": 2, "label": 5, "text": "B."}], 7, "unknown claimbuster label '5'"),
        ([{"sentence_id": 1, "label": 1, "text": "A."}, {"sentence_id": 2, "label": "x", "text": "B."}], 7, "unknown claimbuster label"),
        ([{"sentence_id": "a", "label": 1, "text": "A."}], 2, "not an integer id"),
        ([{"sentence_id": 1, "label": 1, "text": "A."}, {"sentence_id": 1, "label": 1, "text": "B."}], 7, "id occurs twice"),
        ([{"sentence_id": 1, "label": 1, "text": "A."}, {"sentence_id": 2, "label": 1, "text": " "}], 7, "empty text"),
        ([{"sentence_id": 1, "label": 1, "text": 3}], 2, "not a string"),
        ([["not", "an", "object"]], 2, "expected a JSON object"),
    ],
)
def test_claimbuster_bad_records(tmp_path, records, line, words):
    path = write_json(tmp_path / "two.json", records)
    with raises_at(path, line, words):
        load_claimbuster(path)


def test_claimbuster_broken_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"sentence_id": 1, "label": 1, "text": "A."},\n  {"sentence_id": 2,\n]\n', encoding="utf-8")
    with raises_at(path, 4, "broken JSON"):
        load_claimbuster(path)
    path.write_text('{"sentence_id": 1}\n', encoding="utf-8")
    with raises_at(path, 1, "expected a JSON array"):
        load_claimbuster(path)
    path.write_text('[{"sentence_id": 1, "label": 1, "text": "A."}]\n[]', encoding="utf-8")
    with raises_at(path, 2, "extra data"):
        load_claimbuster(path)


# --------------------------------------------------------------------------- future statements


ARTICLE = (
    "Storm Blanca\n"
    "The U.S. National Hurricane Center upgraded the disturbance to Tropical Storm Blanca on Monday. "
    "Mr. Avila said the storm is expected to weaken over cooler waters by Friday.\r\n\r\n"
    "Blanca caused minor flooding in coastal villages last week. "
    "Officials praised the volunteers."
)
STATEMENT = {
    "Event Variable": "Tropical Storm Blanca intensity",
    "Event Category": "Environment",
    "Predicted Attribute": "Weakening over cooler waters",
    "Magnitude / Predicted Value": None,
    "Predictor": "National Hurricane Center",
    "Modality": "80%",
    "Modality Evidence": "The storm is expected to weaken.",
}


def test_future_statements_emits_only_aligned_forecast_sentences(tmp_path, drops):
    past = dict(STATEMENT, **{"Event Variable": "Flooding in coastal villages", "Predicted Attribute": "Minor flooding",
                              "Modality Evidence": "Reported as a past event."})
    nothing = dict(STATEMENT, **{"Event Variable": "Stock market", "Predicted Attribute": "Rally",
                                 "Modality Evidence": "Analysts say so."})
    path = write_json(tmp_path / "goldEN.json", [
        {"original_text": ARTICLE, "extracted": [STATEMENT, past, nothing, dict(STATEMENT)]},
    ])
    rows = load_future_statements(path)
    check_rows(rows)
    assert rows == [{
        "text": "Mr. Avila said the storm is expected to weaken over cooler waters by Friday.",
        "label": "forecast", "allowed": ["forecast"], "source": "future_statements_en",
        "source_label": "forecast", "origin": "goldEN.json#0.2",
    }]
    assert drops("future cue") == 1 and drops("strong token overlap") == 1 and drops() == 2


@pytest.mark.parametrize(
    "articles, line, words",
    [
        ([{"original_text": ARTICLE, "extracted": []}, {"extracted": []}], 6, "field 'original_text': article 1: missing field"),
        ([{"original_text": ARTICLE, "extracted": {}}], 2, "not a list"),
        ([{"original_text": 5, "extracted": []}], 2, "not a string"),
        ([{"original_text": ARTICLE, "extracted": ["text"]}], 2, "statement 0: expected a JSON object"),
        ([{"original_text": ARTICLE, "extracted": [dict(STATEMENT, **{"Event Variable": ["x"]})]}], 2, "not a string or number"),
    ],
)
def test_future_statements_bad_records(tmp_path, articles, line, words):
    path = write_json(tmp_path / "goldEN.json", articles)
    with raises_at(path, line, words):
        load_future_statements(path)


def test_future_statements_bad_files(tmp_path):
    path = tmp_path / "goldEN.json"
    path.write_bytes(b'[\r\n  {"original_text": "caf\xe9", "extracted": []}\r\n]')
    with raises_at(path, 2, "not valid UTF-8"):
        load_future_statements(path)
    path.write_text('[\n  {"original_text": "A", "extracted": [}\n]', encoding="utf-8")
    with raises_at(path, 2, "broken JSON"):
        load_future_statements(path)


# --------------------------------------------------------------------------- registry


def test_load_public_dispatches_and_rejects_unknown_names(tmp_path):
    path = tmp_path / "train_en.tsv"
    path.write_text(CHECKTHAT, encoding="utf-8")
    assert load_public("checkthat2025_subjectivity_en", path, dedupe=False) == load_checkthat(path, dedupe=False)
    assert set(PUBLIC_LOADERS) == {"cdcp", "checkthat2025_subjectivity_en", "suggestion_mining_semeval2019_t9",
                                   "claimbuster", "future_statements_en"}
    with pytest.raises(ValueError, match="unknown public dataset loader 'checkthat'.*claimbuster"):
        load_public("checkthat", path)


# --------------------------------------------------------------------------- real data (DATASETS.md counts)


def real(name: str) -> Path:
    folder = DATASETS / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is not present")
    return folder


def test_real_cdcp(drops, caplog):
    folder = real("cdcp")
    rows = load_cdcp(folder, dedupe=False)
    check_rows(rows)
    # DATASETS.md: 3,906 propositions, of which 31 references (no sentence type).
    assert Counter(r["source_label"] for r in rows) == {"value": 1686, "testimony": 873, "policy": 662, "fact": 654}
    assert drops("'reference'") == 31
    caplog.clear()
    assert len(load_cdcp(folder)) == len(rows) - drops("duplicate") - drops("conflicting")


def test_real_checkthat(drops):
    folder = real("checkthat2025_subjectivity_en")
    for file, counts in (("train_en.tsv", {"OBJ": 532, "SUBJ": 298}), ("dev_en.tsv", {"OBJ": 222, "SUBJ": 240})):
        rows = load_checkthat(folder / file, dedupe=False)
        check_rows(rows)
        assert Counter(r["source_label"] for r in rows) == counts
    assert drops() == 0
    assert len(load_checkthat(folder)) == 830 + 462 - drops()


def test_real_suggestion_mining(drops):
    folder = real("suggestion_mining_semeval2019_t9")
    for file, counts in (
        ("V1.4_Training.csv", {"0": 6415, "1": 2085}),
        ("SubtaskA_Trial_Test_Labeled.csv", {"0": 296, "1": 296}),
        ("SubtaskB_Trial_Test_Labeled.csv", {"0": 404, "1": 404}),
    ):
        rows = load_suggestion_mining(folder / file, dedupe=False)
        check_rows(rows)
        assert Counter(r["source_label"] for r in rows) == counts
    assert drops() == 0
    rows = load_suggestion_mining(folder)
    assert len(rows) == 8500 + 592 + 808 - drops()
    assert drops("conflicting") == 60  # DATASETS.md: 30 texts with conflicting labels
    assert not any("\u00e2\u0080" in r["text"] or r["text"].startswith('"') and r["text"].endswith('"') for r in rows)


def test_real_claimbuster(drops):
    folder = real("claimbuster")
    for file, counts in (
        ("classification_8000_3class.json", {"-1": 5896, "0": 486, "1": 1849}),
        ("disjoint_2000_3class.json", {"-1": 1228, "0": 278, "1": 494}),
        ("kfold_25ncs_2class.json", {"0": 6910, "1": 2764}),
    ):
        rows = load_claimbuster(folder / file, dedupe=False)
        check_rows(rows)
        assert Counter(r["source_label"] for r in rows) == counts
    assert drops() == 0
    rows = load_claimbuster(folder)
    assert len(rows) == 8231 + 2000 + 9674 - drops()
    assert len({r["text"] for r in rows}) == len(rows)


def test_real_future_statements(caplog):
    folder = real("future_statements_en")
    caplog.set_level(logging.INFO, logger="stance.data")
    rows = load_future_statements(folder)
    check_rows(rows)
    summary = [r for r in caplog.records if hasattr(r, "statements")]
    assert summary[0].statements == 2093  # DATASETS.md: 2,093 extracted statements in 978 articles
    dropped = sum(r.dropped for r in caplog.records if hasattr(r, "dropped") and "statements" in r.drop_reason)
    assert summary[0].aligned + dropped == 2093
    assert len(rows) > 300 and all(r["label"] == "forecast" for r in rows)
