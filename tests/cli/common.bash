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
