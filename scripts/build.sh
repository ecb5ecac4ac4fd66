#!/usr/bin/env bash
# Builds the peershare binary (with the web app embedded) and, with --tests, the unit tests and the
# benchmark tools, into build/.
# Usage: scripts/build.sh [--tests]
set -euo pipefail
cd "$(dirname "$0")/.."

tests=OFF
[[ "${1:-}" == "--tests" ]] && tests=ON
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPEERSHARE_BUILD_TESTS=$tests -DPEERSHARE_BUILD_BENCH=$tests >/dev/null
cmake --build build --parallel "$jobs"
