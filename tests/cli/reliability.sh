#!/usr/bin/env bash
# The reliability promises of docs/reliability.md, end to end through train_csv: a diverged run
# stops with exit 3 and writes no model; output paths are checked before training and devices
# are never replaced; a stray label is one more class, their count bounded; pipes and stdin are
# read, endless input stops at the line limit; hostile model files and cells are clear errors
# (exit 2), never an "internal error". Usage: reliability.sh <bin_dir>
set -u
bin=$1
source "$(dirname "$0")/common.bash"
csv="$bin/train_csv"

awk 'BEGIN { srand(7); print "f1,f2,f3,f4,species";
  for (i = 0; i < 300; i++) { c = i % 3;
    printf "%.3f,%.3f,%.3f,%.3f,%d\n", c*2 + rand(), -c + rand(), rand()*3, c + rand()*0.5, c } }' \
  >"$tmp/blobs.csv"
small=(--data "$tmp/blobs.csv" --label last --hidden 8 --epochs 2 --quiet)

# ---- a diverged run stops at once: exit 3, epoch and step named, no model written ----
run "$csv" "${small[@]}" --lr 1e6 --save "$tmp/diverged.safetensors"
check "--lr 1e6 exits 3" test "$rc" -eq 3
check "--lr 1e6 names epoch and step" has "at epoch 1, step" "$err"
check "--lr 1e6 hints at the learning rate" has "lower the learning rate (--lr is 1000000)" "$err"
check "--lr 1e6 writes no model" test ! -e "$tmp/diverged.safetensors"
awk -F, 'NR == 1 { print; next } { $1 = $1 * 1e37; print }' OFS=, "$tmp/blobs.csv" >"$tmp/huge.csv"
run "$csv" --data "$tmp/huge.csv" --label last --hidden 8 --epochs 2 --quiet --scale 1 \
  --no-batchnorm --save "$tmp/huge.safetensors"
check "features of 1e38 exit 3" test "$rc" -eq 3
check "features of 1e38 write no model" test ! -e "$tmp/huge.safetensors"
run "$csv" "${small[@]}" --lr 1e6 --on-nonfinite skip-step --save "$tmp/skipped.safetensors"
check "--on-nonfinite skip-step finishes" test "$rc" -eq 0
check "--on-nonfinite skip-step says what it skipped" has "skipped" "$out$err"
run "$csv" "${small[@]}" --on-nonfinite maybe
check "--on-nonfinite maybe is a usage error" test "$rc" -eq 2

# ---- a model holding a NaN is refused on load, naming the tensor ----
run "$csv" "${small[@]}" --save "$tmp/good.safetensors"
check "a small run trains and saves" test "$rc" -eq 0 -a -f "$tmp/good.safetensors"
cp "$tmp/good.safetensors" "$tmp/nan.safetensors"
size=$(stat -c %s "$tmp/nan.safetensors")
printf '\x00\x00\xc0\x7f' | dd of="$tmp/nan.safetensors" bs=1 seek=$((size - 4)) conv=notrunc 2>/dev/null
run "$csv" "${small[@]}" --load "$tmp/nan.safetensors" --eval-only
check "--load of a NaN model exits 2" test "$rc" -eq 2
check "--load of a NaN model names the tensor" has "holds nan at element" "$err"

# ---- output paths: checked before training, devices never replaced ----
for dev in /dev/full /dev/null; do
  run "$csv" "${small[@]}" --save "$dev"
  check "--save $dev exits 2" test "$rc" -eq 2
  check "--save $dev is refused as a device" has "it is a character device" "$err"
  check "--save $dev is refused before training" test -z "$out"
  check "$dev is still a device" test -c "$dev"
done
run "$csv" "${small[@]}" --report /dev/full
check "--report /dev/full exits 2" test "$rc" -eq 2
if [[ $(id -u) -eq 0 ]]; then ro=/sys; else ro="$tmp/ro"; mkdir "$ro"; chmod 555 "$ro"; fi
run "$csv" "${small[@]}" --save "$ro/m.safetensors"
check "--save into a read-only directory exits 2" test "$rc" -eq 2
check "--save into a read-only directory is refused before training" \
  has "does not accept new files" "$err"

# ---- one stray label cannot size the model: it is one more class, and the count is bounded ----
printf 'a,label\n1,0\n2,1\n3,999999\n4,0\n' >"$tmp/stray.csv"
run "$csv" --data "$tmp/stray.csv" --label last --batch-size 2 --split 0.25
check "label 999999 is one of 3 classes (exit 0)" has "3 classes (labels 0, 1, 999999)" "$out"
run "$csv" --data "$tmp/stray.csv" --label last --batch-size 2 --quiet --max-classes 2
check "past --max-classes exits 2" test "$rc" -eq 2
check "past --max-classes is named with its line and label" \
  has "stray.csv:4: column 2 ('label'): label 999999 would be class number 3, over the limit of 2 classes" "$err"
printf 'a,label\n1,0\n2,1\n3,2147483647\n4,0\n' >"$tmp/top.csv"
run "$csv" --data "$tmp/top.csv" --label last --batch-size 2 --split 0.25
check "label 2147483647 is a class, without overflow" has "3 classes (labels 0, 1, 2147483647)" "$out"
check "label 2147483647 is no internal error" test "$rc" -eq 0
printf 'a,label\n1,0\n2,1\n3,2147483648\n4,0\n' >"$tmp/over.csv"
run "$csv" --data "$tmp/over.csv" --label last --batch-size 2 --quiet
check "label 2147483648 exits 2, named" \
  has "over.csv:4: column 2 ('label'): label 2147483648 does not fit a 32-bit integer" "$err"
run "$csv" --data "$tmp/stray.csv" --label last --max-classes 0
check "--max-classes 0 is a usage error" test "$rc" -eq 2

# ---- streams, and input that never ends: a clear error in bounded memory and time ----
opts=(--label last --hidden 8 --epochs 2 --quiet)
run "$csv" --data <(gzip -c "$tmp/blobs.csv" | gzip -dc) "${opts[@]}"
check "--data <(gzip -dc ...) reads the pipe" test "$rc" -eq 0 -a -n "$out"
run "$csv" --data - "${opts[@]}" <"$tmp/blobs.csv"
check "--data - reads standard input" test "$rc" -eq 0 -a -n "$out"
head -n 3 "$tmp/blobs.csv" >"$tmp/short.csv"; echo '1.0,x,2,3,0' >>"$tmp/short.csv"
run "$csv" --data - "${opts[@]}" <"$tmp/short.csv"
check "an error on standard input names <stdin> and the line" has "<stdin>:4: column 2" "$err"
# The limit on memory holds the program well under what reading /dev/zero whole would need; an
# ASan build reserves terabytes of address space, so there only the resident size is checked.
limit=""; sanitized "$csv" || limit="ulimit -v 2000000;"
# bounded <command...>: under the limit and a timeout; the peak resident KB is the last line of rss
bounded() { /usr/bin/time -f %M -o "$tmp/rss" timeout 20 bash -c "$limit exec \"\$@\"" _ "$@"; }
run bounded "$csv" --data /dev/zero --label last
check "--data /dev/zero exits 2 (not killed, not out of memory)" test "$rc" -eq 2
check "--data /dev/zero names the line and the limit" \
  has "/dev/zero:1: a line longer than 1048576 bytes, the limit" "$err"
check "--data /dev/zero stays under 200 MB resident" test "$(tail -n 1 "$tmp/rss")" -lt 200000
run bounded "$csv" --data - --label last </dev/zero
check "--data - from /dev/zero exits 2" test "$rc" -eq 2
{ echo "a,b,label"; echo "1,2,0"; head -c 2000000 /dev/zero | tr '\0' 7; echo ",1,0"; } \
  >"$tmp/long.csv"
run bounded "$csv" --data "$tmp/long.csv" --label last
check "a line of 2 MB exits 2, naming its line" has "long.csv:3: a line longer than" "$err"
head -c 3000000 /dev/zero | tr '\0' h >"$tmp/header.csv"
run bounded "$csv" --data "$tmp/header.csv" --label last
check "a header of 3 MB without a newline exits 2, naming line 1" \
  has "header.csv:1: a line longer than" "$err"
check "a header of 3 MB stays under 200 MB resident" test "$(tail -n 1 "$tmp/rss")" -lt 200000
printf '"x\n(cm)",label\n1,0\n2,1\n3,x\n' >"$tmp/quoted.csv"
run "$csv" --data "$tmp/quoted.csv" --label last
check "a quoted header cell holding a newline: later lines keep their numbers" \
  has "quoted.csv:5: column 2 ('label')" "$err"

# ---- hostile model files and cells ----
printf '\x10\x00\x00\x00\x00\x00\x00\x00{"x":1e999}     ' >"$tmp/overflow.safetensors"
run "$csv" "${small[@]}" --load "$tmp/overflow.safetensors" --eval-only
check "a header with 1e999 exits 2" test "$rc" -eq 2
check "a header with 1e999 is a malformed header" has "not valid JSON near file offset" "$err"
run "$csv" "${small[@]}" --load /dev/zero --eval-only
check "--load /dev/zero is refused at once" has "not a regular file" "$err"
printf 'a,b,label\n1,2,0\n3,4\0005,1\n' >"$tmp/nul.csv"
run "$csv" --data "$tmp/nul.csv" --label last
check "a NUL in a cell exits 2" test "$rc" -eq 2
check "a NUL in a cell is shown escaped, the message whole" has "holds '4\\x005', expected a number (HINT" "$err"

finish reliability
