# Shared by mpi.sh and mpi_tabular.sh (sourced after common.bash, with $bin set; not a test
# itself): how to start a 2-rank job here, and the checks both make of a job that is interrupted
# or fails.

# mpirun for these tests: more ranks than cores are fine, and root needs its flag.
mpirun=(mpirun --oversubscribe)
[[ $(id -u) -eq 0 ]] && mpirun+=(--allow-run-as-root)
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
# In the sanitizer build, leak checking is off for these runs (addresses and undefined behaviour are
# still checked): Open MPI unloads its plugins before exit, so what they hold until then shows as
# leaks from an unknown module, which no suppression can name. The other tests check minigrad's
# own code for leaks.
if sanitized "$bin/train_csv"; then
  export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi

# sigint_on_rank1 <steps>: sets rank1_sigint, a prefix for the program mpirun starts under which
# rank 1 alone raises SIGINT after its step <steps> (the other ranks learn of it in the next
# all-reduce): "${mpirun[@]}" -np 2 "${rank1_sigint[@]}" <program> <args...>
sigint_on_rank1() {
  rank1_sigint=(bash -c "[[ \$OMPI_COMM_WORLD_RANK == 1 ]] && export MINIGRAD_TEST_SIGINT_AFTER_STEPS=$1
    exec \"\$0\" \"\$@\"")
}

# expect_interrupted <exit code> <output file> <line>: the job exited 130 and printed <line> once
# (rank 0 alone), wrote the resume checkpoint cut.resume.safetensors and no model cut.safetensors.
expect_interrupted() {
  local rc=$1 out=$2 line=$3
  if [[ $rc -eq 130 && $(grep -c "$line" "$out") -eq 1 && -f cut.resume.safetensors &&
    ! -e cut.safetensors ]]; then
    pass "SIGINT on one rank: every rank stops after the same step, one checkpoint, exit 130"
  else
    fail "SIGINT on one rank: exit $rc: $(cat "$out")"
  fi
}

# expect_refused_in_one_process <command...>: the command (one process resuming a checkpoint of 2)
# exits 2 naming both counts.
expect_refused_in_one_process() {
  "$@" >one.out 2>&1
  local rc=$?
  [[ $rc -eq 2 ]] && grep -q "the interrupted run had 2 processes, this one has 1" one.out &&
    pass "a checkpoint of 2 processes is refused in 1: $(grep -o 'the interrupted.*' one.out | head -c 120)" ||
    fail "resume with another count of processes: exit $rc: $(cat one.out)"
}

# expect_job_failure <what> <output pattern> <command...>: exit non-zero (not timeout's 124: a
# hang), no model fault.safetensors written, and the pattern in the output.
expect_job_failure() {
  local what=$1 pattern=$2; shift 2
  rm -f fault.safetensors
  timeout 60 "$@" >fault.out 2>&1
  local rc=$?
  if [[ $rc -eq 0 || $rc -eq 124 ]]; then fail "$what: exit $rc (124: a hang)"; return; fi
  if [[ -e fault.safetensors ]]; then fail "$what: a model was written"; return; fi
  if ! grep -qF -- "$pattern" fault.out; then fail "$what: output lacks '$pattern': $(cat fault.out)"; return; fi
  pass "$what -> exit $rc: $(grep -F -- "$pattern" fault.out | head -n 1 | head -c 150)"
}
