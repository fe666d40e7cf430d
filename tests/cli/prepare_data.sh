#!/usr/bin/env bash
# Command-line behaviour of prepare_data: exit 2 with the Debian package named when the sources
# are missing, the out dir is unusable or a flag is wrong; a --small 50 run writes the documents'
# header and rows equal to the IDX bytes (decoded here with zcat and od, independently of
# minigrad's reader); a second run skips complete files; no temporary file is left behind.
# "The documents": README.md#the-documents.
set -u
bin=${1:?usage: prepare_data.sh <bin_dir>}/prepare_data
src=/usr/share/datasets/fashion-mnist
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }
ok() { echo "ok: $*"; }

# expect_exit CODE PATTERN ARGS...: prepare_data ARGS exits with CODE and prints PATTERN.
expect_exit() {
  local code=$1 pattern=$2; shift 2
  local out rc
  out=$("$bin" "$@" 2>&1); rc=$?
  if [[ $rc -ne $code ]]; then fail "prepare_data $* exited $rc, expected $code:"; echo "$out"; return; fi
  if ! grep -qF -- "$pattern" <<<"$out"; then fail "prepare_data $* did not say '$pattern':"; echo "$out"; return; fi
  ok "prepare_data $* -> exit $code, '$pattern'"
}

expect_exit 0 "--small" --help
expect_exit 2 "dataset-fashion-mnist" --source "$tmp/no-such-dir" --out "$tmp/out-missing"
[[ -e "$tmp/out-missing/fmnist_small.csv" ]] && fail "a CSV was written although the sources are missing"
touch "$tmp/a-file"
expect_exit 2 "cannot create the output directory" --out "$tmp/a-file/sub"
expect_exit 2 "expected 1..60000" --small 0 --out "$tmp/out-bad"
expect_exit 2 "HINT: prepare_data --help lists the flags" --no-such-flag
expect_exit 2 "--small: expected a whole number" --small many --out "$tmp/out-bad"
expect_exit 2 "unexpected argument 'stray'" stray
# Corrupt sources: a truncated images file is reported, not written out.
mkdir -p "$tmp/bad-src"
printf '\x00\x00\x08\x03\x00\x00\x00\x05\x00\x00\x00\x1c\x00\x00\x00\x1c' | gzip > "$tmp/bad-src/train-images-idx3-ubyte.gz"
printf '\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02\x03\x04\x05' | gzip > "$tmp/bad-src/train-labels-idx1-ubyte.gz"
expect_exit 2 "truncated" --source "$tmp/bad-src" --out "$tmp/out-bad-src"
[[ -e "$tmp/out-bad-src/fmnist_small.csv" ]] && fail "a CSV was written from a truncated source"

if [[ ! -f "$src/train-images-idx3-ubyte.gz" ]]; then
  fail "$src is missing: install Debian's dataset-fashion-mnist (make deps)"
  exit 1
fi

out="$tmp/out"
if ! log=$("$bin" --out "$out" --small 50 2>&1); then fail "prepare_data --small 50 failed:"; echo "$log"; exit 1; fi
small="$out/fmnist_small.csv"

# Header: label,pixel1,...,pixel784.
expected_header="label$(printf ',pixel%d' $(seq 1 784))"
[[ "$(head -n 1 "$small")" == "$expected_header" ]] && ok "header is label,pixel1,...,pixel784" \
  || fail "header of $small is not label,pixel1,...,pixel784"
lines=$(wc -l < "$small")
[[ $lines -eq 51 ]] && ok "$small has 51 lines" || fail "$small has $lines lines, expected 51"

# Rows: the first 50 labels and images of the IDX files, decoded by zcat | od.
expected_rows=$(paste -d, \
  <(zcat "$src/train-labels-idx1-ubyte.gz" | tail -c +9 | head -c 50 | od -An -v -tu1 -w1 | tr -d ' ') \
  <(zcat "$src/train-images-idx3-ubyte.gz" | tail -c +17 | head -c $((50 * 784)) | od -An -v -tu1 -w1 |
      tr -d ' ' | paste -d, $(printf -- '- %.0s' $(seq 1 784))))
if [[ "$(tail -n +2 "$small")" == "$expected_rows" ]]; then ok "50 rows match the IDX bytes"
else
  fail "rows of $small differ from the IDX content:"
  diff <(tail -n +2 "$small" | cut -c1-80) <(cut -c1-80 <<<"$expected_rows") | head -5
fi

for f in fashion-mnist_train.csv:60001 fashion-mnist_test.csv:10001; do
  name=${f%%:*} want=${f##*:}
  got=$(wc -l < "$out/$name")
  [[ $got -eq $want ]] && ok "$name has $want lines" || fail "$name has $got lines, expected $want"
done
t10k_first=$(zcat "$src/t10k-labels-idx1-ubyte.gz" | tail -c +9 | head -c 1 | od -An -tu1 | tr -d ' ')
[[ "$(sed -n 2p "$out/fashion-mnist_test.csv" | cut -d, -f1)" == "$t10k_first" ]] \
  && ok "test CSV starts with t10k's first label" || fail "test CSV's first label is not t10k's"
leftovers=$(find "$out" -name '*.tmp*' | wc -l)
[[ $leftovers -eq 0 ]] && ok "no temporary files left" || fail "$leftovers temporary files left in $out"

# A second run skips the complete files, --force rewrites them, a damaged file is rewritten.
log=$("$bin" --out "$out" --small 50 2>&1)
[[ $(grep -c "skipped" <<<"$log") -eq 3 ]] && ok "second run skips all three files" \
  || { fail "second run did not skip the complete files:"; echo "$log"; }
head -c 1000 "$out/fashion-mnist_test.csv" > "$out/cut" && mv "$out/cut" "$out/fashion-mnist_test.csv"
log=$("$bin" --out "$out" --small 50 2>&1)
grep -q "fashion-mnist_test.csv: wrote 10000 rows" <<<"$log" && ok "a truncated CSV is rewritten" \
  || { fail "a truncated CSV was not rewritten:"; echo "$log"; }
log=$("$bin" --out "$out" --small 50 --force 2>&1)
[[ $(grep -c "wrote" <<<"$log") -eq 3 ]] && ok "--force rewrites all three" \
  || { fail "--force did not rewrite:"; echo "$log"; }
exit $status
