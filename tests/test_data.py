import json

import pytest

from stance.data import DataError, read_typed_sentences, read_unlabelled_sentences, to_dataset, write_jsonl


def write(tmp_path, content: bytes | str, name="rows.jsonl"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_reads_rows_and_keeps_extra_fields(tmp_path):
    path = write(tmp_path, '{"text": "Prices rose.", "label": "fact", "domain": "economy", "kind": "plain"}\n\n{"text": "Act now.", "label": "recommendation", "domain": "economy"}\n')
    rows = read_typed_sentences(path)
    assert rows[0]["domain"] == "economy" and rows[0]["kind"] == "plain" and "kind" not in rows[1]
    dataset = to_dataset(rows)
    assert dataset.column_names == ["text", "label", "domain", "kind"]
    assert dataset.features["label"].names == ["fact", "forecast", "recommendation", "opinion"]
    assert dataset[1]["label"] == 2 and dataset[1]["kind"] is None


def test_mixed_type_extra_field_is_kept_as_json(tmp_path):
    rows = [{"text": "a", "label": "fact", "meta": 1}, {"text": "b", "label": "fact", "meta": {"x": [1]}}]
    dataset = to_dataset(rows)
    assert [json.loads(v) for v in dataset["meta"]] == [1, {"x": [1]}]


@pytest.mark.parametrize(
    "reader, content, where, reason",
    [
        (read_typed_sentences, '{"text": "ok", "label": "fact"}\n{"text": "x", "label": "rumour"}\n', ":2: field 'label'", "unknown label 'rumour'"),
        (read_typed_sentences, '{"text": "   ", "label": "fact"}\n', ":1: field 'text'", "empty text"),
        (read_typed_sentences, '{"label": "fact"}\n', ":1: field 'text'", "missing"),
        (read_typed_sentences, '{"text": 5, "label": "fact"}\n', ":1: field 'text'", "not a string"),
        (read_typed_sentences, '{"text": "ok", "label": "fact"}\n{"text": "broken",\n', ":2", "broken JSON"),
        (read_typed_sentences, '["text", "fact"]\n', ":1", "expected a JSON object"),
        (read_typed_sentences, b'{"text": "ok", "label": "fact"}\n{"text": "caf\xe9", "label": "fact"}\n', ":2", "not valid UTF-8"),
        (read_typed_sentences, "\n\n", "rows.jsonl", "no rows"),
        (read_unlabelled_sentences, '{"text": "Fine."}\n{"title": "no text"}\n', ":2: field 'text'", "missing"),
        (read_unlabelled_sentences, '{"text": " \\n "}\n', ":1: field 'text'", "empty text"),
        (read_unlabelled_sentences, "\n", "rows.jsonl", "no rows"),
    ],
)
def test_bad_rows_name_file_line_and_reason(tmp_path, reader, content, where, reason):
    path = write(tmp_path, content)
    with pytest.raises(DataError) as err:
        reader(path)
    assert str(path) in str(err.value) and where in str(err.value) and reason in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_typed_sentences(tmp_path / "nope.jsonl")


def test_utf8_bom_is_accepted(tmp_path):
    path = write(tmp_path, '\ufeff{"text": "ok", "label": "opinion"}\n')
    assert read_typed_sentences(path)[0]["label"] == "opinion"


def test_write_then_read(tmp_path):
    rows = [{"text": "Beijing said “no”.", "label": "fact", "source": "x"}]
    assert write_jsonl(rows, tmp_path / "out" / "rows.jsonl") == 1
    assert read_typed_sentences(tmp_path / "out" / "rows.jsonl") == rows


def test_unlabelled_texts_are_split_into_sentences_that_keep_their_row(tmp_path):
    article = "Beijing widened the scheme on Monday.\n\nAnalysts expect more ports to join. Washington should respond."
    path = write(tmp_path, json.dumps({"text": article, "doc": "a1"}) + "\n\n" + json.dumps({"text": "One line."}) + "\n")
    rows = read_unlabelled_sentences(path)
    assert [r["text"] for r in rows] == [
        "Beijing widened the scheme on Monday.", "Analysts expect more ports to join.", "Washington should respond.", "One line."
    ]
    assert [r.get("doc") for r in rows] == ["a1", "a1", "a1", None] and [r["line"] for r in rows] == [1, 1, 1, 3]
    assert all("label" not in r for r in rows)
