"""Facts about each model and the printed tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stance.cli import PRECISIONS


def _model_dir(name: str) -> Path:
    from stance.pipeline import BUNDLED_MODELS, default_model_path

    return default_model_path(name) if name in BUNDLED_MODELS else Path(name)


def model_facts(name: str) -> dict[str, Any]:
    """Where the model lives, its parameters (encoder and heads) and its files' size on disk."""
    import stance

    directory = _model_dir(name)
    model = stance.load(name, precision="fp32")
    return {
        "path": str(directory),
        "base_model": model.config.base_model,
        "parameters_m": sum(p.numel() for p in model.network.parameters()) / 1e6,
        "disk_mb": sum(f.stat().st_size for f in directory.iterdir() if f.is_file()) / 1e6,
    }


def training_facts(name: str) -> dict[str, Any]:
    """What the model's training run recorded (training.json): time, epochs, rows, peak memory."""
    path = _model_dir(name) / "training.json"
    if not path.is_file():
        return {}
    record = json.loads(path.read_text(encoding="utf-8"))
    epochs = record["settings"].get("epochs")
    data = record["data"]
    facts = {"minutes": record["seconds"] / 60, "epochs": epochs, "train_rows": data.get("train_rows")}
    if epochs:
        # Older records lack the loop's own time; the whole run (with evaluation) then stands in for it.
        facts["minutes_per_epoch"] = data.get("train_loop_seconds", record["seconds"]) / 60 / epochs
    facts["peak_rss_mb"] = data.get("peak_rss_mb")
    return facts


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(line, widths))) for line in [header, *rows]]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def format_report(results: dict[str, Any]) -> str:
    parts = []
    models = results["models"]
    parts.append("models\n" + _table(
        ["model", "base", "params (M)", "disk (MB)"],
        [[n, f["base_model"], f"{f['parameters_m']:.1f}", f"{f['disk_mb']:.1f}"] for n, f in models.items()],
    ))
    if "accuracy" in results:
        columns = sorted({(r["model"], r["precision"]) for r in results["accuracy"]}, key=lambda c: (c[0], PRECISIONS.index(c[1])))
        cells = {(r["set"], r["task"], r["model"], r["precision"]): r for r in results["accuracy"]}
        sets = list(dict.fromkeys((r["set"], r["task"], r["rows"]) for r in results["accuracy"]))
        body = []
        for name, task, count in sets:
            line = [f"{name} [{task}]", str(count)]
            for model, precision in columns:
                cell = cells.get((name, task, model, precision))
                line.append(f"{cell['macro_f1']:.3f}" if cell else "-")
            line += [f"{cells[(name, task, m, p)]['ece']:.3f}" if (name, task, m, p) in cells else "-" for m, p in columns[:1]]
            body.append(line)
        header = ["set [task]", "rows", *[f"{m} {p}" for m, p in columns], f"ECE {columns[0][0]} {columns[0][1]}"]
        parts.append("accuracy (macro-F1; ECE = expected calibration error)\n" + _table(header, body))
    if "throughput" in results:
        corpus = results["corpus"]
        body = []
        for r in results["throughput"]:
            achieved = r.get("gflop_per_sentence", 0) * r["sentences_per_s"]
            body.append([
                f"{r['system']} {r['model']}", r["precision"], f"{r['sentences_per_s']:.0f}", f"{r['mentions_per_s']:.0f}",
                f"{r.get('speedup_vs_pipeline', 1.0):.2f}x", f"{r['load_s']:.2f}", f"{r['import_s']:.2f}", f"{r['peak_rss_mb']:.0f}",
                f"{achieved:.0f}" if achieved else "-",
            ])
        parts.append(
            f"throughput, end to end ({corpus['documents']} documents, {corpus['sentences']} sentences, "
            f"{corpus['actor_mentions']} actor mentions; median of {len(results['throughput'][0]['runs_sentences_per_s'])} runs)\n"
            + _table(["system", "precision", "sent/s", "mentions/s", "vs pipeline", "load s", "import s", "peak RSS MB", "GFLOP/s"], body)
            + f"\nmatrix-multiply ceiling of this CPU: bf16 {results['gemm_peak']:.0f} GFLOP/s, fp32 {results['gemm_peak_fp32']:.0f} GFLOP/s"
            + _machine_line(results.get("machine", {}))
        )
    training = {n: t for n, t in results["training"].items() if t}
    if training:
        parts.append("training (as recorded in each model's training.json)\n" + _table(
            ["model", "minutes", "epochs", "min/epoch", "train rows", "peak RSS MB"],
            [[n, f"{t['minutes']:.1f}", str(t["epochs"]), f"{t.get('minutes_per_epoch', 0):.1f}", str(t["train_rows"]),
              f"{t['peak_rss_mb']:.0f}" if t.get("peak_rss_mb") else "not recorded"] for n, t in training.items()],
        ))
    return "\n\n".join(parts)


def _machine_line(machine: dict[str, Any]) -> str:
    """Which CPU the numbers are from: throughput only compares within one machine."""
    if not machine.get("cpu"):
        return ""
    family = f", family {machine['cpu_family']} model {machine['model']}" if "cpu_family" in machine and "model" in machine else ""
    flags = " ".join(machine.get("cpu_flags", [])) or "none of avx2, avx512, amx"
    return f"\nmachine: {machine['cpu']}{family}, {machine.get('cpus', '?')} cores; {flags}"
