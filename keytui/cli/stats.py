"""`keytui stats`: key counts, the frequency chart and entropy of a corpus."""

from __future__ import annotations

import json

from keytui.cli.common import DEFAULT_CORPUS, read_corpus_noting, workspace_of


def add_parser(sub) -> None:
    parser = sub.add_parser("stats", help="key counts, frequency chart and entropy of a corpus")
    parser.add_argument("corpus", nargs="?", default=DEFAULT_CORPUS, help="corpus name or path")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=cmd_stats)


def cmd_stats(args) -> int:
    from keytui.data.stats import corpus_stats, middle_aligned

    ws = workspace_of(args)
    stats = corpus_stats(read_corpus_noting(ws.corpus_path(args.corpus)))
    if args.json:
        print(json.dumps(stats.to_json()))
        return 0
    print(
        f"{stats.keys} keys, {stats.distinct} distinct; entropy {stats.entropy0:.3f} bits/key (order 0; "
        f"{stats.entropy0_corrected:.3f} bias-corrected), {stats.entropy2:.3f} given the 2 previous keys "
        f"({stats.entropy2_corrected:.3f} bias-corrected)"
    )
    if stats.caveat:
        print(f"caveat: {stats.caveat}")
    print(f"most frequent: {stats.majority_key!r} ({stats.majority_rate:.1%}); uniform chance {1 / stats.distinct:.1%}")
    top = max(stats.counts.values())
    print("frequency, middle-aligned:")
    for key, count in middle_aligned(stats.counts):
        print(f"  {key!r:6s} {'█' * max(1, round(40 * count / top)):40s} {count}")
    return 0
