#!/usr/bin/env bash
# Citations must lead somewhere: every "semantics.md#<anchor>" cited in the sources, tests and
# docs names an anchor that docs/semantics.md defines (<a id="<anchor>">), and every
# "README.md#the-documents" finds README's section. Renaming an anchor fails here, naming the file
# that still cites the old one.
# Usage: docs_anchors.sh <bin_dir> (unused), with MINIGRAD_SOURCE_DIR set.
set -u
src=${MINIGRAD_SOURCE_DIR:?}
status=0
defined=$(grep -o '<a id="[^"]*">' "$src/docs/semantics.md" | sed 's/<a id="\(.*\)">/\1/')
dirs=()
for d in src include tests docs apps; do [[ -d "$src/$d" ]] && dirs+=("$src/$d"); done
cited=$(grep -rnoE 'semantics\.md#[a-z0-9-]+' "${dirs[@]}" "$src/README.md" "$src/Makefile" 2>/dev/null)
count=0
while IFS= read -r hit; do
  [[ -z "$hit" ]] && continue
  count=$((count + 1))
  anchor=${hit##*#}
  if ! grep -qxF -- "$anchor" <<<"$defined"; then
    echo "FAIL: ${hit#"$src"/} cites an anchor docs/semantics.md does not define (HINT: one of: $(echo $defined))"
    status=1
  fi
done <<<"$cited"
if grep -rqE 'README\.md#the-documents' "${dirs[@]}" && ! grep -q '^## The documents$' "$src/README.md"; then
  echo "FAIL: sources point at README.md#the-documents but README.md has no '## The documents' section"
  status=1
fi
((status == 0)) && echo "ok: $count citations of docs/semantics.md lead to its anchors"
exit $status
