"""Small helpers shared by the benchmark scripts. Benchmarks print figures; they never assert on time."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_CORPUS = ROOT / "keytui" / "demo" / "demo.txt"
DEMO_MODEL = ROOT / "keytui" / "demo" / "demo.safetensors"
LICENCE = Path("/usr/share/common-licenses/GPL-3")


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def header(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
