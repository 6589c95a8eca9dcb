"""Training smoke tests on a tiny random encoder: a few steps on CPU in seconds."""

import json

import pytest

from conftest import TINY_ROWS, TINY_STANCE_ROWS, tiny_config, write_rows, write_stance_rows
from stance.data import DataError
from stance.pipeline import StanceModel
from stance.training import TrainConfig, prepare_rows, train

pytestmark = pytest.mark.slow


def test_loss_falls_and_saved_model_predicts_identically(tmp_path):
    config = tiny_config(tmp_path)
    result = train(config)
    losses = [entry["loss"] for entry in result.log_history if "loss" in entry]
    assert len(losses) >= 4 and losses[-1] < losses[0]
    saved = StanceModel.from_pretrained(config.output_dir)
    again = StanceModel.from_pretrained(config.output_dir)
    sentences = [t for t, _ in TINY_ROWS]
    assert [p.scores for p in saved.classify(sentences)] == [p.scores for p in again.classify(sentences)]
    card = (tmp_path / "model" / "README.md").read_text()
    assert "macro-F1" in card and "again" in card
    assert set(result.eval_metrics) == {"again"}


def test_same_seed_same_metrics(tmp_path):
    first = train(tiny_config(tmp_path / "a", max_steps=8))
    second = train(tiny_config(tmp_path / "b", max_steps=8))
    assert first.dev_metrics["types"]["macro_f1"] == second.dev_metrics["types"]["macro_f1"]
    assert first.dev_metrics["types"]["confusion"] == second.dev_metrics["types"]["confusion"]


def test_resume_from_checkpoint(tmp_path):
    config = tiny_config(tmp_path, max_steps=8)
    train(config)
    checkpoints = sorted((tmp_path / "model-checkpoints").glob("checkpoint-*"))
    assert checkpoints
    config.max_steps = 12
    result = train(config, resume=True)
    assert result.global_step == 12 and result.steps_run == 4  # it continued, it did not start over


def test_config_extends_another(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "base.toml").write_text(
        "output_dir = 'model'\nepochs = 4\nbatch_size = 64\nexclude = ['held.jsonl']\nfreeze = ['a']\n"
        "[[train]]\npath = 'types.jsonl'\n[[evaluate]]\npath = 'test.jsonl'\n"
    )
    (tmp_path / "variant.toml").write_text(
        "extends = 'base/base.toml'\noutput_dir = 'other'\nepochs = 2\nexclude = ['more.jsonl']\nfreeze = ['b']\n"
        "[[train]]\npath = 'extra.jsonl'\ntask = 'stance'\n"
    )
    config = TrainConfig.from_file(tmp_path / "variant.toml")
    base, here = (tmp_path / "base").resolve(), tmp_path.resolve()
    assert (config.epochs, config.batch_size, config.freeze) == (2, 64, ["b"])
    assert config.output_dir == str(here / "other")
    # Sources and exclusions add up, each path relative to the file that names it.
    assert [(s.path, s.task) for s in config.train] == [(str(base / "types.jsonl"), "types"), (str(here / "extra.jsonl"), "stance")]
    assert [s.path for s in config.evaluate] == [str(base / "test.jsonl")]
    assert config.exclude == [str(base / "held.jsonl"), str(here / "more.jsonl")]


def test_config_overrides_are_relative_to_the_caller(tmp_path, monkeypatch):
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "c.toml").write_text("output_dir = 'model'\n[[train]]\npath = 'types.jsonl'\n")
    monkeypatch.chdir(tmp_path)
    config = TrainConfig.from_file("configs/c.toml", output_dir="runs/mine")
    here = tmp_path.resolve()
    assert config.output_dir == str(here / "runs" / "mine")
    assert config.train[0].path == str(here / "configs" / "types.jsonl")


@pytest.mark.parametrize("files, message", [
    ({"c.toml": "output_dir = 'x'\n[[train]]\npath = 'a.jsonl'\nunknown = 1\n"}, r"\[\[train\]\] #1"),
    ({"c.toml": "output_dir = 'x'\nepochz = 3\n[[train]]\npath = 'a.jsonl'\n"}, "unknown settings"),
    ({"c.toml": "output_dir = [\n"}, "broken TOML"),
    ({"c.toml": "output_dir = 'x'\ndistill_temperature = 0\n[[train]]\npath = 'a.jsonl'\n"}, "distill_temperature must be a positive number, got 0"),
    # variants (extends)
    ({"c.toml": "extends = 'base.toml'\nepochs = 2\n", "base.toml": "output_dir = 'm'\n[[train]]\npath = 'a.jsonl'\n"}, "no `output_dir` of its own"),
    ({"c.toml": "extends = 'b.toml'\noutput_dir = 'a'\n", "b.toml": "extends = 'c.toml'\noutput_dir = 'b'\n"}, "cycle"),
    ({"c.toml": "extends = 'nowhere.toml'\noutput_dir = 'x'\n"}, "nowhere.toml.*config file not found"),
    ({"c.toml": "extends = 'base.toml'\noutput_dir = 'x'\nexclude = 'held.jsonl'\n", "base.toml": "output_dir = 'm'\n"}, "`exclude` must be a list"),
])
def test_config_errors(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(DataError, match=message):
        TrainConfig.from_file(tmp_path / "c.toml")


def test_unlabelled_sources_need_a_teacher_and_never_score(tmp_path):
    unlabelled = {"path": "news.jsonl", "task": "unlabelled"}
    with pytest.raises(ValueError, match="unlabelled training source news.jsonl needs a teacher"):
        tiny_config(tmp_path, train=[{"path": "train.jsonl"}, unlabelled])
    with pytest.raises(ValueError, match=r"\[\[evaluate\]\] sets need labels; news.jsonl"):
        tiny_config(tmp_path, teacher="t", evaluate=[unlabelled])
    with pytest.raises(ValueError, match="unlabelled texts are read from JSONL"):
        tiny_config(tmp_path, teacher="t", train=[{**unlabelled, "loader": "cdcp"}])


def test_unlabelled_sentences_all_train_when_dev_is_split_off(tmp_path):
    news = "Beijing widened the scheme. Analysts expect more ports to join.\n\nWashington should respond."
    (tmp_path / "news.jsonl").write_text(json.dumps({"text": news}) + "\n")
    config = tiny_config(tmp_path, teacher="t", dev=[], dev_fraction=0.25,
                         train=[{"path": "train.jsonl"}, {"path": "news.jsonl", "task": "unlabelled", "weight": 2.0}])
    train_rows, dev_rows, _ = prepare_rows(config)
    unlabelled = [r for r in train_rows if r["task"] == "unlabelled"]
    assert sorted({r["text"] for r in unlabelled}) == [
        "Analysts expect more ports to join.", "Beijing widened the scheme.", "Washington should respond."
    ]
    assert len(unlabelled) == 6 and all(r.get("label") is None and not r.get("targets") for r in unlabelled)
    assert dev_rows and all(r["task"] == "types" for r in dev_rows)


def test_overlap_with_evaluation_sets_is_removed(tmp_path):
    config = tiny_config(tmp_path, max_steps=2, exclude=["held_out.jsonl"], dev=[], dev_fraction=0.25)
    write_rows(tmp_path / "held_out.jsonl", TINY_ROWS[:4])
    result = train(config)
    import json

    summary = json.loads((tmp_path / "model" / "training.json").read_text())["data"]
    assert summary["excluded_overlap_rows"] == 4 * 4
    # 16 texts x 4 copies; the 4 fact texts are excluded; one text of each other label goes to dev with all its copies.
    assert summary["train_rows"] == 9 * 4 and result.dev_metrics["types"]["rows"] == 3 * 4


def test_both_heads_train_jointly_and_are_evaluated_per_task(tmp_path):
    write_stance_rows(tmp_path / "stance.jsonl", TINY_STANCE_ROWS * 4)
    write_stance_rows(tmp_path / "stance_dev.jsonl")
    config = tiny_config(
        tmp_path,
        max_steps=16,
        train=[{"path": "train.jsonl"}, {"path": "stance.jsonl", "task": "stance"}],
        dev=[{"path": "dev.jsonl"}, {"path": "stance_dev.jsonl", "task": "stance"}],
        evaluate=[{"path": "stance_dev.jsonl", "task": "stance", "name": "stance again"}],
    )
    result = train(config)
    assert set(result.dev_metrics) == {"types", "stance"}
    assert result.dev_metrics["stance"]["rows"] == sum(len(t) for _, t in TINY_STANCE_ROWS)
    assert set(result.eval_metrics["stance again"]) == {"stance"}
    losses = [entry["loss"] for entry in result.log_history if "loss" in entry]
    assert losses[-1] < losses[0]
    model = StanceModel.from_pretrained(config.output_dir)
    scored = model.predict_stance("Beijing praised the BRI.", [(0, 7), (20, 23)])
    assert len(scored) == 2 and all(set(p.scores) == {"favor", "against", "neutral"} for p in scored)
    card = (tmp_path / "model" / "README.md").read_text()
    assert "stance again: stance" in card


def test_unknown_task_or_stance_loader_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="task must be one of"):
        tiny_config(tmp_path, train=[{"path": "train.jsonl", "task": "sentiment"}])
    config = tiny_config(tmp_path, train=[{"path": "train.jsonl", "task": "stance", "loader": "cdcp"}])
    with pytest.raises(ValueError, match="no stance loader 'cdcp'"):
        train(config)


def test_type_and_stance_rows_of_one_text_train_in_one_pass():
    from stance.training import join_tasks

    target = {"mention": "Beijing", "start": 0, "end": 7, "actor": "China", "stance": "favor"}
    kind = {"text": "Beijing will cut tariffs.", "label": "forecast", "domain": "trade", "source": "types", "task": "types"}
    stance = {"text": "Beijing will cut tariffs.", "targets": [target], "source": "news", "task": "stance"}
    other = {"text": "Exports rose 4%.", "label": "fact", "source": "types", "task": "types"}
    rows = join_tasks([kind, other, stance, kind])
    # The first type row and the stance row become one; the second type copy stays a type row.
    assert len(rows) == 3
    joined, rest = rows[0], rows[1:]
    assert joined["label"] == "forecast" and joined["targets"] == [target] and joined["domain"] == "trade"
    assert joined["source"] == "news + types" and joined["task"] == "both"
    assert rest == [other, kind]
    # Each task still sees the text as often as before: two type passes, one stance pass.
    same = [r for r in rows if r["text"] == kind["text"]]
    assert sum(r.get("label") is not None for r in same) == 2 and sum(bool(r.get("targets")) for r in same) == 1
    # Nothing to join: rows come back unchanged, in order.
    assert join_tasks([other, kind]) == [other, kind]
    assert join_tasks([stance, stance]) == [stance, stance]


def test_calibrate_model_refits_and_rewrites_the_card(tmp_path):
    from stance.modeling import ModelConfig
    from stance.training import calibrate_model

    config = tiny_config(tmp_path, max_steps=4)
    train(config)
    model_dir = tmp_path / "model"
    # As if the dev labels changed after training: the card holds temperatures the config no longer has.
    card_json = json.loads((model_dir / "training.json").read_text())
    card_json["data"]["calibration_on_dev"]["types"]["temperature"] = 9.99
    (model_dir / "training.json").write_text(json.dumps(card_json))
    card = (model_dir / "README.md").read_text()
    (model_dir / "README.md").write_text(card.replace("types T=", "types T=9.99 (stale) "))

    report = calibrate_model(config, model_dir)
    saved = ModelConfig.from_json_file(model_dir / "config.json")
    assert report["types"]["temperature"] == pytest.approx(saved.type_temperature, abs=1e-4)
    assert json.loads((model_dir / "training.json").read_text())["data"]["calibration_on_dev"] == report
    card = (model_dir / "README.md").read_text()
    assert "9.99" not in card and f"types T={saved.type_temperature:.2f}" in card and "Refitted after training" in card
    # The rest of the card stays.
    assert "## dev: types" in card and card.count("\n") > 10
