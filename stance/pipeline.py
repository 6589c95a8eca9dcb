"""The user-facing model: load, classify sentences, analyse documents, save.

    >>> import stance
    >>> model = stance.load()                 # the shipped default model
    >>> model.classify(["Exports will rise next year."])[0].label
    'forecast'
    >>> doc = model.analyze(open("op-ed.txt").read())
    >>> doc.actors["China"].label                            # the document's stance toward China
    >>> model.predict_stance("Beijing rebuked Washington.", [(0, 7), (16, 26)])

Inference sorts sentences by token length and pads each batch only to its longest member, so a batch
of short sentences costs what short sentences cost; results come back in input order. One encoder pass
per sentence scores its type and the stance toward every actor mention in it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .actors import ActorFinder, Mention
from .document import ActorStance, Document, Prediction, Sentence
from .labels import ABSTAIN
from .segment import Span, segment

Spans = Sequence[tuple[int, int]]

__all__ = ["StanceModel", "load", "default_model_path", "BUNDLED_MODELS"]

# Models known by name, inside the wheel (stance/_models) and in a checkout (models/). "accurate" holds only
# LoRA adapters and heads; its base encoder is fetched once with `stance download accurate`.
BUNDLED_MODELS = ("default", "accurate")


def default_model_path(name: str = "default") -> Path:
    """Where a bundled model lives: inside the installed package, else in the source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_models" / name, here.parent / "models" / name):
        if (candidate / "config.json").is_file():
            return candidate
    raise FileNotFoundError(
        f"bundled model {name!r} not found (looked in {here / '_models' / name} and "
        f"{here.parent / 'models' / name}); reinstall stance-mining or pass a model folder"
    )


def load(
    path: str | os.PathLike[str] | None = None, ner: str | None = None, precision: str = "auto", device: str | None = None
) -> "StanceModel":
    """Load a model: ``None`` or a bundled name (``"default"``, ``"accurate"``), else a folder from ``save_pretrained``.

    A model whose base encoder is not available yet (the accurate model's, before ``stance download
    accurate``) raises FileNotFoundError saying how to fetch it.

    ``ner="spacy"`` adds spaCy's named-entity recogniser (the ``ner`` extra) to the gazetteer, so that
    people and companies are found as actors too; it roughly halves analysis speed.
    ``precision`` is ``auto`` (bf16 on CPUs with native bf16, else fp32), ``fp32``, ``bf16``, ``int8``, or
    ``onnx`` / ``onnx-int8`` (ONNX Runtime, the ``onnx`` extra; the graph is exported to the cache once).
    ``device`` is ``cpu`` (the default), ``cuda`` / ``cuda:N``, or ``auto`` (a GPU where torch sees one);
    on a GPU, ``auto`` precision is bf16 where the GPU supports it, and int8 and ONNX are refused.
    """
    if path is None or (isinstance(path, str) and path in BUNDLED_MODELS):
        path = default_model_path(path or "default")
    finder = None
    if ner is not None:
        from .actors import named_entity_recognizer

        finder = ActorFinder(ner=named_entity_recognizer(ner))
    return StanceModel.from_pretrained(path, actor_finder=finder, precision=precision, device=device)


class StanceModel:
    """Tokenizer + network + config; what :func:`load` returns."""

    def __init__(
        self, network: Any, tokenizer: Any, source: str | None = None, actor_finder: ActorFinder | None = None,
        precision: str = "fp32", device: str | None = None,
    ):
        from .modeling import resolve_device, set_precision
        from .tokenization import Tokenizer

        self.config = network.config
        self.device = resolve_device(device)
        self.network, self.precision = set_precision(network, precision, self.device)
        # A transformers tokenizer (training hands one over) is wrapped: inference runs on stance.tokenization.
        self.tokenizer = tokenizer if isinstance(tokenizer, Tokenizer) else Tokenizer.from_transformers(tokenizer)
        self.source = source
        self._actor_finder = actor_finder

    @property
    def actor_finder(self) -> ActorFinder:
        """Gazetteer-based actor detection, built on first use (reading the gazetteer takes a moment)."""
        if self._actor_finder is None:
            self._actor_finder = ActorFinder()
        return self._actor_finder

    @classmethod
    def from_pretrained(
        cls, directory: str | os.PathLike[str], actor_finder: ActorFinder | None = None, precision: str = "fp32",
        device: str | None = None,
    ) -> "StanceModel":
        from .modeling import load_network
        from .tokenization import Tokenizer

        directory = Path(directory)
        if not directory.is_dir():
            raise FileNotFoundError(f"model folder {directory} does not exist")
        network = load_network(directory)
        tokenizer = Tokenizer.from_pretrained(directory)
        return cls(network, tokenizer, source=str(directory), actor_finder=actor_finder, precision=precision, device=device)

    def save_pretrained(self, directory: str | os.PathLike[str], weights_dtype: str | None = None) -> None:
        from .modeling import UNSAVABLE_PRECISIONS, save_network

        if self.precision in UNSAVABLE_PRECISIONS:
            kind = "an int8-quantized" if self.precision == "int8" else f"a {self.precision} (ONNX Runtime)"
            raise ValueError(f"{kind} model cannot be saved; load it in fp32 or bf16 to save it")
        save_network(self.network, directory, weights_dtype=weights_dtype)
        self.tokenizer.save_pretrained(str(directory))

    @property
    def type_labels(self) -> list[str]:
        return list(self.config.type_labels)

    @property
    def stance_labels(self) -> list[str]:
        return list(self.config.stance_labels)

    def classify(self, sentences: Sequence[str], batch_size: int = 64) -> list[Prediction]:
        """The sentence type of each sentence, with the probability of every type."""
        types, _, _ = self.predict(sentences, [[] for _ in sentences], batch_size)
        return types

    def predict_stance(self, text: str, spans: Spans, batch_size: int = 64) -> list[Prediction]:
        """The stance ``text`` takes toward each ``(start, end)`` character span in it, in one pass."""
        if not isinstance(text, str):
            raise TypeError(f"predict_stance() needs the text as str, got {type(text).__name__}")
        _, stances, _ = self.predict([text], [spans], batch_size)
        return stances[0]

    def analyze(
        self,
        text: str,
        actors: Mapping[str, Sequence[str]] | None = None,
        batch_size: int = 64,
        id: str | None = None,
        abstain: float | None = None,
    ) -> Document:
        """Segment ``text``, type every segment and score the stance toward every actor it mentions.

        ``actors`` maps canonical names to aliases (``{"China": ["Beijing", "PRC"]}``); they take
        precedence over the shipped gazetteer. Offsets index into ``text``. With ``abstain=p``, a
        sentence or mention whose best label has probability below ``p`` is labelled ``"abstain"``
        (its scores are kept); the shipped model's probabilities are calibrated, so ``p`` means what it says.
        """
        return next(self.analyze_many([text], actors, batch_size, ids=[id], abstain=abstain))

    def analyze_many(
        self,
        texts: Iterable[str],
        actors: Mapping[str, Sequence[str]] | None = None,
        batch_size: int = 64,
        ids: Iterable[str | None] | None = None,
        buffer_sentences: int = 1024,
        abstain: float | None = None,
    ) -> Iterator[Document]:
        """Analyse texts lazily, in order, so a corpus of any size streams through in bounded memory.

        Documents are gathered until they hold about ``buffer_sentences`` sentences and scored together,
        so short documents still fill length-sorted batches; each is yielded as soon as its group is done.
        """
        if abstain is not None and not 0 < abstain < 1:
            raise ValueError(f"abstain must be a probability between 0 and 1, got {abstain}")
        finder = self.actor_finder if actors is None else ActorFinder(self.actor_finder.gazetteer, actors, self.actor_finder.ner)
        pending: list[tuple[str, str | None, list[Span], list[list[Mention]]]] = []
        buffered = 0
        # strict: ids and texts of different lengths would pair documents with the wrong ids
        for text, id in zip(texts, ids, strict=True) if ids is not None else zip(texts, itertools.repeat(None)):
            if not isinstance(text, str):
                raise TypeError(f"analyze() needs the text as str, got {type(text).__name__}")
            spans = segment(text)
            pending.append((text, id, spans, finder.find([s.text for s in spans])))
            buffered += len(spans)
            if buffered >= buffer_sentences:
                yield from self._score_documents(pending, batch_size, abstain)
                pending, buffered = [], 0
        yield from self._score_documents(pending, batch_size, abstain)

    def _score_documents(
        self, pending: list[tuple[str, str | None, list[Span], list[list[Mention]]]], batch_size: int, abstain: float | None
    ) -> Iterator[Document]:
        sentences = [s.text for _, _, spans, _ in pending for s in spans]
        spans_per_sentence = [[(m.start, m.end) for m in found] for _, _, _, mentions in pending for found in mentions]
        types, stances, truncated = self.predict(sentences, spans_per_sentence, batch_size)
        if abstain is not None:
            types = [_abstain_below(p, abstain) for p in types]
            stances = [[_abstain_below(p, abstain) for p in row] for row in stances]
        per_sentence = zip(types, stances, truncated)
        for text, id, spans, mentions in pending:
            scored = [(span, *next(per_sentence), found) for span, found in zip(spans, mentions)]
            analysed = [
                Sentence(
                    span.text, span.start, span.end, span.kind, kind.label, kind.scores, cut,
                    tuple(_actor_stance(m, p, span.start) for m, p in zip(found, stance)),
                )
                for span, kind, stance, cut, found in scored
            ]
            yield Document(text=text, sentences=analysed, model=self.describe(), id=id)

    def describe(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "base_model": self.config.base_model,
            "library_version": self.config.library_version,
            "max_length": self.config.max_length,
            "precision": self.precision,
            "device": str(self.device),
            "gazetteer": self.actor_finder.gazetteer.version,
        }

    def predict(
        self, sentences: Sequence[str], spans: Sequence[Spans], batch_size: int = 64
    ) -> tuple[list[Prediction], list[list[Prediction]], list[bool]]:
        """Type predictions, stance predictions per span of each sentence, and truncation flags, in
        input order: the batch form of :meth:`classify` and :meth:`predict_stance` together."""
        import torch

        from .features import JointCollator, encode_mentions, marker_ids

        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        _check_sentences(sentences)
        if len(spans) != len(sentences):
            raise ValueError(f"{len(sentences)} sentences but {len(spans)} span lists")
        spans = [_check_spans(text, row) for text, row in zip(sentences, spans)]
        if not sentences:
            return [], [], []
        markers = marker_ids(self.tokenizer, self.config.mention_markers)
        encoded, mentions, truncated = encode_mentions(self.tokenizer, sentences, spans, self.config.max_length, markers)
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        collate = JointCollator(self.tokenizer.pad_token_id)
        type_probs: list[list[float]] = [[] for _ in sentences]
        stance_probs: list[list[list[float]]] = [[] for _ in sentences]
        with torch.inference_mode():
            for begin in range(0, len(order), batch_size):
                batch = order[begin : begin + batch_size]
                inputs = collate([{"input_ids": encoded[i], "mention_tokens": mentions[i]} for i in batch])
                inputs = {name: inputs[name].to(self.device) for name in ("input_ids", "attention_mask", "mention_mask")}
                out = self.network(**inputs)
                # One softmax and one conversion to Python lists per batch, not per sentence.
                batch_types = (out["logits"].float() / self.config.type_temperature).softmax(-1).tolist()
                batch_stances = (out["stance_logits"].float() / self.config.stance_temperature).softmax(-1).tolist()
                for row, i in enumerate(batch):
                    type_probs[i] = batch_types[row]
                    stance_probs[i] = batch_stances[row][: len(spans[i])]
        types = [_prediction(self.type_labels, row) for row in type_probs]
        stances = [[_prediction(self.stance_labels, row) for row in rows] for rows in stance_probs]
        return types, stances, truncated

    def tokenize(self, sentences: Sequence[str]) -> tuple[list[list[int]], list[list[tuple[int, int]]], list[bool]]:
        """Token ids with [CLS]/[SEP] cut to ``max_length``, each token's character offsets, and which were cut."""
        return self.tokenizer.encode(sentences, self.config.max_length)


def _prediction(labels: list[str], probabilities: list[float]) -> Prediction:
    best = max(range(len(labels)), key=probabilities.__getitem__)
    return Prediction(labels[best], dict(zip(labels, probabilities)))


def _abstain_below(prediction: Prediction, threshold: float) -> Prediction:
    return prediction if prediction.scores[prediction.label] >= threshold else Prediction(ABSTAIN, prediction.scores)


def _actor_stance(mention: Mention, prediction: Prediction, offset: int) -> ActorStance:
    return ActorStance(
        mention.actor, mention.mention, mention.start + offset, mention.end + offset,
        prediction.label, prediction.scores, mention.type,
    )


def _check_sentences(sentences: Sequence[str]) -> None:
    if isinstance(sentences, str):
        raise TypeError("needs a list of sentences, not one string")
    for i, sentence in enumerate(sentences):
        if not isinstance(sentence, str):
            raise TypeError(f"sentence {i} is {type(sentence).__name__}, not str")
        if not sentence.strip():
            raise ValueError(f"sentence {i} is empty or only whitespace")


def _check_spans(text: str, spans: Spans) -> list[tuple[int, int]]:
    checked = []
    for i, span in enumerate(spans):
        try:
            start, end = span
        except (TypeError, ValueError):
            raise ValueError(f"span {i} must be a (start, end) pair, got {span!r}") from None
        if not (isinstance(start, int) and isinstance(end, int)):
            raise TypeError(f"span {i} ({start!r}, {end!r}): offsets must be int")
        if not 0 <= start < end <= len(text):
            raise ValueError(f"span {i} ({start}, {end}) is not a non-empty span inside the text (length {len(text)})")
        checked.append((start, end))
    return checked
