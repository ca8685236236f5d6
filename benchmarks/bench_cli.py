"""Start-up: wall time of `keytui --help` (no torch import on that path) next to `import torch` alone.

python -m benchmarks.bench_cli [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from benchmarks.common import header


def timed(command: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    header(f"start-up, median of {args.runs} runs")
    help_times = timed([sys.executable, "-m", "keytui", "--help"], args.runs)
    torch_times = timed([sys.executable, "-c", "import torch"], args.runs)
    python_times = timed([sys.executable, "-c", "pass"], args.runs)
    h, t, p = (statistics.median(x) for x in (help_times, torch_times, python_times))
    print(f"keytui --help   {h * 1000:6.0f} ms   (bare python {p * 1000:.0f} ms)")
    print(f"import torch    {t * 1000:6.0f} ms   -> --help takes {h / t:.2f}x the time of importing torch alone")


if __name__ == "__main__":
    main()
