"""Train: pick settings, start, watch, cancel. Training runs in a thread worker that only posts messages."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, ProgressBar, RichLog, Select, Static

from keytui.data.corpus import read_corpus
from keytui.data.corpus_meta import PLAYER_CORPUS, known_kind
from keytui.data.paths import CORPUS_SUFFIX
from keytui.errors import KeytuiError
from keytui.game.versions import baseline_words, run_words
from keytui.model.models import ARCHITECTURES, ModelConfig
from keytui.model.prior import PRIOR_PATH, fine_tune_config
from keytui.model.training import (
    REFERENCE_MODEL,
    REFERENCE_TRAINING,
    BatchDone,
    EpochDone,
    RefitStarted,
    TrainConfig,
    TrainingStarted,
)
from keytui.tui.messages import BatchProgress, TrainingDone, TrainingEvent, TrainingFailed
from keytui.tui.widgets.loss_plot import LossPlot

DEFAULT_MODEL = {k: v for k, v in ModelConfig(vocab_size=1).to_json().items() if k != "vocab_size"}
FIELDS = [  # (input id, label, source, key, type)
    ("epochs", "max epochs", "train", "epochs", int),
    ("hidden", "hidden size", "model", "hidden_size", int),
    ("layers", "layers", "model", "num_layers", int),
    ("embedding", "embedding", "model", "embedding_dim", int),
    ("lr", "learning rate", "train", "lr", float),
    ("seq_len", "keys per chunk", "train", "seq_len", int),
    ("batch_size", "batch size", "train", "batch_size", int),
    ("patience", "patience", "train", "patience", int),
    ("average_epochs", "average over epochs", "train", "average_epochs", float),
]
NETWORK_FIELDS = ("arch", "preset", *(field_id for field_id, _, source, _, _ in FIELDS if source == "model"))
FROM_PRIOR, FROM_SCRATCH = "prior", "scratch"  # `start_from`: the shipped prior, random weights, or a model's path


class TrainScreen(Screen):
    DEFAULT_CSS = """
    TrainScreen #train { height: 1fr; }
    TrainScreen #train-form { width: 34; padding: 0 1; border-right: solid $primary; }
    TrainScreen #train-form Input { margin-bottom: 0; }
    TrainScreen #train-form .buttons { height: auto; margin-top: 1; }
    TrainScreen #train-form .buttons Button { min-width: 12; margin-right: 1; }
    TrainScreen #play-model { margin-top: 1; width: 100%; }
    TrainScreen #train-progress { padding: 0 1; }
    TrainScreen #train-status { height: auto; min-height: 1; margin-bottom: 1; }
    TrainScreen #train-figures { height: 3; margin: 1 0; }
    TrainScreen #train-log { height: 6; border: round $primary; }
    """

    BINDINGS = [
        Binding("f5", "start", "Start"),
        Binding("escape", "cancel_or_leave", "Cancel/back"),
        Binding("f6", "play_model", "Play it"),
    ]

    def __init__(
        self,
        corpus: str,
        out: str | None = None,
        model_settings: dict | None = None,
        train_config: TrainConfig | None = None,
        autostart: bool = True,
        layout: str | None = None,
        memory_expert: bool = True,
        start_from: str = FROM_PRIOR,
        replace: bool = False,
    ) -> None:
        """`layout`: the keyboard the corpus was typed on (default: what the corpus says it was); `replace`: the new
        model replaces an existing one of its name even when not better (`--replace`)."""
        super().__init__()
        self.replace = replace
        self.corpus_path = Path(corpus)
        self.keyboard_layout = layout
        self.out = out
        self.start_from = start_from
        self.model_settings = {**DEFAULT_MODEL, **(model_settings or {})}
        self.train_config = train_config or (TrainConfig() if start_from == FROM_SCRATCH else fine_tune_config())
        self.autostart = autostart
        self.memory_expert = memory_expert  # saved with the model: play may let the fitted keys' memory vote
        self.cancel_event = threading.Event()
        self.running = False
        self.outcome = None
        self.trained_corpus = self.corpus_path
        self.epochs_seen: list[EpochDone] = []
        self.log_lines: list[str] = []  # what the log shows, unwrapped

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="train"):
            with VerticalScroll(id="train-form"):
                yield Label("Corpus", classes="section")
                yield Select(self._corpus_options(), id="corpus", allow_blank=False, value=str(self.corpus_path))
                yield Label("Start from")
                yield Select(self._start_options(), id="start-from", allow_blank=False, value=self.start_from)
                yield Label("Architecture")
                yield Select(
                    [(a, a) for a in ARCHITECTURES], id="arch", value=self.model_settings["arch"], allow_blank=False
                )
                yield Label("Preset")
                yield Select(
                    [("keytui default", "default"), ("reference notebook", "reference")],
                    id="preset",
                    value="default",
                    allow_blank=False,
                )
                for field_id, label, source, key, _ in FIELDS:
                    value = self.model_settings[key] if source == "model" else getattr(self.train_config, key)
                    yield Label(label)
                    yield Input(str(value), id=field_id)
                with Horizontal(classes="buttons"):
                    yield Button("Start (F5)", id="start", variant="primary")
                    yield Button("Cancel (Esc)", id="cancel", variant="error", disabled=True)
                yield Button("Play it (F6)", id="play-model", variant="success")
            with Vertical(id="train-progress"):
                yield Static("Choose settings and press F5 to start.", id="train-status")
                yield Label("epochs")
                yield ProgressBar(total=self.train_config.epochs, id="epoch-bar", show_eta=False)
                yield Label("batches in this epoch")
                yield ProgressBar(total=1, id="batch-bar", show_eta=False)
                yield Static(id="train-figures")
                yield LossPlot(id="loss-plot")
                yield RichLog(id="train-log", max_lines=500, wrap=True, markup=False)  # long lines wrap
        yield Footer()

    def _corpus_options(self) -> list[tuple[Content, str]]:
        options = [(Content(p.stem), str(p)) for p in self.app.workspace.list_corpora()]  # a name is not markup
        if str(self.corpus_path) not in [value for _, value in options]:
            options.insert(0, (Content(self.corpus_path.stem), str(self.corpus_path)))
        return options

    def _start_options(self) -> list[tuple[str | Content, str]]:
        options: list[tuple[str | Content, str]] = [
            ("pretrained (demo)", FROM_PRIOR),
            ("random weights (from scratch)", FROM_SCRATCH),
        ]
        if self.start_from not in (FROM_PRIOR, FROM_SCRATCH):  # a model's name is not markup
            options.insert(0, (Content(f"fine-tune {Path(self.start_from).stem}"), self.start_from))
        return options

    def on_mount(self) -> None:
        self._show_network_fields()
        self.query_one("#play-model", Button).display = False
        if self.autostart:
            self.action_start()

    def _show_network_fields(self) -> None:
        """Fine-tuning keeps the network it starts from: its shape is shown, and cannot be chosen."""
        from keytui.model.checkpoint import read_metadata

        model = self.model_settings
        prior = self.prior_path()
        if prior is not None:
            with contextlib.suppress(KeytuiError, TypeError):  # starting will say what is wrong with it
                model = {**model, **read_metadata(prior)["model"]}
        for field_id, _, source, key, _ in FIELDS:
            if source == "model":
                self.query_one(f"#{field_id}", Input).value = str(model.get(key, ""))
        self.query_one("#arch", Select).value = model.get("arch", "gru")
        for field_id in NETWORK_FIELDS:
            self.query_one(f"#{field_id}").disabled = prior is not None

    @on(Select.Changed, "#start-from")
    def _start_changed(self, event: Select.Changed) -> None:
        if self.running or event.value == self.start_from:
            return
        was_scratch = self.start_from == FROM_SCRATCH
        self.start_from = str(event.value)
        if was_scratch != (self.start_from == FROM_SCRATCH):  # the other kind of training: its default settings
            config = TrainConfig() if self.start_from == FROM_SCRATCH else fine_tune_config()
            for field_id, _, source, key, _ in FIELDS:
                if source == "train":
                    self.query_one(f"#{field_id}", Input).value = str(getattr(config, key))
            self.train_config = config
        self._show_network_fields()

    def prior_path(self) -> Path | None:
        if self.start_from == FROM_SCRATCH:
            return None
        return PRIOR_PATH if self.start_from == FROM_PRIOR else Path(self.start_from)

    @on(Select.Changed, "#preset")
    def _preset_changed(self, event: Select.Changed) -> None:
        if self.running or self.start_from != FROM_SCRATCH:  # a fine-tune keeps its settings and its network
            return
        model = REFERENCE_MODEL if event.value == "reference" else DEFAULT_MODEL
        config = REFERENCE_TRAINING if event.value == "reference" else TrainConfig()
        for field_id, _, source, key, _ in FIELDS:
            value = model[key] if source == "model" else getattr(config, key)
            self.query_one(f"#{field_id}", Input).value = str(value)
        self.query_one("#arch", Select).value = model["arch"]
        self.model_settings = dict(model)  # what the form does not show (dropout, key caps) follows the preset
        self.train_config = config

    def _read_form(self) -> tuple[dict, TrainConfig]:
        from dataclasses import replace

        model = dict(self.model_settings)
        model["arch"] = self.query_one("#arch", Select).value
        train_values = {}
        for field_id, label, source, key, kind in FIELDS:
            raw = self.query_one(f"#{field_id}", Input).value.strip()
            try:
                value = kind(raw)
            except ValueError:
                raise KeytuiError(f"{label}: {raw!r} is not a number") from None
            if source == "model":
                model[key] = value
            else:
                train_values[key] = value
        return model, replace(self.train_config, **train_values)

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        if self.running:
            return
        try:
            model_settings, config = self._read_form()
            ModelConfig(vocab_size=2, **model_settings)
            corpus_path = Path(str(self.query_one("#corpus", Select).value))
            text = read_corpus(corpus_path)
            corpus_kind = known_kind(corpus_path)  # None for a broken sidecar: it costs the kind, not the run
        except KeytuiError as exc:
            self.notify(str(exc), severity="error", timeout=8)
            self.query_one("#train-status", Static).update(
                Content.from_markup("[b red]Cannot train:[/] $error", error=str(exc))
            )
            return
        out = Path(self.out) if self.out else self.app.workspace.checkpoints / f"{corpus_path.stem}.safetensors"
        self.trained_corpus = corpus_path
        self.query_one("#play-model", Button).display = False
        self.running = True
        self.cancel_event.clear()
        self.epochs_seen.clear()
        self.query_one("#start", Button).disabled = True
        self.query_one("#cancel", Button).disabled = False
        self.query_one("#train-status", Static).update(
            Content.from_markup("Training on [b]$corpus[/b] → $out", corpus=corpus_path.stem, out=out.name)
        )
        prior = self.prior_path()
        if prior is not None:
            model_settings = {}  # the network is the prior's
            self._log(f"fine-tuning {prior.stem}")
        self.train_worker(text, corpus_path.stem, out, model_settings, config, prior, corpus_kind)

    @work(thread=True, exclusive=True, exit_on_error=False, group="training")
    def train_worker(
        self,
        text: str,
        corpus_name: str,
        out: Path,
        model_settings: dict,
        config: TrainConfig,
        prior: Path | None,
        corpus_kind: str,
    ) -> None:
        from keytui.data.corpus_meta import read_layout
        from keytui.game.fit import fit_and_save
        from keytui.model import threads

        threads.for_training()  # what the machine can spare, read now

        def post(event) -> None:
            message = BatchProgress(event) if isinstance(event, BatchDone) else TrainingEvent(event)
            self.post_message(message)

        try:
            outcome = fit_and_save(
                text,
                corpus_name=corpus_name,
                out_path=out,
                model_settings=model_settings,
                train_config=config,
                on_event=post,
                memory_expert=self.memory_expert,
                cancel=self.cancel_event,
                layout=self.keyboard_layout or read_layout(self.corpus_path),
                prior=prior,
                corpus_kind=corpus_kind,
                replace=self.replace,
            )
        except KeytuiError as exc:
            self.post_message(TrainingFailed(str(exc)))
        except Exception as exc:  # keep the app alive and say what happened in one line
            self.post_message(TrainingFailed(f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(TrainingDone(outcome))

    @on(TrainingEvent)  # @on matches subclasses too (BatchProgress); a plain on_* handler would not
    def _show_training_event(self, message: TrainingEvent) -> None:
        event = message.event
        if isinstance(event, TrainingStarted):
            self.query_one("#epoch-bar", ProgressBar).update(total=event.epochs, progress=0)
            self.query_one("#batch-bar", ProgressBar).update(total=event.batches_per_epoch, progress=0)
            self._log(
                f"{event.train_keys:,} training keys, {event.val_keys:,} validation, {event.test_keys:,} test; "
                f"{event.parameters:,} parameters"
            )
        elif isinstance(event, RefitStarted):
            self.query_one("#batch-bar", ProgressBar).update(total=event.batches_per_epoch, progress=0)
            self._log(f"refitting on train + validation ({event.keys:,} keys) for {event.epochs} epochs")
            self.query_one("#train-status", Static).update("Refitting on every key but the test ones…")
        elif isinstance(event, BatchDone):
            self.query_one("#batch-bar", ProgressBar).update(total=event.batches, progress=event.batch)
        elif isinstance(event, EpochDone):
            self.epochs_seen.append(event)
            self.query_one("#epoch-bar", ProgressBar).update(progress=event.epoch)
            self.query_one(LossPlot).add_epoch(event.train_loss, event.val_loss)
            self.query_one("#train-figures", Static).update(
                f"epoch [b]{event.epoch}[/b]/{event.epochs}   train {event.train_loss:.3f}   val {event.val_loss:.3f}"
                f"   best {event.best_val_loss:.3f}\n"
                f"lr {event.lr:.1e}   patience left {event.patience_left}   ~{event.eta_seconds:.0f}s left in all\n"
                f"validation: hit {event.val_accuracy:.1%}   macro F1 {event.macro_f1:.3f}   "
                f"weighted F1 {event.weighted_f1:.3f}"
            )
            mark = "  ★ saved" if event.improved else ""
            self._log(
                f"epoch {event.epoch}: train {event.train_loss:.4f} val {event.val_loss:.4f} lr {event.lr:.1e}{mark}"
            )

    def on_training_done(self, message: TrainingDone) -> None:
        self._finish()
        self.outcome = outcome = message.outcome
        result = outcome.result
        if outcome.checkpoint is None:
            self.query_one("#train-status", Static).update(
                "Training over: cancelled before the first epoch ended, nothing saved."
            )
            return
        self.app.last_model = str(outcome.installed)  # home selects this model when the player goes back
        self.app.last_corpus = str(self.trained_corpus)
        test = result.test
        lines = [
            f"[b]Training over[/b]: {run_words(result.stopped, result.epochs_run)} ({result.seconds:.0f}s); "
            f"best epoch {result.best_epoch}. $reason."
        ]
        if test is not None:
            lines.append(
                f"test: hit {test.accuracy:.1%}  top-3 {test.top3_accuracy:.1%}  macro F1 "
                f"{test.macro_f1:.3f}  weighted F1 {test.weighted_f1:.3f}"
            )
            lines.append(
                "   ".join(f"{baseline_words(name)}: hit {s['hit_rate']:.1%}" for name, s in outcome.baselines.items())
            )
        lines.append("Next: press [b]F6[/b] to play [b]$model[/b].")
        self.query_one("#train-status", Static).update(
            Content.from_markup(
                "\n".join(lines), reason=_capitalised(outcome.decision.reason), model=outcome.installed.stem
            )
        )
        for mode, scores in (outcome.predictor or {}).items():
            self._log(f"test keys replayed as a game ({mode}, every expert mixed): hit {scores['hit_rate']:.1%}")
        self.query_one("#play-model", Button).display = True
        self._log(f"saved {outcome.checkpoint}")
        self._log(outcome.decision.reason)
        self.notify(f"Training over: {outcome.decision.reason}")

    def on_training_failed(self, message: TrainingFailed) -> None:
        self._finish()
        self.query_one("#train-status", Static).update(
            Content.from_markup("[b red]Training failed:[/] $error", error=message.error)
        )
        self.notify(message.error, severity="error", timeout=10)

    def _finish(self) -> None:
        self.running = False
        self.refresh_bindings()
        self.query_one("#start", Button).disabled = False
        self.query_one("#cancel", Button).disabled = True

    def _log(self, line: str) -> None:
        self.log_lines.append(line)
        self.query_one("#train-log", RichLog).write(line)

    @on(Button.Pressed, "#cancel")
    def action_cancel_or_leave(self) -> None:
        if self.running:
            self.cancel_event.set()
            self.query_one("#train-status", Static).update("Cancelling: keeping the best checkpoint so far…")
            return
        self.app.leave_mode()

    def session_summary(self) -> str:
        outcome = self.outcome
        if outcome is None:
            return "no model trained" if not self.running else "training stopped when the app closed"
        if outcome.checkpoint is None:
            return "training cancelled before the first epoch ended: nothing saved"
        ended = run_words(outcome.result.stopped, outcome.result.epochs_run)
        return f"trained on {self.trained_corpus.stem}: {ended}; {outcome.decision.reason}"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "play_model":  # offered once a run has left a model to play
            return self.outcome is not None and self.outcome.installed is not None and not self.running
        return True

    @on(Button.Pressed, "#play-model")
    def action_play_model(self) -> None:
        if self.outcome is None or self.outcome.installed is None or self.running:
            return
        keys = self.app.workspace.corpora / f"{PLAYER_CORPUS}{CORPUS_SUFFIX}"
        self.app.open_mode("play", model=str(self.outcome.installed), corpus=str(keys))

    def on_unmount(self) -> None:
        self.cancel_event.set()


def _capitalised(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]
