"""A BERT encoder in plain PyTorch, for inference without importing ``transformers``.

Why: ``import transformers`` and building a model through ``AutoModel`` take about 2.5 s, more than the
rest of loading a model together; this module needs only ``torch``. It covers the encoders the default
model uses (all-MiniLM-L6-v2 and any other BERT of the same design): absolute position embeddings, a
GELU (or ReLU) feed-forward, no decoder, no pooler. :func:`supports` says whether it runs a given config;
for anything else the caller builds the ``transformers`` model instead. Training builds it too, for
its faster dropout (:func:`dropout`).

:class:`BertEncoder` computes what ``transformers.BertModel(config, add_pooling_layer=False)`` computes,
with the same parameter names, so the same ``model.safetensors`` loads into either unchanged. Its
non-persistent buffers (``embeddings.position_ids``, ``embeddings.token_type_ids``) are the ones
``BertModel`` has, and like there they are not part of the state dict. Attention runs through
``torch.nn.functional.scaled_dot_product_attention`` with the padding mask at inference; in train mode,
dropout follows BERT's (``hidden_dropout_prob``, ``attention_probs_dropout_prob``, the latter on the
attention probabilities of an explicit softmax), so the module is also correct for training.
It runs in float32 and bfloat16 and exports to ONNX with the TorchScript exporter (``stance.onnx``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["BertSettings", "BertEncoder", "BertOutput", "supports", "dropout", "ACTIVATIONS"]


def _gelu_new(x: torch.Tensor) -> torch.Tensor:
    # transformers' NewGELUActivation, written the same way so the rounding is the same
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def _gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    return F.gelu(x, approximate="tanh")


# The feed-forward activations, by config name, each exactly as transformers' ACT2FN computes it.
ACTIVATIONS = {"gelu": F.gelu, "gelu_new": _gelu_new, "gelu_pytorch_tanh": _gelu_tanh, "relu": F.relu}


def dropout(states: torch.Tensor, p: float) -> torch.Tensor:
    """Inverted dropout in train mode: what ``F.dropout(states, p, True)`` computes, in distribution.

    Why not ``F.dropout``: on the CPU it draws one random number per element, which measured 15% of a
    MiniLM training step here (2026-11-29). Each 64-bit draw here gives four 16-bit ones, so an element is
    kept with probability 1 - p to within 2**-16.
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    count = states.numel()
    draws = torch.randint(-(2**63), 2**63 - 1, ((count + 3) // 4,), dtype=torch.int64, device=states.device)
    keep = draws.view(torch.int16)[:count].view(states.shape) >= round(p * 65536) - 32768
    return states * keep.to(states.dtype) * (1.0 / (1.0 - p))


@dataclass(frozen=True)
class BertSettings:
    """The sizes of a BERT encoder; missing fields take ``transformers.BertConfig``'s defaults."""

    vocab_size: int = 30522
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    initializer_range: float = 0.02
    layer_norm_eps: float = 1e-12
    pad_token_id: int | None = 0
    position_embedding_type: str = "absolute"
    model_type: str = "bert"

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> "BertSettings":
        """From a config dict (``config.json``, ``to_diff_dict()``); fields that do not size the encoder are ignored."""
        values = {}
        for f in fields(cls):
            # null means "the default", except for pad_token_id, where it means "no padding row"
            if f.name in raw and (raw[f.name] is not None or f.name == "pad_token_id"):
                values[f.name] = raw[f.name]
        return cls(**values)

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def supports(encoder_config: Mapping[str, Any]) -> bool:
    """Whether :class:`BertEncoder` computes exactly what transformers computes for this config.

    True for ``model_type`` bert with absolute positions, an activation in :data:`ACTIVATIONS`, no decoder
    or cross-attention and a hidden size divisible by the head count; anything else (other architectures,
    relative positions, ...) is for transformers.
    """
    if not isinstance(encoder_config, Mapping) or encoder_config.get("model_type") != "bert":
        return False
    if encoder_config.get("position_embedding_type") not in (None, "absolute"):
        return False
    if encoder_config.get("is_decoder") or encoder_config.get("add_cross_attention"):
        return False
    if encoder_config.get("embedding_size") not in (None, encoder_config.get("hidden_size", 768)):
        return False
    settings = BertSettings.from_dict(encoder_config)
    if not isinstance(settings.hidden_act, str) or settings.hidden_act not in ACTIVATIONS:
        return False
    sizes = (settings.hidden_size, settings.num_attention_heads, settings.num_hidden_layers, settings.intermediate_size,
             settings.vocab_size, settings.max_position_embeddings, settings.type_vocab_size)
    if not all(isinstance(n, int) and n > 0 for n in sizes):
        return False
    return settings.hidden_size % settings.num_attention_heads == 0


class BertOutput(NamedTuple):
    """What :meth:`BertEncoder.forward` returns: the token states [batch, seq, hidden]."""

    last_hidden_state: torch.Tensor


class _Embeddings(nn.Module):
    def __init__(self, settings: BertSettings):
        super().__init__()
        self.word_embeddings = nn.Embedding(settings.vocab_size, settings.hidden_size, padding_idx=settings.pad_token_id)
        self.position_embeddings = nn.Embedding(settings.max_position_embeddings, settings.hidden_size)
        self.token_type_embeddings = nn.Embedding(settings.type_vocab_size, settings.hidden_size)
        self.LayerNorm = nn.LayerNorm(settings.hidden_size, eps=settings.layer_norm_eps)
        self.dropout = settings.hidden_dropout_prob
        # Not used here, not saved: kept so the module has the buffers transformers' BertEmbeddings has.
        positions = torch.arange(settings.max_position_embeddings).expand((1, -1))
        self.register_buffer("position_ids", positions, persistent=False)
        self.register_buffer("token_type_ids", torch.zeros(positions.size(), dtype=torch.long), persistent=False)
        self.max_positions = settings.max_position_embeddings

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None) -> torch.Tensor:
        length = input_ids.shape[1]
        if not torch.jit.is_tracing() and length > self.max_positions:
            raise ValueError(f"{length} tokens is more than this encoder's {self.max_positions} positions")
        states = self.word_embeddings(input_ids)
        # Segment 0 everywhere unless told otherwise: adding row 0 is what looking up zeros would give.
        if token_type_ids is None:
            states = states + self.token_type_embeddings.weight[0]
        else:
            states = states + self.token_type_embeddings(token_type_ids)
        states = states + self.position_embeddings.weight[:length]
        states = self.LayerNorm(states)
        if self.training and self.dropout:
            states = dropout(states, self.dropout)
        return states


class _SelfAttention(nn.Module):
    def __init__(self, settings: BertSettings):
        super().__init__()
        self.query = nn.Linear(settings.hidden_size, settings.hidden_size)
        self.key = nn.Linear(settings.hidden_size, settings.hidden_size)
        self.value = nn.Linear(settings.hidden_size, settings.hidden_size)


class _DenseNorm(nn.Module):
    """dense -> dropout -> LayerNorm(+ residual); only a holder of the parameters, called by ``_Layer``."""

    def __init__(self, inputs: int, settings: BertSettings):
        super().__init__()
        self.dense = nn.Linear(inputs, settings.hidden_size)
        self.LayerNorm = nn.LayerNorm(settings.hidden_size, eps=settings.layer_norm_eps)


class _Attention(nn.Module):
    def __init__(self, settings: BertSettings):
        super().__init__()
        self.self = _SelfAttention(settings)
        self.output = _DenseNorm(settings.hidden_size, settings)


class _Intermediate(nn.Module):
    def __init__(self, settings: BertSettings):
        super().__init__()
        self.dense = nn.Linear(settings.hidden_size, settings.intermediate_size)


class _Layer(nn.Module):
    """One transformer block. Its forward calls the linear and norm modules itself (not nested forwards):
    less Python per layer, while each ``nn.Linear`` stays a module that LoRA or int8 quantization can swap."""

    def __init__(self, settings: BertSettings):
        super().__init__()
        self.attention = _Attention(settings)
        self.intermediate = _Intermediate(settings)
        self.output = _DenseNorm(settings.intermediate_size, settings)
        self.heads = settings.num_attention_heads
        self.head_size = settings.head_size
        self.scale = settings.head_size**-0.5  # as transformers computes it
        self.activation = ACTIVATIONS[settings.hidden_act]
        self.hidden_dropout = settings.hidden_dropout_prob
        self.attention_dropout = settings.attention_probs_dropout_prob

    def forward(self, states: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        attention = self.attention
        shape = (states.shape[0], states.shape[1], self.heads, self.head_size)
        query = attention.self.query(states).view(shape).transpose(1, 2)
        key = attention.self.key(states).view(shape).transpose(1, 2)
        value = attention.self.value(states).view(shape).transpose(1, 2)
        training = self.training
        if training and self.attention_dropout:
            mixed = _attention_with_dropout(query, key, value, mask, self.scale, self.attention_dropout)
        elif query.dtype == torch.bfloat16 and not torch.jit.is_tracing():
            mixed = _attention_bmm(query, key, value, mask, self.scale)
        else:
            mixed = F.scaled_dot_product_attention(query, key, value, attn_mask=mask, scale=self.scale)
        mixed = mixed.transpose(1, 2).reshape(states.shape)
        mixed = attention.output.dense(mixed)
        if training and self.hidden_dropout:
            mixed = dropout(mixed, self.hidden_dropout)
        states = attention.output.LayerNorm(mixed + states)
        inner = self.activation(self.intermediate.dense(states))
        inner = self.output.dense(inner)
        if training and self.hidden_dropout:
            inner = dropout(inner, self.hidden_dropout)
        return self.output.LayerNorm(inner + states)


def _attention_with_dropout(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor | None, scale: float, p: float
) -> torch.Tensor:
    """Attention with dropout on its probabilities, as BERT trains: what SDPA computes with ``dropout_p=p``.

    Why not SDPA: on the CPU, SDPA with dropout takes its math path and draws the mask with ``bernoulli_``,
    which measured 8% of a MiniLM training step here; with :func:`dropout` instead, a step on data/stance rows
    took 14% less (0.754 -> 0.647 s, batch 64, bf16 autocast, 2026-11-29), and the default recipe's 1,744
    steps 8% less (20.8 -> 19.2 min).
    """
    scores = torch.matmul(query, key.transpose(-1, -2)) * scale
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return torch.matmul(dropout(scores.softmax(-1), p), value)


def _attention_bmm(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor | None, scale: float
) -> torch.Tensor:
    """Attention as two batched matrix products, for bf16 inference: what SDPA computes without dropout.

    Why not SDPA: for news sentences (25 to 80 tokens, batch 64, 12 heads) bf16 SDPA took 4.6 ms a layer on
    this CPU and this 1.9 ms, with the same error against an fp32 reference; over the benchmark corpus's 33
    batches the encoder took 5.3 s instead of 5.6 (medians of 6, 2026-11-29). The softmax runs in float32:
    bf16 softmax was as slow as SDPA at some lengths. In fp32 SDPA is as fast, so that path keeps it.
    """
    batch, heads, length, size = query.shape
    query = query.reshape(batch * heads, length, size)
    key = key.reshape(batch * heads, length, size).transpose(1, 2)
    if mask is None:
        scores = torch.bmm(query, key).mul_(scale)
    else:
        bias = torch.zeros(mask.shape, dtype=query.dtype, device=query.device).masked_fill_(~mask, float("-inf"))
        bias = bias.expand(batch, heads, length, length).reshape(batch * heads, length, length)
        scores = torch.baddbmm(bias, query, key, alpha=scale)
    probabilities = torch.softmax(scores, -1, dtype=torch.float32).to(value.dtype)
    mixed = torch.bmm(probabilities, value.reshape(batch * heads, length, size))
    return mixed.view(batch, heads, length, size)


class _Layers(nn.Module):
    def __init__(self, settings: BertSettings):
        super().__init__()
        self.layer = nn.ModuleList(_Layer(settings) for _ in range(settings.num_hidden_layers))


@contextmanager
def _without_default_init() -> Iterator[None]:
    """Build linear and embedding layers without torch's default random initialisation.

    Their parameters are left as allocated: the encoder either initialises them as BERT does or a checkpoint
    overwrites them, so the default initialisation (about 0.15 s for MiniLM, most of building it) would
    be thrown away. (A meta-device build avoids it too, but its first use imports torch's compiler stack,
    which takes longer still.) Like transformers' ``no_init_weights``, this patches the classes while it runs.
    """
    saved = nn.Linear.reset_parameters, nn.Embedding.reset_parameters
    nn.Linear.reset_parameters = nn.Embedding.reset_parameters = _no_reset  # type: ignore[method-assign]
    try:
        yield
    finally:
        nn.Linear.reset_parameters, nn.Embedding.reset_parameters = saved  # type: ignore[method-assign]


def _no_reset(module: nn.Module) -> None:
    return None


class BertEncoder(nn.Module):
    """``transformers.BertModel(config, add_pooling_layer=False)`` without transformers.

    ``config`` is a config dict (missing fields: BertConfig's defaults) or :class:`BertSettings`; check
    :func:`supports` first. ``initialize=False`` leaves the parameters uninitialised (fast: for a caller
    that loads every weight next); otherwise they are initialised as transformers initialises BERT.
    """

    def __init__(self, config: Mapping[str, Any] | BertSettings, initialize: bool = True):
        super().__init__()
        settings = config if isinstance(config, BertSettings) else BertSettings.from_dict(config)
        if settings.hidden_size % settings.num_attention_heads:
            raise ValueError(f"hidden size {settings.hidden_size} is not a multiple of {settings.num_attention_heads} heads")
        if settings.hidden_act not in ACTIVATIONS:
            raise ValueError(f"activation {settings.hidden_act!r} is not one of {sorted(ACTIVATIONS)}")
        self.config = settings
        with _without_default_init():
            self.embeddings = _Embeddings(settings)
            self.encoder = _Layers(settings)
        if initialize:
            self.init_weights()

    @torch.no_grad()
    def init_weights(self) -> None:
        """BERT's initialisation: normal(0, initializer_range) weights, zero biases, unit LayerNorms, zero padding row."""
        std = self.config.initializer_range
        for module in self.modules():
            if isinstance(module, nn.Linear):
                module.weight.normal_(0.0, std)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.Embedding):
                module.weight.normal_(0.0, std)
                if module.padding_idx is not None:
                    module.weight[module.padding_idx].zero_()
            elif isinstance(module, nn.LayerNorm):
                module.weight.fill_(1.0)
                module.bias.zero_()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, token_type_ids: torch.Tensor | None = None
    ) -> BertOutput:
        """Token states for ``input_ids`` [batch, seq]; ``attention_mask`` [batch, seq] is 1 on tokens, 0 on padding."""
        states = self.embeddings(input_ids, token_type_ids)
        mask = None
        if attention_mask is not None:
            # One boolean mask [batch, 1, 1, seq] (True: attend) for every layer; none at all when nothing is
            # padded, which lets SDPA take its fastest path (not while tracing: the graph must keep the mask).
            keep = attention_mask.bool()
            if torch.jit.is_tracing() or not bool(keep.all()):
                mask = keep[:, None, None, :]
        for layer in self.encoder.layer:
            states = layer(states, mask)
        return BertOutput(states)
