#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine with Node 20: the Debian toolchains
# for the firmware ports and virtual boards, then the npm packages.
# Idempotent and quick when everything is already there.
set -euo pipefail
# onnxruntime-node's postinstall would download GPU files (no network here): the CPU build ships in the package.
export ONNXRUNTIME_NODE_INSTALL=skip npm_config_onnxruntime_node_install=skip
cd "$(dirname "$0")/.."

PKGS=(gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf gcc-xtensa-lx106 picolibc-xtensa-lx106-elf
      qemu-system-misc socat clang libclang-rt-14-dev chromium iproute2)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: done"
