#!/usr/bin/env bash
# What zmq_getsockopt answers on a fresh socket, and which values
# zmq_setsockopt takes, compared with the system libzmq (Debian's
# libzmq3-dev, 4.3.4) socket type by socket type (0..11) and option by
# option (0..120).
#
# c-tests/options/defaults.c is built twice: against include/zmq.h and
# build/lib, and with -DREFERENCE_LIBZMQ against the system header and
# library. Each build runs once (ours with LD_LIBRARY_PATH=build/lib, the
# system one with no LD_LIBRARY_PATH) and prints one line per (type,
# option) pair, headed by the version zmq_version reports and the file the
# loader took zmq_version from: ours must be 4.3.5 from build/lib, the
# system's 4.3.4 from elsewhere.
#
# Every pair must answer the same on both, unless it is listed in
# c-tests/options/known-differences.txt with exactly the probes that
# differ; a listed difference that has gone away also fails, so that the
# list shrinks as things are fixed. A summary ends the output: pairs
# compared, pairs that agree, the known differences, the unexpected ones.
#
#   bash c-tests/test_option_defaults.sh
set -u
cd "$(dirname "$0")/.."
root=$PWD
lib=$root/build/lib
out=$root/build/c-tests/options
src=c-tests/options/defaults.c
known=c-tests/options/known-differences.txt
CC=${CC:-cc}
mkdir -p "$out"
# Each run below sets its own loader environment (c-tests/run.sh exports
# LD_LIBRARY_PATH=build/lib).
unset LD_LIBRARY_PATH LD_PRELOAD

ours_so=$(readlink -f "$lib/libzmq.so.5" 2>/dev/null || true)
if [ -z "$ours_so" ] || [ ! -e "$ours_so" ]; then
    echo "FAIL: no library in $lib (build it first)"; exit 1
fi
[ -r "$known" ] || { echo "FAIL: $known is missing"; exit 1; }

CFLAGS="-std=gnu11 -g -O1 -Wall -Wextra -Werror"
if ! timeout 60 $CC $CFLAGS -Iinclude -o "$out/defaults" "$src" -L"$lib" -lzmq \
        2>"$out/defaults.build.log"; then
    cat "$out/defaults.build.log"; echo "FAIL: $src does not build against include/zmq.h"; exit 1
fi
if ! timeout 60 $CC $CFLAGS -DREFERENCE_LIBZMQ -o "$out/defaults.system" "$src" -lzmq \
        2>"$out/defaults.system.build.log"; then
    cat "$out/defaults.system.build.log"; echo "FAIL: $src does not build against the system zmq.h"; exit 1
fi

timeout -k 5 20 env LD_LIBRARY_PATH="$lib" "$out/defaults" >"$out/ours.txt" 2>"$out/ours.err" </dev/null
rc=$?
if [ $rc -ne 0 ]; then
    tail -20 "$out/ours.err"; echo "FAIL: the probe exited with status $rc on our library"; exit 1
fi
timeout -k 5 20 "$out/defaults.system" >"$out/system.txt" 2>"$out/system.err" </dev/null
rc=$?
if [ $rc -ne 0 ]; then
    tail -20 "$out/system.err"; echo "FAIL: the probe exited with status $rc on the system libzmq"; exit 1
fi

# Which library each run loaded.
header() { sed -n "s/^# $2 //p" "$1" | head -1; }
ours_version=$(header "$out/ours.txt" zmq_version)
ours_loaded=$(header "$out/ours.txt" library)
system_version=$(header "$out/system.txt" zmq_version)
system_loaded=$(header "$out/system.txt" library)
echo "our run:    zmq_version $ours_version from $ours_loaded"
echo "system run: zmq_version $system_version from $system_loaded"
status=0
[ "$ours_version" = 4.3.5 ] || { echo "FAIL: our run reports $ours_version, not 4.3.5"; status=1; }
[ "$(readlink -f "$ours_loaded")" = "$ours_so" ] \
    || { echo "FAIL: our run loaded $ours_loaded, not $ours_so"; status=1; }
[ "$system_version" = 4.3.4 ] || { echo "FAIL: the system run reports $system_version, not 4.3.4"; status=1; }
[ "$(readlink -f "$system_loaded")" != "$ours_so" ] \
    || { echo "FAIL: the system run loaded our library"; status=1; }
[ $status -eq 0 ] || exit 1

# The comparison. Input: the known list, then our output, then the
# system's. A data line is "TYPE OPTION <buf256 probe> [label probe]... #
# NAME"; each probe's text is compared on its own.
awk -v known="$known" '
BEGIN {
    split("PAIR PUB SUB REQ REP DEALER ROUTER PULL PUSH XPUB XSUB STREAM", types, " ")
    for (i in types) is_type[types[i]] = 1
    split("buf256 exact4 over8 exact8 over12 exact32 exact41 set4 set8 setstr", labels, " ")
    for (i in labels) is_label[labels[i]] = 1
    bad = 0
}
function fail_list(msg) { printf "FAIL: %s:%d: %s\n", known, FNR, msg; bad = 1 }
# Splits a data line of file `side` into probe texts seg[side, key, label].
function parse(side,    n, t, i, key, label, text) {
    n = split($0, t, " ")
    key = t[1] " " t[2]
    if (side == "ours") order[++npairs] = key
    seen[side, key] = 1
    line[side, key] = $0
    label = "buf256"; text = ""
    for (i = 3; i <= n && t[i] != "#"; i++) {
        if (t[i] in is_label) {
            seg[side, key, label] = text; probes[side, key] = probes[side, key] " " label
            label = t[i]; text = ""
        } else
            text = text (text == "" ? "" : " ") t[i]
    }
    seg[side, key, label] = text; probes[side, key] = probes[side, key] " " label
    name[key] = t[n]
}
FILENAME == known {
    sub(/\r$/, "")
    if ($0 ~ /^[ \t]*(#|$)/) next
    if (index($0, "#") == 0) { fail_list("no reason given"); next }
    reason = substr($0, index($0, "#") + 1); sub(/^ +/, "", reason)
    split(substr($0, 1, index($0, "#") - 1), f, " ")
    if (!(f[1] in is_type) && f[1] != "*") { fail_list("unknown socket type " f[1]); next }
    if (f[2] !~ /^[0-9]+$/ || f[2] + 0 > 120) { fail_list("bad option number " f[2]); next }
    if (f[3] == "" || f[4] != "") { fail_list("want TYPE OPTION PROBES # reason"); next }
    if (reason !~ /\([abcd]\)/) { fail_list("the reason names no group (a) to (d)"); next }
    nl = split(f[3], pl, ",")
    for (i = 1; i <= nl; i++)
        if (!(pl[i] in is_label)) { fail_list("unknown probe " pl[i]); next }
    entry = f[1] " " (f[2] + 0)
    if (entry in listed) { fail_list("listed twice: " entry); next }
    listed[entry] = f[3]; why[entry] = reason; entries[++nentries] = entry
    next
}
/^#/ { next }
FILENAME != known && side_of[FILENAME] == "" { side_of[FILENAME] = (++nfiles == 1 ? "ours" : "system") }
{ parse(side_of[FILENAME]) }
END {
    if (bad) exit 1
    agree = 0; nknown = 0; nunexpected = 0; nstale = 0
    for (p = 1; p <= npairs; p++) {
        key = order[p]; split(key, k, " ")
        if (!seen["system", key]) {
            printf "UNEXPECTED %s: no line from the system libzmq\n  ours:   %s\n", key, line["ours", key]
            nunexpected++; continue
        }
        # The probes whose answers differ, in order.
        differ = ""
        nlab = split(probes["ours", key] " " probes["system", key], all, " ")
        delete done
        for (i = 1; i <= nlab; i++) {
            l = all[i]
            if (l in done) continue
            done[l] = 1
            if (!(("ours", key, l) in seg) || !(("system", key, l) in seg) \
                || seg["ours", key, l] != seg["system", key, l])
                differ = differ (differ == "" ? "" : ",") l
        }
        entry = key
        if (!(entry in listed)) entry = "* " k[2]
        if (!(entry in listed)) {
            if (differ == "") { agree++; continue }
            printf "UNEXPECTED %s (%s) differs in %s\n  ours:   %s\n  system: %s\n", \
                key, name[key], differ, line["ours", key], line["system", key]
            nunexpected++; continue
        }
        used[entry]++
        # The listed probes and those that differ, as sets.
        nd = split(differ, d, ","); delete isd; for (i = 1; i <= nd; i++) isd[d[i]] = 1
        nl = split(listed[entry], l2, ","); delete isl; for (i = 1; i <= nl; i++) isl[l2[i]] = 1
        extra = ""; for (i = 1; i <= nd; i++) if (!(d[i] in isl)) extra = extra (extra == "" ? "" : ",") d[i]
        gone = ""; for (i = 1; i <= nl; i++) if (!(l2[i] in isd)) gone = gone (gone == "" ? "" : ",") l2[i]
        if (extra == "" && gone == "") { nknown++; pairs_of[entry]++; continue }
        if (extra != "") {
            printf "UNEXPECTED %s (%s) differs in %s, beyond the listed %s (entry \"%s\")\n  ours:   %s\n  system: %s\n", \
                key, name[key], extra, listed[entry], entry, line["ours", key], line["system", key]
            nunexpected++
        }
        if (gone != "" && gone == listed[entry] && differ == "")
            printf "STALE %s (%s) agrees now: entry \"%s\" must go (a \"*\" entry: list the types that still differ instead)\n", \
                key, name[key], entry
        else if (gone != "")
            printf "STALE %s (%s): entry \"%s\" lists %s, which agree%s now: list only %s\n", \
                key, name[key], entry, gone, (gone ~ /,/ ? "" : "s"), differ
        if (gone != "") nstale++
        if (extra == "" && differ == "") agree++
    }
    for (e = 1; e <= nentries; e++)
        if (!(entries[e] in used)) {
            printf "STALE entry \"%s\": no such pair was compared\n", entries[e]; nstale++
        }
    print ""
    print "known differences:"
    for (e = 1; e <= nentries; e++)
        if (pairs_of[entries[e]])
            printf "  %-6s %-3s %-20s %2d pair%s  # %s\n", substr(entries[e], 1, index(entries[e], " ") - 1), \
                substr(entries[e], index(entries[e], " ") + 1), listed[entries[e]], pairs_of[entries[e]], \
                (pairs_of[entries[e]] == 1 ? " " : "s"), why[entries[e]]
    printf "\n%d (type, option) pairs compared: %d agree, %d known differences, %d unexpected, %d listed pairs that no longer differ as listed\n", \
        npairs, agree, nknown, nunexpected, nstale
    if (npairs != 12 * 121) { printf "FAIL: %d pairs from our library, expected %d\n", npairs, 12 * 121; exit 1 }
    exit (nunexpected || nstale) ? 1 : 0
}
' "$known" "$out/ours.txt" "$out/system.txt"
rc=$?
system_pairs=$(grep -vc '^#' "$out/system.txt")
if [ "$system_pairs" -ne $((12 * 121)) ]; then
    echo "FAIL: $system_pairs pairs from the system libzmq, expected $((12 * 121))"; rc=1
fi
[ $rc -eq 0 ] && echo "PASS" || echo "FAIL"
exit $rc
