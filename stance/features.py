"""From labelled rows to the network's inputs: token ids, mention token masks and label ids.

Shared by training (rows -> a ``datasets.Dataset``) and inference: both place character spans on tokens
with ``mention_tokens`` and pad batches with ``JointCollator``, so both see the same inputs.
"""

from __future__ import annotations

from typing import Any

from .labels import LabelSet

__all__ = ["IGNORE", "mention_tokens", "encode_rows", "JointCollator"]

IGNORE = -100  # "no label here": the loss and the metrics skip it


def mention_tokens(offsets: list[tuple[int, int]], spans: list[tuple[int, int]]) -> list[list[int]]:
    """For each character span, the indices of the tokens that overlap it.

    ``offsets`` are the tokenizer's character offsets; special tokens have (0, 0) and never count.
    """
    return [[j for j, (a, b) in enumerate(offsets) if b > a and a < end and b > start] for start, end in spans]


def encode_rows(rows: list[dict[str, Any]], tokenizer: Any, max_length: int, types: LabelSet, stances: LabelSet):
    """A ``datasets.Dataset`` of model inputs. A row has a type ``label``, stance ``targets``, or both;
    the missing task gets IGNORE. Mentions cut off by truncation keep their label but no tokens, so
    the network scores them from the sentence vector, as it does at inference."""
    import datasets

    encoded = tokenizer([r["text"] for r in rows], truncation=True, max_length=max_length, return_offsets_mapping=True)
    columns: dict[str, list[Any]] = {"input_ids": [], "attention_mask": [], "labels": [], "mention_tokens": [], "stance_labels": []}
    for i, row in enumerate(rows):
        offsets = [tuple(o) for o in encoded["offset_mapping"][i]]
        targets = row.get("targets") or []
        columns["input_ids"].append(encoded["input_ids"][i])
        columns["attention_mask"].append(encoded["attention_mask"][i])
        columns["labels"].append(types.index(row["label"]) if row.get("label") is not None else IGNORE)
        columns["mention_tokens"].append(mention_tokens(offsets, [(t["start"], t["end"]) for t in targets]))
        columns["stance_labels"].append([stances.index(t["stance"]) for t in targets])
    return datasets.Dataset.from_dict(columns)


class JointCollator:
    """Pads a batch: ids and attention to the longest row, mentions to the row with the most.

    Every batch carries a mention mask (at least one all-zero column), so evaluation always returns
    stance logits and the Trainer can concatenate them across batches. At inference a feature needs
    only ``input_ids`` and ``mention_tokens``; missing labels are IGNORE.
    """

    def __init__(self, pad_token_id: int):
        self.pad_token_id = pad_token_id

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        width = max(len(f["input_ids"]) for f in features)
        most = max(1, max(len(f["mention_tokens"]) for f in features))
        batch = len(features)
        input_ids = torch.full((batch, width), self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((batch, width), dtype=torch.long)
        mention_mask = torch.zeros((batch, most, width), dtype=torch.long)
        stance_labels = torch.full((batch, most), IGNORE, dtype=torch.long)
        for row, feature in enumerate(features):
            length = len(feature["input_ids"])
            input_ids[row, :length] = torch.tensor(feature["input_ids"])
            attention_mask[row, :length] = 1
            for m, tokens in enumerate(feature["mention_tokens"]):
                mention_mask[row, m, tokens] = 1
            labels = feature.get("stance_labels") or []
            stance_labels[row, : len(labels)] = torch.tensor(labels, dtype=torch.long)
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "labels": torch.tensor([f.get("labels", IGNORE) for f in features], dtype=torch.long),
            "mention_mask": mention_mask,
            "stance_labels": stance_labels,
        }
