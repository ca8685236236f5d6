#!/usr/bin/env bash
# Rebuilds the shipped demo: a SYNTHETIC masher's 10,000 keys (the demo corpus, for trying commands and for tests)
# and the demo model: the prior pretrained on thousands of SYNTHETIC typists (tools/pretrain_prior.py; about 10
# minutes on one idle CPU core), then fine-tuned on the first 70% of the lines of real people's keyboard mashes
# (tools/finetune_prior_real.py, about a minute; the shared data beside the clone, shared/data/real/; its MIT notice
# ships as keytui/demo/LICENSE-isitkbs). Both live in the package (keytui/demo/) so `pip install` carries them.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
python -m keytui --home "$work" simulate --persona masher --keys 10000 --seed 7 --name demo
cp "$work/corpora/demo.txt" keytui/demo/demo.txt
nice -n 5 python tools/pretrain_prior.py --out "$work/pretrained.safetensors"
nice -n 5 python tools/finetune_prior_real.py --init "$work/pretrained.safetensors" --out keytui/demo/demo.safetensors
rm -rf "$work"
