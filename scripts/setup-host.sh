#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine (apt + npm), idempotently and quietly.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: compilers and sanitizers, the HTTP parser and State Threads used by the servers,
# the peer server and reference load generator, measurement tools, the testbed's tools, Jupyter for notebooks, and
# chromium, in which the report's test renders the page headless as a reviewer's browser would.
PACKAGES=(
  build-essential clang libclang-rt-14-dev python3
  libhttp-parser-dev libst-dev zlib1g-dev
  nginx-light httperf
  linux-perf sysstat procps
  iproute2 ethtool cgroup-tools util-linux
  jupyter-nbconvert python3-nbclient python3-ipykernel jupyter-client jupyter-core librsvg2-bin
  chromium
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep package scripts from starting services (nginx would bind port 80); the project starts its own.
  policy=/usr/sbin/policy-rc.d
  [ -e "$policy" ] || { printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; trap 'rm -f "$policy"' EXIT; }
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: Debian packages present"
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
else
  echo "setup: npm packages present"
fi

# The tslab kernel's kernel.json holds absolute paths, so it is generated here, never committed.
if [ ! -f .jupyter/share/jupyter/kernels/tslab/kernel.json ] || ! grep -q "$PWD" .jupyter/share/jupyter/kernels/tslab/kernel.json; then
  node_modules/.bin/tslab install --python=/usr/bin/python3 --binary="$PWD/node_modules/.bin/tslab" --prefix="$PWD/.jupyter" >/dev/null
  echo "setup: tslab kernel registered under .jupyter/"
fi
echo "setup: done"
