"""Only keys a person typed are typing: one filter (keytui/keystream.py's TerminalInput) in front of every key.

What a terminal sends goes through `KeytuiParser` (keytui/tui/keys.py) exactly as the app's driver feeds it, read by
read with a fake clock, and the messages it makes are posted to a live screen; the headless commands read the same
bytes through `KeyStream`. Alt chords, mouse reports cut across reads, terminal replies and OSC/DCS strings never
become keys; keys that came faster than a hand types are a paste, and the screen says how many it did not take.
"""

from __future__ import annotations

import io

import pytest
from textual import events

from keytui.data.keystream import ESCAPE_HOLD_SECONDS, KeyStream, TerminalInput
from keytui.oracle.store import GameStore
from keytui.tui.app import create_app
from keytui.tui.keys import KeytuiParser

from .conftest import text_of

SIZE = (100, 32)

# (reads, seconds between reads): what an attacker or a confused terminal sends, and none of it is typing.
ATTACKS = [
    (["\x1b1", "\x1b2", "\x1b3", "\x1b0"], 0.5),  # Alt+digits: Textual makes them ¡ ™ £ º
    (["\x1ba\x1bc\x1bd"], 0.0),  # fast Alt chords: Textual makes them ^a^c
    (["\x1b[<0;5;", "5M"], 0.2),  # a mouse report cut in two, the halves 0.2 s apart
    (["\x1b", "[<0;5;5M"], 0.2),  # cut after its ESC: a lone ESC then left the record screen
    (["\x1b]0;pwned\x07", "\x1b]52;c;ZmQ=\x1b\\"], 0.0),  # a window title, a clipboard write
    (["\x1bP1$r0m\x1b\\", "\x1b[?1;2c", "\x1b[>0;95;0c"], 0.0),  # a DCS reply, device attributes
    (["\x9d0;x\x07", "\x1b[M !!"], 0.0),  # an 8-bit OSC, an X10 mouse report
]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def parse(parser: KeytuiParser, clock: FakeClock, reads: list[str], gap: float) -> list:
    """The messages the app's driver would post for these reads, `gap` seconds apart (ticks in between)."""
    messages = []
    for data in reads:
        messages += list(parser.feed(data))
        clock.now += gap
        messages += list(parser.tick())
    clock.now += 1.0
    messages += list(parser.tick())
    return messages


def keys_typed(reads: list[str], gap: float) -> str:
    clock = FakeClock()
    messages = parse(KeytuiParser(clock=clock), clock, reads, gap)
    return "".join(m.character or "" for m in messages if isinstance(m, events.Key) and "+" not in m.key)


@pytest.mark.parametrize(("reads", "gap"), ATTACKS)
def test_no_escape_sequence_becomes_typed_keys(reads, gap):
    assert keys_typed(reads, gap) == ""
    assert keys_typed(["a", *reads, "b"], gap) == "ab"


def test_alt_chords_are_alt_keys_and_a_lone_esc_is_escape():
    clock = FakeClock()
    messages = parse(KeytuiParser(clock=clock), clock, ["\x1b1", "\x1ba\x1bc", "\x1b"], ESCAPE_HOLD_SECONDS)
    assert [m.key for m in messages] == ["alt+1", "alt+a", "alt+c", "escape"]


def test_a_split_mouse_report_is_one_mouse_event():
    clock = FakeClock()
    messages = parse(KeytuiParser(clock=clock), clock, ["\x1b", "[<0;5;", "5M"], 0.2)
    assert [type(m) for m in messages] == [events.MouseDown]


def test_keys_at_paste_speed_are_a_paste_and_a_hands_keys_are_keys():
    clock = FakeClock()
    parser = KeytuiParser(clock=clock)
    burst = parse(parser, clock, ["qwer" * 1024, "ty"], 0.01)  # a 4 KiB read, then its tail 10 ms later
    assert [type(m) for m in burst] == [events.Paste, events.Paste]
    assert "".join(m.text for m in burst) == "qwer" * 1024 + "ty"
    typed = parse(parser, clock, list("asdfjkl"), 0.05)  # 20 keys a second, one per read: a fast masher
    assert "".join(m.character for m in typed) == "asdfjkl"


def test_the_headless_stream_drops_the_same_sequences():
    raw = "a" + "".join("".join(reads) for reads, _ in ATTACKS) + "b\x1b"
    stream = KeyStream(io.BytesIO(raw.encode("utf-8")), clock=lambda: 0.0)
    assert "".join(stream) == "ab"
    assert "escape sequences skipped" in stream.describe_dropped()


def test_an_unterminated_string_holds_nothing_and_lets_typing_through_later():
    terminal = TerminalInput()
    assert terminal.feed("\x1b]0;" + "x" * 1_000_000, now=0.0) == []
    assert terminal._held == ""  # skipped, not kept
    assert [t.text for t in terminal.feed("ab", now=2.0)] == ["a", "b"]


async def feed_screen(pilot, reads: list[str], gap: float = 0.0) -> None:
    """Post to the app what the driver would post for these reads, then let the screen work through it."""
    clock = FakeClock()
    for message in parse(KeytuiParser(clock=clock), clock, reads, gap):
        pilot.app.post_message(message)
    await pilot.pause()


async def test_record_keeps_only_typed_keys_and_says_how_many_pasted(workspace):
    corpus = workspace.corpora / "mine.txt"
    app = create_app(workspace, "record", corpus=str(corpus), goal=50)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        for reads, gap in ATTACKS:
            await feed_screen(pilot, ["a", *reads], gap)
        assert app.screen is screen  # no cut-off sequence left the screen as an Escape
        assert corpus.read_text() == "a" * len(ATTACKS)
        await feed_screen(pilot, ["b", "qwerty" * 1700, "c"], 0.2)  # a 10,200-key burst between two typed keys
        assert corpus.read_text() == "a" * len(ATTACKS) + "bc"
        assert "10,200 keys came pasted or faster than a hand types: not recorded" in text_of(screen, "#burst")
        await pilot.press("escape")
        await pilot.pause()
    assert "10,200 keys not recorded: pasted" in app.return_value


async def test_play_keeps_only_typed_keys_and_says_how_many_pasted(workspace, tiny_checkpoint):
    corpus = workspace.corpora / "mine.txt"
    app = create_app(workspace, "play", model=str(tiny_checkpoint), corpus=str(corpus), round_size=1000)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        for reads, gap in ATTACKS:
            await feed_screen(pilot, ["a", *reads], gap)
        await feed_screen(pilot, ["b", "asdf" * 2500, "c"], 0.2)
        assert app.screen is screen
        assert screen.game.total.n == len(ATTACKS) + 2
        assert "10,000 keys came pasted" in text_of(screen, "#burst")
    assert corpus.read_text() == "a" * len(ATTACKS) + "bc"


async def test_the_few_key_game_keeps_only_typed_presses(workspace):
    app = create_app(workspace, "oracle", keys="ab", round_size=1000)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        for reads, gap in ATTACKS:
            await feed_screen(pilot, ["a", *reads], gap)
        await feed_screen(pilot, ["b", "ab" * 5000, "a"], 0.2)
        assert app.screen is screen
        assert screen.game.total.n == len(ATTACKS) + 2
        assert "10,000 keys came pasted" in text_of(screen, "#burst")
    assert GameStore(workspace.root, "ab").games() == ["a" * len(ATTACKS) + "ba"]


def test_a_flood_of_mouse_moves_is_one_move_and_the_keys_after_it_are_keys():
    clock = FakeClock()
    flood = "".join(f"\x1b[<35;{i % 50 + 1};{i % 20 + 1}M" for i in range(1500))
    messages = parse(KeytuiParser(clock=clock), clock, [flood[:4096], flood[4096:], "m", "n", "o"], 0.2)
    assert [type(m) for m in messages].count(events.MouseMove) <= 2  # one per read, not 1,500
    assert "".join(m.character for m in messages if isinstance(m, events.Key)) == "mno"


def test_bytes_that_are_not_utf8_are_never_keys():
    clock = FakeClock()
    parser = KeytuiParser(clock=clock)
    raw = b"a\xff\xfeb".decode("utf-8", errors="surrogateescape")  # as the driver's decoder hands them on
    messages = parse(parser, clock, [raw], 0.0)
    assert "".join(m.character for m in messages) == "ab" and parser.invalid == 2
