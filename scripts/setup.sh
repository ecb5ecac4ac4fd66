#!/usr/bin/env bash
# Installs what building and testing peershare needs on Debian 12, skipping what is already there:
# Debian packages (compiler, Boost, SQLite, OpenSSL, ...), the npm packages of package-lock.json and,
# with the test tools, the load benchmark's baseline (bench/baseline).
# Usage: scripts/setup.sh [--with-test-tools]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake make ccache pkg-config libboost-dev libssl-dev libsqlite3-dev libhiredis-dev nlohmann-json3-dev
          libcli11-dev libgtest-dev nodejs npm)
if [[ "${1:-}" == "--with-test-tools" ]]; then
  # End-to-end tests drive Debian's Chromium; TURN tests run coturn; the fault tests check the
  # database with the sqlite3 CLI (PRAGMA integrity_check); the Redis store tests start their own
  # redis-server; the multi-instance test runs deploy/nginx/peershare.conf in its own nginx.
  packages+=(chromium coturn sqlite3 redis-server nginx)
  packages+=(clang libclang-rt-14-dev)  # the fuzz targets: clang with libFuzzer and the sanitizers
fi

wanted=()
for p in "${packages[@]}"; do
  # nodejs/npm may come from outside Debian (a newer Node): accept a working command instead.
  if [[ "$p" == nodejs ]] && command -v node >/dev/null; then continue; fi
  if [[ "$p" == npm ]] && command -v npm >/dev/null; then continue; fi
  wanted+=("$p")
done
source scripts/lib/packages.sh
install_missing_packages "${wanted[@]}"

node_major=$(node -p 'process.versions.node.split(".")[0]')
if ((node_major < 20)); then
  echo "setup: Node.js 20 or newer is needed to build the web app (found $(node --version))." >&2
  exit 1
fi

# npm ci only when the lockfile changed since the last install.
stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# The load benchmark's baseline (WebTorrent's bittorrent-tracker), with its own lockfile. Its
# install scripts are skipped: they build a WebRTC addon for the tracker's client, which the
# benchmark never loads.
if [[ "${1:-}" == "--with-test-tools" ]]; then
  stamp=bench/baseline/node_modules/.package-lock.sha256
  want=$(sha256sum bench/baseline/package-lock.json | cut -d' ' -f1)
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "setup: npm ci in bench/baseline"
    npm ci --prefix bench/baseline --ignore-scripts --no-audit --no-fund --loglevel=error
    echo "$want" > "$stamp"
  fi
fi
