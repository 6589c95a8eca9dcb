import math

import pytest

from stance.document import Document, render_table
from stance.pipeline import StanceModel, default_model_path, load


def test_classify_returns_full_distributions_in_input_order(tiny_model):
    sentences = ["Short.", "A much longer sentence about tariffs, trade and the future of the world economy.", "Mid length one here."]
    predictions = tiny_model.classify(sentences, batch_size=2)
    one_by_one = [tiny_model.classify([s], batch_size=1)[0] for s in sentences]
    for p, q in zip(predictions, one_by_one):
        assert set(p.scores) == {"fact", "forecast", "recommendation", "opinion"}
        assert math.isclose(sum(p.scores.values()), 1.0, rel_tol=1e-5)
        assert p.label == max(p.scores, key=p.scores.get)
        assert p.label == q.label
        for label in p.scores:
            assert p.scores[label] == pytest.approx(q.scores[label], abs=1e-5)


@pytest.mark.parametrize(
    "bad, error",
    [("just one string", TypeError), ([""], ValueError), (["ok", "   "], ValueError), ([None], TypeError)],
)
def test_classify_rejects_bad_input(tiny_model, bad, error):
    with pytest.raises(error):
        tiny_model.classify(bad)


def test_classify_rejects_bad_batch_size(tiny_model):
    with pytest.raises(ValueError, match="batch_size"):
        tiny_model.classify(["x"], batch_size=0)


def test_analyze_offsets_and_serialisation(tiny_model):
    text = "Headline Here\nSubtitle line\n\nThe U.S. said on Monday it will act. Critics disagreed!"
    document = tiny_model.analyze(text)
    assert isinstance(document, Document)
    assert [s.text for s in document.sentences][-2:] == ["The U.S. said on Monday it will act.", "Critics disagreed!"]
    for sentence in document.sentences:
        assert text[sentence.start : sentence.end] == sentence.text
        assert set(sentence.scores) == set(tiny_model.type_labels)
    data = document.to_dict()
    assert len(data["sentences"]) == len(document.sentences)
    assert sum(data["label_counts"].values()) == len(document.sentences)
    assert document.to_json()
    assert "sentences:" in render_table(document, tiny_model.type_labels)


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t"])
def test_analyze_empty_or_whitespace_gives_empty_document(tiny_model, text):
    assert tiny_model.analyze(text).sentences == []


def test_analyze_very_long_sentence_is_truncated_for_the_model_not_dropped(tiny_model):
    text = "tariff " * 15000 + "end."
    assert len(text) > 100_000
    document = tiny_model.analyze(text)
    assert len(document.sentences) == 1
    sentence = document.sentences[0]
    assert sentence.truncated and sentence.start == 0 and sentence.end == len(text)


def test_analyze_non_english_and_control_characters(tiny_model):
    text = "Le gouvernement a annoncé une hausse. 北京今天宣布了新的政策。 Ctrl\x00\x07chars\x1b here."
    document = tiny_model.analyze(text)
    assert document.sentences
    assert all(text[s.start : s.end] == s.text for s in document.sentences)
    only_controls = tiny_model.analyze("\x00\x01\x02")
    assert len(only_controls.sentences) == 1


def test_analyze_rejects_non_text(tiny_model):
    with pytest.raises(TypeError, match="str"):
        tiny_model.analyze(b"bytes")


def test_analyze_many_is_lazy(tiny_model):
    documents = tiny_model.analyze_many(iter(["One. Two.", "Three."]))
    assert [len(d.sentences) for d in documents] == [2, 1]


def test_load_by_path_and_errors(tiny_model_dir, tmp_path):
    assert isinstance(load(tiny_model_dir), StanceModel)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing")


def test_bundled_model_is_found_from_package_or_checkout(tmp_path, monkeypatch):
    import stance.pipeline as pipeline

    package = tmp_path / "site" / "stance"
    (package / "_models" / "default").mkdir(parents=True)
    (package / "_models" / "default" / "config.json").write_text("{}")
    monkeypatch.setattr(pipeline, "__file__", str(package / "pipeline.py"))
    assert pipeline.default_model_path() == package / "_models" / "default"
    with pytest.raises(FileNotFoundError, match="bundled model 'other' not found"):
        pipeline.default_model_path("other")


def test_predict_stance_scores_every_span_in_one_pass(tiny_model):
    text = "Beijing praised the BRI while Washington's tariffs hurt farmers."
    spans = [(0, 7), (20, 23), (30, 40)]
    scored = tiny_model.predict_stance(text, spans)
    assert len(scored) == 3
    for prediction in scored:
        assert set(prediction.scores) == {"favor", "against", "neutral"}
        assert math.isclose(sum(prediction.scores.values()), 1.0, rel_tol=1e-5)
        assert prediction.label == max(prediction.scores, key=prediction.scores.get)
    # Scoring one span alone gives the same answer: mentions do not leak into each other's scores.
    alone = tiny_model.predict_stance(text, [spans[1]])[0]
    assert alone.scores == pytest.approx(scored[1].scores, abs=1e-5)
    assert tiny_model.predict_stance(text, []) == []


@pytest.mark.parametrize(
    "spans, error, message",
    [([(5, 3)], ValueError, "not a non-empty span"), ([(0, 999)], ValueError, "inside the text"), ([(0,)], ValueError, "pair"), ([(0.0, 3)], TypeError, "int")],
)
def test_predict_stance_rejects_bad_spans(tiny_model, spans, error, message):
    with pytest.raises(error, match=message):
        tiny_model.predict_stance("Beijing praised the BRI.", spans)


def test_analyze_scores_actors_and_summarises_them(tiny_model):
    text = "Beijing praised the BRI. Washington's tariffs hurt the Belt and Road Initiative.\n\nAcme Corp was silent."
    document = tiny_model.analyze(text, actors={"Acme": ["Acme Corp"]})
    mentions = [(a.actor, a.mention) for s in document.sentences for a in s.actors]
    assert mentions == [
        ("China", "Beijing"),
        ("Belt and Road Initiative", "BRI"),
        ("United States", "Washington"),
        ("Belt and Road Initiative", "Belt and Road Initiative"),
        ("Acme", "Acme Corp"),
    ]
    for sentence in document.sentences:
        for actor in sentence.actors:
            assert text[actor.start : actor.end] == actor.mention
            assert actor.label == max(actor.scores, key=actor.scores.get)
    summary = document.actors["Belt and Road Initiative"]
    assert summary.mentions == 2 and sum(summary.counts.values()) == 2
    mentions_bri = [a for s in document.sentences for a in s.actors if a.actor == "Belt and Road Initiative"]
    for label in ("favor", "against", "neutral"):
        assert summary.evidence[label] == pytest.approx(sum(a.scores[label] for a in mentions_bri))
    assert summary.label == max(summary.evidence, key=summary.evidence.get)
    data = document.to_dict()
    assert [a["actor"] for a in data["actors"]] == ["China", "Belt and Road Initiative", "United States", "Acme"]
    assert data["sentences"][0]["actors"][0]["mention"] == "Beijing"
    table = render_table(document, tiny_model.type_labels)
    assert "4 actors:" in table and "-> United States ('Washington'" in table
