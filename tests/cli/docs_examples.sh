#!/usr/bin/env bash
# Every program in docs/examples/ must print exactly what docs/examples/<name>.out holds: the
# outputs shown in the documentation are real. After a deliberate change, refresh them with
#   make docs-examples
set -u
bin_dir=$1
src=${MINIGRAD_SOURCE_DIR:?}
status=0
for cpp in "$src"/docs/examples/*.cpp; do
  name=$(basename "$cpp" .cpp)
  expected="$src/docs/examples/$name.out"
  if [[ ! -f "$expected" ]]; then
    echo "FAIL: $expected is missing (run: make docs-examples)"; status=1; continue
  fi
  if ! actual=$("$bin_dir/example_$name" 2>&1); then
    echo "FAIL: example_$name exited non-zero:"; echo "$actual"; status=1; continue
  fi
  if ! diff -u "$expected" <(printf '%s\n' "$actual"); then
    echo "FAIL: example_$name output differs from $expected (run: make docs-examples)"; status=1
  else
    echo "ok: example_$name"
  fi
done
exit $status
