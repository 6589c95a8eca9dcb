"""Distillation: teacher probabilities on rows, their cache, soft-target batches and loss, a tiny distilled run."""

import copy
import json

import pytest
import torch

from conftest import TINY_ROWS, TINY_STANCE_ROWS, stance_row, tiny_config, write_stance_rows
from stance import distillation, pipeline
from stance.distillation import cached_teacher_scores, teacher_scores
from stance.features import IGNORE, JointCollator, encode_rows
from stance.labels import SENTENCE_TYPES, STANCES
from stance.modeling import load_network
from stance.training import train

ROWS = [
    {"text": "The ministry reported a 4% rise in exports in March.", "label": "fact"},
    stance_row(*TINY_STANCE_ROWS[1]),
    {"text": "Beijing criticised Washington's tariffs.", "label": "opinion"},
]


def test_teacher_scores_every_row_and_target_and_finds_actors_where_none_are_given(tiny_model):
    before = copy.deepcopy(ROWS)
    scored = teacher_scores(tiny_model, ROWS)
    assert ROWS == before
    assert len(scored) == len(ROWS)
    for row in scored:
        assert len(row["type_scores"]) == len(SENTENCE_TYPES) and sum(row["type_scores"]) == pytest.approx(1, abs=1e-5)
        for target in row["targets"]:
            assert len(target["stance_scores"]) == len(STANCES)
            assert sum(target["stance_scores"]) == pytest.approx(1, abs=1e-5)
    assert scored[0]["targets"] == [] and scored[0]["label"] == "fact"
    assert scored[1]["targets"][0]["stance"] == "against"  # gold kept
    found = scored[2]["targets"]
    assert [(t["actor"], t["mention"], t["start"], t["end"]) for t in found] == [
        ("China", "Beijing", 0, 7), ("United States", "Washington", 19, 29)
    ]
    assert all("stance" not in t for t in found)


def test_cache_answers_the_rows_it_holds_and_scores_only_new_ones(tiny_model_dir, tmp_path, monkeypatch):
    cache = tmp_path / "cache" / "teacher_scores.jsonl"
    scored_rows = []
    real_scores = distillation.teacher_scores
    monkeypatch.setattr(
        distillation, "teacher_scores", lambda teacher, rows, *a: scored_rows.append(len(rows)) or real_scores(teacher, rows, *a)
    )
    first = cached_teacher_scores(tiny_model_dir, ROWS[:2] + ROWS[:1], cache)  # a repeated row is scored once
    assert scored_rows == [2] and "fingerprint" in json.loads(cache.read_text().splitlines()[0])

    def no_teacher(path):
        raise AssertionError("the teacher was loaded although the cache holds every row")

    real_load = pipeline.load
    monkeypatch.setattr(pipeline, "load", no_teacher)
    assert cached_teacher_scores(tiny_model_dir, ROWS[:2] + ROWS[:1], cache) == first
    assert cached_teacher_scores(tiny_model_dir, ROWS[1:2], cache) == first[1:2]
    monkeypatch.setattr(pipeline, "load", real_load)
    grown = cached_teacher_scores(tiny_model_dir, ROWS, cache)
    assert scored_rows == [2, 1] and grown[:2] == first[:2]
    assert len(cache.read_text().splitlines()) == 1 + len(ROWS)
    assert not list(cache.parent.glob("*.tmp"))


def test_cache_is_stale_when_the_teacher_changes(tiny_model_dir, tmp_path, monkeypatch):
    cache = tmp_path / "teacher_scores.jsonl"
    cached_teacher_scores(tiny_model_dir, ROWS, cache)
    lines = cache.read_text().splitlines()
    cache.write_text("\n".join([json.dumps({"fingerprint": "another teacher"}), *lines[1:]]) + "\n")
    scored_rows = []
    real_scores = distillation.teacher_scores
    monkeypatch.setattr(
        distillation, "teacher_scores", lambda teacher, rows, *a: scored_rows.append(len(rows)) or real_scores(teacher, rows, *a)
    )
    cached_teacher_scores(tiny_model_dir, ROWS, cache)
    assert scored_rows == [len(ROWS)]


def test_batches_carry_soft_targets_only_when_rows_have_them(tiny_model):
    collate = JointCollator(tiny_model.tokenizer.pad_token_id)
    gold = encode_rows(ROWS[:2], tiny_model.tokenizer, 32, SENTENCE_TYPES, STANCES)
    batch = collate([gold[i] for i in range(len(gold))])
    assert "type_scores" not in batch and "stance_scores" not in batch

    scored = teacher_scores(tiny_model, ROWS)
    mixed = encode_rows(scored[1:] + ROWS[:1], tiny_model.tokenizer, 32, SENTENCE_TYPES, STANCES)
    assert mixed[1]["stance_labels"] == [IGNORE, IGNORE]  # detected mentions: no gold
    batch = collate([mixed[i] for i in range(len(mixed))])
    assert batch["type_scores"].shape == (3, len(SENTENCE_TYPES)) and batch["type_scores"].dtype == torch.float
    assert batch["stance_scores"].shape == (3, 2, len(STANCES))
    assert batch["type_scores"][:2].sum(-1).tolist() == pytest.approx([1, 1], abs=1e-5)
    assert batch["type_scores"][2].abs().sum() == 0  # the unscored row
    assert batch["stance_scores"][0, 1].abs().sum() == 0  # its only target is in column 0

    unlabelled = {"text": "Beijing spoke.", "targets": [{"mention": "Beijing", "start": 0, "end": 7, "actor": "China"}]}
    with pytest.raises(ValueError, match="neither a gold `stance` nor teacher `stance_scores`"):
        encode_rows([unlabelled], tiny_model.tokenizer, 32, SENTENCE_TYPES, STANCES)


def network_and_batch(tiny_model_dir, tiny_model):
    network = load_network(tiny_model_dir)
    features = encode_rows(teacher_scores(tiny_model, ROWS), tiny_model.tokenizer, 32, SENTENCE_TYPES, STANCES)
    return network, JointCollator(tiny_model.tokenizer.pad_token_id)([features[i] for i in range(len(features))])


def test_soft_targets_add_to_the_gold_loss(tiny_model_dir, tiny_model):
    network, batch = network_and_batch(tiny_model_dir, tiny_model)
    gold_only = {k: v for k, v in batch.items() if not k.endswith("_scores")}
    with torch.no_grad():
        gold = network(**gold_only)["loss"]
        both = network(**batch)["loss"]
        network.soft_loss_weight = 0.0
        unweighted = network(**batch)["loss"]
    assert torch.isfinite(both) and both > gold
    assert unweighted == pytest.approx(gold.item())


def test_soft_targets_alone_train_the_network(tiny_model_dir, tiny_model):
    network, batch = network_and_batch(tiny_model_dir, tiny_model)
    batch["labels"].fill_(IGNORE)
    batch["stance_labels"].fill_(IGNORE)
    loss = network(**batch)["loss"]
    loss.backward()
    assert torch.isfinite(loss) and loss > 0
    assert network.type_head[1].weight.grad.abs().sum() > 0
    assert network.stance_head[-1].weight.grad.abs().sum() > 0


@pytest.mark.parametrize("temperature", [1.0, 2.0, 4.0])
def test_soft_loss_is_lowest_where_the_student_matches_the_teacher_at_any_temperature(tiny_model_dir, temperature):
    network = load_network(tiny_model_dir)
    network.soft_loss_temperature = temperature
    teacher_logits = torch.tensor([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]])
    soft = teacher_logits.softmax(-1)
    matching = teacher_logits.clone().requires_grad_(True)
    loss = network._soft_cross_entropy(matching, soft)
    loss.backward()
    assert matching.grad.abs().max() < 1e-5  # the teacher's own logits are a minimum at every T
    # The soft targets are the teacher's softmax at T, and T² scales the loss: the cross-entropy of
    # uniform logits is T² log 3.
    uniform = network._soft_cross_entropy(torch.zeros(2, 3), soft)
    assert uniform.item() == pytest.approx(temperature**2 * torch.log(torch.tensor(3.0)).item(), rel=1e-5)
    other = torch.tensor([[-1.0, 2.0, 0.0], [1.0, -1.0, 2.0]])
    assert network._soft_cross_entropy(other, soft) > loss


@pytest.mark.slow
def test_distilled_training_run_records_its_teacher(tiny_model_dir, tmp_path, monkeypatch):
    from stance.modeling import StanceNetwork

    soft_batches = []
    real_loss = StanceNetwork._loss

    def recording_loss(self, out, labels, stance_labels, type_scores, stance_scores):
        soft_batches.append((type_scores is not None, self.soft_loss_weight))
        return real_loss(self, out, labels, stance_labels, type_scores, stance_scores)

    monkeypatch.setattr(StanceNetwork, "_loss", recording_loss)
    write_stance_rows(tmp_path / "stance.jsonl")
    # Two unlabelled sentences: the student learns them from the teacher alone.
    (tmp_path / "news.jsonl").write_text(json.dumps({"text": "Beijing signed the deal. Washington objected."}) + "\n")
    config = tiny_config(
        tmp_path,
        train_rows=TINY_ROWS,
        max_steps=4,
        teacher=str(tiny_model_dir),
        distill_weight=0.5,
        distill_temperature=2.0,
        train=[{"path": "train.jsonl"}, {"path": "stance.jsonl", "task": "stance"}, {"path": "news.jsonl", "task": "unlabelled"}],
    )
    result = train(config)
    assert result.global_step == 4
    assert (True, 0.5) in soft_batches  # the Trainer hands the teacher's scores to the loss
    assert (tmp_path / "model-checkpoints" / "teacher_scores.jsonl").is_file()
    data = json.loads((tmp_path / "model" / "training.json").read_text())
    distilled = data["data"]["distillation"]
    assert distilled["teacher"] == tiny_model_dir.name and distilled["weight"] == 0.5 and distilled["temperature"] == 2.0
    assert distilled["train_rows_scored"] == data["data"]["train_rows"] == len(TINY_ROWS) + len(TINY_STANCE_ROWS) + 2
    gold_mentions = sum(len(targets) for _, targets in TINY_STANCE_ROWS)
    assert distilled["train_mentions_scored"] > gold_mentions  # plus actors found in the type rows
    assert sum(data["data"]["train_stance_counts"].values()) == gold_mentions
    assert "teacher" not in data["settings"] and data["settings"]["distill_weight"] == 0.5
    assert f"Distilled from teacher `{tiny_model_dir.name}`" in (tmp_path / "model" / "README.md").read_text()
