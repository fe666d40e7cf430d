#!/usr/bin/env bash
# Every app answers --version with "<app> (minigrad MAJOR.MINOR.PATCH)" on stdout and exit code 0,
# the version in include/minigrad/version.hpp, even among other flags.
# Usage: version.sh <bin_dir>, with MINIGRAD_SOURCE_DIR set.
set -u
bin=$(cd "$1" && pwd)
src=${MINIGRAD_SOURCE_DIR:?}
source "$(dirname "$0")/common.bash"

version=$(sed -n 's/^#define MINIGRAD_VERSION "\(.*\)"$/\1/p' "$src/include/minigrad/version.hpp")
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "version.hpp: MINIGRAD_VERSION is '$version'"

for app_src in "$src"/apps/*.cpp; do
  app=$(basename "$app_src" .cpp)
  out=$("$bin/$app" --version 2>&1); rc=$?
  if [[ $rc -ne 0 || "$out" != "$app (minigrad $version)" ]]; then
    fail "$app --version: exit $rc, printed '$out', expected '$app (minigrad $version)'"
  else
    pass "$app --version: $out"
  fi
done
out=$("$bin/train_csv" --epochs 3 --version 2>&1); rc=$?
[[ $rc -eq 0 && "$out" == "train_csv (minigrad $version)" ]] && pass "train_csv --epochs 3 --version" ||
  fail "train_csv --epochs 3 --version: exit $rc, printed '$out'"
finish version
