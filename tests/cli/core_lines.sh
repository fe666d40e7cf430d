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

# Read next: "label|files", each a concept that the core uses but a first reading can take on trust.
next_rows=(
  "shapes (printing one, counting its values, reshape's -1)|include/minigrad/shape.hpp src/shape.cpp"
  "the tensor factories (\`zeros\`, \`from\`, \`randn\`, ...) and nested-list literals|include/minigrad/nested_list.hpp src/tensor_factories.cpp"
  "element access (\`at\` with a bounds check per index, \`item\`, \`to_vector\`)|src/tensor_access.cpp"
  "operators (\`a + b\`, \`x * 2.0f\`, \`-x\`): the elementwise ops by another name|include/minigrad/ops/operators.hpp src/ops/operators.cpp"
  "broadcasting (the rule, the strides that read an operand stretched, \`sum_to\`)|include/minigrad/ops/broadcast.hpp src/ops/broadcast_plan.hpp src/ops/broadcast.cpp"
  "\`max\` and \`argmax\`, whose gradient goes to the chosen element|include/minigrad/ops/max.hpp src/ops/max.cpp"
  "refusing saved values written in place (storage versions)|include/minigrad/saved_versions.hpp src/saved_versions.cpp"
  "\`retain_grad()\`, PyTorch's rules for an intermediate tensor's grad|src/retained_grads.hpp src/retained_grads.cpp"
  "freeing a deep graph without recursion|src/graph_teardown.cpp"
)

learner=("${core[@]}" "${helpers[@]}")
for op in "${core_ops[@]}"; do learner+=("include/minigrad/ops/$op.hpp" "src/ops/$op.cpp"); done
listed=("${learner[@]}")
for row in "${next_rows[@]}"; do read -ra files <<<"${row#*|}"; listed+=("${files[@]}"); done
further=()
for f in include/minigrad/ops/*.hpp src/ops/*.hpp src/ops/*.cpp; do
  [[ " ${listed[*]} " == *" $f "* ]] || further+=("$f")
done

lines() { cat "$@" | wc -l; }
with_commas() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
names() { local n; for n in "$@"; do basename "$n"; done | sort -u | paste -sd' ' | sed 's/ /, /g'; }

table() {
  echo "| what a learner reads | files | lines |"
  echo "|---|---|---:|"
  echo "| **the core**: the tensor, its storage, autograd and the ops of an MLP | tensor, storage, autograd, ops/$(names "${core_ops[@]}" | sed 's/, /, ops\//g') (each a .hpp and a .cpp); $(names "${helpers[@]}") | **$(with_commas "$(lines "${learner[@]}")")** |"
  local row files
  for row in "${next_rows[@]}"; do
    read -ra files <<<"${row#*|}"
    echo "| read next: ${row%%|*} | $(printf '%s\n' "${files[@]#include/minigrad/}" | paste -sd' ' | sed 's/ /, /g') | $(lines "${files[@]}") |"
  done
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
  local next=()
  for row in "${next_rows[@]}"; do read -ra files <<<"${row#*|}"; next+=("${files[@]}"); done
  echo "The read-next rows hold $(with_commas "$(lines "${next[@]}")") lines."
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
