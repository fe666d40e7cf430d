#!/usr/bin/env bash
# An exercise as handed to the learner must fail its checks, and fail them cleanly: doctest's exit
# status 1 with a failed assertion reported, not a crash. (After solving an exercise in place,
# this check fails in its turn: `git checkout docs/exercises/` restores the exercises.)
# Usage: expect_failure.sh <exercise binary>
set -u
out=$("$1" 2>&1)
status=$?
if [[ $status -eq 1 && $out == *"Status: FAILURE!"* ]]; then
  echo "ok: $(basename "$1") fails its checks until it is solved"
  exit 0
fi
echo "FAIL: $(basename "$1") should fail its checks (exit 1) but exited with $status:"
echo "$out"
exit 1
