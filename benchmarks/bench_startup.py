"""Start-up as a player meets it: from `keytui play` to its first sealed guess on screen (the word `sealed`, in a real
terminal: tmux, 100x30), against `python -c "import torch"` alone, started at the same instant beside it.

    python -m benchmarks.bench_startup [--runs 5] [--tree PATH] [--busy N]

Each run starts both in two tmux sessions (in turn which goes first), polls their screens with capture-pane, and
records when `sealed` appears in the game and when the torch import has printed that it finished. The game plays in a
fresh workspace, so its model is the shipped demo. `--tree`: another checkout's keytui (e.g. the previous commit's,
to compare); `--busy N`: N CPU-bound processes run beside both. Prints each run and the medians, and the game's time
as a share of torch's, run by run (below 1: the first guess was on screen before torch alone could have loaded).
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import time
from pathlib import Path

from benchmarks.common import ROOT, header
from benchmarks.tmux import BusyLoops, Session, fresh_home, keytui_command, python, wait_for

TIMEOUT = 120.0


def one_run(tree: Path, game_first: bool) -> dict[str, float]:
    home = fresh_home()
    game_command = keytui_command(home, "play", "--no-append", tree=tree)
    torch_command = f"{shlex.quote(python())} -c 'import torch; print(\"torch-loaded\")'"
    commands = {"game": game_command, "torch": torch_command}
    order = ["game", "torch"] if game_first else ["torch", "game"]
    sessions: dict[str, Session] = {}
    started = time.perf_counter()
    started_at: dict[str, float] = {}
    try:
        for name in order:
            started_at[name] = time.perf_counter() - started
            sessions[name] = Session(commands[name])
        seen = wait_for(sessions, {"game": "sealed", "torch": "torch-loaded"}, started, TIMEOUT)
    finally:
        for session in sessions.values():
            session.close()
    # each from its own start (tmux starts them a few milliseconds apart)
    return {name: seen[name] - started_at[name] for name in seen}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tree", type=Path, default=ROOT, help="the keytui checkout to run (default: this one)")
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound processes running beside it")
    args = parser.parse_args()
    header(f"first sealed guess vs import torch, tmux 100x30, {args.runs} runs, {args.busy} busy processes beside")
    print(f"keytui from {args.tree}")
    games, torches, ratios = [], [], []
    with BusyLoops(args.busy):
        for run in range(args.runs):
            seen = one_run(args.tree, game_first=run % 2 == 0)
            game, torch = seen.get("game"), seen.get("torch")
            print(
                f"run {run + 1}: first sealed guess {game if game is not None else float('nan'):6.2f} s   "
                f"import torch {torch if torch is not None else float('nan'):6.2f} s",
                flush=True,
            )
            if game is not None and torch is not None:
                games.append(game)
                torches.append(torch)
                ratios.append(game / torch)
    if ratios:
        game, torch = statistics.median(games), statistics.median(torches)
        print(
            f"median: first sealed guess {game:.2f} s, import torch {torch:.2f} s, "
            f"game/torch {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})"
        )
    else:
        print("no run saw both finish")


if __name__ == "__main__":
    main()
