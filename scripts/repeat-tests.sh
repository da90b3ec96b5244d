#!/usr/bin/env bash
# Runs the README's test command N times in a row (default 10) and stops at the first failure:
# the flake check of the suite. Run it with the benchmarks NOT running (2 cores).
#   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test SHARPEYES_REQUIRE_PEERS=1 bash scripts/repeat-tests.sh 10
set -uo pipefail
cd "$(dirname "$0")/.."
n="${1:-10}"
logdir="$(mktemp -d -t se-repeat-XXXXXX)"
for i in $(seq 1 "$n"); do
  start=$(date +%s)
  if npm test >"$logdir/run-$i.log" 2>&1; then rc=0; else rc=$?; fi
  secs=$(( $(date +%s) - start ))
  summary=$(sed "s/\x1b\[[0-9;]*m//g" "$logdir/run-$i.log" | grep -E "^\s+(Test Files|Tests|Duration) " | tr -s " " | tr "\n" ";")
  echo "run $i/$n: exit $rc, ${secs} s, ${summary}"
  if [ "$rc" -ne 0 ]; then
    echo "run $i failed; its log: $logdir/run-$i.log"
    exit 1
  fi
done
echo "$n runs in a row passed (logs in $logdir)"
