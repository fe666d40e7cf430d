#!/usr/bin/env bash
# Command-line behaviour of `minigrad` (train / evaluate / predict / summary) on mixed tables:
# text labels, categorical and ignored columns, missing cells, regression; predict's labels give
# exactly evaluate's accuracy; every input error exits 2 naming what is wrong and leaves no
# output file. Usage: minigrad_tabular.sh <bin_dir>
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
  pass "$* -> 2: $(head -c 140 <<<"$out")"
}

# Three species from two measurements, an island (category), an id to ignore, missing cells of
# every kind, and 4 rows without a label. Deterministic: awk's srand(11).
awk 'BEGIN { srand(11); print "id,island,length,depth,species";
  split("Alpha Beta Gamma", names, " "); split("NA N/A ? null", na, " ");
  for (i = 0; i < 400; i++) { c = i % 3; isl = (c == 2 || rand() < 0.3) ? "Dream" : "Biscoe";
    len = sprintf("%.2f", 40 + c * 5 + rand() * 3); dep = sprintf("%.2f", 15 + (c == 1) * 4 + rand() * 2);
    if (i % 37 == 5) len = na[1 + i % 4]; if (i % 41 == 7) isl = "";
    label = names[c + 1]; if (i % 101 == 50) label = "NA";
    printf "%d,%s,%s,%s,%s\n", 1000 + i, isl, len, dep, label } }' >"$tmp/birds.csv"

out=$("$mg" train --data "$tmp/birds.csv" --label species --ignore id --epochs 15 --hidden 16 \
  --val-split 0.1 --save "$tmp/birds.safetensors" --report "$tmp/train.json" --plot "$tmp/curves.svg" 2>&1)
rc=$?
if [[ $rc -ne 0 ]]; then fail "train exited $rc: $out"; else pass "train on birds.csv"; fi
grep -qF "columns: 2 numeric, 1 categorical, 1 ignored; label 'species'" <<<"$out" \
  && pass "column counts line" || fail "column counts line missing: $out"
grep -qF "task: classification ('species' holds text such as" <<<"$out" \
  && pass "task reason" || fail "task reason missing: $out"
grep -qF "4 rows without a label left out" <<<"$out" && pass "label-missing rows counted" \
  || fail "label-missing count missing: $out"
grep -qE "val_loss [0-9.]+  val_accuracy" <<<"$out" && pass "validation per epoch" \
  || fail "no validation columns: $out"
acc=$(grep -oE '^test accuracy: [0-9.]+' <<<"$out" | grep -oE '[0-9.]+$')
awk -v a="$acc" 'BEGIN { exit !(a >= 0.9) }' && pass "test accuracy $acc >= 0.9" \
  || fail "test accuracy '$acc' below 0.9"
grep -q '"task": "classification"' "$tmp/train.json" && grep -q '"per_class"' "$tmp/train.json" \
  && pass "report has task and per_class" || fail "report lacks task/per_class"
/usr/bin/python3 -c "import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); \
  n = len(r.findall('.//{http://www.w3.org/2000/svg}polyline')); sys.exit(0 if n == 4 else 1)" \
  "$tmp/curves.svg" && pass "SVG parses with 4 curves" || fail "SVG does not parse or lacks curves"

# ---- predict round trip: columns reordered, label kept, rows in input order ----
awk -F, 'BEGIN { OFS = "," } { print $5, $4, $2, $3, $1 }' "$tmp/birds.csv" >"$tmp/shuffled.csv"
"$mg" predict --model "$tmp/birds.safetensors" --data "$tmp/shuffled.csv" --proba >"$tmp/pred.csv" \
  && pass "predict to stdout" || fail "predict failed"
[[ $(head -1 "$tmp/pred.csv") == "prediction,Alpha,Beta,Gamma" ]] && pass "predict header" \
  || fail "predict header: $(head -1 "$tmp/pred.csv")"
[[ $(wc -l <"$tmp/pred.csv") -eq 401 ]] && pass "one line per row" || fail "line count $(wc -l <"$tmp/pred.csv")"
eval_out=$("$mg" evaluate --model "$tmp/birds.safetensors" --data "$tmp/shuffled.csv" --report "$tmp/eval.json")
ev_correct=$(grep -oE '^accuracy: [0-9.]+ \([0-9]+/[0-9]+\)' <<<"$eval_out" | grep -oE '\([0-9]+' | tr -d '(')
pr_correct=$(paste -d, <(tail -n +2 "$tmp/pred.csv" | cut -d, -f1) <(tail -n +2 "$tmp/birds.csv" | cut -d, -f5) \
  | awk -F, '$2 != "NA" && $1 == $2 { n++ } END { print n + 0 }')
[[ -n $ev_correct && $ev_correct == "$pr_correct" ]] && pass "predict's labels give evaluate's count ($pr_correct)" \
  || fail "evaluate counts '$ev_correct' correct, predict's labels '$pr_correct'"
grep -q '"test_accuracy"' "$tmp/eval.json" && pass "evaluate --report" || fail "evaluate report"
sed '1s/species/kind/' "$tmp/shuffled.csv" >"$tmp/renamed.csv"
"$mg" evaluate --model "$tmp/birds.safetensors" --data "$tmp/renamed.csv" --label kind | grep -qF "($ev_correct/" \
  && pass "evaluate --label names a renamed label column" || fail "evaluate --label kind"
expect_error "no label column 'species'" "$mg" evaluate --model "$tmp/birds.safetensors" --data "$tmp/renamed.csv"
expect_error "unknown flag --target (did you mean --label?)" "$mg" train --data "$tmp/birds.csv" --target species
expect_error "unknown flag --epoch (did you mean --epochs?)" "$mg" train --data "$tmp/birds.csv" --epoch 3
expect_error "unknown flag --frobnicate (HINT: minigrad train --help lists the flags)" "$mg" train --frobnicate
"$mg" predict --model "$tmp/birds.safetensors" --data "$tmp/shuffled.csv" --output "$tmp/pred2.csv" \
  && cmp -s <(cut -d, -f1 "$tmp/pred.csv") "$tmp/pred2.csv" && pass "--output equals stdout" \
  || fail "--output differs from stdout"
"$mg" predict --model "$tmp/birds.safetensors" --data "$tmp/shuffled.csv" --keep 0,species >"$tmp/kept.csv" \
  && [[ $(head -1 "$tmp/kept.csv") == "$(head -1 "$tmp/shuffled.csv" | cut -d, -f1),species,prediction" ]] \
  && cmp -s <(tail -n +2 "$tmp/kept.csv" | cut -d, -f3) <(tail -n +2 "$tmp/pred.csv" | cut -d, -f1) \
  && pass "predict --keep copies columns before the same predictions" || fail "predict --keep: $(head -2 "$tmp/kept.csv")"
expect_error "--keep: no column 'bogus'" "$mg" predict --model "$tmp/birds.safetensors" --data "$tmp/shuffled.csv" --keep 0,bogus
out=$("$mg" predict --model "$tmp/birds.safetensors" --data "$tmp/shuffled.csv" --keep 0,bogus 2>/dev/null)
[[ -z "$out" ]] && pass "predict --keep with an unknown column writes nothing" \
  || fail "predict --keep 0,bogus wrote: $out"
# An island training never saw: predicted all the same, and named on standard error, not in the CSV.
sed '2s/,Biscoe,/,Atlantis,/; 2s/,Dream,/,Atlantis,/' "$tmp/shuffled.csv" >"$tmp/new_island.csv"
"$mg" predict --model "$tmp/birds.safetensors" --data "$tmp/new_island.csv" >"$tmp/pred3.csv" 2>"$tmp/pred3.err" \
  && [[ $(wc -l <"$tmp/pred3.csv") -eq 401 ]] && pass "predict with an unseen category" \
  || fail "predict with an unseen category: $(cat "$tmp/pred3.err")"
grep -qF "note: $tmp/new_island.csv: column 'island': 1 row held a category not seen in training ('Atlantis')" "$tmp/pred3.err" \
  && pass "the unseen category is named on stderr" || fail "no note of the unseen category: $(cat "$tmp/pred3.err")"
"$mg" summary --model "$tmp/birds.safetensors" | grep -q "island.*categorical.*Biscoe Dream + missing" \
  && pass "summary lists encodings" || fail "summary lacks island's encoding"

# ---- regression: a fractional target is regression by the auto rule ----
awk 'BEGIN { srand(3); print "x1,x2,colour,target";
  for (i = 0; i < 300; i++) { a = rand(); b = rand(); c = (i % 2) ? "red" : "blue";
    printf "%.4f,%.4f,%s,%.3f\n", a, b, c, 10 + 5 * a - 3 * b + (c == "red") }}' >"$tmp/reg.csv"
out=$("$mg" train --data "$tmp/reg.csv" --label target --epochs 40 --optimizer adam --lr 0.01 --hidden 16 \
  --loss huber --save "$tmp/reg.safetensors" --report "$tmp/reg.json" 2>&1)
grep -qF "task: regression ('target' holds numbers with fractions" <<<"$out" && pass "auto picks regression" \
  || fail "regression not chosen: $out"
r2=$(grep -oE 'R²: [0-9.-]+' <<<"$out" | head -1 | grep -oE '[0-9.-]+$')
awk -v a="$r2" 'BEGIN { exit !(a >= 0.9) }' && pass "regression R² $r2 >= 0.9" || fail "R² '$r2': $out"
grep -q '"test_rmse"' "$tmp/reg.json" && grep -q '"test_r2"' "$tmp/reg.json" && grep -q '"task": "regression"' "$tmp/reg.json" \
  && pass "regression report" || fail "regression report fields"
"$mg" predict --model "$tmp/reg.safetensors" --data "$tmp/reg.csv" | sed -n 2p | grep -qE '^1[0-9]\.[0-9]+' \
  && pass "regression predictions in units" || fail "regression prediction not in target units"

# ---- early stopping is reported ----
out=$("$mg" train --data "$tmp/birds.csv" --label species --ignore id --epochs 200 --hidden 64 \
  --lr 0.5 --val-split 0.2 --patience 2 2>&1)
grep -qE "kept the weights of epoch [0-9]+" <<<"$out" && pass "patience keeps the best weights" \
  || fail "no best-weights line: $out"

# ---- errors: exit 2, message names what is wrong, no partial output ----
expect_error "its columns are: id, island, length, depth, species" "$mg" train --data "$tmp/birds.csv" --label kind
expect_error "--ignore: no column 'sex'" "$mg" train --data "$tmp/birds.csv" --label species --ignore sex
expect_error "--categorical: no column '9'" "$mg" train --data "$tmp/birds.csv" --label species --categorical 9
expect_error "--task" "$mg" train --data "$tmp/birds.csv" --task guess
expect_error "--loss" "$mg" train --data "$tmp/birds.csv" --loss hinge
expect_error "--patience needs a validation part" "$mg" train --data "$tmp/birds.csv" --label species --patience 3
expect_error "needs a numeric label" "$mg" train --data "$tmp/birds.csv" --label species --task regression
cut -d, -f1,2,4,5 "$tmp/birds.csv" >"$tmp/nolength.csv"
expect_error "the model needs the column 'length'" "$mg" predict --model "$tmp/birds.safetensors" \
  --data "$tmp/nolength.csv" --output "$tmp/out.csv"
[[ ! -e $tmp/out.csv && ! -e $tmp/out.csv.partial ]] && pass "no output file after an error" \
  || fail "an output file was left behind"
awk 'BEGIN { print "label,f1,f2"; for (i = 0; i < 40; i++) printf "%d,%d,%d\n", i % 2, i, 40 - i }' >"$tmp/plain.csv"
"$bin/train_csv" --data "$tmp/plain.csv" --epochs 1 --hidden 4 --save "$tmp/plain.safetensors" --quiet >/dev/null 2>&1
if [[ -e $tmp/plain.safetensors ]]; then
  expect_error "no preprocessing metadata" "$mg" predict --model "$tmp/plain.safetensors" --data "$tmp/reg.csv"
else
  fail "train_csv did not write a weights-only model for the metadata check"
fi
expect_error "No such file" "$mg" evaluate --model "$tmp/missing.safetensors" --data "$tmp/birds.csv"
expect_error "--model is required" "$mg" predict --data "$tmp/birds.csv"
expect_error "regression model" "$mg" predict --model "$tmp/reg.safetensors" --data "$tmp/reg.csv" --proba
expect_error "unknown command 'fit'" "$mg" fit
for cmd in train evaluate predict summary; do
  "$mg" $cmd --help | grep -q "minigrad $cmd" && pass "$cmd --help" || fail "$cmd --help"
done
# ---- on a numeric table with whole-number labels, minigrad train is train_csv: same split, same
# standardisation, same batches, so the same accuracy per epoch and the same test figures ----
awk 'BEGIN { srand(7); print "f1,f2,f3,f4,species";
  for (i = 0; i < 300; i++) { c = i % 3;
    printf "%.3f,%.3f,%.3f,%.3f,%d\n", c*2 + rand(), -c + rand(), rand()*3, c + rand()*0.5, c } }' >"$tmp/blobs.csv"
"$bin/train_csv" --data "$tmp/blobs.csv" --label last --epochs 4 --hidden 8 --report "$tmp/a.json" >/dev/null 2>&1
"$mg" train --data "$tmp/blobs.csv" --label last --epochs 4 --hidden 8 --report "$tmp/b.json" >/dev/null 2>&1
if /usr/bin/python3 - "$tmp/a.json" "$tmp/b.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
same = a["test_accuracy"] == b["test_accuracy"] and abs(a["test_loss"] - b["test_loss"]) < 1e-6
same = same and all(abs(x - h["accuracy"]) < 1e-12 for x, h in zip(a["epoch_accuracy"], b["history"]))
same = same and all(abs(x - h["loss"]) < 1e-6 for x, h in zip(a["epoch_loss"], b["history"]))
sys.exit(0 if same else 1)
PY
then pass "minigrad train reproduces train_csv on a numeric table"
else fail "minigrad train differs from train_csv: $(cat "$tmp/a.json" "$tmp/b.json" | tr -d '\n' | head -c 600)"; fi
# --label -1 is the last column; --threads 2 gives --threads 1's numbers exactly.
"$mg" train --data "$tmp/blobs.csv" --label -1 --epochs 4 --hidden 8 --threads 2 --report "$tmp/c.json" \
  >"$tmp/c.out" 2>&1
grep -q "label 'species'" "$tmp/c.out" && grep -q "on 2 threads" "$tmp/c.out" \
  && pass "--label -1 picks the last column; --threads 2 is honoured" \
  || fail "--label -1 / --threads 2: $(head -c 400 "$tmp/c.out")"
if /usr/bin/python3 - "$tmp/b.json" "$tmp/c.json" <<'PY'
import json, sys
b, c = (json.load(open(p)) for p in sys.argv[1:3])
sys.exit(0 if b["history"] == c["history"] and b["test_loss"] == c["test_loss"] else 1)
PY
then pass "2 threads train to the same numbers as 1"; else fail "--threads 2 changed the numbers"; fi
expect_error "--label: no column '-6'" "$mg" train --data "$tmp/blobs.csv" --label -6

# ---- predict streams: 200,000 rows take no more memory than 400 (a text copy of the table
# would add tens of MB). Peak RSS from /usr/bin/time; not under ASan, whose quarantine keeps
# freed memory on purpose. ----
awk 'BEGIN { srand(5); print "id,island,length,depth";
  for (i = 0; i < 200000; i++) printf "%d,%s,%.2f,%.2f\n", i, (i % 3 ? "Dream" : "Biscoe"),
    40 + rand() * 10, 15 + rand() * 5 }' >"$tmp/many.csv"
head -401 "$tmp/many.csv" >"$tmp/few.csv"
peak_kb() { /usr/bin/time -f %M "$mg" predict --model "$tmp/birds.safetensors" --data "$1" \
  --output "$tmp/p.csv" 2>&1 >/dev/null | tail -1; }
if sanitized "$mg"; then
  pass "predict memory check skipped under ASan"
elif [[ ! -x /usr/bin/time ]]; then
  fail "/usr/bin/time is needed for the predict memory check (apt-get install time)"
else
  few_kb=$(peak_kb "$tmp/few.csv"); many_kb=$(peak_kb "$tmp/many.csv")
  rows=$(($(wc -l <"$tmp/p.csv") - 1))
  if [[ $rows -eq 200000 && $((many_kb - few_kb)) -lt 8192 ]]; then
    pass "predict: 200000 rows in ${many_kb} kB peak, 400 rows in ${few_kb} kB"
  else
    fail "predict: $rows rows, ${many_kb} kB peak against ${few_kb} kB for 400 rows"
  fi
fi
# Streams: a pipe and standard input train as the file does, even when a column turns to text
# after many numbers (read twice through a temporary copy that is never left behind); an endless
# line stops in bounded memory.
awk 'BEGIN { srand(3); print "a,b,label";
  for (i = 0; i < 3000; i++) { a = rand(); printf "%.3f,%s,%s\n", a, (i < 2900 ? i % 9 : "q"),
    (a > 0.5 ? "big" : "small") } }' >"$tmp/late.csv"
from_file=$("$mg" train --data "$tmp/late.csv" --label label --epochs 1 2>&1 | grep "test accuracy")
before=$(ls "${TMPDIR:-/tmp}" | grep -c '^minigrad-' || true)
from_pipe=$("$mg" train --data <(cat "$tmp/late.csv") --label label --epochs 1 2>&1 | grep "test accuracy")
from_stdin=$("$mg" train --data - --label label --epochs 1 <"$tmp/late.csv" 2>&1 | grep "test accuracy")
after=$(ls "${TMPDIR:-/tmp}" | grep -c '^minigrad-' || true)
[[ -n "$from_file" && "$from_pipe" == "$from_file" && "$from_stdin" == "$from_file" ]] \
  && pass "a pipe and standard input train as the file does: $from_file" \
  || fail "file '$from_file', pipe '$from_pipe', stdin '$from_stdin'"
[[ $before -eq $after ]] && pass "no temporary copy left behind" \
  || fail "temporary copies in ${TMPDIR:-/tmp}: $before before, $after after"
limit="ulimit -v 2000000;"  # ASan reserves more address space than that up front
sanitized "$mg" && limit=""
out=$(bash -c "$limit timeout 60 '$mg' train --data /dev/zero --label 0" 2>&1); rc=$?
[[ $rc -eq 2 && "$out" == *"/dev/zero:1: a line longer than 1048576 bytes"* ]] \
  && pass "/dev/zero stops in bounded memory: $out" || fail "/dev/zero: exit $rc: $out"
printf 'id,island,length,depth\n1,"Dream\n' >"$tmp/open.csv"
expect_error "open.csv:2: a quoted cell is still open at the end of the file" \
  "$mg" predict --model "$tmp/birds.safetensors" --data "$tmp/open.csv" --output "$tmp/open_out.csv"
[[ ! -e "$tmp/open_out.csv" ]] && pass "no output file after a bad input" \
  || fail "predict left $tmp/open_out.csv behind"

# ---- decimal commas: detected, then read with --decimal , (train and predict alike) ----
awk 'BEGIN { srand(5); print "length;width;size";
  for (i = 0; i < 200; i++) { a = 1 + 9 * rand(); b = 1 + 9 * rand();
    s = sprintf("%.2f;%.2f;%s", a, b, (a + b > 11) ? "large" : "small"); gsub(/\./, ",", s); print s }}' \
  >"$tmp/eu.csv"
expect_error "column 'length' holds numbers written with a comma" \
  "$mg" train --data "$tmp/eu.csv" --delimiter ';' --label size
expect_error "--decimal ',' is also the field delimiter" "$mg" train --data "$tmp/eu.csv" --decimal , --label size
out=$("$mg" train --data "$tmp/eu.csv" --delimiter ';' --decimal , --label size --epochs 20 \
  --save "$tmp/eu.safetensors" 2>&1)
grep -q "^columns: 2 numeric, 0 categorical" <<<"$out" && pass "--decimal , reads the columns as numbers" \
  || fail "--decimal ,: $out"
acc=$(grep -oE '^test accuracy: [0-9.]+' <<<"$out" | grep -oE '[0-9.]+$')
awk -v a="$acc" 'BEGIN { exit !(a >= 0.9) }' && pass "decimal-comma table: test accuracy $acc >= 0.9" \
  || fail "decimal-comma table: test accuracy '$acc'"
[[ $("$mg" predict --model "$tmp/eu.safetensors" --data "$tmp/eu.csv" --delimiter ';' --decimal , | wc -l) -eq 201 ]] \
  && pass "predict --decimal ," || fail "predict --decimal , failed"

finish "minigrad tabular"
