"""Hostile keys and names through the screens: nothing a player types or names is ever read as markup.

`[` then `/` is a closing tag in Textual markup; a corpus called `x[a=` is an unterminated one. Every printable ASCII
character and every two-key sequence over a hostile alphabet goes through the record and play screens in ONE app
each (a de Bruijn sequence holds every pair exactly once), and hypothesis throws arbitrary key events (printable,
chords, function keys, pastes) at the record screen, checking the exact key count on disk and on screen.
"""

from __future__ import annotations

import random
import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual import events
from textual.keys import _character_to_key
from textual.widgets import OptionList

from keytui.data.corpus import is_recordable_key
from keytui.tui.app import create_app
from keytui.tui.play import PlayScreen
from keytui.tui.record import RecordScreen

from .conftest import text_of

SIZE = (100, 32)
HOSTILE = "[]/=@\\'\"$#:,ab Zéß中🙂"  # markup syntax, a Textual $variable sigil, letters, space, non-ASCII and wide
HOSTILE_NAMES = ["x[a=", "[b]bold\\", "$name[@click=app.quit]"]  # a file name cannot hold `/`: no `[/b]` here
PRINTABLE_ASCII = "".join(chr(c) for c in range(32, 127))


def every_pair(alphabet: str) -> str:
    """A de Bruijn sequence of order 2: every two-key sequence over `alphabet` appears in it, in len^2 + 1 keys."""
    k = len(alphabet)
    sequence: list[int] = []
    a = [0] * (k * 2)

    def db(t: int, p: int) -> None:
        if t > 2:
            if 2 % p == 0:
                sequence.extend(a[1 : p + 1])
        else:
            a[t] = a[t - p]
            db(t + 1, p)
            for j in range(a[t - p] + 1, k):
                a[t] = j
                db(t + 1, t)

    db(1, 1)
    text = "".join(alphabet[i] for i in sequence)
    return text + text[0]  # the cycle's wrap-around pair


async def type_keys(pilot, text: str) -> None:
    """Type each character as a terminal would send it (Pilot's `press` cannot type characters such as 🙂)."""
    driver = pilot.app._driver
    for character in text:
        event = events.Key(_character_to_key(character), character)
        event.set_sender(pilot.app)
        driver.send_message(event)
    await pilot.pause()


def test_every_pair_holds_every_two_key_sequence():
    pairs = every_pair(HOSTILE)
    assert len(pairs) == len(HOSTILE) ** 2 + 1
    assert {pairs[i : i + 2] for i in range(len(pairs) - 1)} == {a + b for a in HOSTILE for b in HOSTILE}


KEYS = PRINTABLE_ASCII + every_pair(HOSTILE)


async def test_record_screen_survives_every_printable_key_and_every_hostile_pair(workspace):
    corpus = workspace.corpora / "keys.txt"
    app = create_app(workspace, "record", corpus=str(corpus), goal=100_000)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, RecordScreen)
        for i in range(0, len(KEYS), 50):
            chunk = KEYS[i : i + 50]
            await type_keys(pilot, chunk)
            shown = text_of(screen, "#stream").removeprefix("last keys: ")
            assert shown == KEYS[: i + len(chunk)][-60:].replace(" ", "␣")  # shown as typed, not as markup
        assert app.screen is screen and screen.keys == len(KEYS)
        assert corpus.read_text(encoding="utf-8") == KEYS  # every key on disk, none lost or doubled
    # reopening a corpus whose tail is hostile shows it again (the old bug killed the app on every open)
    app = create_app(workspace, "record", corpus=str(corpus))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("[", "/")
        assert text_of(app.screen, "#stream").endswith("[/") and app.screen.keys == len(KEYS) + 2


async def test_play_screen_survives_every_printable_key_and_every_hostile_pair(workspace, tiny_checkpoint):
    corpus = workspace.corpora / "played.txt"
    app = create_app(
        workspace, "play", model=str(tiny_checkpoint), corpus=str(corpus), round_size=100_000, adaptive=False
    )
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, PlayScreen)
        kept = ""
        for number, i in enumerate(range(0, len(KEYS), 50)):
            chunk = KEYS[i : i + 50]
            dodge = number % 2 == 1  # every other chunk in dodge mode, which shows the guess too
            if dodge != screen.dodge:
                await pilot.press("f2")
            await type_keys(pilot, chunk)
            kept += "" if dodge else chunk  # dodge keys are scored apart and never kept
            last = chunk[-1] if chunk[-1] != " " else "␣"
            verb = "showed" if dodge else "guessed"
            assert text_of(screen, "#result").startswith(f"you pressed {last}, it {verb}")
            assert text_of(screen, "#history").endswith("".join(r.key for r in screen.game.history).replace(" ", "␣"))
        assert app.screen is screen and screen.game.total.n + screen.game.dodge.n == len(KEYS)
        assert screen.game.total.n == len(kept)
    assert corpus.read_text(encoding="utf-8") == kept


async def test_names_holding_markup_are_shown_as_written(workspace, tiny_checkpoint):
    for name in HOSTILE_NAMES:
        (workspace.corpora / f"{name}.txt").write_text("[/", encoding="utf-8")
        shutil.copy(tiny_checkpoint, workspace.checkpoints / f"{name}.safetensors")
    app = create_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        home = app.screen
        for name in HOSTILE_NAMES:
            corpora, models = home.query_one("#corpora", OptionList), home.query_one("#models", OptionList)
            for options in (corpora, models):
                prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
                options.highlighted = next(i for i, p in enumerate(prompts) if p.startswith(f"{name}  ("))
            await pilot.pause()
            assert text_of(home, "#selection") == f"record and play into {name}   train on {name}   play against {name}"
            await pilot.press("r")
            assert isinstance(app.screen, RecordScreen)
            assert f"Appending to {name}:" in text_of(app.screen, "#record-title")
            await pilot.press("[", "=", "escape", "p")
            assert isinstance(app.screen, PlayScreen)
            assert text_of(app.screen, "#play-title").startswith(f"Model {name} vs you")
            assert f"corpus {name})" in text_of(app.screen, "#play-title")
            await pilot.press("/", "escape")
            assert app.screen is home
    for name in HOSTILE_NAMES:
        assert (workspace.corpora / f"{name}.txt").read_text(encoding="utf-8") == "[/[=/"


async def test_an_error_naming_a_hostile_corpus_is_shown_not_parsed(workspace):
    corpus = workspace.corpora / "[b]x[a=.txt"
    corpus.write_bytes(b"\x00[/")
    app = create_app(workspace, "record", corpus=str(corpus))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "Cannot record: corpus '[b]x[a=' looks binary" in text_of(app.screen, "#record-title")
        assert any("[b]x[a=" in n.message for n in app._notifications)


KEY_EVENTS = st.one_of(
    st.characters(codec="utf-8").map(lambda c: ("char", c)),
    st.sampled_from(list(HOSTILE)).map(lambda c: ("char", c)),
    st.sampled_from(["ctrl+a", "alt+e", "f1", "up", "tab", "enter", "backspace", "ctrl+[", "home"]).map(
        lambda k: ("chord", k)
    ),
    st.text(min_size=1, max_size=5).map(lambda t: ("paste", t)),
)


def _send(screen, events_: list[tuple[str, str]], typed: list[str]) -> None:
    """Hand each generated event to the screen as Textual would (a crash here is the screen's); the keys that
    count go on `typed`."""
    for kind, value in events_:
        if kind == "char":
            screen.on_key(events.Key(_character_to_key(value), value))
            if is_recordable_key(value):
                typed.append(value)
        elif kind == "chord":
            screen.on_key(events.Key(value, value[-1] if value.startswith(("ctrl+", "alt+")) else None))
        else:
            screen.on_paste(events.Paste(value))


async def test_record_screen_takes_any_key_events_and_counts_exactly(workspace):
    """Hypothesis drives one live record screen: any mix of keys, chords and pastes; count on disk == on screen."""
    corpus = workspace.corpora / "prop.txt"
    app = create_app(workspace, "record", corpus=str(corpus), goal=100_000)
    async with app.run_test(size=SIZE):
        screen = app.screen
        typed: list[str] = []

        @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.lists(KEY_EVENTS, max_size=30))
        def feed(events_: list[tuple[str, str]]) -> None:
            _send(screen, events_, typed)
            assert screen.keys == len(typed)
            shown = text_of(screen, "#stream").removeprefix("last keys: ")
            assert shown == ("".join(typed[-60:]).replace(" ", "␣") or "—")

        feed()
        assert corpus.read_text(encoding="utf-8") == "".join(typed)
        assert typed  # hypothesis did type something


async def test_play_screen_takes_any_key_events_and_counts_exactly(workspace, tiny_checkpoint):
    """The same property on the play screen: any keys, chords and pastes; keys scored == keys kept on disk."""
    corpus = workspace.corpora / "prop.txt"
    app = create_app(
        workspace, "play", model=str(tiny_checkpoint), corpus=str(corpus), round_size=1_000_000, adaptive=False
    )
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        typed: list[str] = []

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.lists(KEY_EVENTS, max_size=20))
        def feed(events_: list[tuple[str, str]]) -> None:
            _send(screen, events_, typed)
            assert screen.game.total.n == len(typed)
            if typed:
                shown = typed[-1] if typed[-1] != " " else "␣"
                assert text_of(screen, "#result").startswith(f"you pressed {shown}, it guessed")

        feed()
        await pilot.pause()
        assert app.screen is screen
    assert corpus.read_text(encoding="utf-8") == "".join(typed)


RESIZES = [(20, 8), (80, 24), (37, 11), (160, 50), (100, 30), (24, 60), (61, 17)]  # tiny, common, odd, huge


async def _type_between_resizes(pilot, screen, keys: str, seed: int) -> str:
    """Bursts of hostile keys with a terminal resize between bursts: layout reflows must never lose or add a key."""
    rng = random.Random(seed)
    burst = 0
    typed = []
    for width, height in RESIZES:
        await pilot.resize_terminal(width, height)
        await pilot.pause()
        for _ in range(rng.randint(3, 9)):
            character = keys[burst % len(keys)]
            burst += rng.randint(1, 5)
            screen.on_key(events.Key(_character_to_key(character), character))
            typed.append(character)
        await pilot.pause()
        assert pilot.app.screen is screen
    return "".join(typed)


async def test_record_screen_survives_resizes_between_hostile_keys(workspace):
    corpus = workspace.corpora / "resize.txt"
    app = create_app(workspace, "record", corpus=str(corpus), goal=100_000)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        typed = await _type_between_resizes(pilot, screen, HOSTILE, seed=1)
        assert screen.keys == len(typed) > 0
    assert corpus.read_text(encoding="utf-8") == typed


async def test_play_screen_survives_resizes_between_hostile_keys(workspace, tiny_checkpoint):
    corpus = workspace.corpora / "resize.txt"
    app = create_app(
        workspace, "play", model=str(tiny_checkpoint), corpus=str(corpus), round_size=1_000_000, adaptive=False
    )
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        typed = await _type_between_resizes(pilot, screen, HOSTILE, seed=2)
        assert screen.game.total.n == len(typed) > 0
    assert corpus.read_text(encoding="utf-8") == typed


async def test_oracle_screen_survives_resizes_between_hostile_keys(workspace):
    app = create_app(workspace, "oracle", keys="f[", round_size=1_000_000)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        typed = await _type_between_resizes(pilot, screen, "f[/é", seed=3)
        counted = sum(character in "f[" for character in typed)  # / and é are ignored with a hint
        assert screen.game.total.n == counted > 0
