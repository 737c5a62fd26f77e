#!/usr/bin/env bash
# zmq_bind, zmq_connect, zmq_unbind and zmq_disconnect on good and bad
# endpoints, side by side with the system libzmq (Debian's libzmq3-dev,
# 4.3.4): c-tests/endpoints/errors.c runs each call in a child process on
# both libraries, and the answers (return value and errno, or a crash) are
# compared call by call. A difference fails unless
# c-tests/endpoints/known-differences.txt lists it; a listed one that is
# gone fails too.
#
#   bash c-tests/test_endpoint_errors.sh
set -u
cd "$(dirname "$0")/.."
root=$PWD
lib=$root/build/lib
out=$root/build/c-tests/endpoints
src=c-tests/endpoints/errors.c
known=c-tests/endpoints/known-differences.txt
CC=${CC:-cc}
mkdir -p "$out"
unset LD_LIBRARY_PATH LD_PRELOAD
CFLAGS="-std=gnu11 -g -O1 -Wall -Wextra -Werror"
$CC $CFLAGS -Iinclude -o "$out/errors" "$src" -L"$lib" -lzmq \
    || { echo "FAIL: $src does not build against include/zmq.h"; exit 1; }
$CC $CFLAGS -o "$out/errors.system" "$src" -lzmq \
    || { echo "FAIL: $src does not build against the system zmq.h"; exit 1; }
timeout -k 5 300 env LD_LIBRARY_PATH="$lib" "$out/errors" >"$out/ours.txt" 2>"$out/ours.err" \
    || { echo "FAIL: the probe did not run on our library"; exit 1; }
# libzmq prints its assertion messages on stderr.
timeout -k 5 300 "$out/errors.system" >"$out/system.txt" 2>"$out/system.err" \
    || { echo "FAIL: the probe did not run on the system libzmq"; exit 1; }

awk -v known="$known" '
FILENAME == known {
    if ($0 ~ /^[ \t]*(#|$)/) next
    if (index($0, "#") == 0) { print "FAIL: " known ": no reason: " $0; bad = 1; next }
    entry = $1 " " $2 " " $3; listed[entry] = 1; entries[++ne] = entry
    next
}
{
    key = $1 " " $2 " " $3
    answer = $4 " " $5
    if (FILENAME ~ /ours.txt$/) { ours[key] = answer; order[++n] = key } else theirs[key] = answer
}
function entry_of(key,    k) {
    split(key, k, " ")
    if ((k[1] " " k[2] " " k[3]) in listed) return k[1] " " k[2] " " k[3]
    if (("* " k[2] " " k[3]) in listed) return "* " k[2] " " k[3]
    if ((k[1] " * " k[3]) in listed) return k[1] " * " k[3]
    if (("* * " k[3]) in listed) return "* * " k[3]
    return ""
}
END {
    unexpected = 0; stale = 0; agree = 0; known_n = 0
    for (i = 1; i <= n; i++) {
        key = order[i]
        if (!(key in theirs)) { printf "UNEXPECTED %s: no answer from the system libzmq\n", key; unexpected++; continue }
        entry = entry_of(key)
        differ = ours[key] != theirs[key]
        if (entry != "") used[entry] = 1
        if (differ && entry == "") {
            printf "UNEXPECTED %s: ours %s, libzmq %s\n", key, ours[key], theirs[key]; unexpected++
        } else if (!differ && entry != "") {
            printf "STALE %s agrees now (%s): entry \"%s\" must go or narrow\n", key, ours[key], entry; stale++
        } else if (differ) known_n++
        else agree++
    }
    for (e = 1; e <= ne; e++) if (!(entries[e] in used)) { printf "STALE entry \"%s\": no such call\n", entries[e]; stale++ }
    printf "%d calls compared: %d agree, %d known differences, %d unexpected, %d stale\n", n, agree, known_n, unexpected, stale
    exit (bad || unexpected || stale) ? 1 : 0
}' "$known" "$out/ours.txt" "$out/system.txt"
rc=$?
[ $rc -eq 0 ] && echo PASS || echo FAIL
exit $rc
