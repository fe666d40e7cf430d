#!/usr/bin/env bash
# Installs the Debian packages minigrad needs, and only those that are missing: silent when all
# are present. Uses sudo when not run as root. Called by `make deps` (and so by `make test` and
# `make train`; `make fuzz` passes fuzz).
set -euo pipefail

packages=(cmake g++ make pkg-config libopenblas-dev libfmt-dev doctest-dev libcxxopts-dev
          zlib1g-dev nlohmann-json3-dev dataset-fashion-mnist openmpi-bin libopenmpi-dev)
# `deps.sh fuzz` (make fuzz) adds clang and its libFuzzer runtime.
[[ "${1:-}" == fuzz ]] && packages+=(clang-14 libclang-rt-14-dev)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "minigrad: missing packages ${missing[*]}, and apt-get is not available to install them" >&2
  echo "HINT: minigrad's set-up targets Debian 12; install the equivalents by hand" >&2
  exit 1
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "minigrad: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "minigrad: installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
