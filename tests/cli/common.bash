# Shared by the tests/cli/*.sh scripts (sourced, not a test itself: the test list is cli/*.sh):
# a scratch directory removed on exit, pass/fail reporting, and the closing verdict.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }
# finish <what>: exit 1 after any failure, else say that every <what> check passed.
finish() {
  if [[ $failures -gt 0 ]]; then echo "$failures failure(s)"; exit 1; fi
  echo "all $1 checks passed"
}
# run <command...>: sets rc, out (stdout) and err (stderr)
run() {
  "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
  out=$(<"$tmp/out"); err=$(<"$tmp/err")
}
# check <description> <condition...>: pass, or fail showing the last run's exit code and output
check() {
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what (exit $rc; stdout: ${out:0:600}; stderr: ${err:0:400})"; fi
}
# has <text> <in>: whether <in> holds <text> literally
has() { grep -qF -- "$1" <<<"$2"; }
# sanitized BINARY: true when BINARY is built with AddressSanitizer (linked statically by clang,
# dynamically by GCC: its runtime's entry point is named in the binary either way).
sanitized() { grep -qaF __asan_init "$1"; }
# safetensors_difference <a> <b> <tolerance>: the largest difference between two saved models
# (every tensor, and minigrad's preprocessing when both have it); non-zero above the tolerance.
cli_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
safetensors_difference() { /usr/bin/python3 "$cli_dir/safetensors_difference.py" "$@"; }
