#!/usr/bin/env bash
# The monitor events of common situations, side by side with the system
# libzmq (Debian's libzmq3-dev, 4.3.4): c-tests/monitor/sequences.c is built
# against include/zmq.h and build/lib, and against the system's header and
# library, and each run's events are compared situation by situation and
# socket by socket. A difference fails unless
# c-tests/monitor/known-differences.txt lists it; a listed one that is gone
# fails too.
#
#   bash c-tests/test_monitor_sequences.sh
set -u
cd "$(dirname "$0")/.."
root=$PWD
lib=$root/build/lib
out=$root/build/c-tests/monitor
src=c-tests/monitor/sequences.c
known=c-tests/monitor/known-differences.txt
CC=${CC:-cc}
mkdir -p "$out"
unset LD_LIBRARY_PATH LD_PRELOAD
CFLAGS="-std=gnu11 -g -O1 -Wall -Wextra -Werror"
$CC $CFLAGS -Iinclude -o "$out/sequences" "$src" -L"$lib" -lzmq -lpthread \
    || { echo "FAIL: $src does not build against include/zmq.h"; exit 1; }
$CC $CFLAGS -DREFERENCE_LIBZMQ -o "$out/sequences.system" "$src" -lzmq -lpthread \
    || { echo "FAIL: $src does not build against the system zmq.h"; exit 1; }
timeout -k 5 120 env LD_LIBRARY_PATH="$lib" "$out/sequences" >"$out/ours.txt" \
    || { echo "FAIL: the situations did not run on our library"; exit 1; }
timeout -k 5 120 "$out/sequences.system" >"$out/system.txt" \
    || { echo "FAIL: the situations did not run on the system libzmq"; exit 1; }

# Blocks of lines by "situation socket", compared whole.
awk -v known="$known" '
FILENAME == known {
    if ($0 ~ /^[ \t]*(#|$)/) next
    if (index($0, "#") == 0) { print "FAIL: " known ": no reason: " $0; bad = 1; next }
    listed[$1 " " $2] = 1; order_known[++nk] = $1 " " $2
    next
}
{
    key = $1 " " $2; sub(/:$/, "", key)
    side = (FILENAME ~ /ours.txt$/) ? "ours" : "system"
    if (!((side, key) in text)) { if (!(key in seen)) { seen[key] = 1; keys[++n] = key } }
    text[side, key] = text[side, key] $0 "\n"
}
END {
    unexpected = 0; stale = 0; same = 0
    for (i = 1; i <= n; i++) {
        key = keys[i]
        differ = text["ours", key] != text["system", key]
        if (differ && !(key in listed)) {
            printf "UNEXPECTED %s\n  ours:\n%s  system:\n%s", key, text["ours", key], text["system", key]
            unexpected++
        } else if (!differ && (key in listed)) {
            printf "STALE %s agrees now: take it off %s\n", key, known
            stale++
        } else if (!differ) same++
        else printf "known difference: %s\n", key
    }
    for (i = 1; i <= nk; i++) if (!(order_known[i] in seen)) { printf "STALE %s: no such situation\n", order_known[i]; stale++ }
    printf "%d situation/socket pairs: %d the same, %d known differences, %d unexpected, %d stale\n", \
        n, same, n - same - unexpected, unexpected, stale
    exit (bad || unexpected || stale) ? 1 : 0
}' "$known" "$out/ours.txt" "$out/system.txt"
rc=$?
[ $rc -eq 0 ] && echo PASS || echo FAIL
exit $rc
