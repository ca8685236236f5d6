#!/usr/bin/env bash
# Rebuilds the shipped demo: a SYNTHETIC masher's 10,000 keys and the default GRU trained on them.
# The files live in the package (keytui/demo/) so `pip install` carries them; corpora/ and checkpoints/ link there.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
keytui --home "$work" simulate --persona masher --keys 10000 --seed 7 --name demo
keytui --home "$work" train --corpus demo --out demo --headless
cp "$work/corpora/demo.txt" keytui/demo/demo.txt
cp "$work/checkpoints/demo.safetensors" keytui/demo/demo.safetensors
rm -rf "$work"
