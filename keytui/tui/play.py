"""Play: the model commits to a guess before every key; the key is scored the moment it lands."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from pathlib import Path

from rich.markup import escape
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Digits, Footer, Header, ProgressBar, Static

from keytui.data.corpus import CorpusWriter
from keytui.data.corpus_meta import check_typing_target
from keytui.data.history import History
from keytui.data.keyboard import DEFAULT_LAYOUT
from keytui.errors import KeytuiError
from keytui.game.session import ROLLING_KEYS, GameSession, KeyResult
from keytui.model import threads
from keytui.model.checkpoint import load_checkpoint, load_weights
from keytui.predictors import NGramPredictor
from keytui.predictors.factory import build_predictor
from keytui.tui.keys import TypingKeys, pasted_summary
from keytui.tui.widgets.hit_rate import HitRateTrace
from keytui.tui.widgets.key_flash import KeyFlash
from keytui.tui.widgets.keyboard import KeyboardHeatmap


def shown(key: str) -> str:
    """A key as plain text (space made visible): it goes into markup only as a $variable or a Content part."""
    return "␣" if key == " " else key


def _identity_and_rows(content: Content | str, width: int) -> tuple[object, tuple[int, ...] | None]:
    """What a Static's content is (its text and styles: Content's own == compares the text only) and the rows each
    of its lines takes at `width` columns (None when the widget has no width yet): the same rows, the same room."""
    content = Content.from_markup(content) if isinstance(content, str) else content
    text = content.plain
    identity = (text, tuple((span.start, span.end, str(span.style)) for span in content.spans))
    if width <= 0:
        return identity, None
    return identity, tuple(max(1, -(-len(line) // width)) for line in text.split("\n"))


class PlayScreen(Screen):
    DEFAULT_CSS = """
    PlayScreen #play { padding: 0 2; }
    PlayScreen #play-main { height: 1fr; }
    PlayScreen #guess-panel { width: 1fr; }
    PlayScreen #score-panel { width: 46; border: round $primary; padding: 0 1; overflow-y: auto; }
    PlayScreen #scores { height: auto; }
    PlayScreen #rolling { height: 3; }
    PlayScreen #guess, PlayScreen #result { height: auto; margin-bottom: 1; }
    PlayScreen #top3 { height: auto; padding: 0 1; }
    PlayScreen #history { height: auto; margin-top: 1; }
    PlayScreen .big { padding: 0 1; text-style: bold; }
    PlayScreen .verdict { height: 3; padding: 1 1 0 1; text-align: center; }
    PlayScreen #big-score-row { height: 3; margin-bottom: 1; }
    PlayScreen #big-score { width: auto; color: $accent; }
    PlayScreen #big-score-label { width: 1fr; padding: 0 1; color: $text-muted; }
    PlayScreen #hit-map-label { margin: 1 1 0 1; }
    PlayScreen #hit-map { margin: 0 1; }
    """
    HIT_MAP_SIZE = (58, 34)  # the hit heatmap only shows where it fits: the left panel's width, the screen's height

    BINDINGS = [
        Binding("f2", "toggle_dodge", "Dodge mode"),
        Binding("f3", "toggle_append", "Keep keys on/off"),
        Binding("f4", "random_control", "Control"),
        Binding("f7", "retrain", "Retrain", show=False),  # named in the help and in the retrain offer
        Binding("escape", "leave", "Done"),
    ]

    def __init__(
        self,
        model: str,
        corpus: str | None = None,
        round_size: int = 100,
        adaptive: bool = True,
        dodge: bool = False,
        layout: str = DEFAULT_LAYOUT,
        clock=None,
        keep: bool = True,
    ) -> None:
        """`layout`: the keyboard the player types on. `clock`: seconds, for keys per second (tests pass a fake).
        `keep`: append played keys to `corpus` from the start (F3 turns it on and off; with `keep=False` the corpus is
        where F3 would send them, as after --no-append)."""
        super().__init__()
        self.clock = clock
        self.keep_at_start = keep
        self.keyboard_layout = layout
        self.model_path = Path(model)
        self.corpus_path = Path(corpus) if corpus else None
        self.round_size = round_size
        self.adaptive = adaptive
        self.dodge = dodge
        self.game: GameSession | None = None
        self.writer: CorpusWriter | None = None
        self.last: KeyResult | None = None
        self._history_warned = False
        self.hit_counts: Counter[str] = Counter()
        self.kept_keys = 0  # played keys appended to the corpus in this session
        self.retrain_cancel = threading.Event()
        self.retraining = False
        self.pending_model: Path | None = None  # a retrained model that did better: it plays from the next round
        self._shown: dict[str, tuple[object, tuple[int, ...] | None]] = {}  # what each Static shows: see _show

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="play"):
            yield Static(id="play-title", classes="title")
            with Horizontal(id="play-main"):
                with Vertical(id="guess-panel"):
                    yield Static(id="guess", classes="big")
                    yield KeyFlash(id="result")
                    with Horizontal(id="big-score-row"):
                        yield Digits("0", id="big-score")
                        yield Static(id="big-score-label")
                    yield Static(id="top3")
                    yield Static(id="history", classes="stream")
                    yield Static("keys it guessed right, by where they sit", id="hit-map-label", classes="dim")
                    yield KeyboardHeatmap(layout=self.keyboard_layout, id="hit-map")
                with Vertical(id="score-panel"):
                    yield Static(id="scores")
                    yield ProgressBar(total=self.round_size, show_eta=False, id="round-bar")
                    yield Static(f"hit rate over the last {ROLLING_KEYS} keys (┄ chance)", classes="dim")
                    yield HitRateTrace(id="rolling")
            yield Static(id="burst", classes="burst")
            yield Static(id="verdict", classes="verdict")
        yield Footer()

    def on_mount(self) -> None:
        self.typing = TypingKeys(self.query_one("#burst", Static), "played")
        threads.for_play()
        try:
            # numpy only: torch takes seconds to load, and the first guess needs none of it (see _load_network)
            checkpoint = load_weights(self.model_path)
        except KeytuiError as exc:
            self.query_one("#play-title", Static).update(
                Content.from_markup("[b red]Cannot play:[/] $error", error=str(exc))
            )
            self.notify(str(exc), severity="error", timeout=10)
            return
        if self.corpus_path is not None and self.keep_at_start:
            try:
                self.writer = self._open_writer(self.corpus_path)
            except KeytuiError as exc:  # play on, keeping no keys, and say why
                self.notify(f"Played keys are not kept: {exc}", severity="error", timeout=10)
        self.app.last_model = str(self.model_path)  # home shows this model when the player comes back
        if self.writer is not None:
            self.app.last_corpus = str(self.corpus_path)
        predictor = build_predictor(checkpoint, adaptive=self.adaptive, layout=self.keyboard_layout)
        self.game = GameSession(
            predictor,
            NGramPredictor(checkpoint.fit_text, adaptive=self.adaptive),
            round_size=self.round_size,
            recorder=self.writer,
            history=History.of_workspace(self.app.workspace.root),
            model_label=checkpoint.label,
            mode="dodge" if self.dodge else "play",
            **({"clock": self.clock} if self.clock is not None else {}),
        )
        self._refresh()
        if checkpoint.model is None and self.adaptive:  # the adaptive step learns with torch: load it meanwhile
            self.call_after_refresh(self._load_network, checkpoint)

    def _load_network(self, checkpoint) -> None:
        """Build the PyTorch network in the background, once the first guess is on screen; the predictor joins it
        between two keys when it is there (keytui/predictors/neural.py)."""

        def build() -> None:
            threads.for_play()
            try:
                checkpoint.ensure_model()
            except Exception as exc:  # torch missing, memory short: the game plays on, frozen, and says why
                reason = str(exc) if isinstance(exc, KeytuiError) else type(exc).__name__
                with contextlib.suppress(RuntimeError):  # the app may have closed meanwhile
                    self.app.call_from_thread(self.notify, f"The network will not learn as you play: {reason}")

        # Not a daemon: leaving the app right away waits for torch to finish loading rather than exiting mid-import.
        threading.Thread(target=build, name="keytui-load-network").start()

    def on_key(self, event: events.Key) -> None:
        character = self.typing.typed(event)
        if character is None or self.game is None:
            return
        event.stop()
        event.prevent_default()
        try:
            result = self.game.press(character, dodge=self.dodge)
        except KeytuiError as exc:  # the disk refused the key: stop keeping keys, keep playing
            self.notify(str(exc), severity="error", timeout=10)
            self._stop_keeping()
            result = self.game.press(character, dodge=self.dodge)
        if self.writer is not None and not result.dodge:
            self.kept_keys += 1
        self.last = result
        if result.hit and not result.dodge:
            self.hit_counts[character] += 1
        self._refresh()
        self.call_after_refresh(self.game.settle)  # the model learns once the guess is on screen
        if result.round_over:
            self._warn_history()
            summary = self.game.round.to_json(self.game.uniform_chance)
            self.game.next_round()
            if self.pending_model is not None:
                self._swap_model()
            self._refresh()  # the round counter and bar start again at 0 under the results
            self.app.push_screen(RoundResults(summary, len(self.game.rounds_done), **self._round_extras()))

    def _round_extras(self) -> dict:
        """What the results screen says beyond the figures: a record, what gave the player away, a line to share."""
        from keytui.data.history import share_line
        from keytui.game.insight import insight

        game = self.game
        record = game.last_round_record
        return {
            "least_predictable": game.least_predictable_round,
            "insight_line": insight(game.typed, game.hits, source="this game", layout=self.keyboard_layout).summary(),
            "share": share_line(record) if record is not None else None,
            "screenshots": self.app.workspace.root / "screenshots",
        }

    def on_resize(self) -> None:
        width, height = self.HIT_MAP_SIZE
        fits = self.query_one("#guess-panel").size.width >= width and self.size.height >= height
        for selector in ("#hit-map", "#hit-map-label"):
            self.query_one(selector).display = fits

    def on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        self.typing.pasted(event.text)  # one line says how many: a paste is not typing

    def _show(self, selector: str, content: Content | str) -> None:
        """Put `content` in the Static `selector`. Nothing happens when it shows that already, and the screen is laid
        out again only when the text needs other room (rows): a layout pass over the whole screen for every key is
        work a burst of keys does not need (on 30 keys, 240 layout requests became 35 or fewer)."""
        widget = self.query_one(selector, Static)
        identity, rows = _identity_and_rows(content, widget.content_size.width)
        before = self._shown.get(selector)
        if before is not None and before[0] == identity:
            return
        self._shown[selector] = (identity, rows)
        widget.update(content, layout=before is None or rows is None or before[1] != rows)

    def _flash(self, outcome: str | None, content: Content | str) -> None:
        """The verdict on the last key (KeyFlash): laid out again only when its text needs other room."""
        flash = self.query_one("#result", KeyFlash)
        _, rows = _identity_and_rows(content, flash.content_size.width)
        before = self._shown.get("#result")
        self._shown["#result"] = (None, rows)
        layout = before is None or rows is None or before[1] != rows
        if outcome is None:
            flash.clear(content, layout=layout)
        else:
            flash.show(outcome, content, layout=layout)

    def _refresh(self) -> None:
        game = self.game
        if game is None:
            return
        sealed = "the guess is sealed until your key lands."
        mode = "dodge mode: the guess is shown, avoid it!" if self.dodge else sealed
        if self.dodge:
            keep = "dodge keys are scored apart and never kept)"
        else:
            if self.writer:
                keep = "played keys go to corpus [b]$corpus[/b])"
            elif self.corpus_path is not None:
                keep = "played keys not kept; F3 keeps them in [b]$corpus[/b])"
            else:
                keep = "played keys not kept)"
        title = "Model [b]$model[/b] vs you. Type at random; $mode (" + keep
        corpus = self.corpus_path.stem if self.corpus_path else ""
        self._show("#play-title", Content.from_markup(title, model=self.model_path.stem, mode=mode, corpus=corpus))
        guess = game.guess
        if self.dodge:
            self._show(
                "#guess",
                Content.from_markup(
                    "next guess: [b]$key[/b]  ($sure sure)", key=shown(guess.top[0]), sure=f"{guess.confidence:.0%}"
                ),
            )
        else:
            self._show("#guess", "next guess: [b]▒[/b] (sealed)")
        last = self.last
        if last is not None and last.dodge:  # dodge mode: avoiding the shown guess is the player's win
            self._flash(
                "miss" if last.hit else "hit",
                Content.from_markup(
                    "you pressed [b]$key[/b], it showed [b]$guess[/b]    $verdict",
                    key=shown(last.key),
                    guess=shown(last.guess.top[0]),
                    verdict="✘ caught" if last.hit else "✔ dodged",
                ),
            )
            self._show("#top3", "")
        elif last is not None:
            outcome = "hit" if last.hit else ("top3" if last.top3_hit else "miss")
            verdict = {"hit": "✔ HIT", "top3": "~ in its top 3", "miss": "✘ miss"}[outcome]
            self._flash(
                outcome,
                Content.from_markup(
                    "you pressed [b]$key[/b], it guessed [b]$guess[/b]    $verdict",
                    key=shown(last.key),
                    guess=shown(last.guess.top[0]),
                    verdict=verdict,
                ),
            )
            top3 = "  ".join(shown(k) for k in last.guess.top[:3])
            self._show(
                "#top3",
                Content.from_markup(
                    "its top-3 was: $top3   confidence $sure", top3=top3, sure=f"{last.guess.confidence:.0%}"
                ),
            )
        else:
            self._flash(None, "press any key to start")
            self._show("#top3", "")
        history = [(shown(r.key), "green" if r.hit else "red") for r in game.history]
        self._show("#history", Content.assemble("last keys: ", *history) if history else "")
        total = game.total
        model, baseline = total.model, total.baseline
        self.query_one("#hit-map", KeyboardHeatmap).set_counts(self.hit_counts)
        self.query_one("#big-score", Digits).update(f"{model.hit_rate * 100:.0f}")
        speed = game.keys_per_second()
        self._show(
            "#big-score-label",
            f"% read by the machine\nchance {game.verdict().chance:.1%}\n"
            + (f"{speed:.1f} keys/s" if speed is not None else "keys/s: type on"),
        )
        self._show(
            "#scores",
            f"keys played  [b]{total.n}[/b]  (round {len(game.rounds_done) + 1}: {game.round.n}/{game.round_size})\n"
            f"hit rate     [b]{model.hit_rate:6.1%}[/b]\n"
            f"top-3 hit    {model.top3_hit_rate:6.1%}\n"
            f"macro F1     {model.macro_f1:6.3f}\n"
            f"weighted F1  {model.weighted_f1:6.3f}\n"
            f"chance       {game.uniform_chance:6.1%} uniform, {model.majority_rate:.1%} top key\n"
            f"n-gram       {baseline.hit_rate:6.1%} same keys"
            + (f"\ndodged       {game.dodge.dodged}/{game.dodge.n} shown guesses (apart)" if game.dodge.n else ""),
        )
        verdict = game.verdict()
        self.query_one("#rolling", HitRateTrace).update_rates(game.rolling_rates, verdict.chance)
        self.query_one("#round-bar", ProgressBar).update(progress=game.round.n)
        style = "b red" if verdict.predictable else "b green"
        self._show("#verdict", Content.from_markup(f"[{style}]$text[/]", text=verdict.text))

    def action_toggle_dodge(self) -> None:
        self.dodge = not self.dodge
        if self.game is not None:
            self.game.mode = "dodge" if self.dodge else "play"
        self._refresh()

    def action_random_control(self) -> None:
        """A random generator plays against a fresh copy of this machine: what chance looks like."""
        from keytui.tui.control import ControlScreen

        if self.game is None:
            return
        model = self.game.total.model
        self.app.push_screen(
            ControlScreen(
                self.model_path,
                adaptive=self.adaptive,
                player_rate=model.hit_rate if model.n else None,
                history=self.game.history_store,
            )
        )

    def _warn_history(self) -> None:
        game = self.game
        if game is not None and game.history_error and not self._history_warned:
            self._history_warned = True
            self.notify(f"The history is not kept: {game.history_error}", severity="warning", timeout=10)

    def action_toggle_append(self) -> None:
        if self.writer is not None:
            self._stop_keeping()
            self.notify("Played keys are no longer kept.")
        elif self.corpus_path is not None and self.game is not None:
            try:
                self.writer = self.game.recorder = self._open_writer(self.corpus_path)
                self.notify(f"Played keys are appended to {self.corpus_path.stem}.", markup=False)
            except KeytuiError as exc:
                self.notify(str(exc), severity="error")
        else:
            self.notify("This game has no corpus to keep played keys in.", severity="warning")
        self._refresh()

    @staticmethod
    def _open_writer(corpus_path: Path) -> CorpusWriter:
        check_typing_target(corpus_path)  # played keys are typing: never appended to a text or synthetic corpus
        return CorpusWriter(corpus_path)

    def _stop_keeping(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer = None
        if self.game is not None:
            self.game.recorder = None

    def session_summary(self) -> str:
        game = self.game
        dropped = pasted_summary(self.typing.pasted_keys, "played") if hasattr(self, "typing") else ""
        if game is None or game.total.n + game.dodge.n == 0:
            return f"played no keys against {self.model_path.stem}{dropped}"
        total = game.total
        kept = f"; {self.kept_keys:,} kept in {self.corpus_path.stem}" if self.kept_keys else "; keys not kept"
        dodged = f"; dodged {game.dodge.dodged} of {game.dodge.n} shown guesses" if game.dodge.n else ""
        return (
            f"played {total.n:,} keys against {self.model_path.stem}: hit rate {total.model.hit_rate:.1%} "
            f"(n-gram {total.baseline.hit_rate:.1%}, chance {game.verdict().chance:.1%}){dodged}{kept}{dropped}"
        )

    def action_leave(self) -> None:
        self._finish()
        self._offer_retraining()
        self.app.leave_mode()

    def action_retrain(self) -> None:
        """Retrain in the background while the game goes on; a model that does better plays from the next round."""
        from keytui.game.retrain import MIN_NEW_KEYS, retrain_offer

        if self.retraining:
            self.notify("Already retraining in the background.")
            return
        offer = retrain_offer(self.model_path, self.corpus_path) if self.corpus_path is not None else None
        if offer is None:
            self.notify(
                f"Retraining pays once {MIN_NEW_KEYS:,} new keys are in the corpus this model was trained on.",
                title="Not yet",
            )
            return
        self.retraining = True
        self.notify(f"{offer.new_keys:,} new keys: retraining in the background; play on.", title="Retraining")
        self._retrain()

    @work(thread=True, exclusive=True, exit_on_error=False, group="retrain")
    def _retrain(self):
        from keytui.game.retrain import retrain

        threads.for_training(beside_play=True)  # one thread: the game's keys come first
        return retrain(self.model_path, self.corpus_path, cancel=self.retrain_cancel)

    def on_worker_state_changed(self, event) -> None:
        from textual.worker import WorkerState

        if event.worker.group != "retrain" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        self.retraining = False
        if event.state == WorkerState.ERROR:
            self.notify(f"Retraining failed: {event.worker.error}", severity="error", timeout=10)
            return
        result = event.worker.result
        if result is None:
            return  # cancelled: nothing was kept
        if result.better:
            self.pending_model = result.model
        self.notify(result.sentence() + (" It plays from the next round." if result.better else ""), timeout=15)

    def _swap_model(self) -> None:
        """Between rounds: the better model takes over, after reading this game's last keys."""
        path, self.pending_model = self.pending_model, None
        try:
            checkpoint = load_checkpoint(path)
        except KeytuiError as exc:
            self.notify(f"The retrained model cannot be loaded: {exc}", severity="error")
            return
        predictor = build_predictor(checkpoint, adaptive=self.adaptive, layout=self.keyboard_layout)
        self.game.swap_predictor(predictor, checkpoint.label)
        self.model_path = path
        self._refresh()

    def _offer_retraining(self) -> None:
        """After a game that added enough keys to the model's own corpus, say that retraining would pay."""
        from keytui.game.retrain import retrain_offer

        offer = retrain_offer(self.model_path, self.corpus_path) if self.corpus_path is not None else None
        if offer is not None:
            self.notify(offer.sentence(), title="Retrain?", timeout=10)

    def on_unmount(self) -> None:
        self._finish()

    def _finish(self) -> None:
        """The game is over: its record goes into the history, the corpus is closed, a retraining stops."""
        self.retrain_cancel.set()
        if self.game is not None:
            self.game.finish()
        self._stop_keeping()


class RoundResults(ModalScreen):
    """The end of a round: its figures, a record if it is one, what gave the player away and a line to share; then
    back to the game (Enter or Escape). F5 copies the line, F6 saves the screen as SVG into the workspace."""

    DEFAULT_CSS = """
    RoundResults { align: center middle; }
    RoundResults #results {
        width: 76; max-width: 100%; height: auto; max-height: 100%; overflow-y: auto;  /* verdict on one line */
        border: thick $accent; background: $panel; padding: 1 2;
    }
    RoundResults #results-body { margin-bottom: 1; }
    RoundResults #results-record { color: $success; text-style: bold; margin-bottom: 1; }
    RoundResults #results-insight { margin-bottom: 1; }
    RoundResults #results-share { color: $accent; }
    """

    BINDINGS = [
        Binding("enter", "dismiss", "Next round"),
        Binding("escape", "dismiss", "Next round"),
        Binding("f5", "copy_share", "Copy result"),
        Binding("f6", "save_svg", "Save as SVG"),
    ]

    def __init__(
        self,
        summary: dict,
        round_number: int,
        *,
        least_predictable: bool = False,
        insight_line: str | None = None,
        share: str | None = None,
        screenshots: Path | None = None,
    ) -> None:
        super().__init__()
        self.summary = summary
        self.round_number = round_number
        self.least_predictable = least_predictable
        self.insight_line = insight_line
        self.share = share
        self.screenshots = screenshots

    def compose(self) -> ComposeResult:
        s = self.summary
        model, baseline, chance = s["model"], s["baseline_ngram"], s["chance"]
        with Vertical(id="results"):
            yield Static(f"[b]Round {self.round_number} over[/b]: {s['n']} keys", classes="title")
            if self.least_predictable:
                yield Static("★ Your least predictable round yet!", id="results-record")
            yield Static(
                f"hit rate [b]{model['hit_rate']:.1%}[/b] (n-gram {baseline['hit_rate']:.1%})   "
                f"top-3 {model['top3_hit_rate']:.1%}\n"
                f"F1 macro {model['macro_f1']:.3f}, weighted {model['weighted_f1']:.3f}   "
                f"bits per key {model['bits_per_char']:.2f}\n"
                f"chance {chance['uniform']:.1%} uniform, {chance['majority']:.1%} majority key\n"
                f"[b]{escape(s['verdict']['text'])}[/b]",  # figures only: no key or name reaches this markup
                id="results-body",
            )
            if self.insight_line:
                gave_away = Content.assemble(("What gave you away: ", "bold"), self.insight_line)
                yield Static(gave_away, id="results-insight")
            if self.share:
                yield Static(Content(self.share), id="results-share")
                yield Static("F5 copies this line · F6 saves this screen as SVG", classes="dim")
            yield Button("Next round (Enter)", id="next", variant="primary")

    def on_button_pressed(self) -> None:
        self.dismiss()

    def on_key(self, event: events.Key) -> None:
        if event.key not in ("enter", "escape", "tab", "f5", "f6"):
            event.stop()  # mashing on past the round's end must not skip the results by accident

    def action_copy_share(self) -> None:
        if self.share:
            self.app.copy_to_clipboard(self.share)
            self.notify("Copied: " + self.share)

    def action_save_svg(self) -> None:
        """The screen as an SVG picture in the workspace's screenshots/ folder."""
        if self.screenshots is None:
            return
        try:
            self.screenshots.mkdir(parents=True, exist_ok=True)
            saved = self.app.save_screenshot(path=str(self.screenshots))
        except OSError as exc:
            self.notify(f"Cannot save the picture: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"Saved {saved}")
