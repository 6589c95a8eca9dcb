"""Low-rank adapters (LoRA) for training a large encoder whose saved model must stay small.

Training freezes the base encoder and learns, for chosen linear layers, a low-rank update
``W + (alpha / rank) * B @ A``. Only ``A``, ``B`` and the task heads are saved (a few MB), beside a
reference to the base encoder; :func:`merge_lora` folds the update into ``W`` at load time, so
inference runs plain linear layers at the base model's speed.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

__all__ = ["LoraSettings", "LoraLinear", "apply_lora", "merge_lora"]


@dataclass
class LoraSettings:
    rank: int = 16
    alpha: float = 32.0
    dropout: float = 0.1
    # Linear layers to adapt, matched as the end of their module names (MPNet's attention and MLP).
    targets: list[str] = field(default_factory=lambda: ["attn.q", "attn.k", "attn.v", "attn.o", "intermediate.dense", "output.dense"])

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "LoraSettings":
        unknown = sorted(set(raw) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"unknown LoRA settings {unknown}; known: {sorted(cls.__dataclass_fields__)}")
        settings = cls(**raw)
        if settings.rank < 1 or not settings.targets:
            raise ValueError(f"LoRA needs rank >= 1 and at least one target, got {settings}")
        return settings

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class LoraLinear(nn.Linear):
    """A linear layer plus a trainable low-rank update; keeps ``weight``/``bias`` under their own names."""

    def __init__(self, linear: nn.Linear, settings: LoraSettings):
        super().__init__(linear.in_features, linear.out_features, bias=linear.bias is not None, device="meta")
        self.weight = linear.weight
        self.bias = linear.bias
        self.lora_A = nn.Parameter(torch.empty(settings.rank, linear.in_features, dtype=linear.weight.dtype))
        # B starts at zero so the adapted network starts as the base network.
        self.lora_B = nn.Parameter(torch.zeros(linear.out_features, settings.rank, dtype=linear.weight.dtype))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scale = settings.alpha / settings.rank
        self.lora_dropout = nn.Dropout(settings.dropout)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        update = nn.functional.linear(nn.functional.linear(self.lora_dropout(inputs), self.lora_A), self.lora_B)
        return super().forward(inputs) + self.scale * update

    def merged(self) -> nn.Linear:
        linear = nn.Linear(self.in_features, self.out_features, bias=self.bias is not None, dtype=self.weight.dtype)
        with torch.no_grad():
            linear.weight.copy_(self.weight + self.scale * (self.lora_B @ self.lora_A).to(self.weight.dtype))
            if self.bias is not None:
                linear.bias.copy_(self.bias)
        linear.weight.requires_grad_(self.weight.requires_grad)
        return linear


def _matching_linears(module: nn.Module, targets: list[str]) -> list[tuple[nn.Module, str, str]]:
    found = []
    for name, child in module.named_modules():
        for child_name, grandchild in child.named_children():
            full = f"{name}.{child_name}" if name else child_name
            if type(grandchild) is nn.Linear and any(full == t or full.endswith("." + t) for t in targets):
                found.append((child, child_name, full))
    return found


def apply_lora(module: nn.Module, settings: LoraSettings) -> list[str]:
    """Replace the target linear layers of ``module`` with :class:`LoraLinear`; returns their names."""
    found = _matching_linears(module, settings.targets)
    if not found:
        raise ValueError(f"no linear layer matches the LoRA targets {settings.targets}")
    for parent, child_name, _ in found:
        setattr(parent, child_name, LoraLinear(getattr(parent, child_name), settings))
    return [full for _, _, full in found]


def merge_lora(module: nn.Module) -> list[str]:
    """Fold every :class:`LoraLinear` in ``module`` back into a plain linear layer; returns their names."""
    found = [
        (parent, name, f"{prefix}.{name}" if prefix else name)
        for prefix, parent in module.named_modules()
        for name, child in parent.named_children()
        if isinstance(child, LoraLinear)
    ]
    for parent, child_name, _ in found:
        setattr(parent, child_name, getattr(parent, child_name).merged())
    return [full for _, _, full in found]
