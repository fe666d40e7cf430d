#!/usr/bin/env bash
# Command-line behaviour of train_csv and train_fmnist: every malformed input exits 2 with a
# message naming the file/line/flag, a small CSV trains to a meaningful accuracy, runs are
# deterministic, and checkpoints round-trip. Usage: train_apps.sh <bin_dir>
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
  echo "ok: $* -> $rc: $(head -c 160 <<<"$out")"
}

# Three well-separated classes in 4 features, label last (deterministic: awk's srand(7)).
awk 'BEGIN { srand(7); print "f1,f2,f3,f4,species";
  for (i = 0; i < 300; i++) { c = i % 3;
    printf "%.3f,%.3f,%.3f,%.3f,%d\n", c*2 + rand(), -c + rand(), rand()*3, c + rand()*0.5, c } }' \
  >"$tmp/blobs.csv"
head -n 101 "$tmp/blobs.csv" >"$tmp/blobs_head.csv"

# ---- malformed inputs: exit 2, message names the place ----
printf '' >"$tmp/empty.csv"
printf 'a,b,label\n' >"$tmp/header_only.csv"
printf 'a,b,label\n1,2,0\n3,4\n' >"$tmp/ragged.csv"
printf 'a,b,label\n1,2,0\n3,x,1\n' >"$tmp/text.csv"
printf 'a,b,label\n1,2,0\n3,nan,1\n' >"$tmp/nan.csv"
printf 'a,b,label\n1,2,0\n3,inf,1\n' >"$tmp/inf.csv"
printf 'a,b,label\n1,2,0\n3,4,2147483648\n' >"$tmp/biglabel.csv"  # beyond int32 (negative labels are labels)
printf 'a,b,label\n1,2,0\n3,4,1.5\n' >"$tmp/fraclabel.csv"
mkdir -p "$tmp/adir.csv"
csv="$bin/train_csv"
expect_error 2 "no such file" "$csv" --data "$tmp/missing.csv" --label last
expect_error 2 "directory" "$csv" --data "$tmp/adir.csv" --label last
expect_error 2 "empty" "$csv" --data "$tmp/empty.csv" --label last
expect_error 2 "header_only.csv" "$csv" --data "$tmp/header_only.csv" --label last
expect_error 2 "ragged.csv:3" "$csv" --data "$tmp/ragged.csv" --label last
expect_error 2 "text.csv:3" "$csv" --data "$tmp/text.csv" --label last
expect_error 2 "nan.csv:3" "$csv" --data "$tmp/nan.csv" --label last
expect_error 2 "inf.csv:3" "$csv" --data "$tmp/inf.csv" --label last
expect_error 2 "biglabel.csv:3" "$csv" --data "$tmp/biglabel.csv" --label last
expect_error 2 "fraclabel.csv:3" "$csv" --data "$tmp/fraclabel.csv" --label last
expect_error 2 "--epochs" "$csv" --data "$tmp/blobs.csv" --label last --epochs abc
expect_error 2 "--epochs" "$csv" --data "$tmp/blobs.csv" --label last --epochs 0
expect_error 2 "--lr" "$csv" --data "$tmp/blobs.csv" --label last --lr -1
expect_error 2 "--dropout" "$csv" --data "$tmp/blobs.csv" --label last --dropout 1.5
expect_error 2 "--hidden" "$csv" --data "$tmp/blobs.csv" --label last --hidden 8,x
expect_error 2 "--split" "$csv" --data "$tmp/blobs.csv" --label last --split 1.5
expect_error 2 "--optimizer" "$csv" --data "$tmp/blobs.csv" --label last --optimizer rmsprop
expect_error 2 "--batch-size" "$csv" --data "$tmp/blobs.csv" --label last --batch-size 1
expect_error 2 "--header" "$csv" --data "$tmp/blobs.csv" --label last --header maybe
expect_error 2 "--delimiter" "$csv" --data "$tmp/blobs.csv" --label last --delimiter ab
expect_error 2 "bogus" "$csv" --data "$tmp/blobs.csv" --bogus
expect_error 2 "unexpected argument" "$csv" --data "$tmp/blobs.csv" stray
expect_error 2 "not both" "$csv" --data "$tmp/blobs.csv" --train "$tmp/blobs.csv" --test "$tmp/blobs.csv"
expect_error 2 "--eval-only needs --load" "$csv" --data "$tmp/blobs.csv" --label last --eval-only
expect_error 2 "does not exist" "$csv" --data "$tmp/blobs.csv" --label last --save "$tmp/no/dir/m.safetensors"
expect_error 2 "is a directory" "$csv" --data "$tmp/blobs.csv" --label last --report "$tmp"
expect_error 2 "'nolabel'" "$csv" --data "$tmp/blobs.csv" --label nolabel
expect_error 2 "no such file" "$bin/train_fmnist" --data "$tmp/missing.csv"

# ---- a small table trains to a meaningful accuracy, with a report ----
out=$("$csv" --data "$tmp/blobs.csv" --label last --hidden 16 --epochs 30 --batch-size 16 \
      --report "$tmp/report.json" --save "$tmp/model.safetensors" 2>&1)
rc=$?
acc=$(sed -n 's/^test accuracy: \([0-9.]*\).*/\1/p' <<<"$out")
if [[ $rc -ne 0 || -z "$acc" ]]; then fail "blobs training failed ($rc): $out"
elif awk -v a="$acc" 'BEGIN { exit !(a >= 0.9) }'; then echo "ok: blobs test accuracy $acc >= 0.9"
else fail "blobs test accuracy $acc < 0.9"; fi
for key in test_accuracy test_loss epoch_loss train_seconds samples_per_second n_train n_test parameters; do
  grep -q "\"$key\"" "$tmp/report.json" || fail "report lacks $key"
done
grep -q '"n_train": 240' "$tmp/report.json" && grep -q '"n_test": 60' "$tmp/report.json" \
  && echo "ok: report counts 240/60 rows" || fail "report row counts wrong: $(cat "$tmp/report.json")"
ls "$tmp" | grep -q '\.tmp' && fail "temporary files left behind: $(ls "$tmp")"

# ---- the saved model evaluates to the same accuracy; mismatched data is rejected ----
out2=$("$csv" --data "$tmp/blobs.csv" --label last --load "$tmp/model.safetensors" --eval-only 2>&1)
acc2=$(sed -n 's/^test accuracy: \([0-9.]*\).*/\1/p' <<<"$out2")
[[ "$acc2" == "$acc" ]] && echo "ok: --load --eval-only gives $acc2 again" \
  || fail "reloaded accuracy '$acc2' differs from '$acc': $out2"
cut -d, -f2- "$tmp/blobs.csv" >"$tmp/three_features.csv"
expect_error 2 "model.safetensors" "$csv" --test "$tmp/three_features.csv" --label last \
  --load "$tmp/model.safetensors" --eval-only
awk -F, 'NR == 1 { print; next } { $5 = (NR == 7 ? 5 : $5); print }' OFS=, "$tmp/blobs.csv" >"$tmp/label5.csv"
expect_error 2 "label5.csv:7" "$csv" --test "$tmp/label5.csv" --label last \
  --load "$tmp/model.safetensors" --eval-only
# The checkpoint records its Dropout probability, so reloading it assumes nothing.
grep -aq '"minigrad.dropout":"0.3"' "$tmp/model.safetensors" \
  && echo "ok: the checkpoint's metadata records dropout 0.3" \
  || fail "no minigrad.dropout in the checkpoint's metadata: $(head -c 200 "$tmp/model.safetensors")"
grep -q "default" <<<"$out2" && fail "a minigrad checkpoint's reload assumed a default: $out2"
# A PyTorch MyNN (6 features, 3 classes, Dropout layers, no metadata) loads with the documented
# default dropout, and the output says so.
awk 'BEGIN { for (i = 0; i < 30; i++) printf "%d,%d,%d,%d,%d,%d,%d\n", i % 3, i, i % 5, -i, 2, i % 7, 1 }' \
  >"$tmp/six.csv"
torch_out=$("$csv" --test "$tmp/six.csv" --header no --scale 1 --eval-only \
  --load "$MINIGRAD_SOURCE_DIR/tests/fixtures/torch_mynn_small.safetensors" 2>&1)
grep -q "its metadata gives no probability (minigrad.dropout), as in files PyTorch writes: using the default 0.3" <<<"$torch_out" \
  && grep -q "^test accuracy: " <<<"$torch_out" \
  && echo "ok: a PyTorch checkpoint loads with the default dropout and says so" \
  || fail "PyTorch checkpoint load said: $torch_out"
printf 'not a safetensors file' >"$tmp/junk.safetensors"
expect_error 2 "junk.safetensors" "$csv" --test "$tmp/blobs.csv" --label last \
  --load "$tmp/junk.safetensors" --eval-only

# ---- same seed, same output (timings aside: the rates, and the thread chooser's report) ----
run() { "$csv" --data "$tmp/blobs_head.csv" --label last --hidden 8 --epochs 3 --batch-size 8 --seed "$1" 2>&1 \
        | grep -v -e 'samples/s' -e 'steps, ' -e '^threads: ' ; }
a=$(run 5); b=$(run 5); c=$(run 6)
[[ "$a" == "$b" ]] && echo "ok: identical output for the same seed" || fail "same seed, different output"
[[ "$a" != "$c" ]] && echo "ok: another seed differs" || fail "seed has no effect"

# ---- threads: bad values fail; 1, 2 and auto give the same numbers ----
expect_error 2 "--threads" "$csv" --data "$tmp/blobs.csv" --label last --threads two
expect_error 2 "--threads" "$csv" --data "$tmp/blobs.csv" --label last --threads -1
expect_error 2 "--threads" "$csv" --data "$tmp/blobs.csv" --label last --threads 3
# An unknown backend names the variable and the values it takes, before any work.
expect_error 2 'MINIGRAD_BACKEND is "gpu", expected ' \
  env MINIGRAD_BACKEND=gpu "$csv" --data "$tmp/blobs.csv" --label last
# 640 rows of 784 features: the first layer's products (6.4 MFLOP at batch 32) are split in two.
awk 'BEGIN { srand(11); for (i = 0; i < 640; i++) { c = i % 4; line = c;
  for (j = 0; j < 784; j++) line = line "," int(rand() * 128 + (j % 4 == c ? 127 : 0)); print line } }' \
  >"$tmp/wide.csv"
wide() { "$csv" --data "$tmp/wide.csv" --epochs 2 --threads "$1" 2>&1 | grep -v -e 'samples/s' -e 'steps, ' -e '^backend: ' ; }
a=$(wide 1); b=$(wide 2)
[[ "$a" == "$b" ]] && echo "ok: --threads 1 and 2 give identical output" || fail "--threads 2 changed the results"
grep -q "test accuracy" <<<"$a" || fail "the wide run printed no accuracy: $a"
# Enough steps (120 in the first epoch) for auto to time both counts and say which it kept.
auto=$("$csv" --data "$tmp/blobs.csv" --label last --hidden 8 --epochs 2 --batch-size 2 --threads auto 2>&1)
if grep -q "^backend: reference" <<<"$auto"; then  # one thread only: auto says so
  grep -q "threads: auto kept 1 (the reference backend has one thread" <<<"$auto" \
    && echo "ok: --threads auto keeps the reference backend's one thread" \
    || fail "--threads auto said: $auto"
elif [[ "${MINIGRAD_GEMM:-}" == blas ]]; then  # OpenBLAS alone: auto keeps one thread and says why
  grep -q "threads: auto kept 1 (OpenBLAS runs every product" <<<"$auto" \
    && echo "ok: --threads auto keeps one thread for OpenBLAS" || fail "--threads auto said: $auto"
else
  grep -q "threads: auto chose [12] (" <<<"$auto" && echo "ok: --threads auto measures and chooses" \
    || fail "--threads auto printed no choice: $auto"
fi
# Too few steps to time both counts: auto keeps one thread and says so.
short=$("$csv" --data "$tmp/blobs.csv" --label last --hidden 8 --epochs 1 --batch-size 32 --threads auto 2>&1)
grep -qE "threads: auto kept 1 \((a run of [0-9]+ steps is too short|OpenBLAS runs every|the reference backend)" <<<"$short" \
  && echo "ok: --threads auto says why it keeps one thread" || fail "short auto run said: $short"
one=$("$csv" --data "$tmp/blobs.csv" --label last --hidden 8 --epochs 2 --batch-size 2 --threads 1 2>&1)
[[ "$(grep -v -e 'samples/s' -e 'steps, ' -e '^backend: ' -e '^threads: ' <<<"$auto")" == "$(grep -v -e 'samples/s' -e 'steps, ' -e '^backend: ' <<<"$one")" ]] \
  && echo "ok: --threads auto gives the numbers of one thread" || fail "--threads auto changed the results"

# ---- --bn-stats: a bad value fails; in one process local and sync are the same run ----
expect_error 2 "--bn-stats: expected sync or local, got 'all'" \
  "$csv" --data "$tmp/blobs.csv" --label last --bn-stats all
bn() {
  "$csv" --data "$tmp/blobs.csv" --label last --hidden 8 --epochs 1 --threads 1 --bn-stats "$1" 2>&1 |
    grep -v -e 'samples/s' -e 'steps, '
}
a=$(bn sync); b=$(bn local)
[[ -n "$a" && "$a" == "$b" ]] && echo "ok: --bn-stats local changes nothing in one process" ||
  fail "--bn-stats local changed a one-process run"

# ---- output to a pipe has no control characters; --help works ----
"$csv" --data "$tmp/blobs_head.csv" --label last --epochs 2 --batch-size 8 | grep -q $'\r\|\x1b' \
  && fail "control characters in piped output" || echo "ok: plain output when piped"
"$csv" --help | grep -q -- "--batch-size" && echo "ok: --help lists flags" || fail "--help"

finish "train app"
