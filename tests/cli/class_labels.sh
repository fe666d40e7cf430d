#!/usr/bin/env bash
# Classes are the distinct labels, numbered in ascending order: a table labelled 3, 7 and 12 makes
# a model of 3 outputs, and everything shown (confusion matrix, JSON report, a reloaded model, a
# resumed run) speaks of 3, 7 and 12. A test label the model does not know, a class whose rows all
# fell into the test part, and --max-classes are each reported by name. Usage: class_labels.sh DIR
set -u
bin=$1
source "$(dirname "$0")/common.bash"
csv="$bin/train_csv"

# Three well-separated blobs labelled 3, 7 and 12 (label last), 30 training and 12 test rows.
blobs() {  # blobs <seed> <rows>
  awk -v seed="$1" -v n="$2" 'BEGIN { srand(seed); split("3 7 12", lab, " "); print "x,y,kind";
    for (i = 0; i < n; i++) { c = i % 3;
      printf "%.3f,%.3f,%d\n", c * 4 + rand(), -c * 4 + rand(), lab[c + 1] } }'
}
blobs 1 30 >"$tmp/train.csv"
blobs 2 12 >"$tmp/test.csv"
opts=(--label last --hidden 8 --epochs 5 --batch-size 5 --lr 0.5 --no-batchnorm --dropout 0)

run "$csv" --train "$tmp/train.csv" --test "$tmp/test.csv" "${opts[@]}" --summary \
  --save "$tmp/m.safetensors" --report "$tmp/r.json"
check "labels 3, 7, 12 train (exit 0)" test "$rc" -eq 0
check "the data line counts 3 classes and names their labels" \
  has "3 classes (labels 3, 7, 12)" "$out"
check "--summary shows a model of 3 outputs, not 13" grep -qE '^MLP +\[30, 3\]' <<<"$out"
check "its last Linear has 3 outputs" grep -qE 'Linear: 2-3 +\[30, 3\] +27$' <<<"$out"
check "the confusion matrix's columns are the labels" \
  grep -qE '^ +3 +7 +12 +recall$' <<<"$out"
check "its rows are the labels" grep -qE '^12 +[0-9]+ +[0-9]+ +[0-9]+ +[0-9.]+$' <<<"$out"
check "its legend speaks of labels" has "(columns are predicted classes by label: 3=3, 7=7, 12=12)" "$out"
check "the blobs are learnt" has "test accuracy: 1.0000 (12/12)" "$out"
check "the JSON report has the class labels" \
  grep -qzE '"classes": 3,\s*"class_labels": \[\s*3,\s*7,\s*12\s*\]' "$tmp/r.json"

# The model keeps its labels: evaluated again, it reports the same classes.
run "$csv" --load "$tmp/m.safetensors" --eval-only --test "$tmp/test.csv" --label last
check "--load --eval-only reads the labels back" has "3 classes (labels 3, 7, 12)" "$out"
check "and shows them" has "(columns are predicted classes by label: 3=3, 7=7, 12=12)" "$out"
check "with the same accuracy" has "test accuracy: 1.0000 (12/12)" "$out"

# So does a resume checkpoint: an interrupted run continues with the same labels.
train=(--train "$tmp/train.csv" --test "$tmp/test.csv" "${opts[@]}" --save "$tmp/i.safetensors")
MINIGRAD_TEST_SIGINT_AFTER_STEPS=4 "$csv" "${train[@]}" >/dev/null 2>&1
run "$csv" "${train[@]}" --resume "$tmp/i.resume.safetensors"
check "--resume reads the labels back" \
  has "(columns are predicted classes by label: 3=3, 7=7, 12=12)" "$out"

# A test label the model does not know is named with its file and line.
{ cat "$tmp/test.csv"; echo "0.5,0.5,5"; } >"$tmp/test5.csv"
run "$csv" --load "$tmp/m.safetensors" --eval-only --test "$tmp/test5.csv" --label last
check "an unknown test label exits 2" test "$rc" -eq 2
check "and is named with its line and the known labels" \
  has "test5.csv:14: column 3 ('kind'): label 5 is not one of the classes of the model in $tmp/m.safetensors (the labels are 3, 7, 12)" "$err"
run "$csv" --train "$tmp/train.csv" --test "$tmp/test5.csv" "${opts[@]}" --quiet
check "the same against --train's classes" \
  has "test5.csv:14: column 3 ('kind'): label 5 is not one of the classes of the training data in $tmp/train.csv" "$err"

# --data: the classes are the whole file's; one whose rows all fall into the test part is said.
{ cat "$tmp/train.csv"; echo "9,9,-1"; } >"$tmp/one.csv"
run "$csv" --data "$tmp/one.csv" "${opts[@]}" --split 0.5 --split-seed 3
if has "labels -1, 3, 7, 12" "$out" && test "$rc" -eq 0; then pass "--data with a negative label"
else fail "--data with a negative label (exit $rc; ${out:0:300}; ${err:0:300})"; fi
check "no warning when every class has training rows" test "$(grep -c warning <<<"$out")" -eq 0
run "$csv" --data "$tmp/one.csv" "${opts[@]}" --split 0.5 --split-seed 1 --quiet  # -1 into test
check "a class with no training rows is warned about, even with --quiet" \
  has "warning: $tmp/one.csv: label -1 has no rows in the training part" "$out"

# --max-classes bounds the distinct labels, naming the row of the first one too many.
run "$csv" --train "$tmp/train.csv" --test "$tmp/test.csv" "${opts[@]}" --max-classes 2
check "--max-classes 2 with 3 labels exits 2" test "$rc" -eq 2
check "naming the file, line, column and label" \
  has "train.csv:4: column 3 ('kind'): label 12 would be class number 3, over the limit of 2 classes" "$err"
check "and the flag" has "(--max-classes sets that limit)" "$err"

finish "class label"
