"""The tokenizer used at inference: a thin wrapper over a ``tokenizers.Tokenizer``, without ``transformers``.

Why: ``AutoTokenizer`` imports ``transformers`` (about 2 s); the ``tokenizers`` library reads the same
``tokenizer.json`` in some 20 ms and does the same work, since the "fast" tokenizers of transformers
are this library underneath. A :class:`Tokenizer` reads a model folder's ``tokenizer.json`` (and the
special tokens named in ``tokenizer_config.json``), or wraps the backend of a fast transformers
tokenizer after training, and writes folders that both it and ``AutoTokenizer`` read back.

Truncation and padding saved in ``tokenizer.json`` are switched off: :meth:`Tokenizer.encode` cuts rows
itself, as the pipeline always has (special tokens added, then a row longer than ``max_length`` cut to
``max_length - 1`` tokens and the separator), so a cut row still ends with its separator.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import tokenizers

__all__ = ["Tokenizer", "TOKENIZER_FILE", "TOKENIZER_CONFIG_FILE"]

TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
SPECIAL_TOKENS_MAP_FILE = "special_tokens_map.json"
SPECIAL_TOKENS = ("cls_token", "sep_token", "pad_token", "unk_token", "mask_token", "bos_token", "eos_token")
# Keys of a transformers tokenizer's init_kwargs that are not settings: paths, and what tokenizer.json holds.
_NOT_SAVED = {"name_or_path", "vocab_file", "merges_file", "tokenizer_file", "added_tokens_decoder", "special_tokens_map_file"}


def _special_token_id(name: str) -> property:
    def token_id(self: Tokenizer) -> int | None:
        return self._ids.get(name)

    return property(token_id, doc=f"The id of the {name}, or None when this tokenizer has none.")


class Tokenizer:
    """Token ids and character offsets of sentences, the way the pipeline feeds them to the network.

    ``backend`` is a ``tokenizers.Tokenizer``, whose truncation and padding are switched off (on that
    object); ``config`` is the content of ``tokenizer_config.json``, kept to be written back by
    :meth:`save_pretrained` and read for the special tokens (``cls_token``, ``sep_token``, ``pad_token``,
    ...). A special token the config does not name is taken from the backend's post-processor
    (cls/sep), padding settings (pad) or model (unk).
    """

    def __init__(self, backend: tokenizers.Tokenizer, config: dict[str, Any] | None = None):
        tokens = _tokens_from_backend(backend)
        self._backend = backend
        backend.no_truncation()
        backend.no_padding()
        self.config: dict[str, Any] = dict(config or {})
        for name in SPECIAL_TOKENS:
            if self.config.get(name) is not None:
                tokens[name] = _content(self.config[name])
        self.special_tokens: dict[str, str] = {name: token for name, token in tokens.items() if token is not None}
        self._ids = {name: self._backend.token_to_id(token) for name, token in self.special_tokens.items()}

    @classmethod
    def from_pretrained(cls, directory: str | os.PathLike[str]) -> "Tokenizer":
        """Read ``tokenizer.json`` and, where present, ``tokenizer_config.json`` (else ``special_tokens_map.json``)."""
        directory = Path(directory)
        path = directory / TOKENIZER_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{directory} has no {TOKENIZER_FILE}")
        config: dict[str, Any] = {}
        for name in (SPECIAL_TOKENS_MAP_FILE, TOKENIZER_CONFIG_FILE):  # the config wins where both name a token
            extra = directory / name
            if extra.is_file():
                config.update(json.loads(extra.read_text(encoding="utf-8")))
        return cls(tokenizers.Tokenizer.from_file(str(path)), config)

    @classmethod
    def from_transformers(cls, tokenizer: Any) -> "Tokenizer":
        """Wrap a fast transformers tokenizer (its ``backend_tokenizer``, copied; the original is not changed)."""
        backend = getattr(tokenizer, "backend_tokenizer", None)
        if backend is None:
            raise TypeError(f"{type(tokenizer).__name__} is not a fast (tokenizers-backed) tokenizer")
        config: dict[str, Any] = {}
        for key, value in getattr(tokenizer, "init_kwargs", {}).items():
            if key in _NOT_SAVED:
                continue
            value = _content(value)
            if value is None or isinstance(value, (str, int, float, bool)):
                config[key] = value
        config.update(getattr(tokenizer, "special_tokens_map", {}) or {})
        config["tokenizer_class"] = type(tokenizer).__name__
        if isinstance(getattr(tokenizer, "model_max_length", None), int):
            config["model_max_length"] = tokenizer.model_max_length
        return cls(tokenizers.Tokenizer.from_str(backend.to_str()), config)

    def save_pretrained(self, directory: str | os.PathLike[str]) -> None:
        """Write ``tokenizer.json`` (no truncation, no padding) and ``tokenizer_config.json``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self._backend.save(str(directory / TOKENIZER_FILE))
        config = dict(self.config)
        config.update(self.special_tokens)
        # AutoTokenizer needs a class name; the folder's config.json is stance's, not a transformers one.
        config.setdefault("tokenizer_class", "PreTrainedTokenizerFast")
        text = json.dumps(config, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        (directory / TOKENIZER_CONFIG_FILE).write_text(text, encoding="utf-8")

    @property
    def backend(self) -> tokenizers.Tokenizer:
        return self._backend

    # Named as transformers tokenizers name them, so code written for either reads both.
    cls_token_id = _special_token_id("cls_token")
    sep_token_id = _special_token_id("sep_token")
    pad_token_id = _special_token_id("pad_token")
    unk_token_id = _special_token_id("unk_token")
    mask_token_id = _special_token_id("mask_token")

    def __len__(self) -> int:
        return self._backend.get_vocab_size(with_added_tokens=True)

    def convert_tokens_to_ids(self, tokens: str | Sequence[str]) -> int | None | list[int | None]:
        """The id of a vocabulary entry (None when it is not one); a list of ids for a list of tokens."""
        if isinstance(tokens, str):
            return self._backend.token_to_id(tokens)
        return [self._backend.token_to_id(token) for token in tokens]

    def convert_ids_to_tokens(self, ids: int | Iterable[int]) -> str | None | list[str | None]:
        if isinstance(ids, int):
            return self._backend.id_to_token(ids)
        return [self._backend.id_to_token(int(i)) for i in ids]

    def encode(
        self, texts: Sequence[str], max_length: int
    ) -> tuple[list[list[int]], list[list[tuple[int, int]]], list[bool]]:
        """Ids with the special tokens, each token's (start, end) character offsets, and whether the row was cut.

        A row longer than ``max_length`` keeps its first ``max_length - 1`` tokens and gets the separator,
        whose offsets are (0, 0) like every special token's.
        """
        if isinstance(texts, str):
            raise TypeError("encode() needs a list of texts, not one string")
        if max_length < 2:
            raise ValueError(f"max_length must leave room for a token and the separator, got {max_length}")
        keep = max_length - 1
        sep = None
        ids, offsets, truncated = [], [], []
        for encoding in self._backend.encode_batch(list(texts), add_special_tokens=True):
            row = encoding.ids
            if len(row) > max_length:
                if sep is None:
                    sep = self._require("sep_token")
                ids.append(row[:keep] + [sep])
                offsets.append(encoding.offsets[:keep] + [(0, 0)])
                truncated.append(True)
            else:
                ids.append(row)
                offsets.append(encoding.offsets)
                truncated.append(False)
        return ids, offsets, truncated

    def _require(self, name: str) -> int:
        found = self._ids.get(name)
        if found is None:
            raise ValueError(f"this tokenizer has no {name} in its vocabulary (special tokens: {self.special_tokens})")
        return found

    def __repr__(self) -> str:
        kind = self.config.get("tokenizer_class", "tokenizers")
        return f"Tokenizer({kind}, vocabulary {len(self)}, special tokens {self.special_tokens})"


def _content(value: Any) -> Any:
    """A special token as its text: config files and transformers may give an AddedToken or its dict."""
    if isinstance(value, dict) and "content" in value:
        return value["content"]
    content = getattr(value, "content", None)
    return content if isinstance(content, str) else value


def _tokens_from_backend(backend: tokenizers.Tokenizer) -> dict[str, str | None]:
    """Special tokens read off the backend itself: cls/sep from the post-processor, pad, unk."""
    tokens: dict[str, str | None] = {}
    processor = json.loads(backend.post_processor.__getstate__()) if backend.post_processor is not None else {}
    if processor.get("type") == "Sequence":
        processor = next((p for p in processor.get("processors", []) if "single" in p or "cls" in p), {})
    if isinstance(processor.get("cls"), list):  # BertProcessing, RobertaProcessing: [token, id]
        tokens["cls_token"] = processor["cls"][0]
        tokens["sep_token"] = processor["sep"][0]
    elif isinstance(processor.get("single"), list):  # TemplateProcessing: special tokens before and after the text
        single = processor["single"]
        if single and "SpecialToken" in single[0]:
            tokens["cls_token"] = single[0]["SpecialToken"]["id"]
        if single and "SpecialToken" in single[-1]:
            tokens["sep_token"] = single[-1]["SpecialToken"]["id"]
    tokens["pad_token"] = (backend.padding or {}).get("pad_token")
    tokens["unk_token"] = getattr(backend.model, "unk_token", None)
    return tokens
