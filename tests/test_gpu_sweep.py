"""The GPU sweep's run names (training/gpu_sweep/run_variant.py): each part changes one setting."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stance.training import TrainConfig  # noqa: E402
from training.gpu_sweep.run_variant import variant  # noqa: E402


@pytest.fixture(autouse=True)
def in_repository(monkeypatch):
    monkeypatch.chdir(ROOT)


def test_each_part_changes_its_setting_and_nothing_else():
    default = TrainConfig.from_file(ROOT / "training/configs/default.toml")
    config = variant("lr1e4_s14_ep6_fe_dw0.5")
    assert (config.learning_rate, config.seed, config.epochs, config.freeze, config.distill_weight) == (
        1e-4, 14, 6.0, ["encoder.embeddings"], 0.5
    )
    assert config.output_dir == str(ROOT / "build/sw_lr1e4_s14_ep6_fe_dw0.5")
    base = variant("base")
    assert (base.learning_rate, base.seed, base.epochs, base.freeze, base.teacher) == (
        default.learning_rate, default.seed, default.epochs, default.freeze, default.teacher
    )
    assert [s.path for s in base.train] == [s.path for s in default.train]


def test_plain_trains_newsmtsc_alone_without_a_teacher():
    config = variant("plain")
    assert config.teacher is None
    assert {s.loader for s in config.train + config.dev + config.evaluate} == {"newsmtsc"}


def test_an_unknown_part_is_refused():
    for name, part in (("lr1e4_zz", "zz"), ("lr1e-4", "lr1e-4")):
        with pytest.raises(SystemExit, match=f"unknown part '{part}' in run name '{name}'"):
            variant(name)
