#!/usr/bin/env bash
# The graph pictures in docs/img/ that a docs example draws must be the ones it draws now: each
# listed .dot file is compared with what its program writes, and its .svg must exist beside it.
# After a deliberate change, rewrite the .dot with the command in the message and re-render the
# .svg with Graphviz (`dot -Tsvg x.dot -o x.svg`).
set -u
bin_dir=$1
src=${MINIGRAD_SOURCE_DIR:?}
status=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# picture  program that writes it (given the path)
pictures=("docs/img/xor_step.dot example_xor_mlp")
for entry in "${pictures[@]}"; do
  read -r dot program <<<"$entry"
  if ! "$bin_dir/$program" "$tmp/out.dot" >/dev/null 2>&1; then
    echo "FAIL: $program $tmp/out.dot exited non-zero"; status=1; continue
  fi
  if ! diff -u "$src/$dot" "$tmp/out.dot"; then
    echo "FAIL: $dot is not what $program writes (HINT: run build/bin/$program $dot, then dot -Tsvg $dot -o ${dot%.dot}.svg)"
    status=1; continue
  fi
  if [[ ! -f "$src/${dot%.dot}.svg" ]]; then
    echo "FAIL: ${dot%.dot}.svg is missing (HINT: dot -Tsvg $dot -o ${dot%.dot}.svg)"; status=1; continue
  fi
  echo "ok: $dot"
done
exit $status
