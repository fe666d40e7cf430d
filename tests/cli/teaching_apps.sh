#!/usr/bin/env bash
# Command-line behaviour of the teaching apps. autograd_demo prints the expression's gradients,
# writes its DOT where asked (autograd_demo.dot in the current directory by default), renders an
# SVG only when Graphviz's dot is on PATH and says so when it is not, and writes exactly the graphs
# committed in docs/img/ (so the tutorial's pictures are current). keras_example trains, reports
# loss and accuracy, is deterministic for a seed, and prints no control characters into a pipe.
# Bad flags exit 2 with a message naming the flag. Neither links OpenBLAS or zlib.
# Usage: teaching_apps.sh <bin_dir>, with MINIGRAD_SOURCE_DIR set.
# "The documents": README.md#the-documents.
set -u
bin=$(cd "$1" && pwd)
src=${MINIGRAD_SOURCE_DIR:?}
source "$(dirname "$0")/common.bash"

# expect_error <pattern in stderr> <command...>: exit code 2 and the pattern in the message.
expect_error() {
  local pattern=$1; shift
  local out rc
  out=$("$@" 2>&1 >/dev/null); rc=$?
  if [[ $rc -ne 2 ]]; then fail "'$*' exited $rc, expected 2; stderr: $out"; return; fi
  if ! grep -qF -- "$pattern" <<<"$out"; then fail "'$*': stderr lacks '$pattern': $out"; return; fi
  pass "$* -> 2: $(head -c 140 <<<"$out")"
}

demo="$bin/autograd_demo"
keras="$bin/keras_example"

# ---- autograd_demo: the expression, its DOT in the current directory, the SVG ----
mkdir "$tmp/run"
out=$(cd "$tmp/run" && "$demo" 2>&1); rc=$?
[[ $rc -eq 0 ]] && pass "autograd_demo exits 0" || fail "autograd_demo exited $rc: $out"
grep -qF "dL/da = dL/dc*b + dL/dd = 16" <<<"$out" && grep -qF "dL/db = dL/dc*a         = -16" <<<"$out" \
  && pass "autograd_demo prints dL/da = 16 and dL/db = -16" || fail "gradients missing: $out"
[[ -s "$tmp/run/autograd_demo.dot" ]] && pass "default DOT written to ./autograd_demo.dot" \
  || fail "no ./autograd_demo.dot: $(ls "$tmp/run")"
grep -q "^digraph minigrad {" "$tmp/run/autograd_demo.dot" || fail "autograd_demo.dot is not a digraph"
if command -v dot >/dev/null; then
  grep -q "<svg" "$tmp/run/autograd_demo.svg" 2>/dev/null && pass "SVG rendered beside it" \
    || fail "dot is installed but no autograd_demo.svg was rendered: $out"
fi

# Without dot on PATH: the DOT is written, no SVG, and the output says why.
mkdir "$tmp/nodot"
out=$(cd "$tmp/nodot" && PATH=/nonexistent "$demo" 2>&1); rc=$?
[[ $rc -eq 0 && -s "$tmp/nodot/autograd_demo.dot" && ! -e "$tmp/nodot/autograd_demo.svg" ]] \
  && grep -qF "dot is not installed" <<<"$out" && pass "no dot on PATH: DOT only, and it says so" \
  || fail "no dot on PATH ($rc): $out; files: $(ls "$tmp/nodot")"
"$demo" --dot "$tmp/plain.dot" --no-svg >/dev/null 2>&1 && [[ -s "$tmp/plain.dot" && ! -e "$tmp/plain.svg" ]] \
  && pass "--no-svg writes the DOT only" || fail "--no-svg"

# The committed pictures are what the demo draws now: the DOT text exactly, and the SVG beside it
# has one node per DOT node (SVG bytes vary between Graphviz versions, so they are not compared).
for graph in expression mlp_step; do
  flags=(); [[ $graph == mlp_step ]] && flags=(--mlp)
  cmd="build/bin/autograd_demo${flags[*]:+ ${flags[*]}} --dot docs/img/$graph.dot"
  if "$demo" "${flags[@]}" --dot "$tmp/$graph.dot" --no-svg >"$tmp/$graph.log" 2>&1; then
    if diff -u "$src/docs/img/$graph.dot" "$tmp/$graph.dot" >"$tmp/$graph.diff"; then
      pass "docs/img/$graph.dot is what '$cmd' writes"
    else
      fail "docs/img/$graph.dot is stale (HINT: run '$cmd' to redraw it and its SVG):"
      cat "$tmp/$graph.diff"
    fi
  else
    fail "'$cmd' failed: $(cat "$tmp/$graph.log")"
  fi
  nodes=$(grep -c '\[label=' "$src/docs/img/$graph.dot")
  svg_nodes=$(grep -c '<g id="node' "$src/docs/img/$graph.svg" 2>/dev/null)
  [[ "$nodes" == "$svg_nodes" ]] && pass "docs/img/$graph.svg has the DOT's $nodes nodes" \
    || fail "docs/img/$graph.svg has ${svg_nodes:-no} nodes, the DOT $nodes (HINT: run '$cmd')"
done
grep -qF "after backward() the graph is released: yes" "$tmp/mlp_step.log" \
  && pass "--mlp runs the step and reports the released graph" || fail "--mlp output: $(cat "$tmp/mlp_step.log")"

expect_error "bogus" "$demo" --bogus
expect_error "unexpected argument 'stray'" "$demo" stray
expect_error "--seed" "$demo" --mlp --seed abc
expect_error "--seed" "$demo" --mlp --seed -1
expect_error "does not exist" "$demo" --dot "$tmp/no/such/dir/g.dot"
expect_error "is a directory" "$demo" --dot "$tmp"
expect_error "--svg" "$demo" --svg "$tmp/no/such/dir/g.svg"

# ---- keras_example ----
out=$("$keras" --epochs 3 2>&1); rc=$?
[[ $rc -eq 0 ]] && pass "keras_example --epochs 3 exits 0" || fail "keras_example exited $rc: $out"
[[ $(grep -c "^Epoch [123]/3" <<<"$out") -eq 3 ]] && pass "one progress line per epoch" \
  || fail "expected 3 epoch lines: $out"
grep -qE "^Loss: [0-9]+\.[0-9]{4}$" <<<"$out" && grep -qE "^Accuracy: [0-9]\.[0-9]{4}$" <<<"$out" \
  && pass "final Loss and Accuracy lines" || fail "no final loss/accuracy: $out"
grep -q $'\r\|\x1b' <<<"$out" && fail "control characters in piped output" || pass "plain output when piped"

a=$("$keras" --quiet 2>&1); b=$("$keras" --quiet 2>&1); c=$("$keras" --quiet --seed 1 2>&1)
[[ $(wc -l <<<"$a") -eq 2 ]] && pass "--quiet prints two lines" || fail "--quiet printed: $a"
[[ "$a" == "$b" ]] && pass "same seed, same result" || fail "same seed, different results: $a / $b"
[[ "$a" != "$c" ]] && pass "another seed differs" || fail "--seed has no effect"
# The documents' run fits its random labels to 0.85 on the training rows; ours must learn too.
acc=$(sed -n 's/^Accuracy: //p' <<<"$a")
awk -v a="$acc" 'BEGIN { exit !(a >= 0.7) }' && pass "15 epochs reach accuracy $acc >= 0.7" \
  || fail "accuracy after 15 epochs is $acc < 0.7"

expect_error "--epochs" "$keras" --epochs 0
expect_error "--epochs" "$keras" --epochs abc
expect_error "--seed" "$keras" --seed -3
expect_error "bogus" "$keras" --bogus
expect_error "unexpected argument" "$keras" extra
# An unknown backend: the variable, the accepted values (this build's teaching apps hold the
# reference backend alone), exit 2.
expect_error 'MINIGRAD_BACKEND is "bogus", expected reference' env MINIGRAD_BACKEND=bogus "$keras"
expect_error 'MINIGRAD_BACKEND is "bogus", expected reference' env MINIGRAD_BACKEND=bogus "$demo"

# ---- link lines: the teaching apps load only what they use (no OpenBLAS, no zlib) ----
# The sanitizer build's link keeps every library named on the link line, used or not, so the
# check is made in the release build.
if sanitized "$demo"; then
  pass "link lines: checked in the release build, not the sanitizer build"
elif command -v ldd >/dev/null; then
  for app in "$demo" "$keras"; do
    libs=$(ldd "$app" | grep -oE 'lib(openblas|blas|z)\.so[^ ]*' | tr '\n' ' ')
    [[ -z "$libs" ]] && pass "$(basename "$app") links neither OpenBLAS nor zlib" \
      || fail "$(basename "$app") links $libs (HINT: a teaching app links the core, the layers it uses and the reference backend alone)"
  done
fi

finish "teaching app"
