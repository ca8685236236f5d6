"""A few-key game's alphabet: 2 to 12 distinct printable keys, in the order the player gave them."""

from __future__ import annotations

from keytui.data.corpus import is_recordable_key
from keytui.errors import KeytuiError

MIN_KEYS = 2
MAX_KEYS = 12


def parse_keys(text: str, *, flag: str = "--keys") -> str:
    """The key set `text` names, or a one-line error: too few or too many keys, a repeated or unprintable key."""
    if not isinstance(text, str):
        raise KeytuiError(f"{flag} must be a string of keys, such as fd")
    for key in text:
        if not is_recordable_key(key):
            raise KeytuiError(f"{flag}: {key!r} is not a printable key")
    seen: set[str] = set()
    for key in text:
        if key in seen:
            raise KeytuiError(f"{flag} lists {key!r} twice; give each key once (e.g. fd)")
        seen.add(key)
    if len(text) < MIN_KEYS:
        shown = f" ({text!r})" if text else ""
        raise KeytuiError(f"{flag} needs {MIN_KEYS} to {MAX_KEYS} distinct keys; got {len(text)}{shown}")
    if len(text) > MAX_KEYS:
        raise KeytuiError(f"{flag} needs {MIN_KEYS} to {MAX_KEYS} distinct keys; got {len(text)}")
    return text


def keyset_id(keys: str) -> str:
    """A file-name-safe id for a key set, the same whatever order the keys were given in: "fd" and "df" are one
    game. Hex of the sorted keys' UTF-8, so any printable key (/, ., non-ASCII) is safe and the id is reversible."""
    return "".join(sorted(keys)).encode("utf-8").hex()


def keys_from_id(identifier: str) -> str:
    return bytes.fromhex(identifier).decode("utf-8")


def chance(keys: str) -> float:
    return 1.0 / len(keys)
