import pytest

from stance.segment import segment


def roundtrip(text):
    spans = segment(text)
    for span in spans:
        assert text[span.start : span.end] == span.text
    # Nothing but whitespace is left out.
    covered = set()
    for span in spans:
        covered.update(range(span.start, span.end))
    assert all(text[i].isspace() for i in range(len(text)) if i not in covered)
    return spans


def texts(text):
    return [s.text for s in roundtrip(text)]


def test_abbreviations_do_not_end_sentences():
    text = "The U.S. envoy met Dr. Amina Said at No. 5 Downing St. on Monday, e.g. to talk trade. Talks ended late."
    assert texts(text) == [
        "The U.S. envoy met Dr. Amina Said at No. 5 Downing St. on Monday, e.g. to talk trade.",
        "Talks ended late.",
    ]


def test_quotes_and_questions():
    text = '"We will not back down," the minister said. Who pays? The taxpayer does!'
    assert texts(text) == ['"We will not back down," the minister said.', "Who pays?", "The taxpayer does!"]


def test_paragraphs_headings_and_lists():
    text = "Trade Tensions Rise\nBy Jane Doe\n\nKey points:\n- Tariffs rise to 25% on steel.\n- Talks resume in May\n\nPrices rose. Wages fell."
    spans = roundtrip(text)
    assert [(s.kind, s.text) for s in spans] == [
        ("heading", "Trade Tensions Rise"),
        ("heading", "By Jane Doe"),
        ("sentence", "Key points:"),
        ("list_item", "- Tariffs rise to 25% on steel."),
        ("list_item", "- Talks resume in May"),
        ("sentence", "Prices rose."),
        ("sentence", "Wages fell."),
    ]


def test_hard_wrapped_prose_is_joined():
    text = "This paragraph was wrapped at a narrow width by\nan email client and continues here. It ends\nhere."
    assert texts(text) == [
        "This paragraph was wrapped at a narrow width by\nan email client and continues here.",
        "It ends\nhere.",
    ]


@pytest.mark.parametrize(
    "prefix",
    ["date 2025-03-04", "2025-03-04", "BEIJING, March 4 (Reuters) -", "Posted: 4 March 2025"],
)
def test_dated_prefix_is_its_own_segment(prefix):
    text = f" {prefix} The Two Sessions have commenced in Beijing."
    spans = roundtrip(text)
    assert [(s.kind, s.text) for s in spans] == [("dateline", prefix), ("sentence", "The Two Sessions have commenced in Beijing.")]


def test_very_long_sentence_is_kept_whole():
    text = "word " * 20000 + "end."
    spans = roundtrip(text)
    assert len(spans) == 1 and spans[0].end == len(text)


@pytest.mark.parametrize("text", ["", "   \n\n\t  "])
def test_empty_and_blank_text(text):
    assert segment(text) == []


def test_non_english_and_control_characters_round_trip():
    roundtrip("北京宣布新的关税。 Die Regierung hat gestern entschieden. \x00\x07 Bell\x1b[0m text.\r\nNext line.")


def test_not_a_string():
    with pytest.raises(TypeError):
        segment(b"bytes")


def test_seed_document_segments():
    from conftest import SEED_TEXT

    text = SEED_TEXT.read_text(encoding="utf-8")
    spans = roundtrip(text)
    assert spans[0].kind == "dateline" and spans[0].text == "date 2025-03-04"
    assert len(spans) == 38


TRICKY_PROSE = (
    "Prices rose 3 pct. Analysts were surprised. The talks ended etc. Then came the vote. "
    "He met Dr. Chen in the U.S. capital at 9 a.m. Monday. Exports fell sharply. \"Why now?\" she asked. "
    "The plan failed... Officials blamed the weather. It cost $4.5 million, i.e. twice the budget. "
    "Troops withdrew. (Talks resume next week.) The firm, Acme Corp. Inc., denied it. It was over."
)


def test_fast_cut_gives_pysbd_sentences():
    """Cutting at certain full stops before pysbd must not change where sentences end."""
    from stance.segment import _segmenter, _sentences

    expected = [s.strip() for s in _segmenter().segment(TRICKY_PROSE) if s.strip()]
    assert [s.strip() for s in _sentences(TRICKY_PROSE)] == expected
    assert "Exports fell sharply." in expected and "Analysts were surprised." in expected


def test_pysbd_regex_cache_matches_re_and_is_what_pysbd_uses():
    import re

    import pysbd.abbreviation_replacer

    from stance.segment import _CachingRe, _segmenter

    cached = _CachingRe(size=4)
    text = "Gen. Li met the U.S. envoy. He left at 5 p.m. Talks ended."
    # More distinct patterns than the cache holds, each used twice: evicted patterns compile again.
    for abbr in ["gen", "u.s", "p.m", "he", "talks", "gen"] * 2:
        pattern = r"(?:^|\s){}".format(re.escape(abbr))
        assert cached.findall(pattern, text, flags=re.IGNORECASE) == re.findall(pattern, text, flags=re.IGNORECASE)
        assert cached.sub(pattern, "#", text) == re.sub(pattern, "#", text)
        found, expected = cached.search(pattern, text), re.search(pattern, text)
        assert (found and found.span()) == (expected and expected.span())
        assert [m.span() for m in cached.finditer(pattern, text)] == [m.span() for m in re.finditer(pattern, text)]
        assert cached.split(pattern, text) == re.split(pattern, text)
    assert cached.escape("a.b") == re.escape("a.b") and cached.IGNORECASE is re.IGNORECASE
    _segmenter()
    assert isinstance(pysbd.abbreviation_replacer.re, _CachingRe)
    assert texts(text) == ["Gen. Li met the U.S. envoy.", "He left at 5 p.m.", "Talks ended."]
