"""Label overlays: the project's labels for public sentences, joined with the public file at load time."""

import json
import logging
from pathlib import Path

import pytest

from stance.data import DataError
from stance.data.overlay import load_label_overlay, text_fingerprint
from stance.labels import SENTENCE_TYPES
from stance.training import DataSource, TrainConfig, load_sources, prepare_rows, read_source

REPO = Path(__file__).resolve().parents[1]
OVERLAYS = REPO / "data" / "types" / "newsmtsc"
NEWSMTSC = REPO.parent / "shared" / "datasets" / "newsmtsc" / "train.jsonl"

SENTENCES = {
    "a_1": "The senator said the bill would be voted on next week.",
    "b_2": "Critics  called the plan a disgrace.",
}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def newsmtsc_file(folder: Path) -> Path:
    return write_jsonl(folder / "newsmtsc.jsonl", [
        {"primary_gid": gid, "sentence_normalized": text, "targets": []} for gid, text in SENTENCES.items()
    ])


def overlay_row(gid: str, label: str, **changes) -> dict:
    return {"id": gid, "sha1": text_fingerprint(SENTENCES[gid]), "label": label, "kind": "plain", **changes}


def test_fingerprint_ignores_whitespace_only():
    assert text_fingerprint("Critics called  the plan\na disgrace.") == text_fingerprint("Critics called the plan a disgrace.")
    assert text_fingerprint("Critics called the plan a disgrace") != text_fingerprint("Critics called the plan a disgrace.")
    assert len(text_fingerprint("x")) == 12


def test_overlay_joins_labels_with_the_public_texts(tmp_path):
    texts = newsmtsc_file(tmp_path)
    labels = write_jsonl(tmp_path / "labels.jsonl", [overlay_row("b_2", "fact"), overlay_row("a_1", "forecast")])
    rows = load_label_overlay(labels, texts)
    assert [(r["text"], r["label"], r["id"]) for r in rows] == [
        (SENTENCES["b_2"], "fact", "b_2"), (SENTENCES["a_1"], "forecast", "a_1")
    ]
    assert rows[1]["origin"] == "labels.jsonl:2"


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        (overlay_row("a_1", "fact", id="c_3"), "id", "'c_3' is not in"),
        (overlay_row("a_1", "fact", sha1="000000000000"), "sha1", "is not the one labelled"),
        (overlay_row("a_1", "claim"), "label", "'claim' is not one of"),
    ],
)
def test_a_bad_row_names_file_line_and_field(tmp_path, row, field, reason):
    texts = newsmtsc_file(tmp_path)
    labels = write_jsonl(tmp_path / "labels.jsonl", [overlay_row("b_2", "fact"), row])
    with pytest.raises(DataError) as error:
        load_label_overlay(labels, texts)
    message = str(error.value)
    assert "labels.jsonl:2" in message and f"field {field!r}" in message and reason in message


def test_missing_texts_file_is_a_clear_error_and_an_optional_source_is_skipped(tmp_path, caplog):
    labels = write_jsonl(tmp_path / "labels.jsonl", [overlay_row("a_1", "fact")])
    missing = tmp_path / "nowhere" / "train.jsonl"
    with pytest.raises(DataError, match="not there"):
        load_label_overlay(labels, missing)
    source = DataSource(str(labels), loader="newsmtsc_types", texts=str(missing), optional=True)
    with caplog.at_level(logging.WARNING, logger="stance.training"):
        assert load_sources([source]) == []
    assert "nowhere" in caplog.text


def test_training_reads_an_overlay_source_and_never_trains_on_evaluation_texts(tmp_path):
    texts = newsmtsc_file(tmp_path)
    write_jsonl(tmp_path / "train.jsonl", [overlay_row("a_1", "forecast"), overlay_row("b_2", "opinion")])
    write_jsonl(tmp_path / "test.jsonl", [overlay_row("b_2", "opinion")])
    write_jsonl(tmp_path / "dev.jsonl", [{"text": "Exports rose 4% in March.", "label": "fact"}])
    overlay = {"loader": "newsmtsc_types", "texts": str(texts)}
    config = TrainConfig.from_dict(
        {"output_dir": "out", "train": [{"path": "train.jsonl", **overlay}], "dev": [{"path": "dev.jsonl"}],
         "evaluate": [{"path": "test.jsonl", **overlay}]},
        base_dir=tmp_path,
    )
    assert [r["label"] for r in read_source(config.train[0])] == ["forecast", "opinion"]
    train_rows, dev_rows, removed = prepare_rows(config)
    assert [r["text"] for r in train_rows] == [SENTENCES["a_1"]] and removed == 1


@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_shipped_overlays_are_well_formed(split):
    seen = set()
    for line in (OVERLAYS / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        assert set(row) == {"id", "sha1", "label", "kind"} and "text" not in row  # no public text in the project
        assert row["label"] in SENTENCE_TYPES and len(row["sha1"]) == 12 and row["id"] not in seen
        seen.add(row["id"])
    assert seen


@pytest.mark.skipif(not NEWSMTSC.exists(), reason="needs shared/datasets/newsmtsc (not shipped with the project)")
def test_shipped_overlays_join_with_newsmtsc():
    rows = [r for split in ("train", "dev", "test") for r in load_label_overlay(OVERLAYS / f"{split}.jsonl", NEWSMTSC)]
    assert len(rows) >= 1500 and len({r["text"] for r in rows}) == len(rows)
