#!/usr/bin/env bash
# `make soak`: the load tests at full size, round after round, for
# SOAK_MINUTES (10), on this library and then (REFERENCE=1 builds, one
# round) on the system libzmq for comparison. Each round runs
#   test_churn  100,000 connect/answer/close cycles against one ROUTER:
#               descriptors back to where they were, resident memory within
#               8 MiB; a slow subscriber sent 2 million 1 KiB messages:
#               memory bounded by the high-water marks
#   test_load   1,000 DEALERs on one ROUTER, 100 x 100 PUB/SUB (fewer if
#               the descriptor limit is below 24,000), 10 million
#               messages through a 10-stage tcp pipeline, nothing lost
# and prints their figures. Not part of make test (minutes, not seconds).
#
#   bash scripts/soak.sh        SOAK_MINUTES=1 bash scripts/soak.sh
set -u
cd "$(dirname "$0")/.."
minutes=${SOAK_MINUTES:-10}
export ZMQ_TEST_SOAK=1
export TEST_TIMEOUT=900
failed=0

round() { # label, REFERENCE (0: this library, 1: the system libzmq), log folder
    local label=$1 reference=$2 logs=$3 name
    for name in test_churn test_load; do
        if REFERENCE=$reference VALGRIND=0 bash c-tests/run.sh "$name" >/dev/null 2>&1; then
            echo "  $label $name: passed"
        else
            echo "  $label $name: FAILED"
            failed=$((failed + 1))
        fi
        grep -vE '^test_[a-z_]+: [0-9]+ checks' "$logs/$name.log" | sed 's/^/      /'
    done
}

start=$SECONDS
n=0
while [ $n -eq 0 ] || [ $((SECONDS - start)) -lt $((minutes * 60)) ]; do
    n=$((n + 1))
    echo "round $n (ours, $(((SECONDS - start) / 60)) min in)"
    round ours 0 build/c-tests
done
echo "libzmq, once:"
round libzmq 1 build/c-tests-reference
echo "$n rounds on this library in $(((SECONDS - start) / 60)) min; $failed failed"
[ $failed -eq 0 ]
