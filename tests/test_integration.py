"""The shipped default model: the README's promises, checked on the seed document."""

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, SEED_GOLD, SEED_STANCE_GOLD, SEED_TEXT

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def default_model():
    import stance

    return stance.load()


def test_shipped_model_is_small_and_pickle_free():
    folder = REPO / "models" / "default"
    files = {p.name: p.stat().st_size for p in folder.iterdir()}
    assert {"config.json", "model.safetensors", "README.md"} <= set(files)
    assert sum(files.values()) < 25 * 1024 * 1024
    assert not [n for n in files if n.endswith((".bin", ".pt", ".pkl", ".pickle"))]


def test_seed_is_typed_with_round_tripping_offsets(default_model):
    text = SEED_TEXT.read_text(encoding="utf-8")
    document = default_model.analyze(text)
    gold = [json.loads(line) for line in SEED_GOLD.read_text(encoding="utf-8").splitlines()]
    assert [(s.start, s.end) for s in document.sentences] == [(g["start"], g["end"]) for g in gold]
    for sentence in document.sentences:
        assert text[sentence.start : sentence.end] == sentence.text
        assert abs(sum(sentence.scores.values()) - 1) < 1e-4


def test_seed_macro_f1_meets_the_bar(default_model):
    from stance.data import read_typed_sentences
    from stance.evaluation import evaluate_types

    report = evaluate_types(default_model, read_typed_sentences(SEED_GOLD))
    assert report["macro_f1"] >= 0.80, report["per_class"]


def test_obvious_sentences(default_model):
    predictions = default_model.classify(
        [
            "The government should abolish the tax immediately.",
            "The central bank is expected to cut rates next month.",
            "Parliament approved the budget on Tuesday by 210 votes to 180.",
        ]
    )
    assert [p.label for p in predictions] == ["recommendation", "forecast", "fact"]


def test_loads_offline_in_a_fresh_process():
    code = "import stance; m = stance.load(); print(m.classify(['Prices rose in May.'])[0].label)"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in {"fact", "forecast", "recommendation", "opinion"}


def test_cli_analyze_seed_with_default_model():
    result = subprocess.run(
        [sys.executable, "-m", "stance.cli", "analyze", str(SEED_TEXT), "--format", "jsonl"],
        capture_output=True, text=True, timeout=300, cwd=REPO, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 38


def test_seed_summary_favours_china_and_the_bri_and_opposes_the_united_states(default_model):
    """The issue's seed summary in full, from the default model."""
    document = default_model.analyze(SEED_TEXT.read_text(encoding="utf-8"))
    actors = document.actors
    assert actors["China"].label == "favor"
    assert actors["United States"].label == "against"
    assert actors["Belt and Road Initiative"].label == "favor"
    assert actors["Belt and Road Initiative"].mentions >= 15


def test_seed_actors_are_found_with_canonical_names():
    from stance.actors import ActorFinder
    from stance.data.targets import read_stance_rows
    from stance.evaluation import evaluate_actors

    report = evaluate_actors(ActorFinder(), read_stance_rows(SEED_STANCE_GOLD))
    assert report["strict"]["recall"] >= 0.95, report["missed"]
    assert report["strict"]["precision"] >= 0.95, report["spurious"]



def test_bf16_matches_fp32_on_the_seed():
    """The fast default precision gives the seed's labels and probabilities as fp32 does."""
    import stance

    text = SEED_TEXT.read_text(encoding="utf-8")
    documents = {p: stance.load(precision=p).analyze(text) for p in ("fp32", "bf16")}
    pairs = list(zip(documents["fp32"].sentences, documents["bf16"].sentences))
    same = sum(a.label == b.label for a, b in pairs)
    assert same >= len(pairs) - 1
    assert max(abs(a.scores[k] - b.scores[k]) for a, b in pairs for k in a.scores) <= 0.05
    mentions = [(x, y) for a, b in pairs for x, y in zip(a.actors, b.actors)]
    assert sum(x.label == y.label for x, y in mentions) >= len(mentions) - 2


def _accurate_model_or_skip():
    """The accurate model, or a skip where its base encoder has not been fetched (CI, a fresh install)."""
    import stance
    from stance.encoders import ENCODERS, cache_dir

    try:
        return stance.load("accurate")
    except FileNotFoundError as err:
        if "stance download" not in str(err):
            raise
        pytest.skip(f"accurate model's encoder not fetched ({', '.join(ENCODERS)} cache: {cache_dir()})")


def test_accurate_model_is_small_on_disk():
    folder = REPO / "models" / "accurate"
    files = {p.name: p.stat().st_size for p in folder.iterdir()}
    assert {"config.json", "model.safetensors", "README.md"} <= set(files)
    assert sum(files.values()) < 25 * 1024 * 1024
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    assert config["base_model"] == "all-mpnet-base-v2" and config["lora"]["rank"] >= 1


def test_accurate_model_gives_the_seed_summary():
    """The issue's seed summary in full: China and the Belt and Road Initiative favoured, the US opposed."""
    model = _accurate_model_or_skip()
    actors = model.analyze(SEED_TEXT.read_text(encoding="utf-8")).actors
    assert actors["China"].label == "favor"
    assert actors["Belt and Road Initiative"].label == "favor"
    assert actors["United States"].label == "against"
