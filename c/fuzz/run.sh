#!/usr/bin/env bash
# A longer fuzzing run of every target: c/fuzz/run.sh [seconds per target, default 300].
# New inputs collect in $BUILD/fuzz-corpus/<target> (the checked-in corpus
# is read, never written); a crash leaves its input in $BUILD/fuzz-artifacts/
# and stops the run with libFuzzer's report.
set -euo pipefail
seconds="${1:-300}"
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD:-$here/build}"
make -s -C "$here" fuzz BUILD="$build"
mkdir -p "$build/fuzz-artifacts"
for target in frame hello welcome handles; do
  work="$build/fuzz-corpus/$target"
  mkdir -p "$work"
  echo "== $target: ${seconds}s"
  log="$build/fuzz-$target.log"
  status=0
  "$build/fuzz/$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$build/fuzz-artifacts/$target-" "$work" "$here/fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  grep -E '^#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|ERROR|SUMMARY|artifact' "$log" || true
  [ "$status" -eq 0 ] || { echo "$target failed (exit $status): see $log" >&2; exit 1; }
done
