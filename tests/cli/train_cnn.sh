#!/usr/bin/env bash
# --model cnn in the training apps: a tiny image CSV trains to a meaningful accuracy, runs are
# deterministic, a saved CNN evaluates to the same accuracy with --load, and bad --model/--image
# values or image shapes that do not fit the data exit 2 naming the flag.
# Usage: train_cnn.sh <bin_dir>
set -u
bin=$1
source "$(dirname "$0")/common.bash"

# expect_error <expected exit> <pattern in stderr> <command...>
expect_error() {
  local want=$1 pattern=$2; shift 2
  local out rc
  out=$("$@" 2>&1 >/dev/null); rc=$?
  if [[ $rc -ne $want ]]; then fail "'$*' exited $rc, expected $want; stderr: $out"; return; fi
  if ! grep -qF -- "$pattern" <<<"$out"; then fail "'$*': stderr lacks '$pattern': $out"; return; fi
  pass "$* -> $rc"
}

# 8x8 grey images, label first: class 0 is bright on the left half, class 1 on the right.
awk 'BEGIN { srand(11); printf "label"; for (j = 1; j <= 64; j++) printf ",p%d", j; print "";
  for (i = 0; i < 160; i++) { c = i % 2; printf "%d", c;
    for (j = 0; j < 64; j++) { left = (j % 8) < 4; v = (left == (c == 0)) ? 0.6 + rand() * 0.4 : rand() * 0.5;
      printf ",%.3f", v } print "" } }' >"$tmp/images.csv"

csv="$bin/train_csv"
run=("$csv" --data "$tmp/images.csv" --model cnn --scale 1 --epochs 3 --batch-size 16 --lr 0.05
     --momentum 0.9 --seed 5 --threads 1)
out=$("${run[@]}" --save "$tmp/cnn.safetensors" --summary 2>&1); rc=$?
acc=$(sed -n 's/^test accuracy: \([0-9.]*\).*/\1/p' <<<"$out")
if [[ $rc -eq 0 ]] && awk -v a="$acc" 'BEGIN { exit !(a >= 0.9) }'; then
  pass "train_csv --model cnn on 8x8 images: test accuracy $acc"
else
  fail "train_csv --model cnn: exit $rc, accuracy '$acc': $out"
fi
grep -q "Conv2d: 2-1 .*\[128, 32, 8, 8\]" <<<"$out" && pass "--summary shows the 1x8x8 image" ||
  fail "--summary lacks the first Conv2d on [128, 32, 8, 8]: $out"

again=$("${run[@]}" --quiet 2>&1)
[[ "$again" == "$(grep '^test accuracy' <<<"$out")" ]] && pass "same seed, same result" ||
  fail "a second run differs: '$again'"

loaded=$("$csv" --data "$tmp/images.csv" --load "$tmp/cnn.safetensors" --eval-only --quiet 2>&1)
[[ "$loaded" == "$(grep '^test accuracy' <<<"$out")" ]] && pass "--load of the CNN: same accuracy" ||
  fail "--load gave '$loaded'"

"$csv" --data "$tmp/images.csv" --model cnn --image 2x4x8 --scale 1 --epochs 1 --quiet \
  >/dev/null 2>&1 && pass "--image 2x4x8 on 64 pixels trains" || fail "--image 2x4x8 failed"

expect_error 2 "--model: expected mlp or cnn, got 'rnn'" "$csv" --data "$tmp/images.csv" --model rnn
expect_error 2 "--image: expected an image shape CxHxW such as 1x28x28, got '8x8'" \
  "$csv" --data "$tmp/images.csv" --model cnn --image 8x8
expect_error 2 "has 64 features, which is not 81 pixels of a 1x9x9 image (HINT" \
  "$csv" --data "$tmp/images.csv" --model cnn --image 1x9x9
expect_error 2 "has 64 features, which is not 784 pixels of a 1x28x28 image" \
  "$bin/train_fmnist" --data "$tmp/images.csv" --model cnn

finish "train_cnn"
