#!/usr/bin/env bash
# make bench: every bench/bench_*.py, or only bench/bench_$1.py. Each prints its
# figures and ends with one "RESULT name key=value ..." line.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ -n "${1:-}" ]; then
    benches=("bench/bench_$1.py")
    [ -f "${benches[0]}" ] || { echo "no benchmark named $1 (bench/bench_$1.py)" >&2; exit 2; }
else
    benches=(bench/bench_*.py)
fi
rc=0
for bench in "${benches[@]}"; do
    echo "== $bench"
    .venv/bin/python "$bench" || rc=1
done
exit $rc
