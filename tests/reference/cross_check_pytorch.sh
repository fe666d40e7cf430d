#!/usr/bin/env bash
# Checks that checkpoints cross between minigrad and PyTorch in both directions, with the same
# test accuracy on both sides:
#   1. train_fmnist trains and saves; PyTorch's MyNN loads the file with
#      load_state_dict(strict=True) and evaluates it on the full test set;
#   2. PyTorch trains the documents' experiment and saves; train_fmnist --load --eval-only
#      evaluates that file on the same test set.
# Needs Debian's python3-torch (/usr/bin/python3), `make data` and a build in build/.
# Run by hand from the repository root: bash tests/reference/cross_check_pytorch.sh
# "The documents": README.md#the-documents.
set -euo pipefail
py=/usr/bin/python3
bin=${BIN:-build/bin}
test_csv=data/fashion-mnist_test.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
acc() { sed -n 's/^test accuracy: \([0-9.]*\).*/\1/p' | tail -n 1; }

"$bin/train_fmnist" --quiet --save "$tmp/minigrad.safetensors" >/dev/null
a=$("$bin/train_fmnist" --test "$test_csv" --load "$tmp/minigrad.safetensors" --eval-only --quiet | acc)
b=$("$py" tests/reference/documents_experiment.py --train data/fmnist_small.csv --test "$test_csv" \
      --load "$tmp/minigrad.safetensors" | acc)
echo "minigrad-trained model: minigrad $a, PyTorch $b"

"$py" tests/reference/documents_experiment.py --data data/fmnist_small.csv \
  --save "$tmp/pytorch.safetensors" >/dev/null
c=$("$py" tests/reference/documents_experiment.py --train data/fmnist_small.csv --test "$test_csv" \
      --load "$tmp/pytorch.safetensors" | acc)
d=$("$bin/train_fmnist" --test "$test_csv" --load "$tmp/pytorch.safetensors" --eval-only --quiet | acc)
echo "PyTorch-trained model:  PyTorch $c, minigrad $d"

[[ "$a" == "$b" && "$c" == "$d" ]] && echo "OK: both directions agree" || { echo "MISMATCH"; exit 1; }
