"""A synthetic keyboard masher, clearly labelled as such: for the demo corpus and for tests.

It models a QWERTY keyboard with two hands of fingers. Each persona has a home position, a habit of rolling to a
neighbouring key, of alternating hands, of repeating little motifs it has typed before, of typing in bursts, and of
hitting the space bar now and then. Real people have habits like these, which is exactly what makes them predictable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from keytui.errors import KeytuiError
from keytui.keyboard import SHIFTED, key_positions


@dataclass(frozen=True)
class Persona:
    name: str
    description: str
    roll: float  # chance the next key is a neighbour of the last one
    alternate: float  # chance of switching hands
    motif: float  # chance of replaying a recent motif
    space: float  # chance of a space
    burst: float  # chance a burst of the same finger pattern continues
    spread: float  # how far from home row the hands wander (key widths)
    shift: float  # chance of a shifted character


PERSONAS = {
    "masher": Persona(
        "masher", "mashes with both hands, loves the home row and rolls", 0.45, 0.5, 0.15, 0.06, 0.3, 1.1, 0.0
    ),
    "roller": Persona(
        "roller", "rolls fingers across neighbouring keys, few spaces", 0.7, 0.3, 0.1, 0.03, 0.5, 0.9, 0.0
    ),
    "drummer": Persona("drummer", "drums little motifs over and over", 0.3, 0.6, 0.45, 0.08, 0.2, 1.3, 0.0),
    "chaotic": Persona("chaotic", "tries hard to be random (almost manages)", 0.15, 0.5, 0.03, 0.05, 0.05, 2.2, 0.05),
}


def simulate(persona: str, keys: int, seed: int = 0) -> str:
    if persona not in PERSONAS:
        raise KeytuiError(f"unknown persona {persona!r}; choose one of {', '.join(PERSONAS)}")
    if keys < 1:
        raise KeytuiError("--keys must be at least 1")
    p = PERSONAS[persona]
    rng = random.Random(seed)
    positions = key_positions()
    left = [k for k, (x, _) in positions.items() if x < 5.5]
    right = [k for k, (x, _) in positions.items() if x >= 5.5]
    neighbours = {
        k: [o for o, (ox, oy) in positions.items() if o != k and abs(ox - x) <= 1.3 and abs(oy - y) <= 1.01]
        for k, (x, y) in positions.items()
    }
    homes = {"left": (2.5, 2.0), "right": (8.0, 2.0)}

    def weight(key: str, home: tuple[float, float]) -> float:
        x, y = positions[key]
        distance2 = (x - home[0]) ** 2 + (y - home[1]) ** 2
        return pow(2.718, -distance2 / (2 * p.spread**2))

    weights = {hand: [weight(k, homes[hand]) for k in keys_] for hand, keys_ in (("left", left), ("right", right))}
    out: list[str] = []
    hand = "left"
    last = rng.choice(left)
    while len(out) < keys:
        r = rng.random()
        if r < p.space and out and out[-1] != " ":
            out.append(" ")
            continue
        if r < p.space + p.motif and len(out) > 12:
            length = rng.randint(2, 5)
            start = rng.randrange(max(1, len(out) - 60), len(out) - length)
            out.extend(out[start : start + length])
            last = out[-1] if out[-1] != " " else last
            continue
        if rng.random() < p.roll and last in neighbours:
            key = rng.choice(neighbours[last])
        else:
            if rng.random() < p.alternate:
                hand = "right" if hand == "left" else "left"
            pool = left if hand == "left" else right
            key = rng.choices(pool, weights=weights[hand])[0]
        if rng.random() < p.burst and len(out) >= 2 and out[-2] != " ":
            key = out[-2]  # the finger pattern repeats: ...a s a s...
        last = key if key in positions else last
        if p.shift and rng.random() < p.shift:
            key = SHIFTED.get(key, key.upper())
        out.append(key)
    return "".join(out[:keys])
