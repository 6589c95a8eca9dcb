"""The throughput corpus: news-like documents with actors, built from the project's own files only,
so every machine benchmarks the same text (no ../shared needed)."""

from __future__ import annotations

import json
import random
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED_TEXT = REPO / "seeds" / "000_74016fe0b9d79d44.txt"
STANCE_FILES = [REPO / "data" / "stance" / f"{split}.jsonl" for split in ("train", "dev", "test")]


def news_documents(min_sentences: int = 2000, seed: int = 0) -> list[str]:
    """Seed-like documents: the seed op-ed, then data/stance sentences (every one names an actor) laid
    out as news paragraphs of one to four sentences, about a dozen paragraphs a document, until at
    least ``min_sentences`` sentences (sentences repeat when more are asked for than the files hold)."""
    sentences = [json.loads(line)["text"] for path in STANCE_FILES for line in path.open(encoding="utf-8")]
    rng = random.Random(seed)
    rng.shuffle(sentences)
    documents = [SEED_TEXT.read_text(encoding="utf-8")]
    count, position = 35, 0
    while count < min_sentences:
        paragraphs = []
        for _ in range(12):
            size = rng.randint(1, 4)
            paragraphs.append(" ".join(sentences[(position + i) % len(sentences)] for i in range(size)))
            position += size
            count += size
        documents.append("\n\n".join(paragraphs))
    return documents
