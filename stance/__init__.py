"""stance: sentence types and stance toward actors in news and opinion writing.

``import stance`` is cheap: torch and transformers are imported on first use of a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "load",
    "StanceModel",
    "Document",
    "Sentence",
    "Prediction",
    "ActorStance",
    "ActorSummary",
    "ActorFinder",
    "Gazetteer",
    "segment",
    "SENTENCE_TYPES",
    "STANCES",
    "ABSTAIN",
    "analyze_corpus",
    "read_corpus",
    "calibrate",
    "expected_calibration_error",
]

if TYPE_CHECKING:
    from .actors import ActorFinder, Gazetteer
    from .document import ActorStance, ActorSummary, Document, Prediction, Sentence
    from .calibration import calibrate, expected_calibration_error
    from .labels import ABSTAIN, SENTENCE_TYPES, STANCES
    from .streaming import analyze_corpus, read_corpus
    from .pipeline import StanceModel, load
    from .segment import segment

_LAZY = {
    "load": "pipeline",
    "StanceModel": "pipeline",
    "Document": "document",
    "Sentence": "document",
    "Prediction": "document",
    "ActorStance": "document",
    "ActorSummary": "document",
    "ActorFinder": "actors",
    "Gazetteer": "actors",
    "segment": "segment",
    "SENTENCE_TYPES": "labels",
    "STANCES": "labels",
    "ABSTAIN": "labels",
    "analyze_corpus": "streaming",
    "read_corpus": "streaming",
    "calibrate": "calibration",
    "expected_calibration_error": "calibration",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'stance' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
