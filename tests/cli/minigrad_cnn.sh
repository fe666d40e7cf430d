#!/usr/bin/env bash
# `minigrad train --model cnn --image CxHxW` on an image table (a text label, then pixel columns):
# it trains to a meaningful accuracy; the model file keeps the CNN, so evaluate, predict, summary
# and --load give the same numbers; a missing pixel takes its column's median; a categorical
# column among the features, an image shape that does not fit, and a bad --model or --image exit
# 2 naming the column or flag. Usage: minigrad_cnn.sh <bin_dir>
set -u
bin=$1
source "$(dirname "$0")/common.bash"
mg="$bin/minigrad"

expect_error() {  # <pattern in stderr> <command...>: exit 2 and the pattern
  local pattern=$1; shift
  local out rc
  out=$("$@" 2>&1 >/dev/null); rc=$?
  if [[ $rc -ne 2 ]]; then fail "'$*' exited $rc, expected 2; stderr: $out"; return; fi
  if ! grep -qF -- "$pattern" <<<"$out"; then fail "'$*': stderr lacks '$pattern': $out"; return; fi
  pass "$* -> 2"
}

# 2x4x4 two-channel images, label first: 'left' is bright on the left half of channel 0,
# 'right' on the right half; channel 1 is noise. One pixel is missing (NA).
awk 'BEGIN { srand(11); printf "side"; for (j = 1; j <= 32; j++) printf ",p%d", j; print "";
  for (i = 0; i < 160; i++) { c = i % 2; printf "%s", (c ? "right" : "left");
    for (j = 0; j < 32; j++) { left = (j % 4) < 2;
      v = (j < 16 && left == (c == 0)) ? 0.6 + rand() * 0.4 : rand() * 0.5;
      if (i == 7 && j == 3) printf ",NA"; else printf ",%.3f", v } print "" } }' >"$tmp/img.csv"

train=("$mg" train --data "$tmp/img.csv" --model cnn --image 2x4x4 --epochs 3 --batch-size 16
       --lr 0.05 --momentum 0.9 --seed 3 --threads 1)
out=$("${train[@]}" --summary --save "$tmp/cnn.safetensors" 2>&1); rc=$?
acc=$(sed -n 's/^test accuracy: \([0-9.]*\).*/\1/p' <<<"$out")
if [[ $rc -eq 0 ]] && awk -v a="$acc" 'BEGIN { exit !(a >= 0.9) }'; then
  pass "train --model cnn on 2x4x4 images: test accuracy $acc"
else
  fail "train --model cnn: exit $rc, accuracy '$acc': $out"
fi
grep -q "Conv2d: 2-1 .*\[16, 32, 4, 4\]" <<<"$out" && pass "--summary shows the 2x4x4 image" ||
  fail "--summary lacks the first Conv2d on [16, 32, 4, 4]: $out"
grep -qF "32 inputs" <<<"$out" && pass "the missing pixel adds no indicator input" ||
  fail "not 32 inputs: $out"
[[ "$("${train[@]}" --quiet 2>&1)" == "test accuracy: $acc" ]] && pass "same seed, same result" ||
  fail "a second run differs"

# The model file: the same numbers from every command that reads it.
loaded=$("$mg" train --data "$tmp/img.csv" --load "$tmp/cnn.safetensors" --eval-only --quiet 2>&1)
[[ "$loaded" == "test accuracy: $acc" ]] && pass "--load --eval-only: same accuracy" ||
  fail "--load gave '$loaded', training printed $acc"
ev=$("$mg" evaluate --model "$tmp/cnn.safetensors" --data "$tmp/img.csv" 2>&1); rc=$?
correct=$(sed -n 's/^accuracy: [0-9.]* (\([0-9]*\)\/160).*/\1/p' <<<"$ev")
[[ $rc -eq 0 && -n "$correct" ]] && pass "evaluate the CNN: $correct/160" || fail "evaluate: $ev"
"$mg" predict --model "$tmp/cnn.safetensors" --data "$tmp/img.csv" --output "$tmp/pred.csv"
same=$(paste -d, <(tail -n +2 "$tmp/pred.csv") <(cut -d, -f1 "$tmp/img.csv" | tail -n +2) |
  awk -F, '$1 == $2' | wc -l)
[[ "$same" == "$correct" ]] && pass "predict's labels give evaluate's $correct correct" ||
  fail "predict matched $same labels, evaluate counted $correct"
sum=$("$mg" summary --model "$tmp/cnn.safetensors" 2>&1)
grep -q "^CNN " <<<"$sum" && grep -q "MaxPool2d: 2-8 .*\[1, 64, 1, 1\]" <<<"$sum" &&
  pass "summary shows the CNN's layers" || fail "summary: $sum"

# ---- errors ----
awk -F, 'NR == 1 { print $0 ",colour"; next } { print $0 "," (NR % 2 ? "red" : "blue") }' \
  "$tmp/img.csv" >"$tmp/colour.csv"
expect_error "--model cnn: column 'colour' is categorical (2 one-hot inputs), but a CNN reads" \
  "$mg" train --data "$tmp/colour.csv" --model cnn --image 2x4x4 --epochs 1 \
  --save "$tmp/never.safetensors"
expect_error "the table has 32 pixel columns, which is not the 36 pixels of a 1x6x6 image (HINT" \
  "$mg" train --data "$tmp/img.csv" --model cnn --image 1x6x6 --epochs 1
expect_error "which is not the 25 pixels of a 1x5x5 image" \
  "$mg" train --data "$tmp/img.csv" --model cnn --epochs 1
expect_error "--model: expected mlp or cnn, got 'rnn'" "$mg" train --data "$tmp/img.csv" --model rnn
expect_error "--image: expected an image shape CxHxW such as 1x28x28, got '4x4'" \
  "$mg" train --data "$tmp/img.csv" --model cnn --image 4x4
[[ ! -e "$tmp/never.safetensors" ]] && pass "a refused run writes no model file" ||
  fail "a refused run left a model file"

finish "minigrad_cnn"
