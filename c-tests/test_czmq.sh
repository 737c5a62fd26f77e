#!/usr/bin/env bash
# Binary drop-in: programs built with Debian's CZMQ (whose libczmq links
# the system libzmq) run on this library through LD_LIBRARY_PATH. Each
# c-tests/czmq/*.c program (actors, zloop, zpoller, zauth, zmsg/zframe,
# zproxy, zmonitor, zsock options and port ranges) runs twice: on the
# system libzmq (it must print "libzmq 4.3.4") and on build/lib (it must
# print "libzmq 4.3.5"), so every expectation is shown to be libzmq's.
# One PASS/FAIL line per program and library; the exit status is non-zero
# on any failure. Outputs are kept in build/c-tests/czmq/<name>.<lib>.txt.
set -u
cd "$(dirname "$0")/.."
root=$PWD
out=$root/build/c-tests/czmq
RUN_TIMEOUT=40      # seconds per program run

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
failure() { failed=$((failed + 1)); echo "FAIL $1"; }

missing=0
for need in /usr/include/czmq.h:libczmq-dev /usr/include/zmq.h:libzmq3-dev; do
    [ -f "${need%%:*}" ] || { failure "${need%%:*} is missing (Debian package ${need##*:})"; missing=1; }
done
[ -e "$root/build/lib/libzmq.so.5" ] || { failure "build/lib/libzmq.so.5 is missing (build the library first)"; missing=1; }
if [ "$missing" = 1 ]; then
    echo "$passed passed, $failed failed"
    exit 1
fi

mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/czmq-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# Runs $2 on library $1 (sys or ours), checks its exit status and version.
run() {
    local lib=$1 bin=$2 name version log rc label
    name=$(basename "$bin")
    log=$out/$name.$lib.txt
    if [ "$lib" = sys ]; then
        version=4.3.4
        label="the system libzmq"
        env -u LD_LIBRARY_PATH -u LD_PRELOAD TMPDIR="$tmp" timeout -k 5 "$RUN_TIMEOUT" "$bin" >"$log" 2>&1
    else
        version=4.3.5
        label="build/lib libzmq"
        env -u LD_PRELOAD LD_LIBRARY_PATH="$root/build/lib" TMPDIR="$tmp" \
            timeout -k 5 "$RUN_TIMEOUT" "$bin" >"$log" 2>&1
    fi
    rc=$?
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        failure "$name on $label: timed out after ${RUN_TIMEOUT}s (log $log)"
    elif [ "$rc" -gt 128 ]; then
        failure "$name on $label: crashed with signal $((rc - 128)) (log $log)"
    elif ! grep -q "libzmq $version\b" "$log"; then
        failure "$name on $label: did not report libzmq $version (log $log)"
    elif [ "$rc" -ne 0 ]; then
        failure "$name on $label: exit status $rc: $(grep -c 'FAILED$' "$log") checks failed (log $log)"
        grep 'FAILED$' "$log" | sed 's/^/    /'
    else
        pass "$name on $label $version"
    fi
}

for src in c-tests/czmq/*.c; do
    name=$(basename "$src" .c)
    if ! cc -std=gnu11 -Wall -Werror -o "$out/$name" "$src" -lczmq -lzmq 2>"$out/$name.build.log"; then
        cat "$out/$name.build.log"
        failure "$name: build"
        continue
    fi
    run sys "$out/$name"
    run ours "$out/$name"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
