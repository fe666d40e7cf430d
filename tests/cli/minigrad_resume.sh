#!/usr/bin/env bash
# Interrupts and resume of `minigrad train` (docs/reliability.md#6-an-interrupted-run-loses-nothing):
# SIGINT mid-epoch and at an epoch boundary, then --resume, ends with a model file (and curves)
# byte-identical to an uninterrupted run's, with --val-split and --patience, for a CNN and for a
# regression task; a real SIGTERM saves and exits 143; a second signal exits at once; a changed
# flag or data file, a model file, a train_csv checkpoint and the other bad --resume uses are
# clear errors, exit 2.
# Usage: minigrad_resume.sh <bin_dir>
set -u
bin=$1
source "$(dirname "$0")/common.bash"
mg="$bin/minigrad"
# interrupt_after <steps> <args...>: a run that raises SIGINT after these steps (test hook)
interrupt_after() {
  local steps=$1; shift
  MINIGRAD_TEST_SIGINT_AFTER_STEPS=$steps run "$mg" train "$@"
}

# Three species from two measurements and an island (a category), some cells missing. 200 rows:
# 160 train (120 fitted, 40 validation), 40 test; 4 batches of 32 per epoch.
awk 'BEGIN { srand(5); print "island,length,depth,species";
  for (i = 0; i < 200; i++) { c = i % 3; isl = (c == 2 || rand() < 0.3) ? "Dream" : "Biscoe";
    len = sprintf("%.2f", 40 + c * 3 + rand() * 6); dep = sprintf("%.2f", 15 + (c == 1) * 2 + rand() * 3);
    if (i % 37 == 5) len = "NA";
    printf "%s,%s,%s,%s\n", isl, len, dep, c } }' >"$tmp/birds.csv"
# BatchNorm1d and Dropout 0.3 (running statistics and masks must survive), SGD with momentum (so
# must its buffers), early stopping (so must the best weights and the epochs since them).
base=(--data "$tmp/birds.csv" --label species --hidden 8 --epochs 8 --momentum 0.9 --lr 0.3
      --val-split 0.25 --patience 2 --threads 1 --quiet)
outputs() { echo --save "$tmp/$1.safetensors" --plot "$tmp/$1.svg" --report "$tmp/$1.json"; }
same_run() {  # <a> <b>: the same model, curves and report (the time aside)
  cmp -s "$tmp/$1.safetensors" "$tmp/$2.safetensors" && cmp -s "$tmp/$1.svg" "$tmp/$2.svg" &&
    diff <(grep -v train_seconds "$tmp/$1.json") <(grep -v train_seconds "$tmp/$2.json") >/dev/null
}

run "$mg" train "${base[@]}" $(outputs full)
check "the uninterrupted run succeeds" test "$rc" -eq 0
check "it stops early at epoch 5 and keeps epoch 3's weights" \
  eval 'grep -q "\"best_epoch\": 3" "$tmp/full.json" && grep -q "\"stopped_early\": true" "$tmp/full.json" &&
        grep -q "\"epochs_run\": 5" "$tmp/full.json"'

# ---- mid-epoch, after the best epoch: SIGINT after step 14 = epoch 4, step 2 ----
interrupt_after 14 "${base[@]}" $(outputs mid)
check "SIGINT exits 130" test "$rc" -eq 130
check "SIGINT says where it stopped and where the checkpoint is" \
  has "minigrad train: interrupted by SIGINT at epoch 4, step 2 of 4; saved a resume checkpoint to $tmp/mid.resume.safetensors" "$err"
check "an interrupted run writes no model, plot or report" \
  eval '[[ ! -e $tmp/mid.safetensors && ! -e $tmp/mid.svg && ! -e $tmp/mid.json ]]'
run "$mg" train "${base[@]}" $(outputs mid) --resume "$tmp/mid.resume.safetensors"
check "the mid-epoch resume succeeds" test "$rc" -eq 0
check "mid-epoch: model, curves and report equal the uninterrupted run's" same_run full mid

# ---- at an epoch boundary, twice, into --checkpoint-dir ----
mkdir "$tmp/ckpt"
interrupt_after 8 "${base[@]}" $(outputs edge) --checkpoint-dir "$tmp/ckpt"
check "SIGINT at an epoch's last step stops after it" has "at epoch 2, step 4 of 4" "$err"
check "--checkpoint-dir receives the checkpoint" test -f "$tmp/ckpt/edge.resume.safetensors"
interrupt_after 3 "${base[@]}" $(outputs edge) --checkpoint-dir "$tmp/ckpt" \
  --resume "$tmp/ckpt/edge.resume.safetensors"
check "a resumed run can be interrupted again" has "at epoch 3, step 3 of 4" "$err"
run "$mg" train "${base[@]}" $(outputs edge) --checkpoint-dir "$tmp/ckpt" \
  --resume "$tmp/ckpt/edge.resume.safetensors"
check "epoch boundary, interrupted twice: equal to the uninterrupted run" same_run full edge

# ---- --checkpoint-every: a checkpoint after each epoch, resumable ----
run "$mg" train "${base[@]}" $(outputs every) --checkpoint-every 2
check "--checkpoint-every 2 writes a resume checkpoint" test -f "$tmp/every.resume.safetensors"
rm "$tmp/every.safetensors"
run "$mg" train "${base[@]}" $(outputs every) --resume "$tmp/every.resume.safetensors"
check "resuming the last periodic checkpoint ends equal" same_run full every

# ---- regression: Adam, Huber loss, Dropout ----
awk 'BEGIN { srand(3); print "x1,x2,kind,y";
  for (i = 0; i < 120; i++) { a = rand() * 4; b = rand() * 2; k = (i % 4 == 0) ? "big" : "small";
    printf "%.3f,%.3f,%s,%.3f\n", a, b, k, 3 * a - 2 * b + (k == "big") * 5 + rand() } }' >"$tmp/reg.csv"
reg=(--data "$tmp/reg.csv" --label y --task regression --loss huber --optimizer adam --lr 0.01
     --hidden 8 --batch-size 16 --epochs 3 --threads 1 --quiet)
run "$mg" train "${reg[@]}" $(outputs reg_full)
check "the uninterrupted regression run succeeds" test "$rc" -eq 0
interrupt_after 8 "${reg[@]}" $(outputs reg)
check "regression: SIGINT mid-epoch exits 130" \
  eval '[[ $rc -eq 130 ]] && has "at epoch 2, step 2 of 6" "$err"'
run "$mg" train "${reg[@]}" $(outputs reg) --resume "$tmp/reg.resume.safetensors"
check "regression: resumed run equals the uninterrupted one" same_run reg_full reg

# ---- a CNN: BatchNorm2d statistics, Dropout masks and momentum survive ----
# 8x8 grey images: class 0 bright on the left half, class 1 on the right. 80 rows to train.
awk 'BEGIN { srand(11); printf "label"; for (j = 1; j <= 64; j++) printf ",p%d", j; print "";
  for (i = 0; i < 100; i++) { c = i % 2; printf "%d", c;
    for (j = 0; j < 64; j++) { left = (j % 8) < 4; v = (left == (c == 0)) ? 0.6 + rand() * 0.4 : rand() * 0.5;
      printf ",%.3f", v } print "" } }' >"$tmp/images.csv"
cnn=(--data "$tmp/images.csv" --label label --model cnn --image 1x8x8 --scale 1 --epochs 2
     --batch-size 16 --lr 0.05 --momentum 0.9 --threads 1 --quiet)
run "$mg" train "${cnn[@]}" --save "$tmp/cnn_full.safetensors"
interrupt_after 7 "${cnn[@]}" --save "$tmp/cnn.safetensors"
check "CNN: SIGINT at epoch 2, step 2 exits 130" \
  eval '[[ $rc -eq 130 ]] && has "at epoch 2, step 2 of 5" "$err"'
run "$mg" train "${cnn[@]}" --save "$tmp/cnn.safetensors" --resume "$tmp/cnn.resume.safetensors"
check "CNN: resumed model is byte-identical to the uninterrupted one" \
  cmp -s "$tmp/cnn_full.safetensors" "$tmp/cnn.safetensors"

# ---- a second signal exits at once: no checkpoint, no temporary file ----
interrupt_after 3,3 "${base[@]}" --save "$tmp/twice.safetensors"
check "a second SIGINT ends the process (status 130)" test "$rc" -eq 130
check "a second SIGINT writes no checkpoint and says nothing of one" \
  eval '[[ ! -e $tmp/twice.resume.safetensors ]] && ! has "saved" "$err"'
check "a second SIGINT leaves no temporary file" \
  test -z "$(find "$tmp" -name '.*.tmp.*' -print -quit)"

# ---- a real SIGTERM from outside, during a longer run (stdout line-buffered to see epoch 1) ----
stdbuf -oL "$mg" train --data "$tmp/birds.csv" --label species --hidden 8 --epochs 100000 \
  --batch-size 8 --save "$tmp/term.safetensors" >"$tmp/term.out" 2>"$tmp/term.err" &
pid=$!
for _ in $(seq 200); do grep -q "^epoch   1/" "$tmp/term.out" 2>/dev/null && break; sleep 0.05; done
kill -TERM "$pid"
wait "$pid"; rc=$?; err=$(<"$tmp/term.err")
check "SIGTERM exits 143, saying so, and leaves a resume checkpoint" \
  eval '[[ $rc -eq 143 ]] && has "interrupted by SIGTERM at epoch" "$err" && [[ -f $tmp/term.resume.safetensors ]]'

# ---- no --save and no --checkpoint-dir: the run says how to keep a checkpoint ----
interrupt_after 2 "${base[@]}"
check "without --save, SIGINT exits 130 and says how to get a checkpoint" \
  eval '[[ $rc -eq 130 ]] && has "no resume checkpoint written (HINT: give --save FILE or --checkpoint-dir DIR" "$err"'

# ---- every bad --resume is a clear error, exit 2 ----
expect() {  # <description> <text in stderr> <train args...>
  local what=$1 text=$2; shift 2
  run "$mg" train "$@"
  check "$what: exit 2, naming it" eval '[[ $rc -eq 2 ]] && has "$text" "$err"'
}
ckpt="$tmp/mid.resume.safetensors"
interrupt_after 6 "${base[@]}" --save "$tmp/mid.safetensors"
expect "another --lr" "the interrupted run had --lr 0.3, this one has --lr 0.2" \
  "${base[@]}" --lr 0.2 --resume "$ckpt"
expect "another --val-split" "had --val-split 0.25, this one has --val-split 0.2" \
  "${base[@]}" --val-split 0.2 --resume "$ckpt"
run "$mg" train "${base[@]}" --lr 0.30 --save "$tmp/same.safetensors" --resume "$ckpt"
check "--lr 0.30 is --lr 0.3: the resume goes on" cmp -s "$tmp/full.safetensors" "$tmp/same.safetensors"
sed 's/^Dream,4/Dream,5/' "$tmp/birds.csv" >"$tmp/changed.csv"
cp "$tmp/birds.csv" "$tmp/orig.csv"; cp "$tmp/changed.csv" "$tmp/birds.csv"
expect "a changed data file" "the training data differs from the interrupted run's (--data $tmp/birds.csv" \
  "${base[@]}" --resume "$ckpt"
cp "$tmp/orig.csv" "$tmp/birds.csv"
expect "a model file" "the file is a model, not a resume checkpoint (HINT: start from it with --load" \
  "${base[@]}" --resume "$tmp/full.safetensors"
expect "fewer --epochs than done" "finished 2 epochs, more than --epochs 1" \
  "${base[@]}" --epochs 1 --resume "$tmp/ckpt/edge.resume.safetensors"
expect "--resume with --load" "--resume and --load exclude each other" \
  "${base[@]}" --load "$tmp/full.safetensors" --resume "$ckpt"
expect "--checkpoint-every with nowhere to write" "give --save FILE or --checkpoint-dir DIR" \
  "${base[@]}" --checkpoint-every 1
expect "a missing --checkpoint-dir" "--checkpoint-dir $tmp/nowhere: not a directory" \
  "${base[@]}" --checkpoint-dir "$tmp/nowhere"
printf 'not a checkpoint' >"$tmp/junk.safetensors"
expect "a damaged --resume file" "junk.safetensors" "${base[@]}" --resume "$tmp/junk.safetensors"
check "a damaged --resume file is never an internal error" eval '! has "internal error" "$err"'
awk 'BEGIN { print "f1,f2,label"; for (i = 0; i < 64; i++) printf "%d,%d,%d\n", i % 5, i % 7, i % 2 }' \
  >"$tmp/small.csv"
MINIGRAD_TEST_SIGINT_AFTER_STEPS=1 run "$bin/train_csv" --data "$tmp/small.csv" --hidden 4 \
  --epochs 2 --save "$tmp/csv.safetensors"
expect "a train_csv checkpoint" "was written by train_csv or train_fmnist, not by minigrad train" \
  "${base[@]}" --resume "$tmp/csv.resume.safetensors"
run "$mg" train "${base[@]}" --load "$ckpt" --eval-only
check "--load of a resume checkpoint: exit 2, suggesting --resume" \
  eval '[[ $rc -eq 2 ]] && has "is a resume checkpoint" "$err" && has "--resume" "$err"'
run "$mg" evaluate --model "$ckpt" --data "$tmp/birds.csv"
check "evaluate of a resume checkpoint: exit 2" \
  eval '[[ $rc -eq 2 ]] && has "is a resume checkpoint" "$err"'

run "$mg" predict --model "$ckpt" --data "$tmp/birds.csv" --output "$tmp/pred.csv"
check "predict with a resume checkpoint: exit 2, no output file" \
  eval '[[ $rc -eq 2 ]] && has "is a resume checkpoint" "$err" && [[ ! -e $tmp/pred.csv ]]'

finish "minigrad resume"
