"""Inference with ONNX Runtime: the ``onnx`` and ``onnx-int8`` precisions (the ``onnx`` extra).

Why: ONNX Runtime's CPU kernels and its graph optimisations (constant folding, fused LayerNorm, GELU
and MatMul+Add, ...) run the same network without PyTorch's per-operator dispatch overhead, which
matters for the short, length-sorted batches this library scores. ``onnx-int8`` additionally
quantizes the weights of the matrix products to int8 with ONNX Runtime's dynamic quantization.

This module is used only when ``pip install stance-mining[onnx]`` has installed ``onnxruntime`` and
``onnx``; nothing else in the library imports it, and ``onnxruntime`` is imported only when a session
is built. :func:`stance.modeling.set_precision` exports the float32 network once per distinct set of
weights to ``<cache>/onnx/<key>.onnx`` (``<cache>`` is :func:`stance.encoders.cache_dir`) and reuses
that file afterwards. The export uses PyTorch's TorchScript-based exporter (``dynamo=False``): the
``torch.export``-based one needs the separate ``onnxscript`` package.

An :class:`OnnxNetwork` is called like the network at inference and returns the same dictionary of
float32 logits, so :class:`stance.pipeline.StanceModel` runs unchanged on it. It cannot be trained
or saved as a stance model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = ["export_onnx", "quantize_int8", "OnnxNetwork", "onnx_network", "network_key", "require_onnxruntime"]

INPUT_NAMES = ("input_ids", "attention_mask", "mention_mask")
OUTPUT_NAMES = ("logits", "stance_logits")
DYNAMIC_AXES = {
    "input_ids": {0: "batch", 1: "seq"},
    "attention_mask": {0: "batch", 1: "seq"},
    "mention_mask": {0: "batch", 1: "mentions", 2: "seq"},
    "logits": {0: "batch"},
    "stance_logits": {0: "batch", 1: "mentions"},
}
OPSET = 17
# Part of every cache key: bump when the exported or the quantized graph changes for the same weights.
EXPORT_FORMAT = "stance-onnx-1"
INSTALL_HINT = "pip install stance-mining[onnx]"


def require_onnxruntime() -> Any:
    """The ``onnxruntime`` module, or an ImportError saying how to install the extra."""
    try:
        import onnxruntime
    except ImportError as err:
        raise ImportError(
            f"the onnx precisions need ONNX Runtime, which is not installed; install it with `{INSTALL_HINT}`"
        ) from err
    return onnxruntime


class _InferenceGraph(nn.Module):
    """The network's inference forward as a tuple, which is what the exporter traces."""

    def __init__(self, network: nn.Module):
        super().__init__()
        self.network = network

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, mention_mask: torch.Tensor):
        out = self.network(input_ids=input_ids, attention_mask=attention_mask, mention_mask=mention_mask)
        return out["logits"], out["stance_logits"]


def _example_inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A batch to trace: two rows, one padded (so the padding mask is part of the graph), two mentions."""
    input_ids = torch.tensor([[101, 2000, 2001, 2002, 2003, 2004, 2005, 102], [101, 2010, 2011, 2012, 102, 0, 0, 0]])
    attention_mask = (torch.arange(8) < torch.tensor([[8], [5]])).long()
    mention_mask = torch.zeros(2, 2, 8, dtype=torch.long)
    mention_mask[0, 0, 1:3] = 1
    mention_mask[0, 1, 5] = 1
    mention_mask[1, 0, 2] = 1
    return input_ids, attention_mask, mention_mask


def export_onnx(network: nn.Module, path: str | os.PathLike[str], opset: int = OPSET) -> Path:
    """Write ``network``'s inference forward (float32) as an ONNX graph at ``path``.

    Inputs ``input_ids`` and ``attention_mask`` [batch, seq] and ``mention_mask`` [batch, mentions, seq],
    all int64; outputs ``logits`` [batch, types] and ``stance_logits`` [batch, mentions, stances]. Batch,
    sequence length and mention count are dynamic. The network is left in float32 eval mode.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    network = network.float().eval()
    graph = _InferenceGraph(network).eval()  # the exporter restores this mode on the wrapped network
    with warnings.catch_warnings():
        # The TorchScript exporter is deprecated in favour of the dynamo one and warns about every
        # Python condition it traces through; the parity test is what checks the graph.
        warnings.simplefilter("ignore")
        with torch.no_grad():
            torch.onnx.export(
                graph,
                _example_inputs(),
                str(path),
                input_names=list(INPUT_NAMES),
                output_names=list(OUTPUT_NAMES),
                dynamic_axes=DYNAMIC_AXES,
                opset_version=opset,
                do_constant_folding=True,
                dynamo=False,
            )
    network.eval()
    return path


def quantize_int8(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> Path:
    """Dynamic int8 quantization of an exported graph: matrix-product weights stored in int8 (one scale per
    output channel), their inputs quantized on the fly for each batch."""
    require_onnxruntime()
    try:
        import onnx  # noqa: F401  (onnxruntime.quantization reads and writes graphs with it)
    except ImportError as err:
        raise ImportError(f"onnx-int8 needs the onnx package, which is not installed; install it with `{INSTALL_HINT}`") from err
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = Path(target)
    # Per-channel scales: on the default model, per-tensor int8 changed 3 of the seed's 38 sentence types
    # (max probability change 0.48); per-channel changes 1 (0.10). Only products with a constant weight are
    # quantized: attention scores stay float. ONNX Runtime's pre-processing (symbolic shape inference) does
    # not handle this graph and changes nothing here, so its advice to run it is silenced.
    with _dropping_log_records("pre-processing before quantization"):
        quantize_dynamic(
            str(source), str(target), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul", "Gemm"]
        )
    return target


class _dropping_log_records(logging.Filter):
    """While in use, drop root-logger records whose message contains ``text``."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in record.getMessage()

    def __enter__(self) -> None:
        root = logging.getLogger()
        root.addFilter(self)
        for handler in root.handlers:
            handler.addFilter(self)

    def __exit__(self, *exc: object) -> None:
        root = logging.getLogger()
        root.removeFilter(self)
        for handler in root.handlers:
            handler.removeFilter(self)


def network_key(network: nn.Module) -> str:
    """The first 16 hex digits of a SHA-256 over the network's state dict (names, dtypes, shapes, bytes),
    its config and the export format: one cache file per distinct model."""
    digest = hashlib.sha256(EXPORT_FORMAT.encode())
    for name, tensor in network.state_dict().items():
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}\n".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    digest.update(network.config.to_json().encode())
    return digest.hexdigest()[:16]


def _write_atomically(target: Path, write) -> None:
    """Run ``write(temporary_path)`` and move the result to ``target``, so that a reader (another process
    loading the same model) never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")
    try:
        write(temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def cached_model_path(network: nn.Module, quantized: bool = False, cache: str | os.PathLike[str] | None = None) -> Path:
    """The exported (and, with ``quantized``, int8) graph of ``network`` in the cache; made on first use."""
    if cache is None:
        from .encoders import cache_dir

        cache = cache_dir() / "onnx"
    cache = Path(cache)
    key = network_key(network.float())
    plain = cache / f"{key}.onnx"
    if not plain.is_file():
        _write_atomically(plain, lambda tmp: export_onnx(network, tmp))
    if not quantized:
        return plain
    int8 = cache / f"{key}.int8.onnx"
    if not int8.is_file():
        _write_atomically(int8, lambda tmp: quantize_int8(plain, tmp))
    return int8


class OnnxNetwork:
    """An ONNX Runtime session with the network's inference call signature and output dictionary."""

    def __init__(self, path: str | os.PathLike[str], config: Any, threads: int | None = None):
        ort = require_onnxruntime()
        self.path = Path(path)
        self.config = config
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(self.path), sess_options=options, providers=["CPUExecutionProvider"])

    def __call__(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        mention_mask: torch.Tensor | None = None,
        **unused: Any,
    ) -> dict[str, torch.Tensor]:
        """``{"logits", "stance_logits"}`` as float32 tensors; no ``stance_logits`` without ``mention_mask``."""
        ids = _int64(input_ids)
        feed = {"input_ids": ids, "attention_mask": _int64(attention_mask)}
        given = mention_mask is not None
        feed["mention_mask"] = _int64(mention_mask) if given else _int64(torch.zeros(ids.shape[0], 1, ids.shape[1]))
        logits, stance_logits = self.session.run(list(OUTPUT_NAMES), feed)
        out = {"logits": torch.from_numpy(logits).float()}
        if given:
            out["stance_logits"] = torch.from_numpy(stance_logits).float()
        return out

    def eval(self) -> "OnnxNetwork":
        return self

    def __repr__(self) -> str:
        return f"OnnxNetwork({str(self.path)!r})"


def _int64(tensor: Any):
    if isinstance(tensor, torch.Tensor):
        return tensor.detach().cpu().to(torch.int64).contiguous().numpy()
    import numpy as np

    return np.ascontiguousarray(tensor, dtype=np.int64)


def onnx_network(network: nn.Module, quantized: bool = False, cache: str | os.PathLike[str] | None = None) -> OnnxNetwork:
    """``network`` as an :class:`OnnxNetwork` (fp32, or int8 with ``quantized``), exported on first use."""
    require_onnxruntime()
    return OnnxNetwork(cached_model_path(network, quantized, cache), network.config)
