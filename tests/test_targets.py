import json

import pytest

from stance.data import DataError
from stance.data.targets import load_newsmtsc, read_stance_rows, split_by_text


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_stance_rows_are_validated_with_file_line_and_field(tmp_path):
    good = {"text": "Beijing praised Washington.", "targets": [{"mention": "Beijing", "start": 0, "end": 7, "actor": "China", "stance": "neutral"}]}
    assert read_stance_rows(write(tmp_path / "ok.jsonl", [good]))[0]["targets"][0]["actor"] == "China"
    outside = {**good, "targets": [{**good["targets"][0], "start": 20, "end": 40}]}
    with pytest.raises(DataError, match=r"bad\.jsonl:2: field 'targets\[0\]\.start'.*not inside the text"):
        read_stance_rows(write(tmp_path / "bad.jsonl", [good, outside]))
    wrong = {**good, "targets": [{**good["targets"][0], "stance": "positive"}]}
    with pytest.raises(DataError, match="unknown stance 'positive'"):
        read_stance_rows(write(tmp_path / "wrong.jsonl", [wrong]))
    shifted = {**good, "targets": [{**good["targets"][0], "start": 1, "end": 8}]}
    with pytest.raises(DataError, match="not the mention"):
        read_stance_rows(write(tmp_path / "shifted.jsonl", [shifted]))


def newsmtsc_row(gid, text, mention, polarity):
    start = text.index(mention)
    return {"primary_gid": gid, "sentence_normalized": text, "targets": [
        {"Input.gid": f"src_1_2_3_{mention}_{start}_{start + len(mention)}", "from": start, "to": start + len(mention), "mention": mention, "polarity": polarity}
    ]}


def test_newsmtsc_maps_polarity_and_reports_bad_rows(tmp_path):
    rows = [newsmtsc_row("a", "Obama praised the plan.", "Obama", 6.0), newsmtsc_row("b", "Critics attacked Trump.", "Trump", 2.0)]
    loaded = load_newsmtsc(write(tmp_path / "train.jsonl", rows))
    assert [t["stance"] for r in loaded for t in r["targets"]] == ["favor", "against"]
    assert loaded[0]["targets"][0]["actor"] == "Obama"
    bad = newsmtsc_row("c", "Nobody cared about Smith.", "Smith", 5.0)
    with pytest.raises(DataError, match=r"train2\.jsonl:1: field 'targets\[0\]\.polarity'"):
        load_newsmtsc(write(tmp_path / "train2.jsonl", [bad]))


def test_split_by_text_is_fixed_and_keeps_copies_together():
    rows = [{"text": f"Sentence number {i} about X.", "targets": [{"stance": ["favor", "against", "neutral"][i % 3]}]} for i in range(60)]
    rows.append(dict(rows[0]))  # a duplicate sentence
    train, held = split_by_text(rows, 0.2, 13)
    again_train, again_held = split_by_text(rows, 0.2, 13)
    assert held == again_held and train == again_train
    assert len(train) + len(held) == len(rows)
    assert not {r["text"] for r in train} & {r["text"] for r in held}
    assert 10 <= len({r["text"] for r in held}) <= 14
