"""Characters <-> ids. Id 0 is the explicit unknown: a key the model never saw maps there instead of crashing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from keytui.errors import KeytuiError

UNKNOWN = "<unk>"  # several characters long, so it can never collide with a real key
# The pretrained prior's fixed vocabulary, so one prior covers any player: every printable ASCII character, the line
# break, and the other characters of the layouts keytui knows (qwertz, azerty; spelt out here so that the vocabulary
# never changes under a saved model). A model fine-tuned from it keeps it; keys outside it map to the unknown token.
PRIOR_KEYS = "".join(chr(c) for c in range(32, 127)) + "\n" + "£¤§¨°²´µÄÖÜßàäçèéöùü€"


class Vocab:
    def __init__(self, tokens: Sequence[str]) -> None:
        tokens = list(tokens)
        if not tokens or tokens[0] != UNKNOWN:
            raise KeytuiError("vocabulary must start with the unknown token")
        if len(set(tokens)) != len(tokens):
            raise KeytuiError("vocabulary has duplicate entries")
        if any(not isinstance(t, str) or (len(t) != 1 and t != UNKNOWN) for t in tokens[1:]):
            raise KeytuiError("vocabulary entries must be single characters")
        self.tokens = tokens
        self._index = {token: i for i, token in enumerate(tokens)}

    @classmethod
    def from_text(cls, text: Iterable[str]) -> Vocab:
        return cls([UNKNOWN, *sorted(set(text))])

    @classmethod
    def prior(cls) -> Vocab:
        """The pretrained prior's vocabulary (PRIOR_KEYS)."""
        return cls([UNKNOWN, *PRIOR_KEYS])

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, key: str) -> bool:
        return key in self._index and key != UNKNOWN

    def id(self, key: str) -> int:
        return self._index.get(key, 0)

    def encode(self, text: Iterable[str]) -> list[int]:
        index = self._index
        return [index.get(ch, 0) for ch in text]

    def key(self, token_id: int) -> str:
        return self.tokens[token_id]

    def to_list(self) -> list[str]:
        return list(self.tokens)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocab) and other.tokens == self.tokens

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens)"
