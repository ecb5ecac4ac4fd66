#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs the server in the foreground.
# Arguments are passed to 'peershare serve' (see 'build/bin/peershare serve --help').
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec build/bin/peershare serve "$@"
