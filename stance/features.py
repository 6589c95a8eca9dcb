"""From labelled rows to the network's inputs: token ids, mention token masks and label ids.

Shared by training (rows -> a ``datasets.Dataset``) and inference: both place character spans on tokens
with ``mention_tokens`` and pad batches with ``JointCollator``, so both see the same inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .labels import LabelSet

__all__ = ["IGNORE", "mention_tokens", "marker_ids", "mark_mentions", "encode_mentions", "encode_rows", "JointCollator"]

IGNORE = -100  # "no label here": the loss and the metrics skip it


def mention_tokens(offsets: list[tuple[int, int]], spans: list[tuple[int, int]]) -> list[list[int]]:
    """For each character span, the indices of the tokens that overlap it.

    ``offsets`` are the tokenizer's character offsets; special tokens have (0, 0) and never count.
    """
    return [[j for j, (a, b) in enumerate(offsets) if b > a and a < end and b > start] for start, end in spans]


def marker_ids(tokenizer: Any, markers: list[str] | None) -> tuple[int, int] | None:
    """The token ids of an (opening, closing) marker pair, checked to be single vocabulary entries."""
    if not markers:
        return None
    if len(markers) != 2:
        raise ValueError(f"mention_markers must be an (opening, closing) pair, got {markers!r}")
    ids = []
    for marker in markers:
        found = tokenizer.convert_tokens_to_ids(marker)
        if found is None or found == getattr(tokenizer, "unk_token_id", None):
            raise ValueError(f"mention marker {marker!r} is not one token of this tokenizer's vocabulary")
        ids.append(found)
    return ids[0], ids[1]


def mark_mentions(
    ids: list[int], mentions: list[list[int]], markers: tuple[int, int], sep_id: int, max_length: int
) -> tuple[list[int], list[list[int]], bool]:
    """Insert an opening marker before each mention's first token and a closing one after its last.

    Markers tell the encoder, in its one pass over the sentence, which words are the actors being judged
    (entity markers usually need one pass per mention). Each mention's tokens then include its two
    markers. A row pushed past ``max_length`` is cut to ``max_length - 1`` tokens plus ``sep_id``;
    returns the new ids, the mentions' token indices and whether the markers caused a cut.
    """
    opening: dict[int, list[int]] = {}
    closing: dict[int, list[int]] = {}
    for m, tokens in enumerate(mentions):
        if tokens:
            opening.setdefault(min(tokens), []).append(m)
            closing.setdefault(max(tokens), []).append(m)
    marked: list[int] = []
    position: dict[int, int] = {}
    marker_positions: list[list[int]] = [[] for _ in mentions]
    for j, token in enumerate(ids):
        for m in opening.get(j, ()):
            marker_positions[m].append(len(marked))
            marked.append(markers[0])
        position[j] = len(marked)
        marked.append(token)
        for m in closing.get(j, ()):
            marker_positions[m].append(len(marked))
            marked.append(markers[1])
    tokens_out = [sorted(marker_positions[m] + [position[j] for j in tokens]) for m, tokens in enumerate(mentions)]
    cut = len(marked) > max_length
    if cut:
        marked = marked[: max_length - 1] + [sep_id]
        tokens_out = [[t for t in row if t < max_length - 1] for row in tokens_out]
    return marked, tokens_out, cut


def encode_mentions(
    tokenizer: Any, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], max_length: int,
    markers: tuple[int, int] | None = None,
) -> tuple[list[list[int]], list[list[list[int]]], list[bool]]:
    """Token ids, each span's token indices and whether the row was cut: what training and inference
    both feed the network. ``tokenizer.encode`` cuts at ``max_length``; with ``markers`` every span is
    marked (``mark_mentions``), and a row the markers push past ``max_length`` counts as cut too."""
    all_ids, all_offsets, truncated = tokenizer.encode(texts, max_length)
    mentions = [mention_tokens(offsets, row_spans) for offsets, row_spans in zip(all_offsets, spans)]
    if markers is not None:
        for i in range(len(all_ids)):
            all_ids[i], mentions[i], cut = mark_mentions(all_ids[i], mentions[i], markers, tokenizer.sep_token_id, max_length)
            truncated[i] = truncated[i] or cut
    return all_ids, mentions, truncated


def encode_rows(
    rows: list[dict[str, Any]], tokenizer: Any, max_length: int, types: LabelSet, stances: LabelSet,
    markers: tuple[int, int] | None = None,
):
    """A ``datasets.Dataset`` of model inputs, tokenized by ``tokenizer.encode`` (a
    ``stance.tokenization.Tokenizer``) exactly as inference tokenizes. A row has a type ``label``, stance ``targets``, or both;
    the missing task gets IGNORE. Mentions cut off by truncation keep their label but no tokens, so
    the network scores them from the sentence vector, as it does at inference.

    A teacher's probabilities (``stance.distillation``) ride along as ``type_scores`` on the row and
    ``stance_scores`` on each target, ``[]`` where there are none; a target a teacher scored needs no
    gold ``stance`` (it gets IGNORE). With ``markers`` (``marker_ids``) every target is marked in the text
    the encoder reads (``mark_mentions``), as inference does for every detected mention."""
    import datasets

    all_targets = [row.get("targets") or [] for row in rows]
    all_ids, all_mentions, _ = encode_mentions(
        tokenizer, [r["text"] for r in rows], [[(t["start"], t["end"]) for t in targets] for targets in all_targets],
        max_length, markers,
    )
    columns: dict[str, list[Any]] = {
        "input_ids": [], "attention_mask": [], "labels": [], "mention_tokens": [], "stance_labels": [],
        "type_scores": [], "stance_scores": [],
    }
    for i, (row, targets, ids) in enumerate(zip(rows, all_targets, all_ids)):
        columns["input_ids"].append(ids)
        columns["attention_mask"].append([1] * len(ids))
        columns["labels"].append(types.index(row["label"]) if row.get("label") is not None else IGNORE)
        columns["mention_tokens"].append(all_mentions[i])
        columns["stance_labels"].append([_stance_label(t, stances, i) for t in targets])
        columns["type_scores"].append(list(row.get("type_scores") or []))
        columns["stance_scores"].append([list(t.get("stance_scores") or []) for t in targets])
    return datasets.Dataset.from_dict(columns)


def _stance_label(target: dict[str, Any], stances: LabelSet, row: int) -> int:
    if target.get("stance") is not None:
        return stances.index(target["stance"])
    if target.get("stance_scores"):
        return IGNORE
    raise ValueError(
        f"row {row}: target {target.get('mention')!r} at {target.get('start')}-{target.get('end')} has neither "
        "a gold `stance` nor teacher `stance_scores`"
    )


class JointCollator:
    """Pads a batch: ids and attention to the longest row, mentions to the row with the most.

    Every batch carries a mention mask (at least one all-zero column), so evaluation always returns
    stance logits and the Trainer can concatenate them across batches. At inference a feature needs
    only ``input_ids`` and ``mention_tokens``; missing labels are IGNORE.

    Teacher probabilities become ``type_scores`` [batch, types] and ``stance_scores`` [batch, mentions,
    stances] only in batches where some feature has them, so inference and gold-only batches are as
    before; a row or mention without them is all zeros, which the loss reads as "no soft target".
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
        out = {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "labels": torch.tensor([f.get("labels", IGNORE) for f in features], dtype=torch.long),
            "mention_mask": mention_mask,
            "stance_labels": stance_labels,
        }
        type_scores = _soft_targets([[f.get("type_scores") or []] for f in features], 1)
        if type_scores is not None:
            out["type_scores"] = type_scores[:, 0]
        stance_scores = _soft_targets([f.get("stance_scores") or [] for f in features], most)
        if stance_scores is not None:
            out["stance_scores"] = stance_scores
        return out


def _soft_targets(per_row: list[list[list[float]]], most: int) -> Any:
    """[rows, most, labels] float tensor of probability lists, zeros where a list is empty; None when all are."""
    import torch

    width = next((len(scores) for row in per_row for scores in row if scores), 0)
    if not width:
        return None
    out = torch.zeros((len(per_row), most, width), dtype=torch.float)
    for r, row in enumerate(per_row):
        for m, scores in enumerate(row):
            if scores:
                out[r, m] = torch.tensor(scores, dtype=torch.float)
    return out
