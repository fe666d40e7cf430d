#!/usr/bin/env bash
# Data-parallel training under mpirun (run by ctest only in a build with MPI): 2 ranks with
# synchronised BatchNorm take the same steps as 1 process on the whole batch, each rank holding
# half of the rows, rank 0 alone writes the model and the report; with per-rank BatchNorm
# statistics every rank still ends with the same model; an interrupted job writes one checkpoint
# and resumes byte-identical; a failing or dying rank (bad input in its part of the file) ends the
# job non-zero, with no model written and no hang.
# Usage: mpi.sh <bin_dir>
set -u
bin=$(cd "$1" && pwd)  # absolute: the runs below happen in $tmp
source "$(dirname "$0")/common.bash"
source "$(dirname "$0")/mpi_common.bash"
cd "$tmp" || exit 1

# Three well-separated classes in 4 features, label last (deterministic: awk's srand(7)).
awk 'BEGIN { srand(7); print "f1,f2,f3,f4,species";
  for (i = 0; i < 300; i++) { c = i % 3;
    printf "%.3f,%.3f,%.3f,%.3f,%d\n", c*2 + rand(), -c + rand(), rand()*3, c + rand()*0.5, c } }' \
  >blobs.csv
# The same table with a bad cell on line 250 (in rank 1's part) or on line 20 (in rank 0's).
awk 'NR == 250 { sub(/^[^,]*,[^,]*,/, "1.0,x,") } { print }' blobs.csv >bad_late.csv
awk 'NR == 20 { sub(/^[^,]*,[^,]*,/, "1.0,x,") } { print }' blobs.csv >bad_early.csv


# ---- 2 ranks = 1 process: 2 epochs of 8 steps, batch 33 (17 + 16 rows: the remainder rule),
# BatchNorm synchronised, no Dropout (its masks differ by rank on purpose) ----
args=(--data blobs.csv --label last --hidden 16,8 --dropout 0 --epochs 2 --batch-size 33
      --momentum 0.9 --threads 1 --quiet)
"$bin/train_csv" "${args[@]}" --save one.safetensors --report one.json >one.out 2>&1 ||
  fail "1 process: $(cat one.out)"
timeout 60 "${mpirun[@]}" -np 2 "$bin/train_csv" "${args[@]}" --save two.safetensors \
  --report two.json >two.out 2>&1 || fail "2 ranks: $(cat two.out)"
# Tolerance: float rounding of sums taken in another order (seen: 2.4e-7); with each rank's
# BatchNorm statistics over its own half alone, the weights were off by 0.3.
if out=$(safetensors_difference one.safetensors two.safetensors 1e-5); then
  pass "2 ranks end with the weights of 1 process: $out"
else
  fail "2 ranks and 1 process differ: $out"
fi
[[ $(grep -c "test accuracy" two.out) -eq 1 ]] && pass "rank 0 alone prints" ||
  fail "expected one accuracy line: $(cat two.out)"
grep -q '"processes": 2' two.json && grep -q '"processes": 1' one.json &&
  pass "the report says how many processes ran" || fail "no \"processes\" in the reports"
# Each rank parsed and held its part of the file: about half of the 300 rows, together all of them.
held=$(/usr/bin/python3 -c 'import json,sys; print(*json.load(open(sys.argv[1]))["rows_held_per_process"])' two.json)
read -r held0 held1 <<<"$held"
if [[ -n "$held1" ]] && ((held0 + held1 == 300 && held0 >= 140 && held1 >= 140)); then
  pass "each rank holds its half of the table: $held0 and $held1 of 300 rows"
else
  fail "rows held per rank: '$held' (expected about 150 each)"
fi
acc=$(grep test_accuracy one.json)
[[ -n "$acc" && "$acc" == "$(grep test_accuracy two.json)" ]] &&
  pass "same test accuracy (evaluation split across the ranks)" || fail "accuracies differ"

# ---- --bn-stats local, Dropout and --resume: 2 epochs with Dropout (each rank its masks) and
# each rank's own BatchNorm statistics, with --train and --test, each file read in parts (the test
# file's one row leaves rank 1 an empty part). The same run interrupted by a SIGINT on rank 1
# alone (the ranks must agree to stop after the same step) and resumed ends byte-identical. ----
head -n 2 blobs.csv >one_row.csv
local_run=(--train blobs.csv --test one_row.csv --label last --hidden 16 --bn-stats local
           --epochs 2 --batch-size 32 --threads 1)
timeout 60 "${mpirun[@]}" -np 2 "$bin/train_csv" "${local_run[@]}" --save whole.safetensors \
  --report whole.json >whole.out 2>&1 || fail "--bn-stats local: $(cat whole.out)"
grep -q "checked: every process ends with the same weights and buffers" whole.out &&
  grep -q '"bn_stats": "local"' whole.json &&
  pass "--bn-stats local: every rank ends with the same weights and running statistics" ||
  fail "--bn-stats local: no agreement checked: $(cat whole.out)"
# Rank 1 alone raises SIGINT after its step 12 (epoch 2, step 2 of 10); both ranks learn of it
# in the next step's all-reduce and stop after it. --checkpoint-every 1 wrote one after epoch 1.
sigint_on_rank1 12
timeout 60 "${mpirun[@]}" -np 2 "${rank1_sigint[@]}" "$bin/train_csv" "${local_run[@]}" \
  --checkpoint-every 1 --save cut.safetensors >cut.out 2>&1
expect_interrupted $? cut.out "interrupted by SIGINT at epoch 2, step 3 of 10"
timeout 60 "${mpirun[@]}" -np 2 "$bin/train_csv" "${local_run[@]}" --save cut.safetensors \
  --resume cut.resume.safetensors >resumed.out 2>&1 || fail "--resume with 2 ranks: $(cat resumed.out)"
cmp -s whole.safetensors cut.safetensors &&
  pass "2 ranks interrupted and resumed: the model is byte-identical to the uninterrupted run's" ||
  fail "2 ranks interrupted and resumed: the model differs"
# In one process (no mpirun) the same checkpoint is refused, naming both counts.
expect_refused_in_one_process "$bin/train_csv" "${local_run[@]}" --resume cut.resume.safetensors

# ---- SIGTERM to mpirun, which sends it on to every rank: one checkpoint, every rank exits, no
# hang. (mpirun waits 1 s before it passes the signal on and 1 s more before it kills: 2 s.) ----
timeout 60 "${mpirun[@]}" -np 2 "$bin/train_csv" --data blobs.csv --label last --hidden 8 \
  --epochs 1000000 --batch-size 32 --threads 1 --quiet --checkpoint-every 1 \
  --save long.safetensors >long.out 2>&1 &
job=$!
for _ in $(seq 300); do [[ -f long.resume.safetensors ]] && break; sleep 0.1; done
kill -TERM $(ps -o pid= --ppid "$job")  # mpirun itself: timeout would signal its whole group
wait "$job"
rc=$?
if [[ $rc -ne 124 && $(grep -c "interrupted by SIGTERM at epoch" long.out) -eq 1 &&
  ! -e long.safetensors ]] && grep -q "saved a resume checkpoint to long.resume" long.out; then
  pass "SIGTERM to mpirun: one checkpoint, no hang (mpirun exit $rc)"
else
  fail "SIGTERM to mpirun: exit $rc: $(cat long.out)"
fi

# ---- faults: exit non-zero, the rank named, no model file, no hang ----
small=(--label last --hidden 8 --epochs 1 --batch-size 32 --threads 1 --save fault.safetensors)
# The bad line is in one rank's part only: that rank names it, the other is waiting to meet it.
expect_job_failure "bad input in rank 1's part" "rank 1 of 2: error: bad_late.csv:250: column 2" \
  "${mpirun[@]}" -np 2 "$bin/train_csv" --data bad_late.csv "${small[@]}"
expect_job_failure "bad input in rank 0's part" "rank 0 of 2: error: bad_early.csv:20: column 2" \
  "${mpirun[@]}" -np 2 "$bin/train_csv" --data bad_early.csv "${small[@]}"
# mpirun's words depend on when it notices (before or after the rank joined): "process" is in both.
expect_job_failure "rank 1 killed" "process" \
  "${mpirun[@]}" -np 2 bash -c '[[ $OMPI_COMM_WORLD_RANK == 1 ]] && kill -9 $$
    exec "$0" --data blobs.csv "$@"' "$bin/train_csv" "${small[@]}"
expect_job_failure "a batch smaller than the ranks" "fewer than the 2 processes" \
  "${mpirun[@]}" -np 2 "$bin/train_csv" --data blobs.csv --label last --batch-size 1 \
  --no-batchnorm --epochs 1 --save fault.safetensors

finish "mpi"
