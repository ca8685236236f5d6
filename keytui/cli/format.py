"""Text the command-line commands print in common: the table of scores `eval` and `eval --players` show."""

from __future__ import annotations


def print_score_table(rows: dict[str, dict], *, min_width: int = 10) -> None:
    """One line of scores per predictor, under a header; names in full ("majority k" read as a key named k)."""
    width = max(min_width, *(len(name) for name in rows))
    print(f"{'':{width}s} {'hit':>7s} {'top-3':>7s} {'macroF1':>8s} {'wF1':>7s} {'bits/key':>9s}")
    for name, s in rows.items():
        print(
            f"{name:{width}s} {s['hit_rate']:7.1%} {s['top3_hit_rate']:7.1%} {s['macro_f1']:8.3f} "
            f"{s['weighted_f1']:7.3f} {s['bits_per_char']:9.3f}"
        )
