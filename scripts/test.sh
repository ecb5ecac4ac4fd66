#!/usr/bin/env bash
# Installs what is missing, builds everything, and runs every test: C++ unit tests and the network
# layer's tests over loopback sockets, built with AddressSanitizer (ctest), a short run of every
# fuzz target (with its regression cases), the web app's type check and unit tests (vitest), the
# integration tests against the real binary, and the end-to-end tests in real Chromium against the
# real binary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --with-test-tools
scripts/build.sh --tests

echo "== C++ unit tests, and the network layer's tests under AddressSanitizer"
ctest --test-dir build --output-on-failure --parallel "$(nproc)"

echo "== fuzz smoke (libFuzzer, ASan/UBSan)"
scripts/fuzz.sh --smoke

echo "== web: type check and unit tests"
npm run --silent typecheck
npm run --silent test:web

echo "== integration tests (real server binary)"
PEERSHARE_BIN="$PWD/build/bin/peershare" npm run --silent test:integration

echo "== benchmark smoke runs (they check the benchmarks work; timings never fail the run)"
node bench/raw-datachannel.bench.mjs --smoke
node bench/transfer.bench.mjs --smoke
node bench/memory.bench.mjs --smoke
node bench/load.bench.mjs --smoke
node bench/scale.bench.mjs --smoke

echo "== end-to-end tests (real Chromium, real server binary)"
PEERSHARE_BIN="$PWD/build/bin/peershare" npm run --silent test:e2e
