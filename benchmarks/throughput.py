"""End-to-end throughput of ``analyze`` against the plain transformers pipeline, each run in a fresh
process (so load time and peak memory are its own), repeated, median reported.

The baseline is what a user would otherwise write: ``transformers.pipeline("text-classification")`` on
the same base encoder, one call over every sentence for the type and one over every (sentence, actor)
pair with the actor marked, batch size 32. It is handed the sentences and actor mentions ready-made
(segmentation and actor finding are not timed for it), which favours the baseline.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _peak_rss_mb() -> float:
    """This process's peak resident memory. On Linux ru_maxrss survives fork and exec, so a worker would
    report its parent's peak; VmHWM belongs to the process's own address space."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stance_worker(model: str, precision: str, documents: list[str], batch_size: int) -> dict[str, Any]:
    start = time.perf_counter()
    import stance

    imported = time.perf_counter()
    loaded_model = stance.load(model, precision=precision)
    loaded = time.perf_counter()
    next(iter(loaded_model.analyze_many(documents[:1], batch_size=batch_size)))  # kernels warm, as for the baseline
    began = time.perf_counter()
    sentences = mentions = 0
    for document in loaded_model.analyze_many(documents, batch_size=batch_size):
        sentences += len(document.sentences)
        mentions += sum(len(s.actors) for s in document.sentences)
    seconds = time.perf_counter() - began
    return {
        "system": "stance", "model": model, "precision": loaded_model.precision, "sentences": sentences,
        "mentions": mentions, "seconds": seconds, "import_s": imported - start, "load_s": loaded - imported,
        "peak_rss_mb": _peak_rss_mb(),
    }


def baseline_worker(base: str, sentences: list[str], pairs: list[str], batch_size: int) -> dict[str, Any]:
    start = time.perf_counter()
    from transformers import pipeline
    from transformers.utils import logging

    logging.set_verbosity_error()  # the randomly initialised classification head is expected here
    imported = time.perf_counter()
    classifier = pipeline("text-classification", model=base, device=-1, top_k=None)
    loaded = time.perf_counter()
    options = {"batch_size": batch_size, "truncation": True, "max_length": 128}
    classifier(sentences[:batch_size], **options)
    began = time.perf_counter()
    classifier(sentences, **options)
    classifier(pairs, **options)
    seconds = time.perf_counter() - began
    return {
        "system": "transformers pipeline", "model": Path(base).name, "precision": "fp32", "sentences": len(sentences),
        "mentions": len(pairs), "seconds": seconds, "import_s": imported - start, "load_s": loaded - imported,
        "peak_rss_mb": _peak_rss_mb(),
    }


def gemm_worker(seconds: float = 2.0) -> dict[str, Any]:
    """The matrix-multiply rate this CPU reaches in fp32 and bf16: the ceiling for an encoder."""
    import torch

    rates = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        a, b = torch.randn(1024, 1024, dtype=dtype), torch.randn(1024, 1024, dtype=dtype)
        a @ b
        runs, began = 0, time.perf_counter()
        while time.perf_counter() - began < seconds:
            a @ b
            runs += 1
        rates[f"{name}_gflops"] = 2 * 1024**3 * runs / (time.perf_counter() - began) / 1e9
    return rates


def baseline_inputs(documents: list[str]) -> tuple[list[str], list[str]]:
    """Sentences, and one text per (sentence, actor mention) with the mention marked, as a user would build."""
    from stance.actors import ActorFinder
    from stance.segment import segment

    sentences = [span.text for document in documents for span in segment(document)]
    pairs = []
    for text, found in zip(sentences, ActorFinder().find(sentences)):
        for m in found:
            pairs.append(f"{text[:m.start]}<actor> {text[m.start:m.end]} </actor>{text[m.end:]}")
    return sentences, pairs


def encoder_gflop_per_sentence(model: str, documents: list[str]) -> float:
    """Mean forward-pass GFLOP per sentence: the encoder's matrix products at each sentence's real length."""
    import stance
    from stance.segment import segment

    loaded = stance.load(model, precision="fp32")
    config = loaded.network.encoder.config
    h, layers, inner = config.hidden_size, config.num_hidden_layers, config.intermediate_size
    ids, _, _ = loaded.tokenize([span.text for document in documents for span in segment(document)])
    flops = [layers * (2 * n * (4 * h * h + 2 * h * inner) + 4 * n * n * h) for n in map(len, ids)]
    return statistics.fmean(flops) / 1e9


def run_worker(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """One measurement in a fresh Python process; its last stdout line is the JSON result."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        json.dump(payload, handle)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.throughput", kind, handle.name],
            cwd=REPO, capture_output=True, text=True, check=False,
        )
    finally:
        Path(handle.name).unlink()
    if done.returncode != 0:
        raise RuntimeError(f"benchmark worker {kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_run(kind: str, payload: dict[str, Any], repeats: int) -> dict[str, Any]:
    """Median over ``repeats`` fresh-process runs of every number; the runs' rates are kept too."""
    runs = [run_worker(kind, payload) for _ in range(repeats)]
    out = dict(runs[0])
    for key in ("seconds", "import_s", "load_s", "peak_rss_mb"):
        out[key] = statistics.median(r[key] for r in runs)
    out["sentences_per_s"] = statistics.median(r["sentences"] / r["seconds"] for r in runs)
    out["mentions_per_s"] = statistics.median(r["mentions"] / r["seconds"] for r in runs)
    out["runs_sentences_per_s"] = [round(r["sentences"] / r["seconds"], 1) for r in runs]
    return out


def _main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["stance", "baseline", "gemm"])
    parser.add_argument("payload")
    args = parser.parse_args()
    payload = json.loads(Path(args.payload).read_text(encoding="utf-8"))
    workers = {"stance": stance_worker, "baseline": baseline_worker, "gemm": gemm_worker}
    print(json.dumps(workers[args.kind](**payload)))


if __name__ == "__main__":
    _main()
