#!/usr/bin/env bash
# Builds and runs the consumer projects in examples/ the ways a user gets minigrad:
#   1. installed into a prefix (`cmake --install`), found by find_package: every example;
#   2. through pkg-config (minigrad.pc): the regression example, compiled by hand;
#   3. as a subproject (add_subdirectory): custom_op, with the reference backend;
#   4. from the Debian package (`cpack`), unpacked rather than installed: xor_module.
# Each run's output must equal examples/<name>/<name>.out (made on the reference backend), and
# no consumer's compile line may carry minigrad's own flags (warnings, -march, -ffp-contract).
# Usage: .ci/examples.sh [build dir of minigrad, default build]
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
build=$(cd "${1:-build}" && pwd)
work=$build/consumers  # a fixed path, so that ccache (when used) recognises repeated builds
rm -rf "$work"
mkdir -p "$work"
export MINIGRAD_BACKEND=reference

fail() { echo "FAIL: $*" >&2; exit 1; }

# check_output <name> <command...>: runs it and compares stdout with examples/<name>/<name>.out.
check_output() {
  local name=$1
  shift
  local out=$work/$name.actual
  "$@" >"$out" || fail "$name exited with $? ($*)"
  diff -u "$src/examples/$name/$name.out" "$out" || fail "$name: output differs from examples/$name/$name.out"
  echo "ok: $name ($*)"
}

# no_forced_flags <consumer build dir>: minigrad's private flags stay off the consumer's main.cpp.
no_forced_flags() {
  local line
  line=$(grep -F '"command"' "$1/compile_commands.json" | grep -F '/main.cpp' || true)
  [[ -n "$line" ]] || fail "$1: no compile command for main.cpp"
  for flag in -march=native -ffp-contract=off -Wall -Wpedantic; do
    [[ "$line" != *"$flag"* ]] || fail "$1: the consumer's main.cpp is compiled with $flag"
  done
}

# consumer <name> <build dir> <cmake args...>: configures and builds examples/<name>.
consumer() {
  local name=$1 dir=$2
  shift 2
  cmake -S "$src/examples/$name" -B "$dir" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "$@" >"$dir.log" 2>&1 ||
    { cat "$dir.log"; fail "$name: configure failed"; }
  cmake --build "$dir" -j 2 >>"$dir.log" 2>&1 || { cat "$dir.log"; fail "$name: build failed"; }
  no_forced_flags "$dir"
}

run_example() {
  local name=$1 binary=$2
  if [[ $name == csv_classifier ]]; then
    check_output "$name" "$binary" "$src/examples/csv_classifier/blobs.csv"
  else
    check_output "$name" "$binary"
  fi
}

# 1. An installed prefix.
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
for dir in "$src"/examples/*/; do
  name=$(basename "$dir")
  consumer "$name" "$work/$name" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release
  run_example "$name" "$work/$name/$name"
done
"$prefix/bin/minigrad" --version | grep -qx "minigrad (minigrad [0-9]*\.[0-9]*\.[0-9]*)" ||
  fail "the installed minigrad --version does not print its version"

# 2. pkg-config.
libdir=$(dirname "$(find "$prefix" -name minigrad.pc)")
flags=$(PKG_CONFIG_PATH=$libdir pkg-config --cflags --libs minigrad)
g++ -O1 "$src/examples/regression/main.cpp" $flags -o "$work/regression_pc" ||
  fail "regression did not build with \`pkg-config --cflags --libs minigrad\` ($flags)"
check_output regression "$work/regression_pc"

# 3. A subproject: minigrad's library targets only, in the consumer's build, on the reference
# backend (no OpenBLAS needed), as a unity build (the release build has compiled every source
# on its own already; this one checks the subproject's targets, in half the time).
consumer custom_op "$work/custom_op_sub" -DMINIGRAD_SOURCE_DIR="$src" -DMINIGRAD_BACKEND=reference \
  -DMINIGRAD_UNITY=ON
for unwanted in minigrad_tests train_csv example_xor_mlp; do
  grep -q "^$unwanted:" <(cmake --build "$work/custom_op_sub" --target help | sed 's/^\.\.\. //; s/$/:/') &&
    fail "the subproject build defines $unwanted (apps and tests are for minigrad's own build)"
done
run_example custom_op "$work/custom_op_sub/custom_op"

# 4. The Debian package, when dpkg-deb is here.
if command -v dpkg-deb >/dev/null; then
  (cd "$build" && cpack -G DEB -B "$work/deb" >"$work/cpack.log" 2>&1) ||
    { cat "$work/cpack.log"; fail "cpack -G DEB failed"; }
  deb=$(ls "$work"/deb/minigrad_*.deb)
  depends=$(dpkg-deb -f "$deb" Depends)
  for package in libfmt-dev zlib1g-dev libcxxopts-dev; do
    [[ "$depends" == *"$package"* ]] || fail "$deb does not depend on $package: $depends"
  done
  dpkg-deb -x "$deb" "$work/deb/root"
  for path in usr/bin/minigrad usr/include/minigrad/version.hpp usr/lib/cmake/minigrad/minigradConfig.cmake \
              usr/lib/pkgconfig/minigrad.pc usr/lib/libminigrad_core.a; do
    [[ -e "$work/deb/root/$path" ]] || fail "$deb holds no /$path"
  done
  consumer xor_module "$work/xor_module_deb" -DCMAKE_PREFIX_PATH="$work/deb/root/usr"
  run_example xor_module "$work/xor_module_deb/xor_module"
fi
echo "examples: all consumers built and ran"
