"""`keytui simulate`: write SYNTHETIC keys: a simulated masher, or few-key players."""

from __future__ import annotations

import argparse
import sys

from keytui.cli.common import PLAYERS, PRESSES, SEED, SIM_KEYS, positive, workspace_of
from keytui.data.keyboard import LAYOUTS
from keytui.errors import KeytuiError


def add_parser(sub) -> None:
    parser = sub.add_parser("simulate", help="write a SYNTHETIC keyboard masher's keystrokes (demo and tests)")
    parser.add_argument(
        "--persona", default="masher", choices=_Personas(), metavar="PERSONA",
        help="one of %(choices)s; random: a typist whose habits are drawn from --seed (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--layout", choices=LAYOUTS, default="qwerty", help="a random typist's layout (default: qwerty)"
    )
    parser.add_argument(
        "--keys",
        default="10000",
        help=f"how many keys, in {SIM_KEYS.range} (default: %(default)s); with --players: which keys",
    )
    parser.add_argument(
        "--players",
        type=PLAYERS,
        help=f"SYNTHETIC few-key players instead: this many, one per line; in {PLAYERS.range}",
    )
    parser.add_argument(
        "--presses",
        type=PRESSES,
        default=300,
        help=f"with --players: presses per player, in {PRESSES.range} (default: 300)",
    )
    parser.add_argument("--seed", type=SEED, default=0, help=f"random seed, in {SEED.range} (default: %(default)s)")
    parser.add_argument("--name", help="save as this corpus (default: print to stdout)")
    parser.add_argument("--force", action="store_true", help="replace an existing corpus of that name")
    parser.set_defaults(handler=cmd_simulate)


class _Personas:
    """The simulator's personas, looked up only when a persona is checked or listed (keeps `keytui --help` light)."""

    def _names(self) -> list[str]:
        from keytui.synthetic.simulate import PERSONAS

        return [*PERSONAS, "random"]  # random: a typist drawn from the seed (keytui.synthetic.simulate.random_typist)

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self):
        return iter(self._names())


def cmd_simulate(args) -> int:
    from keytui.data.corpus_meta import new_corpus_path, write_meta

    if args.players is not None:
        from keytui.cli.oracle import simulate_players

        return simulate_players(args)
    from keytui.synthetic.simulate import simulate

    if not args.keys.isdigit():
        raise KeytuiError(f"--keys must be a number of keys, not {args.keys!r} (a key set such as fd needs --players)")
    try:
        SIM_KEYS(args.keys)
    except argparse.ArgumentTypeError as exc:
        raise KeytuiError(f"--keys: {exc}") from None
    if args.persona == "random":
        from keytui.synthetic.simulate import random_typist

        keys = positive(int(args.keys), "--keys")
        text, _ = random_typist(args.seed, args.layout).generate(keys, args.seed)
    else:
        text = simulate(args.persona, int(args.keys), args.seed)
    if not args.name:
        sys.stdout.write(text + "\n")
        return 0
    from keytui.data.corpus import replace_corpus

    ws = workspace_of(args).ensure()
    path = new_corpus_path(ws, args.name, force=args.force)
    layout_typed = args.layout if args.persona == "random" else "qwerty"
    # refused while a recorder holds it; the sidecar is written with the corpus, all or nothing
    replace_corpus(path, text, overwrite=args.force, then=lambda: write_meta(path, "synthetic", layout_typed))
    layout = f", layout {args.layout}" if args.persona == "random" else ""
    print(f"wrote {len(text)} SYNTHETIC keys (persona {args.persona}, seed {args.seed}{layout}) to {path}")
    return 0
