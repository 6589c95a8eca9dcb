"""Draw the NewsMTSC sentences that data/types/newsmtsc labels, batch by batch, reproducibly.

    python training/sample_newsmtsc_types.py --batch 2 --out /tmp/label_work

The pool is every distinct sentence of the part of NewsMTSC's train file that the default model trains on
(the held-out 10 % that serves as the NewsMTSC stance dev set is left out), minus every sentence of the
real-news dev set (``shared/dev/types_news_dev.jsonl``), in file order, shuffled once with seed 2029.
Batch K is the K-th run of 1,800 sentences of that order, so batches never overlap and batch 1 is the
one labelled first. Writes ``chunk_*.jsonl`` (``{"gid", "text"}``, 300 a chunk, one per annotator) and
``second_pass.jsonl``: a random 10 % of the batch, shuffled, for the blind second pass.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stance.data import iter_jsonl, write_jsonl  # noqa: E402
from stance.training import DataSource, read_source  # noqa: E402

SHARED = REPO.parent / "shared"
BATCH_SIZE, CHUNK_SIZE, SEED = 1800, 300, 2029


def sentence_pool(texts: Path, real_news_dev: Path) -> list[dict]:
    """Distinct sentences of NewsMTSC's trained-on part, none of the real-news dev set, in the fixed order."""
    rows = read_source(DataSource(path=str(texts), loader="newsmtsc", task="stance", part="train"))
    seen = {" ".join(row["text"].split()) for _, row in iter_jsonl(real_news_dev)}
    pool = []
    for row in rows:
        key = " ".join(row["text"].split())
        if key not in seen:
            seen.add(key)
            pool.append({"gid": row["id"], "text": row["text"]})
    random.Random(SEED).shuffle(pool)
    return pool


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, required=True, help="1 for the first 1,800 sentences, 2 for the next, ...")
    parser.add_argument("--out", type=Path, required=True, help="folder for the annotators' input files")
    parser.add_argument("--texts", type=Path, default=SHARED / "datasets" / "newsmtsc" / "train.jsonl")
    parser.add_argument("--dev", type=Path, default=SHARED / "dev" / "types_news_dev.jsonl")
    args = parser.parse_args(argv)
    if args.batch < 1:
        parser.error("--batch counts from 1")

    pool = sentence_pool(args.texts, args.dev)
    batch = pool[(args.batch - 1) * BATCH_SIZE : args.batch * BATCH_SIZE]
    if not batch:
        raise SystemExit(f"the pool holds {len(pool)} sentences: there is no batch {args.batch}")
    args.out.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(batch), CHUNK_SIZE):
        write_jsonl(batch[start : start + CHUNK_SIZE], args.out / f"chunk_{start // CHUNK_SIZE}.jsonl")
    second = random.Random(SEED + args.batch).sample(batch, max(1, len(batch) // 10))
    write_jsonl(second, args.out / "second_pass.jsonl")
    print(f"batch {args.batch}: {len(batch)} sentences of {len(pool)} in the pool -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
