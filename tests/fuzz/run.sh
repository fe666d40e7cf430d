#!/usr/bin/env bash
# Runs one libFuzzer harness: first every committed input once (the seed corpus and the
# regression inputs, a failure stops here), then fuzzing for SECONDS seconds starting from the
# corpus. New inputs go to WORK/corpus, crashes to WORK/artifacts; the committed corpus is only
# read. Usage: run.sh BINARY INPUT_DIR SECONDS WORK
set -euo pipefail
binary=$1 inputs=$2 seconds=$3 work=$4
name=$(basename "$binary")
mkdir -p "$work/corpus" "$work/artifacts"
mapfile -t files < <(find "$inputs/corpus" "$inputs/regressions" -type f | sort)
echo "== $name: replaying ${#files[@]} committed inputs"
"$binary" -rss_limit_mb=2048 "${files[@]}" >"$work/replay.log" 2>&1 || {
  tail -n 40 "$work/replay.log"; echo "$name: a committed input fails (log: $work/replay.log)"; exit 1; }
echo "== $name: fuzzing for $seconds s"
"$binary" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" "$inputs/corpus" \
  >"$work/fuzz.log" 2>&1 || {
  tail -n 60 "$work/fuzz.log"; echo "$name: FINDING (input saved in $work/artifacts/)"; exit 1; }
grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)" \
  "$work/fuzz.log" | sed "s/^/$name /"
