#!/usr/bin/env bash
# The code and outputs shown in docs/*.md are the real ones. A fenced block right after
#   <!-- quote: src/nn/batchnorm.cpp -->    must appear verbatim (indentation too) in that file;
#   <!-- output: docs/examples/x.out -->    must equal that file exactly.
# A doc that uses these markers must mark every ```cpp block it holds, so that no code in it goes
# unchecked. After a deliberate change to a quoted source, update the doc; after a change to an
# example's output, run `make docs-examples` and copy the new output in.
# Usage: docs_quotes.sh <bin_dir> (unused), with MINIGRAD_SOURCE_DIR set.
set -u
src=${MINIGRAD_SOURCE_DIR:?}
failures=0
checked=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# check <doc> <line of the fence> <kind> <path> <block text>
check() {
  local doc=$1 at=$2 kind=$3 path=$4 block=$5
  local file="$src/$path"
  checked=$((checked + 1))
  if [[ ! -f "$file" ]]; then
    fail "$doc:$at: the block marked '$kind: $path' names a file that does not exist"
    return
  fi
  local content
  content=$(<"$file")
  block=${block%$'\n'}
  if [[ -z "$block" ]]; then
    fail "$doc:$at: the block marked '$kind: $path' is empty"
    return
  fi
  if [[ $kind == output ]]; then
    if [[ "$block" != "$content" ]]; then
      fail "$doc:$at: the output block differs from $path (HINT: run \`make docs-examples\` and copy $path into the doc):"
      diff -u --label "$path" --label "$doc:$at" <(printf '%s\n' "$content") <(printf '%s\n' "$block")
      return
    fi
  elif [[ "$content" != *"$block"* ]]; then
    # Name the first line that is not in the file at all, or say the lines were reordered.
    local line missing=""
    while IFS= read -r line; do
      if ! grep -qxF -- "$line" "$file"; then missing=$line; break; fi
    done <<<"$block"
    if [[ -n "$missing" ]]; then
      fail "$doc:$at: the block quoted from $path is not in that file; this line is not: '$missing' (HINT: copy the code again from $path)"
    else
      fail "$doc:$at: the block quoted from $path is not in that file as one piece (its lines are there, but not in this order or not together) (HINT: copy the code again from $path)"
    fi
    return
  fi
  echo "ok: $doc:$at $kind $path"
}

fence='^```'
marker='^<!-- (quote|output): ([^ ]+) -->$'
for doc_path in "$src"/docs/*.md; do
  doc=${doc_path#"$src"/}
  uses_markers=0
  grep -qE "$marker" "$doc_path" && uses_markers=1
  n=0 in_block=0 kind="" path="" start=0 block="" pending=0
  while IFS= read -r line || [[ -n "$line" ]]; do
    n=$((n + 1))
    if ((in_block)); then
      if [[ $line =~ ^\`\`\`[[:space:]]*$ ]]; then
        in_block=0
        [[ -n "$kind" ]] && check "$doc" "$start" "$kind" "$path" "$block"
        kind="" path=""
      else
        block+="$line"$'\n'
      fi
      continue
    fi
    if [[ $line =~ $marker ]]; then
      kind=${BASH_REMATCH[1]} path=${BASH_REMATCH[2]} pending=$n
      continue
    fi
    if [[ $line =~ $fence ]]; then
      in_block=1 start=$n block=""
      if ((pending)); then
        pending=0
      elif ((uses_markers)) && [[ $line =~ ^\`\`\`(cpp|c\+\+)[[:space:]]*$ ]]; then
        fail "$doc:$n: a cpp block without a '<!-- quote: <path> -->' line before it (HINT: put the code in docs/examples/ or quote it from src/, and mark where it comes from)"
      fi
      continue
    fi
    if ((pending)); then
      fail "$doc:$pending: the '<!-- $kind: $path -->' marker must be followed directly by a \`\`\` fence"
      pending=0 kind="" path=""
    fi
  done <"$doc_path"
  ((in_block)) && fail "$doc:$start: a code block that is never closed"
  ((pending)) && fail "$doc:$pending: the '<!-- $kind: $path -->' marker is not followed by a block"
done

if ((failures > 0)); then
  echo "$failures failure(s) in $checked marked block(s)"
  exit 1
fi
echo "all $checked marked blocks match their files"
