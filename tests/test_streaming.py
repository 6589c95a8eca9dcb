"""Corpus streaming: results written as they come, resumable after a kill with nothing lost or doubled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from stance.data import DataError
from stance.streaming import analyze_corpus, read_corpus

PARAGRAPHS = [
    "Beijing praised the Belt and Road Initiative on Tuesday.",
    "Washington should drop its tariffs, critics in Brussels said. Exports will recover next year.",
    "The EU and Japan signed the accord.\n\nIt was a triumph for Tokyo.",
    "Kenya hailed the IMF deal. Russia condemned it.",
]


def write_corpus(path, count):
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            handle.write(json.dumps({"id": f"doc-{i}", "text": " ".join(PARAGRAPHS[: 1 + i % 4]) + f" Item {i}."}) + "\n")
    return path


def read_results(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def labels(results):
    return [(r["id"], [(s["text"], s["label"], [(a["actor"], a["label"]) for a in s["actors"]]) for s in r["sentences"]]) for r in results]


def test_corpus_results_match_analyze(tiny_model, tmp_path):
    corpus = write_corpus(tmp_path / "corpus.jsonl", 12)
    run = analyze_corpus(tiny_model, corpus, tmp_path / "out.jsonl", batch_size=4)
    assert (run.resumed_after, run.written) == (0, 12)
    results = read_results(tmp_path / "out.jsonl")
    assert [r["id"] for r in results] == [f"doc-{i}" for i in range(12)]
    for (id, text), result in zip(read_corpus(corpus), results):
        alone = tiny_model.analyze(text, id=id).to_dict()
        assert labels([alone]) == labels([result])
        for mine, theirs in zip(alone["sentences"], result["sentences"]):
            assert mine["scores"] == pytest.approx(theirs["scores"], abs=1e-5)


def test_resume_cuts_a_half_written_line_and_continues(tiny_model, tmp_path):
    corpus = write_corpus(tmp_path / "corpus.jsonl", 10)
    straight = tmp_path / "straight.jsonl"
    analyze_corpus(tiny_model, corpus, straight)
    lines = straight.read_text(encoding="utf-8").splitlines(keepends=True)
    interrupted = tmp_path / "interrupted.jsonl"
    interrupted.write_text("".join(lines[:4]) + lines[4][: len(lines[4]) // 2], encoding="utf-8")
    run = analyze_corpus(tiny_model, corpus, interrupted, resume=True)
    assert (run.resumed_after, run.written) == (4, 6)
    assert labels(read_results(interrupted)) == labels(read_results(straight))


def test_existing_output_needs_resume_and_must_be_this_corpus(tiny_model, tmp_path):
    corpus = write_corpus(tmp_path / "corpus.jsonl", 3)
    out = tmp_path / "out.jsonl"
    analyze_corpus(tiny_model, corpus, out)
    with pytest.raises(FileExistsError, match="--resume"):
        analyze_corpus(tiny_model, corpus, out)
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"id": "x", "text": "Another text."}) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="not this corpus"):
        analyze_corpus(tiny_model, other, out, resume=True)


def test_corpus_errors_name_file_line_and_field(tmp_path):
    corpus = tmp_path / "bad.jsonl"
    corpus.write_text('{"id": 1, "text": "Fine."}\n{"id": 2, "body": "No text field."}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.jsonl:2: field 'text': missing"):
        list(read_corpus(corpus))


def test_text_corpus_is_one_document_per_line(tmp_path):
    corpus = tmp_path / "news.txt"
    corpus.write_text("First story. It rained.\n\nSecond story.\n", encoding="utf-8")
    assert list(read_corpus(corpus)) == [("news.txt:1", "First story. It rained."), ("news.txt:3", "Second story.")]


def test_killed_run_resumes_with_nothing_lost_or_duplicated(tiny_model_dir, tmp_path):
    corpus = write_corpus(tmp_path / "corpus.jsonl", 1200)
    out = tmp_path / "out.jsonl"
    command = [sys.executable, "-m", "stance", "analyze", "--corpus", str(corpus), "--output", str(out),
               "--model", str(tiny_model_dir), "--no-progress", "--precision", "fp32"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if out.exists() and out.stat().st_size > 0 and out.read_bytes().count(b"\n") >= 20:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, f"the run ended before it could be interrupted: {process.stderr.read()[-2000:]!r}"
    before = out.read_bytes().count(b"\n")
    assert 20 <= before < 1200
    done = subprocess.run([*command, "--resume"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    results = read_results(out)
    assert [r["id"] for r in results] == [f"doc-{i}" for i in range(1200)]
