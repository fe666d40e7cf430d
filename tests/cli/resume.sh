#!/usr/bin/env bash
# Interrupts and resume (docs/reliability.md#6-an-interrupted-run-loses-nothing), end to end:
# SIGINT mid-epoch and at an epoch boundary, then --resume, ends with a model byte-identical to an
# uninterrupted run's, for the MLP and for a CNN; a second signal exits at once and writes
# nothing; a real SIGTERM from outside saves and exits 143; every bad --resume is a clear error,
# exit 2.
# Usage: resume.sh <bin_dir>
set -u
bin=$1
source "$(dirname "$0")/common.bash"
csv="$bin/train_csv"
# interrupt_after <steps> <args...>: a run that raises SIGINT after these steps (test hook)
interrupt_after() {
  local steps=$1; shift
  MINIGRAD_TEST_SIGINT_AFTER_STEPS=$steps run "$csv" "$@"
}

awk 'BEGIN { srand(7); print "f1,f2,f3,f4,species";
  for (i = 0; i < 300; i++) { c = i % 3;
    printf "%.3f,%.3f,%.3f,%.3f,%d\n", c*2 + rand(), -c + rand(), rand()*3, c + rand()*0.5, c } }' \
  >"$tmp/blobs.csv"
# 240 training rows in 8 batches of 32; BatchNorm1d and Dropout 0.3 (running statistics and masks
# must both survive the interruption), SGD with momentum (so must its buffers).
base=(--data "$tmp/blobs.csv" --label last --hidden 8 --epochs 3 --momentum 0.9 --quiet)

run "$csv" "${base[@]}" --save "$tmp/full.safetensors"
check "the uninterrupted run succeeds" test "$rc" -eq 0

# ---- mid-epoch: SIGINT after step 11 = epoch 2, step 3 ----
interrupt_after 11 "${base[@]}" --save "$tmp/mid.safetensors"
check "SIGINT exits 130" test "$rc" -eq 130
check "SIGINT says where it stopped" has "interrupted by SIGINT at epoch 2, step 3 of 8" "$err"
check "SIGINT says where the checkpoint is" \
  has "saved a resume checkpoint to $tmp/mid.resume.safetensors" "$err"
check "an interrupted run saves no final model" test ! -e "$tmp/mid.safetensors"
run "$csv" "${base[@]}" --save "$tmp/mid.safetensors" --resume "$tmp/mid.resume.safetensors"
check "the mid-epoch resume succeeds" test "$rc" -eq 0
check "mid-epoch: resumed model is byte-identical to the uninterrupted one" \
  cmp -s "$tmp/full.safetensors" "$tmp/mid.safetensors"

# ---- at an epoch boundary: SIGINT after step 16, the last of epoch 2 ----
interrupt_after 16 "${base[@]}" --save "$tmp/edge.safetensors"
check "SIGINT at the last step of an epoch stops after it" \
  has "interrupted by SIGINT at epoch 2, step 8 of 8" "$err"
run "$csv" "${base[@]}" --save "$tmp/edge.safetensors" --resume "$tmp/edge.resume.safetensors"
check "epoch boundary: resumed model is byte-identical" \
  cmp -s "$tmp/full.safetensors" "$tmp/edge.safetensors"

# ---- Adam, interrupted twice, into --checkpoint-dir ----
adam=("${base[@]}" --optimizer adam --lr 0.01 --save "$tmp/adam.safetensors")
mkdir "$tmp/ckpt"
run "$csv" "${base[@]}" --optimizer adam --lr 0.01 --save "$tmp/adam_full.safetensors"
interrupt_after 5 "${adam[@]}" --checkpoint-dir "$tmp/ckpt"
check "--checkpoint-dir receives the checkpoint" test -f "$tmp/ckpt/adam.resume.safetensors"
interrupt_after 7 "${adam[@]}" --checkpoint-dir "$tmp/ckpt" \
  --resume "$tmp/ckpt/adam.resume.safetensors"
check "a resumed run can be interrupted again" has "at epoch 2, step 4 of 8" "$err"
run "$csv" "${adam[@]}" --checkpoint-dir "$tmp/ckpt" --resume "$tmp/ckpt/adam.resume.safetensors"
check "Adam, interrupted twice: byte-identical" \
  cmp -s "$tmp/adam_full.safetensors" "$tmp/adam.safetensors"

# ---- --checkpoint-every: a checkpoint after each epoch, resumable ----
run "$csv" "${base[@]}" --save "$tmp/every.safetensors" --checkpoint-every 1
check "--checkpoint-every 1 writes a resume checkpoint" test -f "$tmp/every.resume.safetensors"
rm "$tmp/every.safetensors"
run "$csv" "${base[@]}" --save "$tmp/every.safetensors" --resume "$tmp/every.resume.safetensors"
check "resuming the last periodic checkpoint ends byte-identical" \
  cmp -s "$tmp/full.safetensors" "$tmp/every.safetensors"

# ---- a second signal exits at once: no checkpoint, no temporary file ----
interrupt_after 3,3 "${base[@]}" --save "$tmp/twice.safetensors"
check "a second SIGINT ends the process (status 130)" test "$rc" -eq 130
check "a second SIGINT writes no checkpoint" test ! -e "$tmp/twice.resume.safetensors"
check "a second SIGINT says nothing about a checkpoint" eval '! has "saved" "$err"'
check "a second SIGINT leaves no temporary file" \
  test -z "$(find "$tmp" -name '.*.tmp.*' -print -quit)"

# ---- no --save and no --checkpoint-dir: the run says how to keep a checkpoint ----
interrupt_after 2 "${base[@]}"
check "without --save, SIGINT still exits 130" test "$rc" -eq 130
check "without --save, the message says how to get a checkpoint" \
  has "no resume checkpoint written (HINT: give --save FILE or --checkpoint-dir DIR" "$err"

# ---- a real SIGTERM from outside, during a longer run ----
"$csv" --data "$tmp/blobs.csv" --label last --hidden 8 --epochs 100000 --batch-size 8 \
  --save "$tmp/term.safetensors" >"$tmp/term.out" 2>"$tmp/term.err" &
pid=$!
for _ in $(seq 200); do grep -q "^Epoch 1/" "$tmp/term.out" 2>/dev/null && break; sleep 0.05; done
kill -TERM "$pid"
wait "$pid"; rc=$?; err=$(<"$tmp/term.err")
check "SIGTERM exits 143" test "$rc" -eq 143
check "SIGTERM saves a resume checkpoint" has "interrupted by SIGTERM at epoch" "$err"
check "the SIGTERM checkpoint exists" test -f "$tmp/term.resume.safetensors"

# ---- a CNN: BatchNorm2d statistics, Dropout masks and momentum survive, bit for bit ----
# 8x8 grey images, label first: class 0 is bright on the left half, class 1 on the right. 128
# training rows in 8 batches of 16.
awk 'BEGIN { srand(11); printf "label"; for (j = 1; j <= 64; j++) printf ",p%d", j; print "";
  for (i = 0; i < 160; i++) { c = i % 2; printf "%d", c;
    for (j = 0; j < 64; j++) { left = (j % 8) < 4; v = (left == (c == 0)) ? 0.6 + rand() * 0.4 : rand() * 0.5;
      printf ",%.3f", v } print "" } }' >"$tmp/images.csv"
cnn=(--data "$tmp/images.csv" --model cnn --image 1x8x8 --scale 1 --epochs 3 --batch-size 16
     --lr 0.05 --momentum 0.9 --threads 1 --quiet)
run "$csv" "${cnn[@]}" --save "$tmp/cnn_full.safetensors"
check "the uninterrupted CNN run succeeds" test "$rc" -eq 0
interrupt_after 11 "${cnn[@]}" --save "$tmp/cnn.safetensors"
check "CNN: SIGINT at epoch 2, step 3 exits 130" \
  eval '[[ $rc -eq 130 ]] && has "at epoch 2, step 3 of 8" "$err"'
run "$csv" "${cnn[@]}" --save "$tmp/cnn.safetensors" --resume "$tmp/cnn.resume.safetensors"
check "the CNN resume succeeds" test "$rc" -eq 0
check "CNN: resumed model is byte-identical to the uninterrupted one" \
  cmp -s "$tmp/cnn_full.safetensors" "$tmp/cnn.safetensors"
run "$csv" "${cnn[@]}" --image 4x4x4 --resume "$tmp/cnn.resume.safetensors"
check "CNN: another --image is named" has "had --image 1x8x8, this one has --image 4x4x4" "$err"
run "$csv" "${cnn[@]}" --model mlp --resume "$tmp/cnn.resume.safetensors"
check "CNN checkpoint, --model mlp: exit 2 naming --model" \
  eval '[[ $rc -eq 2 ]] && has "had --model cnn, this one has --model mlp" "$err"'

# ---- every bad --resume is a clear error, exit 2 ----
run "$csv" "${base[@]}" --resume "$tmp/missing.safetensors"
check "a missing --resume file: exit 2" test "$rc" -eq 2
check "a missing --resume file is named" has "missing.safetensors" "$err"
run "$csv" "${base[@]}" --resume "$tmp/full.safetensors"
check "a model file is not a resume checkpoint: exit 2" test "$rc" -eq 2
check "a model file: the message says so and suggests --load" \
  has "the file is a model, not a resume checkpoint (HINT: start from it with --load" "$err"
run "$csv" "${base[@]}" --lr 0.05 --resume "$tmp/mid.resume.safetensors"
check "another --lr: exit 2" test "$rc" -eq 2
check "another --lr: both values named" \
  has "the interrupted run had --lr 0.1, this one has --lr 0.05" "$err"
run "$csv" "${base[@]}" --hidden 16 --resume "$tmp/mid.resume.safetensors"
check "another model shape: exit 2, naming --hidden" has "had --hidden 8, this one has --hidden 16" "$err"
run "$csv" "${base[@]}" --epochs 1 --resume "$tmp/edge.resume.safetensors"
check "fewer --epochs than done: exit 2" test "$rc" -eq 2
check "fewer --epochs than done: says how many" has "finished 2 epochs, more than --epochs 1" "$err"
run "$csv" "${base[@]}" --load "$tmp/mid.resume.safetensors" --eval-only
check "--load of a resume checkpoint: exit 2, suggesting --resume" \
  eval '[[ $rc -eq 2 ]] && has "the file is a resume checkpoint, which holds an optimizer" "$err" && has "--resume" "$err"'
run "$csv" "${base[@]}" --load "$tmp/full.safetensors" --resume "$tmp/mid.resume.safetensors"
check "--resume with --load: exit 2" test "$rc" -eq 2
run "$csv" "${base[@]}" --checkpoint-every 1
check "--checkpoint-every without a place to write: exit 2" test "$rc" -eq 2
check "--checkpoint-every without a place: names the flags" has "give --save FILE or --checkpoint-dir DIR" "$err"
run "$csv" "${base[@]}" --checkpoint-dir "$tmp/nowhere"
check "a missing --checkpoint-dir: exit 2" test "$rc" -eq 2
printf 'not a checkpoint' >"$tmp/junk.safetensors"
run "$csv" "${base[@]}" --resume "$tmp/junk.safetensors"
check "a damaged --resume file: exit 2" test "$rc" -eq 2
check "a damaged --resume file is never an internal error" eval '! has "internal error" "$err"'

finish "resume"
