#!/usr/bin/env bash
# Builds the peershare binary (with the web app embedded) and, with --tests, the unit tests and the
# benchmark tools, with invariants checked, into build/.
# Usage: scripts/build.sh [--tests]
set -euo pipefail
cd "$(dirname "$0")/.."

tests=OFF
[[ "${1:-}" == "--tests" ]] && tests=ON
jobs=$(nproc)
# Test builds check invariants (PS_ASSERT); given explicitly, since CMake keeps an option's first value.
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPEERSHARE_BUILD_TESTS=$tests -DPEERSHARE_BUILD_BENCH=$tests \
  -DPEERSHARE_INVARIANTS=$tests >/dev/null
cmake --build build --parallel "$jobs"
