"""Runs every benchmark in turn, each in its own process, and prints their figures.

    python benchmarks/run_all.py [--quick]

--quick caps the reference training at 30 epochs (its figure is then a lower bound on the speed-up).
"""

from __future__ import annotations

import subprocess
import sys

from common import ROOT

BENCHMARKS = [
    ["benchmarks.bench_cli"],
    ["benchmarks.bench_latency"],
    ["benchmarks.bench_quality"],
    ["benchmarks.bench_training"],
    ["benchmarks.bench_limit"],
]


def main() -> int:
    quick = "--quick" in sys.argv
    failures = 0
    for module, *extra in BENCHMARKS:
        args = [sys.executable, "-m", module, *extra]
        if quick and module.endswith("training"):
            args += ["--ref-epochs", "30"]
        failures += subprocess.run(args, cwd=ROOT).returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
