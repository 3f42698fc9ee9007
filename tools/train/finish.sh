#!/bin/sh
# After train.py has written build/train/hf/: convert, evaluate, write the test references, plot.
# Run from the repository root:  sh tools/train/finish.sh
set -e
mkdir -p models
make
build/olmoe convert build/train/hf models/austen-olmoe-q8_0.gguf --type q8_0 --name austen-olmoe
build/olmoe convert build/train/hf build/train/austen-olmoe-f32.gguf --type f32 --name austen-olmoe
python3 tools/train/evaluate.py
python3 tools/train/make_bundled_refs.py
python3 tools/train/plot_loss.py
ls -l models tests/data/bundled
