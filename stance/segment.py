"""Text -> sentence spans with character offsets that round-trip (``text[s.start:s.end] == s.text``).

Layout is decided before punctuation: blank lines end paragraphs, and inside a paragraph every line
that looks like a heading or a list item is a segment of its own. What remains is prose, split into
sentences by pysbd (rule based, no download, knows "U.S.", "Dr.", "e.g.", "No. 5" and quotes). pysbd
costs about half a millisecond a sentence, as much as the model's share, so a block is first cut at
full stops that cannot be anything else (a lowercase word, ". ", a capital) and pysbd only sees the
pieces that still hold a possible boundary.
A dated prefix such as "date 2025-03-04" or "BEIJING, March 4 (Reuters) -" at the start of a
paragraph becomes its own ``dateline`` segment, so it does not colour the sentence it precedes.

Segments are never dropped or shortened: a 100k-character sentence stays one segment; the model
truncates what it reads (see ``modeling``), not what is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

__all__ = ["Span", "segment"]

SegmentKind = Literal["sentence", "heading", "list_item", "dateline"]


@dataclass(frozen=True)
class Span:
    """A segment of the input: ``text == source[start:end]``, stripped of surrounding whitespace."""

    text: str
    start: int
    end: int
    kind: SegmentKind = "sentence"


_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_LIST_MARKER = re.compile(r"^\s*(?:[-*\u2022\u2013\u2014\u25aa\u25cf]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)])\s+\S")
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
# "date 2025-03-04", "2025-03-04", "March 4, 2025 -", "BEIJING, March 4 (Reuters) -", "Posted: 4 March 2025"
_DATELINE = re.compile(
    r"\s*(?:"
    r"(?i:date|dated|posted|published|updated)?\s*:?\s*\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?Z?)?"
    r"|(?i:date|dated|posted|published|updated)\s*:?\s*(?:\d{1,2}\s+" + _MONTH + r"|" + _MONTH + r"\s+\d{1,2}),?\s+\d{4}"
    r"|(?:[A-Z][A-Z.'\-]+(?:\s+[A-Z][A-Z.'\-]+)*,\s+)?" + _MONTH + r"\s+\d{1,2}(?:,\s+\d{4})?"
    r"(?:\s+\((?:[A-Z][\w ]+)\))?\s+[-\u2013\u2014]"
    r")",
)
_HEADING_MAX_WORDS = 14
_CONTINUATION_WORDS = frozenset(
    "a an the of to in on at by for from with and or but that which who as than its their his her".split()
)
_TERMINAL = ".!?:;\"'\u201d\u2019)\u2026"
# A full stop after a plain lowercase word of three or more letters, then a space and a capital (or an
# opening quote and a capital), ends a sentence; lowercase abbreviations of that shape are excluded.
_CERTAIN_STOP = re.compile(r"(?<![\w.'\u2019-])([a-z]{3,})\.(?=[ \t]+[\"'\u201c\u2018(]?[A-Z])")
_LOWERCASE_ABBREVIATIONS = frozenset(
    "etc approx incl excl est dept govt fig figs vol vols ibid viz eds pct misc esp nos resp corp assn "
    "bros mgr mfg natl intl univ jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu "
    "thur thurs fri sat sun min max ref nat seq".split()
)
_POSSIBLE_BOUNDARY = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s")


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd  # imported lazily: it compiles many regexes

    _give_pysbd_a_larger_regex_cache()
    return pysbd.Segmenter(language="en", clean=False)


class _CachingRe:
    """The ``re`` module as pysbd calls it, with a larger cache of compiled patterns.

    pysbd builds a pattern per abbreviation it meets (hundreds) and passes pattern strings to ``re.sub``
    and friends; they overflow ``re``'s own cache of 512, so the same patterns are compiled again and
    again, about 40% of segmentation time on news text. Same patterns, same flags, same results.
    """

    def __init__(self, size: int = 8192):
        self._compile = lru_cache(maxsize=size)(re.compile)

    def __getattr__(self, name: str):
        return getattr(re, name)

    def compile(self, pattern, flags=0):
        return self._compile(pattern, flags)

    def search(self, pattern, string, flags=0):
        return self._compile(pattern, flags).search(string)

    def match(self, pattern, string, flags=0):
        return self._compile(pattern, flags).match(string)

    def findall(self, pattern, string, flags=0):
        return self._compile(pattern, flags).findall(string)

    def finditer(self, pattern, string, flags=0):
        return self._compile(pattern, flags).finditer(string)

    def split(self, pattern, string, maxsplit=0, flags=0):
        return self._compile(pattern, flags).split(string, maxsplit)

    def sub(self, pattern, repl, string, count=0, flags=0):
        return self._compile(pattern, flags).sub(repl, string, count)


def _give_pysbd_a_larger_regex_cache() -> None:
    """Point the pysbd modules that match at run time to :class:`_CachingRe` (only pysbd sees it)."""
    import importlib

    caching = _CachingRe()
    for name in ("abbreviation_replacer", "between_punctuation", "cleaner", "exclamation_words", "lists_item_replacer",
                 "processor", "punctuation_replacer", "segmenter", "utils", "lang.common.common"):
        module = importlib.import_module(f"pysbd.{name}")
        if getattr(module, "re", None) is re:
            module.re = caching


def segment(text: str) -> list[Span]:
    """Split ``text`` into sentence-like spans, in order, covering every non-blank character."""
    if not isinstance(text, str):
        raise TypeError(f"segment() needs str, got {type(text).__name__}")
    spans: list[Span] = []
    for para_start, para_end in _paragraphs(text):
        spans.extend(_segment_paragraph(text, para_start, para_end))
    return spans


def _paragraphs(text: str):
    start = 0
    for brk in _PARAGRAPH_BREAK.finditer(text):
        yield start, brk.start()
        start = brk.end()
    yield start, len(text)


def _segment_paragraph(text: str, start: int, end: int) -> list[Span]:
    """Lines that are headings or list items stand alone; consecutive prose lines are joined."""
    spans: list[Span] = []
    prose_start: int | None = None
    prose_end = start
    lines = _lines(text, start, end)
    for i, (line_start, line_end) in enumerate(lines):
        line = text[line_start:line_end]
        if not line.strip():
            continue
        following = next((text[a:b] for a, b in lines[i + 1 :] if text[a:b].strip()), None)
        kind = _line_kind(line, following, own_line=len(lines) > 1)
        if kind == "sentence":
            if prose_start is None:
                prose_start = line_start
            prose_end = line_end
            continue
        if prose_start is not None:
            spans.extend(_split_prose(text, prose_start, prose_end))
            prose_start = None
        if kind == "list_item":
            spans.extend(_split_prose(text, line_start, line_end, first_kind="list_item"))
        else:
            spans.append(_strip(text, line_start, line_end, kind))
    if prose_start is not None:
        spans.extend(_split_prose(text, prose_start, prose_end))
    return [s for s in spans if s is not None]


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl == -1 else nl
        out.append((pos, stop))
        pos = stop + 1
    return out


def _line_kind(line: str, following: str | None, own_line: bool) -> SegmentKind:
    if _LIST_MARKER.match(line):
        return "list_item"
    stripped = line.strip()
    words = stripped.split()
    # A short unpunctuated line is a heading only when it shares its paragraph with other lines (a lone
    # line without a full stop is more likely a sentence missing its period) and it does not look like
    # hard-wrapped prose: a wrapped line tends to end on a function word or lead into a lowercase line.
    if (
        own_line
        and stripped[-1] not in _TERMINAL + ",-\u2013"
        and len(words) <= _HEADING_MAX_WORDS
        and (stripped[0].isupper() or stripped[0].isdigit())
        and words[-1].lower() not in _CONTINUATION_WORDS
        and (following is None or not following.lstrip()[:1].islower())
    ):
        return "heading"
    return "sentence"


def _split_prose(text: str, start: int, end: int, first_kind: SegmentKind = "sentence") -> list[Span]:
    spans: list[Span] = []
    dateline = _DATELINE.match(text, start, end)
    if dateline and dateline.end() < end and text[start:dateline.end()].strip():
        spans.append(_strip(text, start, dateline.end(), "dateline"))
        start = dateline.end()
    # Line breaks inside prose are wrapping, not sentence ends; a same-length substitution keeps offsets.
    block = text[start:end].replace("\r", " ").replace("\n", " ")
    cursor = 0
    for piece in _sentences(block):
        piece = piece.strip()
        if not piece:
            continue
        found = block.find(piece, cursor)
        if found == -1:
            # pysbd changed the text (it should not with clean=False): keep the rest as one span
            # rather than lose or misplace characters.
            break
        span = _strip(text, start + cursor, start + found + len(piece), first_kind if not spans else "sentence")
        if span is not None:
            spans.append(span)
        cursor = found + len(piece)
    tail = _strip(text, start + cursor, end, first_kind if not spans else "sentence")
    if tail is not None:
        spans.append(tail)
    return spans


def _sentences(block: str) -> list[str]:
    """pysbd's sentences of ``block``, calling pysbd only on pieces between certain full stops that
    still contain a possible sentence end."""
    pieces, begin = [], 0
    for stop in _CERTAIN_STOP.finditer(block):
        if stop.group(1) in _LOWERCASE_ABBREVIATIONS:
            continue
        pieces.append(block[begin : stop.end()])
        begin = stop.end()
    pieces.append(block[begin:])
    sentences = []
    for piece in pieces:
        body = piece.rstrip()
        # A boundary needs whitespace after it; the piece's own final stop has none inside ``body``.
        if _POSSIBLE_BOUNDARY.search(body + " ", 0, len(body)):
            sentences.extend(_segmenter().segment(piece))
        elif piece.strip():
            sentences.append(piece)
    return sentences


def _strip(text: str, start: int, end: int, kind: SegmentKind) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        return None
    return Span(text[start:end], start, end, kind)
