"""Which key events count as typing. Shared by the record and play screens."""

from __future__ import annotations

from textual import events

from keytui.data.corpus import is_recordable_key

MODIFIER_PREFIXES = ("ctrl+", "alt+", "meta+", "super+", "hyper+")


def typed_character(event: events.Key) -> str | None:
    """The printable character a key event typed, or None for chords, function keys, arrows and controls.

    `alt+e` arrives with character "e": the modifier in the key name is what gives it away.
    """
    if event.key.startswith(MODIFIER_PREFIXES):
        return None
    character = event.character
    return character if is_recordable_key(character) else None
