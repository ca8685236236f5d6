#!/usr/bin/env bash
# Rebuilds the shipped demo: a SYNTHETIC masher's 10,000 keys (the demo corpus, for trying commands and for tests)
# and the demo model, which is the prior pretrained on thousands of SYNTHETIC typists (tools/pretrain_prior.py;
# about 10 minutes on 2 CPU cores). Both live in the package (keytui/demo/) so `pip install` carries them.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
python -m keytui --home "$work" simulate --persona masher --keys 10000 --seed 7 --name demo
cp "$work/corpora/demo.txt" keytui/demo/demo.txt
rm -rf "$work"
nice -n 5 python tools/pretrain_prior.py --out keytui/demo/demo.safetensors
