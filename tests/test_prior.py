"""The pretrained prior: a fixed vocabulary, keyboard geometry in the network, fine-tuning by default."""

import json

import pytest
import torch

from keytui.data.vocab import UNKNOWN, Vocab
from keytui.errors import KeytuiError
from keytui.game.fit import fit_and_save
from keytui.model.checkpoint import load_checkpoint, read_metadata, save_checkpoint
from keytui.model.models import KeyModel, ModelConfig, use_layout
from keytui.model.prior import PRIOR_PATH, fine_tune_config, typist_keys
from keytui.model.training import TrainConfig, Trainer, split_text

from .conftest import TINY_MODEL
from .test_cli import run


def test_prior_vocabulary_covers_every_printable_ascii_key_and_maps_the_rest_to_unknown():
    vocab = Vocab.prior()
    assert vocab.tokens[0] == UNKNOWN
    assert all(chr(c) in vocab for c in range(32, 127)) and "\n" in vocab
    assert all(c in vocab for c in "éßà€")  # the layouts' own characters
    assert vocab.encode("aZ~\tñ") == [vocab.id("a"), vocab.id("Z"), vocab.id("~"), 0, 0]


def test_synthetic_typists_are_reproducible_and_differ():
    assert typist_keys(5, 300) == typist_keys(5, 300)
    assert typist_keys(5, 300) != typist_keys(6, 300)
    assert len({typist_keys(seed, 50)[0] for seed in range(40)}) >= 4  # every layout
    vocab = Vocab.prior()
    assert all(0 not in vocab.encode(typist_keys(seed, 400)[1]) for seed in range(10))  # the prior knows every key


def test_key_geometry_is_off_for_old_checkpoints_and_kept_in_new_ones(tmp_path):
    assert ModelConfig.from_json({"vocab_size": 5}).key_geometry is False
    vocab = Vocab.prior()
    config = ModelConfig(vocab_size=len(vocab), hidden_size=8, num_layers=1, embedding_dim=4, key_geometry=True)
    model = KeyModel(config, vocab.tokens).eval()
    idx = torch.tensor([vocab.encode("asdf jkl;")])
    logits, _, _ = model(idx)
    assert logits.shape == (1, 9, len(vocab))
    # the table sits with the weights: a neighbour of `f` is closer to it than a far key
    table = model.key_geometry.key_features
    f, g, p = (table[vocab.id(k)] for k in "fgp")
    assert (f - g).norm() < (f - p).norm()
    path = tmp_path / "geo.safetensors"
    save_checkpoint(path, model, vocab, {})
    loaded = load_checkpoint(path)
    assert loaded.config.key_geometry is True
    assert torch.equal(loaded.model(idx)[0], logits)


def test_geometry_follows_the_layout_and_a_batch_may_mix_layouts():
    vocab = Vocab.prior()
    settings = {"vocab_size": len(vocab), "hidden_size": 8, "num_layers": 1, "embedding_dim": 4, "key_geometry": True}
    qwerty = KeyModel(ModelConfig(**settings), vocab.tokens).eval()
    azerty = KeyModel(ModelConfig(**settings, layout="azerty"), vocab.tokens).eval()
    a, q = vocab.id("a"), vocab.id("q")
    assert torch.equal(qwerty.key_geometry.key_features[a], azerty.key_geometry.key_features[q])
    azerty.load_state_dict(qwerty.state_dict() | {"key_geometry.key_features": azerty.key_geometry.key_features})
    idx = torch.tensor([vocab.encode("azerty qsdf"), vocab.encode("qwerty asdf")])
    one_by_one = torch.cat([azerty(idx[:1])[0], qwerty(idx[1:])[0]])
    qwerty.key_geometry.batch_features = torch.stack(
        [azerty.key_geometry.key_features, qwerty.key_geometry.key_features]
    )
    assert torch.allclose(qwerty(idx)[0], one_by_one, atol=1e-6)
    with pytest.raises(KeytuiError, match="layout"):
        ModelConfig(**settings, layout="klingon")
    qwerty.key_geometry.batch_features = None
    use_layout(qwerty, vocab.tokens, "azerty")  # a player on another layout: the same network, keys moved
    assert qwerty.config.layout == "azerty"
    assert torch.allclose(qwerty(idx[:1])[0], one_by_one[:1], atol=1e-6)


def test_geometry_changes_what_the_network_computes():
    vocab = Vocab.prior()
    torch.manual_seed(0)
    settings = {"vocab_size": len(vocab), "hidden_size": 8, "num_layers": 1, "embedding_dim": 4}
    with_geometry = KeyModel(ModelConfig(**settings, key_geometry=True), vocab.tokens).eval()
    plain = KeyModel(ModelConfig(**settings), vocab.tokens).eval()
    plain.load_state_dict(
        {k: v for k, v in with_geometry.state_dict().items() if not k.startswith("key_geometry.")}, strict=True
    )
    idx = torch.tensor([vocab.encode("qwerty")])
    assert not torch.allclose(with_geometry(idx)[0], plain(idx)[0])


def test_trainer_fine_tunes_a_copy_of_the_model_it_starts_from(small_text):
    vocab = Vocab.prior()
    start = KeyModel(ModelConfig(vocab_size=len(vocab), **TINY_MODEL), vocab.tokens)
    before = {k: v.clone() for k, v in start.state_dict().items()}
    config = TrainConfig(epochs=1, seq_len=32, lr=1e-12, refit=False, average_epochs=0.0)
    result = Trainer(start.config, config, vocab, split_text(small_text), initial=start).run()
    assert all(torch.equal(before[k], v) for k, v in start.state_dict().items())  # the prior itself is untouched
    assert all(torch.allclose(before[k], v, atol=1e-6) for k, v in result.model.state_dict().items())
    with pytest.raises(KeytuiError, match="reads"):
        Trainer(start.config, config, Vocab.from_text("abc"), split_text(small_text), initial=start)


def test_fine_tune_keeps_the_priors_vocabulary_and_says_where_it_started(tmp_path, small_text, tiny_checkpoint):
    out = tmp_path / "tuned.safetensors"
    outcome = fit_and_save(
        small_text + "é",  # a key the prior's vocabulary lacks maps to unknown
        corpus_name="s",
        out_path=out,
        model_settings={},
        train_config=fine_tune_config(TrainConfig(seq_len=32), epochs=1, refit=False),
        prior=tiny_checkpoint,
    )
    assert outcome.checkpoint == out
    meta = read_metadata(out)
    assert meta["vocab"] == read_metadata(tiny_checkpoint)["vocab"]
    assert meta["prior"]["name"] == "tiny" and meta["kind"] == "fine-tuned from tiny"
    with pytest.raises(KeytuiError, match="from scratch"):
        fit_and_save(
            small_text,
            corpus_name="s",
            out_path=out,
            model_settings={"hidden_size": 8},
            train_config=TrainConfig(),
            prior=tiny_checkpoint,
        )


def test_train_fine_tunes_the_shipped_prior_by_default(home, capsys, small_text):
    (home / "corpora" / "small.txt").write_text(small_text)
    code, out, err = run(capsys, "train", "--corpus", "small", "--epochs", "1", "--no-memory", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["from"] == "demo" and "fine-tuning demo" in err
    meta = read_metadata(home / "checkpoints" / "small.safetensors")
    prior = read_metadata(PRIOR_PATH)
    assert meta["vocab"] == prior["vocab"]
    assert ModelConfig.from_json(meta["model"]) == ModelConfig.from_json(prior["model"])
    assert meta["training"]["lr"] == fine_tune_config().lr
    code, out, _ = run(capsys, "list")
    assert "fine-tuned from demo" in out


def test_train_from_another_model_and_flags_that_need_a_new_network(home, capsys, small_text, tiny_checkpoint):
    (home / "corpora" / "small.txt").write_text(small_text)
    (home / "checkpoints" / "tiny.safetensors").write_bytes(tiny_checkpoint.read_bytes())
    code, _, err = run(capsys, "train", "--corpus", "small", "--out", "t2", "--from", "tiny", "--epochs", "1")
    assert code == 0, err
    assert read_metadata(home / "checkpoints" / "t2.safetensors")["prior"]["name"] == "tiny"
    code, _, err = run(capsys, "train", "--corpus", "small", "--hidden", "8")
    assert code != 0 and "--hidden sets up a new network: add --from-scratch" in err
    code, _, err = run(capsys, "train", "--corpus", "small", "--from", "tiny", "--from-scratch")
    assert code != 0 and "choose one of --from MODEL and --from-scratch" in err
    code, _, err = run(capsys, "train", "--corpus", "small", "--from", "nothing")
    assert code != 0 and "nothing" in err
