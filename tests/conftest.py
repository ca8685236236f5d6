from __future__ import annotations

import pytest

from keytui.data.paths import Workspace
from keytui.synthetic.simulate import simulate


@pytest.fixture(autouse=True)
def config_dir(tmp_path_factory, monkeypatch):
    """Every test gets its own user config directory: the real user's settings are never read nor written."""
    folder = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    return folder


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty workspace, used through KEYTUI_HOME as a user's script would."""
    (tmp_path / "corpora").mkdir()
    (tmp_path / "checkpoints").mkdir()
    monkeypatch.setenv("KEYTUI_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    """An empty workspace handed to the app directly, as the screens' tests use it."""
    return Workspace(tmp_path).ensure()


def text_of(screen, selector: str) -> str:
    """What a Static widget on `screen` shows, as plain text."""
    from textual.widgets import Static

    return str(screen.query_one(selector, Static).render())


@pytest.fixture(scope="session")
def small_text() -> str:
    return simulate("roller", 1200, seed=3)


TINY_MODEL = {"hidden_size": 24, "num_layers": 1, "embedding_dim": 8, "dropout": 0.0}


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory, small_text):
    """A small model trained once for the whole test session."""
    from keytui.game.fit import fit_and_save
    from keytui.model.training import TrainConfig

    path = tmp_path_factory.mktemp("ckpt") / "tiny.safetensors"
    fit_and_save(
        small_text,
        corpus_name="small",
        out_path=path,
        model_settings=TINY_MODEL,
        train_config=TrainConfig(epochs=3, seq_len=32, batch_size=8),
    )
    return path
