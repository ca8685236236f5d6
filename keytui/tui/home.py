"""The home screen: what corpora and models exist, which are selected, and a way into each mode."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from keytui.data.corpus_meta import PLAYER_CORPUS, corpus_kind, is_bundled
from keytui.data.history import History, HistoryRead
from keytui.data.paths import CORPUS_SUFFIX
from keytui.errors import KeytuiError
from keytui.game.retrain import retrain_offer
from keytui.game.versions import default_play_model, is_complete, status_words
from keytui.model.checkpoint import verify_checkpoint
from keytui.tui.widgets.history_panel import HistoryPanel


class HomeScreen(Screen):
    # Every rule is scoped by the screen's type: a mode screen's ids can never reach home's widgets, nor home's theirs.
    DEFAULT_CSS = """
    HomeScreen #home { padding: 1 2; }
    HomeScreen #intro { margin-bottom: 1; }
    HomeScreen #lists { height: 1fr; min-height: 5; }
    HomeScreen #lists Vertical { width: 1fr; margin-right: 1; }
    HomeScreen #lists OptionList { height: 1fr; }
    HomeScreen #selection { height: auto; margin: 1 0; }
    HomeScreen #actions { height: auto; }
    HomeScreen #actions Button { margin-right: 2; }
    HomeScreen #history-title { margin-top: 1; }
    HomeScreen #retrain-offer { height: auto; color: $warning; margin-bottom: 1; }
    """
    retrain = None  # the RetrainOffer for the selected corpus and model, when retraining pays
    COMPACT_HEIGHT = 30  # below this many rows, the plot of games gives its rows to the lists

    BINDINGS = [
        Binding("r", "record", "Record"),
        Binding("t", "train", "Train"),
        Binding("p", "play", "Play"),
        Binding("o", "oracle", "Oracle"),
        # the lists refresh whenever home comes back; F5 only for files changed from outside, and hiding it keeps
        # the app's "f1 Help" in the footer at 80 columns
        Binding("f5", "refresh", "Refresh", show=False),
        Binding("i", "insight", "Insight"),
        Binding("question_mark", "app.help", "Help", show=False),
        # Ctrl+Q quits everywhere, but some browsers keep it (Firefox quits itself): in `keytui serve` q is the way out
        Binding("q", "app.quit", "Quit", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home"):
            yield Static(
                "Mash keys at random. A neural network learns your habits, then guesses each key before you press"
                " it. Record a corpus, train a model on it, and play.",
                id="intro",
            )
            with Horizontal(id="lists"):
                with Vertical():
                    yield Label("Corpora", classes="section")
                    yield OptionList(id="corpora")
                with Vertical():
                    yield Label("Models", classes="section")
                    yield OptionList(id="models")
            yield Label("Your last games", classes="section", id="history-title")
            yield HistoryPanel(id="history-panel")
            yield Static(id="selection")
            yield Static(id="retrain-offer")
            with Horizontal(id="actions"):
                yield Button("Record (r)", id="record-button", variant="primary")
                yield Button("Train (t)", id="train-button")
                yield Button("Play (p)", id="play-button", variant="success")
                yield Button("Oracle f/d (o)", id="oracle-button")
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        workspace = self.app.workspace
        corpora = self.query_one("#corpora", OptionList)
        models = self.query_one("#models", OptionList)
        # What the last mode worked on comes first (after recording into keys, home shows keys), then what was
        # selected; on first sight, the player's own corpus and play's default model.
        chosen_corpus = self.app.last_corpus or self.selected_corpus()
        chosen_model = self.app.last_model or self.selected_model()
        self.app.last_corpus = self.app.last_model = None
        corpora.clear_options()
        for path in workspace.list_corpora():
            keys = path.stat().st_size
            kind = corpus_kind(path)
            corpora.add_option(Option(Content(f"{path.stem}  ({keys:,} bytes, {kind})"), id=str(path)))  # not markup
        models.clear_options()
        for path in workspace.list_checkpoints():
            try:
                meta = verify_checkpoint(path)  # every byte checked: a damaged file shows as broken
                test = meta.get("metrics", {}).get("test", {})
                detail = f"{meta['model']['arch']}, test hit {test['accuracy']:.0%}" if test else meta["model"]["arch"]
                if not is_complete(meta):
                    detail += f", {status_words(meta.get('status'))}"
            except (KeytuiError, KeyError, TypeError, ValueError, AttributeError):
                detail = "broken"
            models.add_option(Option(Content(f"{path.stem}  ({detail})"), id=str(path)))
        self._reselect(corpora, chosen_corpus, prefer=workspace.corpora / f"{PLAYER_CORPUS}{CORPUS_SUFFIX}")
        self._reselect(models, chosen_model, prefer=default_play_model(workspace))
        self._show_selection()
        try:
            read = History.of_workspace(workspace.root).read()
        except KeytuiError as exc:
            self.notify(str(exc), severity="warning")
            read = HistoryRead([], 0)
        self.query_one("#history-panel", HistoryPanel).show(read)

    def on_resize(self) -> None:
        self.query_one("#history-panel", HistoryPanel).set_class(self.size.height < self.COMPACT_HEIGHT, "-compact")

    def _reselect(self, options: OptionList, chosen: str | None, prefer=None) -> None:
        if options.option_count == 0:
            return
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        target = chosen if chosen in ids else (str(prefer) if prefer and str(prefer) in ids else ids[0])
        options.highlighted = ids.index(target)

    def selected_corpus(self) -> str | None:
        return self._selected("#corpora")

    def selected_model(self) -> str | None:
        return self._selected("#models")

    def _selected(self, selector: str) -> str | None:
        options = self.query_one(selector, OptionList)
        if options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id

    def on_option_list_option_highlighted(self) -> None:
        self._show_selection()

    def _show_selection(self) -> None:
        """What each action will act on, spelled out: a player must never guess where their keys go."""
        corpus, model = self.selected_corpus(), self.selected_model()
        corpus_name = Path(corpus).stem if corpus else "—"
        model_name = Path(model).stem if model else "—"
        keys_to = Path(self._writable_corpus()).stem
        self.query_one("#selection", Static).update(
            Content.from_markup(
                "record and play into [b]$keys[/b]   train on [b]$corpus[/b]   play against [b]$model[/b]",
                keys=keys_to,
                corpus=corpus_name,
                model=model_name,
            )
        )
        offer = retrain_offer(Path(model), Path(corpus)) if corpus and model else None
        self.retrain = offer
        notice = self.query_one("#retrain-offer", Static)
        notice.update(Content(offer.sentence()) if offer else "")
        notice.display = offer is not None

    def on_button_pressed(self, event: Button.Pressed) -> None:
        getattr(self, f"action_{event.button.id.removesuffix('-button')}")()

    def _writable_corpus(self) -> str:
        """Where recorded and played keys go: the selected corpus when it is the player's typing, else `keys`.

        Never an imported text, synthetic keys or the demo inside the installed package.
        """
        corpus = self.selected_corpus()
        if corpus is not None and not is_bundled(Path(corpus)) and corpus_kind(Path(corpus)) == "typing":
            return corpus
        return str(self.app.workspace.corpora / f"{PLAYER_CORPUS}{CORPUS_SUFFIX}")

    def action_insight(self) -> None:
        from keytui.data.corpus_meta import read_layout
        from keytui.tui.insight import InsightScreen

        corpus = self.selected_corpus()
        layout = read_layout(Path(corpus)) if corpus else "qwerty"
        self.app.push_screen(InsightScreen(Path(corpus) if corpus else None, layout))

    def action_record(self) -> None:
        self.app.open_mode("record", corpus=self._writable_corpus())

    def action_train(self) -> None:
        corpus = self.selected_corpus()
        if corpus is None:
            self.notify("Record or import a corpus first.", severity="warning")
            return
        self.app.open_mode("train", corpus=corpus, autostart=False)

    def action_play(self) -> None:
        model = self.selected_model()
        if model is None:
            self.notify("Train a model first.", severity="warning")
            return
        self.app.open_mode("play", model=model, corpus=self._writable_corpus())

    def action_oracle(self) -> None:
        """The few-key oracle game needs no corpus or model: ask which keys, then play."""
        from keytui.tui.oracle import OracleKeysPrompt

        self.app.push_screen(OracleKeysPrompt())
