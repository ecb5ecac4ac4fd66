#!/usr/bin/env bash
# Builds the server's libFuzzer targets (clang, ASan + UBSan) into build-fuzz/ and runs each one:
# first its regression cases (server/fuzz/regressions/<target>/), then fuzzing from its seed corpus
# (server/fuzz/corpus/<target>/). New inputs go to build-fuzz/corpus/<target>/, never into the repo
# unless --merge is given; crashing inputs go to build-fuzz/crashes/<target>/. Fails if any target
# crashed or broke a property.
# Usage: scripts/fuzz.sh [--smoke] [--merge] [TARGET...]
#   --smoke  15 s per target (scripts/test.sh runs this); otherwise FUZZ_SECONDS per target (300)
#   --merge  afterwards, merge the new inputs that add coverage into the seed corpus (-merge=1)
#   TARGET   signal_message, metadata, http_router, stun, http_api, ws_frame (default: all of them)
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(signal_message metadata http_router stun http_api ws_frame)
smoke=0
merge=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=1 ;;
    --merge) merge=1 ;;
    -*) echo "fuzz: unknown option $arg" >&2; exit 2 ;;
    *) targets+=("$arg") ;;
  esac
done
((${#targets[@]})) || targets=("${all_targets[@]}")
seconds=${FUZZ_SECONDS:-300}
((smoke)) && seconds=15

source scripts/lib/packages.sh
install_missing_packages clang libclang-rt-14-dev

# A build directory of its own: the fuzz build uses clang and instruments everything it compiles.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPEERSHARE_BUILD_FUZZERS=ON \
  -DPEERSHARE_EMBED_WEB=OFF -DPEERSHARE_BUILD_TESTS=OFF >/dev/null
nice -n 10 cmake --build build-fuzz --parallel "$(nproc)" --target "${targets[@]/#/fuzz_}"

failed=()
for t in "${targets[@]}"; do
  bin=build-fuzz/bin/fuzz_$t
  seeds=server/fuzz/corpus/$t
  regressions=server/fuzz/regressions/$t
  found=build-fuzz/corpus/$t
  crashes=build-fuzz/crashes/$t
  log=build-fuzz/logs/$t.log
  mkdir -p "$found" "$crashes" "$(dirname "$log")"
  options=(-artifact_prefix="$crashes/" -timeout=10)
  [[ -f server/fuzz/$t.dict ]] && options+=(-dict="server/fuzz/$t.dict")

  # libFuzzer runs the files it is given once each, and stops at the first that fails.
  cases=()
  [[ -d "$regressions" ]] && mapfile -t cases < <(find "$regressions" -type f | sort)
  echo "== fuzz $t: ${#cases[@]} regression cases, then ${seconds} s"
  if ((${#cases[@]})) && ! nice -n 10 "$bin" "${options[@]}" "${cases[@]}" >"$log" 2>&1; then
    tail -n 30 "$log"
    echo "fuzz: $t fails a regression case (log: $log)" >&2
    failed+=("$t")
    continue
  fi
  if ! nice -n 10 "$bin" "${options[@]}" -max_total_time="$seconds" -print_final_stats=1 "$found" "$seeds" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz: $t crashed; the input is in $crashes/ (log: $log)" >&2
    failed+=("$t")
    continue
  fi
  awk '/^stat::number_of_executed_units/ {runs = $2} /^stat::new_units_added/ {added = $2}
       END {printf "%s inputs run, %s new ones kept\n", runs, added}' "$log"
  if ((merge)); then
    nice -n 10 "$bin" -merge=1 "$seeds" "$found" >>"$log" 2>&1
    echo "merged into $seeds: $(find "$seeds" -type f | wc -l) inputs"
  fi
done

if ((${#failed[@]})); then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
