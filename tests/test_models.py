import pytest
import torch

from keytui.errors import KeytuiError
from keytui.models import ARCHITECTURES, KeyModel, ModelConfig


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
