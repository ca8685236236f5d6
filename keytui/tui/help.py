"""The help screen: the rules, the sealed guess, dodge mode, and every figure on screen in one plain sentence."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Markdown

HELP = """\
# How keytui works

**The game.** Type at random: any keys, as fast or slow as you like. Before each key, the machine commits to a
guess of the key you are about to press. When your key lands, it is scored against that guess. Nobody types truly
at random, so the machine learns your habits and gets better at reading you.

**The sealed guess.** The guess is made before your key and kept hidden until the key lands, so it cannot follow
you: it is scored exactly as it was committed.

**Dodge mode (F2 in play).** The guess is shown before you press: try not to press it. It is a different game,
since you can see what the machine expects.

**The control (F4 in play, or `keytui play --random 100`).** A random generator plays against the same machine,
so you can see what chance looks like: the machine cannot read a fair die, and it does not cheat.

**Retrain (F7 in play).** Once 1,000 new keys are in the corpus the model was trained on, a new model trains in the
background while you play; it takes over between rounds only if it guesses your newest keys better.

## The figures

- **Hit rate**: how often the machine's one guess was the key you pressed.
- **Top-3**: how often your key was among its three best guesses.
- **Chance**: what guessing without reading you would score: one key out of all it knows, or always your most
  frequent key, whichever is higher.
- **Verdict**: whether the hit rate is too high to be luck, by an exact binomial test; below p = 0.01 (less than
  one chance in a hundred that luck did it) the machine reads you.
- **p**: the chance that a guesser with no insight would score this many hits or more.
- **n-gram**: a simpler rival that only counts which key followed the last few keys; the machine should beat it.
- **F1 (macro, weighted)**: how well the guesses match your keys key by key, from 0 to 1: macro counts every key
  alike, weighted counts each key as often as you pressed it.
- **Bits per key**: how surprised the machine was by your keys, on average; fewer bits means more predictable
  (a fair choice among 64 keys is 6 bits).
- **Keys per second**: how fast you type, over your last ten keys.

## Keys

- **F1**: this help, anywhere (`?` on the home screen too).
- **Escape**: leave a screen; **Ctrl+Q**, or **q** on the home screen: quit.
- In play, every printable key is a move in the game: commands are on function keys only.
"""


class HelpScreen(ModalScreen):
    """Rules and figures, one plain sentence each; Escape, F1 or q closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help-body {
        width: 96; max-width: 100%; height: 90%; max-height: 100%;
        border: round $accent; background: $panel; padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("f1", "dismiss", "Close"),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Markdown(HELP, id="help-text")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()
