import json

import pytest

from stance.actors import ActorFinder, Gazetteer, Mention, default_gazetteer, read_actor_file
from stance.data import DataError

SMALL = {
    "version": "test",
    "actors": [
        {"name": "United States", "type": "country", "aliases": ["United States", "US", "U.S."], "metonyms": ["Washington", "White House"], "demonyms": ["American"]},
        {"name": "China", "type": "country", "aliases": ["China", "PRC"], "metonyms": ["Beijing"], "demonyms": ["Chinese"]},
        {"name": "Belt and Road Initiative", "type": "initiative", "aliases": ["Belt and Road Initiative", "BRI", "Belt and Road"]},
        {"name": "BRI member countries", "type": "collective", "aliases": ["BRI member countries", "BRI partner countries"]},
        {"name": "Xi Jinping", "type": "person", "aliases": ["Xi Jinping", "Xi"]},
    ],
}


@pytest.fixture()
def gazetteer(tmp_path):
    path = tmp_path / "gazetteer.json"
    path.write_text(json.dumps(SMALL), encoding="utf-8")
    return Gazetteer.from_file(path)


def found(finder, *sentences):
    return [[(m.mention, m.actor) for m in row] for row in finder.find(list(sentences))]


def test_metonyms_possessives_and_case(gazetteer):
    finder = ActorFinder(gazetteer)
    assert found(finder, "Washington’s tariffs hurt Beijing, but let us see what the US does.") == [
        [("Washington", "United States"), ("Beijing", "China"), ("US", "United States")]
    ]
    # "us" the pronoun is not the country; "U.S." keeps its final dot.
    assert found(finder, "Tell us why the U.S. left.") == [[("U.S.", "United States")]]


def test_longest_match_wins_and_mentions_never_overlap(gazetteer):
    finder = ActorFinder(gazetteer)
    result = finder.find(["The Belt and Road Initiative helps BRI partner countries."])[0]
    assert [(m.mention, m.actor) for m in result] == [
        ("Belt and Road Initiative", "Belt and Road Initiative"),
        ("BRI partner countries", "BRI member countries"),
    ]
    for a, b in zip(result, result[1:]):
        assert a.end <= b.start


def test_demonym_phrases_resolve_to_the_state_but_firms_stay_their_own_actor(gazetteer):
    finder = ActorFinder(gazetteer)
    assert found(finder, "Chinese policymakers met American officials; Chinese businesses stayed away.") == [
        [("Chinese policymakers", "China"), ("American officials", "United States"), ("Chinese businesses", "Chinese businesses")]
    ]
    # A demonym alone is an adjective, not an actor.
    assert found(finder, "Chinese investment rose.") == [[]]


def test_offsets_point_into_the_sentence(gazetteer):
    sentence = "Officials in Beijing said the PRC would respond."
    for mention in ActorFinder(gazetteer).find([sentence])[0]:
        assert sentence[mention.start : mention.end] == mention.mention


def test_user_actors_win_over_the_gazetteer(gazetteer):
    finder = ActorFinder(gazetteer, user_actors={"Beijing city council": ["Beijing"], "Acme": ["Acme Corp"]})
    assert found(finder, "Beijing fined Acme Corp.") == [[("Beijing", "Beijing city council"), ("Acme Corp", "Acme")]]


def test_person_surnames_resolve_across_the_document(gazetteer):
    def ner(sentences):
        out = []
        for s in sentences:
            out.append([Mention(w, s.index(w), s.index(w) + len(w), w, "person", "ner") for w in ("Ana Silva", "Silva") if w in s and not (w == "Silva" and "Ana Silva" in s)])
        return out

    finder = ActorFinder(gazetteer, ner=ner)
    assert found(finder, "Ana Silva won.", "Silva thanked Xi.") == [[("Ana Silva", "Ana Silva")], [("Silva", "Ana Silva"), ("Xi", "Xi Jinping")]]


@pytest.mark.parametrize(
    "actors, message",
    [({"China": []}, "empty alias list"), ({"China": "Beijing"}, "list of strings"), ({"": ["x"]}, "non-empty"), ({"China": ["", "PRC"]}, "non-empty strings")],
)
def test_bad_user_actors_fail_clearly(actors, message):
    with pytest.raises(ValueError, match=message):
        Gazetteer.from_actors(actors)


def test_actor_file_reads_and_reports_broken_lines(tmp_path):
    good = tmp_path / "actors.jsonl"
    good.write_text('{"actor": "China", "aliases": ["Beijing", "PRC"]}\n\n{"actor": "Acme", "aliases": ["Acme Corp"]}\n', encoding="utf-8")
    assert read_actor_file(good) == {"China": ["Beijing", "PRC"], "Acme": ["Acme Corp"]}
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"actor": "China", "aliases": ["Beijing"]}\n{"actor": "Acme", "aliases": [}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"broken\.jsonl:2"):
        read_actor_file(broken)
    empty = tmp_path / "empty.jsonl"
    empty.write_text('{"actor": "China", "aliases": []}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"empty\.jsonl:1: field 'aliases'"):
        read_actor_file(empty)


def test_shipped_gazetteer_covers_the_conventions():
    gazetteer = default_gazetteer()
    assert len(gazetteer) > 250
    finder = ActorFinder(gazetteer)
    cases = {
        "the White House": "United States",
        "the Kremlin": "Russia",
        "Brussels": "European Union",
        "the NPC": "National People's Congress",
        "the BRI": "Belt and Road Initiative",
        "the WTO": "World Trade Organization",
        "the Fed": "Federal Reserve",
        "Downing Street": "United Kingdom",
        "the Chinese leadership": "China",
    }
    for phrase, actor in cases.items():
        mentions = finder.find([f"Yesterday {phrase} replied."])[0]
        assert [m.actor for m in mentions] == [actor], phrase
    names = [e.name for e in gazetteer.entries]
    assert len(names) == len(set(names)), "canonical names must be unique"


def test_definite_descriptions_point_back_only_when_the_actor_is_not_named(gazetteer):
    finder = ActorFinder(gazetteer)
    result = found(
        finder,
        "The Belt and Road Initiative helps BRI member countries.",
        "Trade with these countries grew, and the initiative expanded.",
        "The initiative, the BRI, is popular.",
    )
    assert result[1] == [("these countries", "BRI member countries"), ("initiative", "Belt and Road Initiative")]
    # The third sentence names the BRI, so "the initiative" there is not a second mention.
    assert result[2] == [("BRI", "Belt and Road Initiative")]
    # Nothing to point back to in a fresh document.
    assert found(ActorFinder(gazetteer), "The initiative expanded.") == [[]]
