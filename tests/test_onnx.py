"""The ONNX Runtime precisions (the onnx extra) against PyTorch fp32, on the tiny random model."""

from __future__ import annotations

import pytest

pytest.importorskip("onnxruntime")

# Varied lengths (one truncated at the tiny model's 32 tokens), sentences with zero to three actor spans.
SENTENCES = [
    "Beijing praised the BRI while Washington's tariffs hurt farmers.",
    "Exports will rise.",
    "The IMF should act now.",
    "Critics say the IMF traps borrowers in debt, and that Kenya, Ghana and Zambia pay the price for "
    "loans that Washington and Brussels pushed on them during the long years of cheap money.",
    "Ministers met in Geneva on Tuesday.",
]
SPANS = [[(0, 7), (20, 23), (30, 40)], [], [(4, 7)], [(16, 19), (54, 59), (122, 130)], [(17, 23)]]


@pytest.fixture()
def onnx_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("STANCE_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "onnx"


def max_difference(predictions, reference) -> float:
    return max(abs(mine.scores[k] - theirs.scores[k]) for mine, theirs in zip(predictions, reference) for k in mine.scores)


# onnx runs the same fp32 graph (fused); onnx-int8 quantizes the weights of every matrix product.
@pytest.mark.parametrize("precision, tolerance", [("onnx", 1e-4), ("onnx-int8", 0.05)])
def test_onnx_matches_fp32(tiny_model_dir, onnx_cache, precision, tolerance):
    from stance.onnx import OnnxNetwork
    from stance.pipeline import StanceModel

    reference = StanceModel.from_pretrained(tiny_model_dir, precision="fp32").predict(SENTENCES, SPANS, batch_size=2)
    model = StanceModel.from_pretrained(tiny_model_dir, precision=precision)
    assert model.precision == precision and isinstance(model.network, OnnxNetwork)
    assert model.describe()["precision"] == precision
    types, stances, truncated = model.predict(SENTENCES, SPANS, batch_size=2)
    assert truncated == reference[2] and any(truncated)
    assert max_difference(types, reference[0]) < tolerance
    assert [len(row) for row in stances] == [len(row) for row in SPANS]
    for mine, theirs in zip(stances, reference[1]):
        if mine:
            assert max_difference(mine, theirs) < tolerance
    if precision == "onnx":
        assert [p.label for p in types] == [p.label for p in reference[0]]


def test_onnx_network_call_matches_the_network(tiny_model_dir, onnx_cache):
    """Called directly, it returns float32 tensors shaped like the network's, with or without mentions."""
    import torch

    from stance.modeling import load_network, set_precision

    network = load_network(tiny_model_dir)
    session, _ = set_precision(load_network(tiny_model_dir), "onnx")
    assert session.config.type_labels == network.config.type_labels
    input_ids = torch.randint(1000, 3000, (3, 11))
    attention_mask = torch.ones(3, 11, dtype=torch.long)
    attention_mask[1, 6:] = 0
    mention_mask = torch.zeros(3, 4, 11, dtype=torch.long)
    mention_mask[0, 0, 2:4] = 1
    mention_mask[2, 3, 9] = 1
    with torch.inference_mode():
        expected = network(input_ids=input_ids, attention_mask=attention_mask, mention_mask=mention_mask)
        got = session(input_ids=input_ids, attention_mask=attention_mask, mention_mask=mention_mask)
        types_only = session(input_ids=input_ids, attention_mask=attention_mask)
    for name in ("logits", "stance_logits"):
        assert got[name].dtype == torch.float32 and got[name].shape == expected[name].shape
        assert torch.allclose(got[name], expected[name], atol=1e-4)
    assert set(types_only) == {"logits"} and torch.allclose(types_only["logits"], expected["logits"], atol=1e-4)


def test_exported_graph_is_cached_and_reused(tiny_model_dir, onnx_cache):
    from stance.pipeline import StanceModel

    StanceModel.from_pretrained(tiny_model_dir, precision="onnx")
    files = sorted(onnx_cache.glob("*.onnx"))
    assert len(files) == 1 and len(files[0].stem) == 16
    mtime = files[0].stat().st_mtime_ns
    again = StanceModel.from_pretrained(tiny_model_dir, precision="onnx")
    assert again.network.path == files[0] and files[0].stat().st_mtime_ns == mtime
    assert sorted(onnx_cache.iterdir()) == files  # no temporary files left behind
    # The int8 graph is made from the cached fp32 one, beside it, without exporting again.
    quantized = StanceModel.from_pretrained(tiny_model_dir, precision="onnx-int8")
    assert quantized.network.path == files[0].with_suffix(".int8.onnx")
    assert files[0].stat().st_mtime_ns == mtime


def test_different_weights_get_different_graphs(tiny_model_dir, onnx_cache):
    import torch

    from stance.modeling import load_network
    from stance.onnx import network_key

    network = load_network(tiny_model_dir)
    key = network_key(network)
    assert network_key(load_network(tiny_model_dir)) == key
    with torch.no_grad():
        network.type_head[1].bias += 1
    assert network_key(network) != key


@pytest.mark.parametrize("precision", ["onnx", "onnx-int8"])
def test_onnx_model_cannot_be_saved(tiny_model_dir, onnx_cache, tmp_path, precision):
    from stance.pipeline import StanceModel

    model = StanceModel.from_pretrained(tiny_model_dir, precision=precision)
    with pytest.raises(ValueError, match="ONNX Runtime.*cannot be saved; load it in fp32"):
        model.save_pretrained(tmp_path / "saved")
    assert not (tmp_path / "saved").exists()


def test_missing_onnxruntime_names_the_extra(monkeypatch):
    import sys

    from stance.onnx import require_onnxruntime

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now raises ImportError
    with pytest.raises(ImportError, match=r"pip install stance-mining\[onnx\]"):
        require_onnxruntime()
