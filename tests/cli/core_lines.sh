#!/usr/bin/env bash
# The size of what a learner reads, counted from the files themselves, so that
# docs/architecture.md cannot go stale: the table between its <!-- core-lines --> marks must equal
# what this script prints. Every line counts (comments, blank lines, error messages): that is what
# is read. The learner's core is listed by name; every other file under ops/ is a further op, so a
# new op file is counted without editing this script.
#   bash tests/cli/core_lines.sh --table    prints the table to paste into the doc
# Usage as a test: core_lines.sh <bin_dir> (unused), with MINIGRAD_SOURCE_DIR set.
set -u
src=${MINIGRAD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src" || exit 1

core=(include/minigrad/tensor.hpp src/tensor.cpp include/minigrad/storage.hpp src/storage.cpp
      include/minigrad/autograd.hpp src/autograd.cpp)
core_ops=(elementwise activation matmul reduce softmax)
helpers=(src/ops/pointwise.hpp src/ops/dim_split.hpp src/ops/dim_split.cpp)

learner=("${core[@]}" "${helpers[@]}")
for op in "${core_ops[@]}"; do learner+=("include/minigrad/ops/$op.hpp" "src/ops/$op.cpp"); done
further=()
for f in include/minigrad/ops/*.hpp src/ops/*.hpp src/ops/*.cpp; do
  [[ " ${learner[*]} " == *" $f "* ]] || further+=("$f")
done

lines() { cat "$@" | wc -l; }
with_commas() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
names() { local n; for n in "$@"; do basename "$n"; done | sort -u | paste -sd' ' | sed 's/ /, /g'; }

table() {
  echo "| what a learner reads | files | lines |"
  echo "|---|---|---:|"
  echo "| **the core**: the tensor, its storage, autograd and the ops of an MLP | tensor, storage, autograd, ops/$(names "${core_ops[@]}" | sed 's/, /, ops\//g') (each a .hpp and a .cpp); $(names "${helpers[@]}") | **$(with_commas "$(lines "${learner[@]}")")** |"
  echo "| printing a tensor | tensor_print.cpp | $(lines src/tensor_print.cpp) |"
  echo "| further ops | $(names "${further[@]}") | $(with_commas "$(lines "${further[@]}")") |"
  echo "| the reference backend (the kernels as plain loops) | backend.hpp, reference.cpp | $(lines include/minigrad/backend/backend.hpp src/backend/reference/reference.cpp) |"
  echo "| the fast backend (not for reading first) | src/backend/fast/* | $(with_commas "$(lines src/backend/fast/*)") |"
  local total comments blank
  total=$(lines "${learner[@]}")
  comments=$(cat "${learner[@]}" | grep -cE '^[[:space:]]*//')
  blank=$(cat "${learner[@]}" | grep -cE '^[[:space:]]*$')
  echo
  echo "Of the core's $(with_commas "$total") lines, $comments are comments and $blank blank: $(with_commas $((total - comments - blank))) lines of code."
}

if [[ ${1:-} == --table ]]; then
  table
  exit 0
fi

source "$(dirname "$0")/common.bash"
doc=docs/architecture.md
expected=$(table)
in_doc=$(sed -n '/^<!-- core-lines -->$/,/^<!-- \/core-lines -->$/p' "$doc" | sed '1d;$d')
if [[ "$in_doc" == "$expected" ]]; then
  pass "$doc states the core's current line counts"
else
  fail "$doc's line counts are stale (HINT: run \`bash tests/cli/core_lines.sh --table\` and paste its table between the <!-- core-lines --> marks):"
  diff -u --label "$doc" --label "counted now" <(printf '%s\n' "$in_doc") <(printf '%s\n' "$expected")
fi
finish "core line count"
