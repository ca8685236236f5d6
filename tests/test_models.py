import pytest
import torch

from keytui.data.vocab import Vocab
from keytui.errors import KeytuiError
from keytui.model.models import ARCHITECTURES, KeyModel, ModelConfig


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_forward_shapes_and_loss(arch):
    model = KeyModel(ModelConfig(vocab_size=11, arch=arch, hidden_size=16, num_layers=2, embedding_dim=8))
    idx = torch.randint(0, 11, (3, 9))
    logits, loss, state = model(idx, idx)
    assert logits.shape == (3, 9, 11)
    assert loss.ndim == 0 and loss.item() > 0
    last, loss_last, _ = model(idx, idx[:, -1], last_only=True)
    assert last.shape == (3, 11) and loss_last.ndim == 0
    assert state[0].shape[1] == 3  # batch is the second dimension of the recurrent state


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_step_by_step_equals_one_forward_pass(arch):
    """The game feeds one key at a time; it must see exactly what a full pass over the sequence would."""
    torch.manual_seed(0)
    model = KeyModel(
        ModelConfig(vocab_size=9, arch=arch, hidden_size=12, num_layers=2, embedding_dim=6, attn_window=5)
    ).eval()
    keys = torch.randint(0, 9, (1, 14))
    with torch.no_grad():
        full, _, _ = model(keys)
    state = None
    for t in range(keys.size(1)):
        logits, state = model.step(int(keys[0, t]), state)
        torch.testing.assert_close(logits, full[0, t], rtol=1e-4, atol=1e-5)


def test_chunked_forward_with_carried_state_equals_one_pass():
    torch.manual_seed(0)
    model = KeyModel(ModelConfig(vocab_size=7, arch="lstm-attn", hidden_size=8, num_layers=1, attn_window=4)).eval()
    keys = torch.randint(0, 7, (2, 12))
    with torch.no_grad():
        full, _, _ = model(keys)
        first, _, state = model(keys[:, :5])
        second, _, _ = model(keys[:, 5:], state=state)
    torch.testing.assert_close(torch.cat([first, second], dim=1), full, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "settings",
    [{"arch": "transformer"}, {"hidden_size": 0}, {"dropout": 1.5}, {"num_layers": "2"}, {"embedding_dim": -1}],
)
def test_bad_settings_are_one_line_errors(settings):
    with pytest.raises(KeytuiError):
        ModelConfig(vocab_size=5, **settings)


def test_config_json_round_trip_rejects_unknown_fields():
    config = ModelConfig(vocab_size=5, arch="lstm")
    assert ModelConfig.from_json(config.to_json()) == config
    with pytest.raises(KeytuiError, match="unknown model settings"):
        ModelConfig.from_json({**config.to_json(), "evil": 1})


def test_shifted_twins_share_their_key_cap():
    keys = Vocab.from_text("aAb1!").tokens
    model = KeyModel(ModelConfig(vocab_size=len(keys), hidden_size=8, num_layers=1, embedding_dim=4), keys).eval()
    index = {k: i for i, k in enumerate(keys)}
    caps, shifts = model.key_caps.cap_of_key.tolist(), model.key_caps.shift_of_key.tolist()
    assert caps[index["a"]] == caps[index["A"]] != caps[index["1"]] == caps[index["!"]]
    assert caps[index["b"]] == 0  # no twin in the vocabulary: nothing to share
    assert [shifts[index[k]] for k in "aA1!b"] == [0, 1, 0, 1, 0]
    # Changing the output weights of the `a` cap moves the logits of `a` and `A` alike, and nothing else.
    ids = torch.tensor([[index["b"], index["1"]]])
    with torch.no_grad():
        before, _, _ = model(ids)
        model.key_caps.cap_head.weight[caps[index["a"]]] += torch.randn(8)
        after, _, _ = model(ids)
    delta = (after - before)[0, -1]
    assert delta[index["a"]].abs().item() > 1e-3
    assert delta[index["A"]].item() == pytest.approx(delta[index["a"]].item())
    assert delta[[index["b"], index["1"], index["!"]]].abs().max().item() == 0.0


def test_unshared_cap_row_stays_zero_through_training():
    keys = Vocab.from_text("aAb").tokens
    model = KeyModel(ModelConfig(vocab_size=len(keys), hidden_size=8, num_layers=1, embedding_dim=4), keys)
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.1)
    ids = torch.randint(0, len(keys), (2, 6))
    for _ in range(3):
        optimizer.zero_grad()
        model(ids, ids)[1].backward()
        optimizer.step()
    assert model.key_caps.cap_head.weight[0].abs().max().item() == 0.0
    assert model.key_caps.cap_embedding.weight[0].abs().max().item() == 0.0


def test_key_cap_sharing_defaults_and_compatibility():
    assert ModelConfig(vocab_size=5).share_key_caps is True
    assert ModelConfig(vocab_size=5, arch="gru-onehot").share_key_caps is False  # no embedding to share
    old = {k: v for k, v in ModelConfig(vocab_size=5).to_json().items() if k != "share_key_caps"}
    assert ModelConfig.from_json(old).share_key_caps is False  # saved before the setting existed
    assert KeyModel(ModelConfig.from_json(old)).key_caps is None
    with pytest.raises(KeytuiError):
        ModelConfig(vocab_size=5, share_key_caps="yes")


@pytest.mark.parametrize("setting", [{"hidden_size": 999_999_999}, {"embedding_dim": 10**8}, {"num_layers": 10_000}])
def test_a_huge_network_is_refused_in_one_line_before_any_memory_is_asked_for(setting):
    with pytest.raises(KeytuiError, match="at most"):
        ModelConfig(vocab_size=10, **setting)
