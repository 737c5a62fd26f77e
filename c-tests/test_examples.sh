#!/usr/bin/env bash
# Every program in examples-c/ builds against our header and library and
# against the system libzmq (Debian's libzmq3-dev), runs on each under a
# time limit, exits 0, and prints the same lines (in any order) on both.
# Programs that fork their own server or peer processes run as one group:
# on a time-out the whole process group is killed.
#
# Proof of which library ran: each run has the dynamic loader log the
# libraries it initialises (LD_DEBUG=libs, one file per process, forked
# children included), and every libzmq it names must be build/lib's for
# our runs and never build/lib's for the system runs. A probe program
# checks that build/lib's library reports version 4.3.5.
#
#   bash c-tests/test_examples.sh [name-filter]
#   REPEAT=5 bash c-tests/test_examples.sh     # run everything 5 times
#   EXAMPLE_TIMEOUT=30                         # seconds per program run
set -u
cd "$(dirname "$0")/.."
root=$PWD
lib=$root/build/lib
out=$root/build/c-tests/examples
filter=${1:-}
repeat=${REPEAT:-1}
limit=${EXAMPLE_TIMEOUT:-30}
CC=${CC:-cc}
mkdir -p "$out"
# Whatever the caller exported (c-tests/run.sh points LD_LIBRARY_PATH at
# build/lib), each run below sets its own loader environment.
unset LD_LIBRARY_PATH LD_PRELOAD

ours_so=$(readlink -f "$lib/libzmq.so.5" 2>/dev/null || true)
if [ -z "$ours_so" ] || [ ! -e "$ours_so" ]; then
    echo "no library in $lib (build it first)"; exit 1
fi

failures=()
fail() { # name reason
    failures+=("$1"); echo "FAIL $1: $2"
}

# The probe: what version does each library report?
cat >"$out/probe.c" <<'EOF'
#include <zmq.h>
#include <stdio.h>
int main (void)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("%d.%d.%d\n", major, minor, patch);
    return 0;
}
EOF
$CC -Iinclude -o "$out/probe" "$out/probe.c" -L"$lib" -lzmq \
    && $CC -o "$out/probe.system" "$out/probe.c" -lzmq || { echo "cannot build the probe"; exit 1; }
ours_version=$(LD_LIBRARY_PATH=$lib "$out/probe")
system_version=$("$out/probe.system")
echo "our library: $ours_so, version $ours_version; system libzmq: version $system_version"
[ "$ours_version" = 4.3.5 ] || fail probe "build/lib's library reports $ours_version, not 4.3.5"

# run <name> <binary> <which: ours|system> <output prefix>
# Runs one program under the time limit; returns 0 when it exited 0 and
# loaded only the expected libzmq. Leaves <prefix>.txt (stdout) and
# <prefix>.err (stderr).
run() {
    local name=$1 binary=$2 which=$3 prefix=$4 rc start elapsed loaded where
    where="on our library"; [ "$which" = ours ] || where="on the system libzmq"
    local ld=$prefix.ld
    rm -rf "$ld"; mkdir -p "$ld"
    start=$(date +%s%N)
    if [ "$which" = ours ]; then
        timeout -k 5 "$limit" env LD_LIBRARY_PATH="$lib" LD_DEBUG=libs LD_DEBUG_OUTPUT="$ld/log" \
            "$binary" >"$prefix.txt" 2>"$prefix.err" </dev/null
    else
        timeout -k 5 "$limit" env LD_DEBUG=libs LD_DEBUG_OUTPUT="$ld/log" \
            "$binary" >"$prefix.txt" 2>"$prefix.err" </dev/null
    fi
    rc=$?
    elapsed=$((($(date +%s%N) - start) / 1000000))
    echo "$elapsed" >"$prefix.ms"
    if [ $rc -ne 0 ]; then
        local why="exit status $rc"
        if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
            why="timed out after ${limit} s (hung)"
        elif [ $rc -gt 128 ]; then
            why="killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
        fi
        fail "$name" "$why $where"
        sed 's/^/    stderr: /' "$prefix.err" | tail -20
        sed 's/^/    stdout: /' "$prefix.txt" | tail -20
        return 1
    fi
    # Every libzmq the loader initialised, in every process of the group.
    loaded=$(grep -h 'calling init: .*libzmq' "$ld"/log.* 2>/dev/null | sed 's/.*calling init: //' | sort -u)
    if [ -z "$loaded" ]; then
        fail "$name" "no record of a libzmq being loaded $where"; return 1
    fi
    local path
    while read -r path; do
        path=$(readlink -f "$path")
        if [ "$which" = ours ] && [ "$path" != "$ours_so" ]; then
            fail "$name" "our run loaded $path, not $ours_so"; return 1
        fi
        if [ "$which" = system ] && [ "$path" = "$ours_so" ]; then
            fail "$name" "the system run loaded our library $path"; return 1
        fi
    done <<<"$loaded"
    return 0
}

built=()
for src in examples-c/*.c; do
    name=$(basename "$src" .c)
    case "$name" in *"$filter"*) ;; *) continue ;; esac
    if ! $CC -std=gnu11 -Wall -Wextra -Werror -Iinclude -o "$out/$name" "$src" \
            -L"$lib" -lzmq -lpthread 2>"$out/$name.build.log"; then
        cat "$out/$name.build.log"; fail "$name" "does not build against our zmq.h"; continue
    fi
    if ! $CC -std=gnu11 -Wall -Wextra -o "$out/$name.system" "$src" \
            -lzmq -lpthread 2>"$out/$name.system.build.log"; then
        cat "$out/$name.system.build.log"; fail "$name" "does not build against the system zmq.h"; continue
    fi
    built+=("$name")
done

for round in $(seq 1 "$repeat"); do
    [ "$repeat" -gt 1 ] && echo "--- round $round of $repeat"
    for name in "${built[@]}"; do
        run "$name" "$out/$name" ours "$out/$name.ours" || continue
        run "$name" "$out/$name.system" system "$out/$name.system" || continue
        # The demo prints library-specific lines (keys, capabilities):
        # only its success counts.
        if [ "$name" != demo ] && ! cmp -s <(sort "$out/$name.ours.txt") <(sort "$out/$name.system.txt"); then
            fail "$name" "output differs from the system libzmq's (< ours, > system)"
            diff <(sort "$out/$name.ours.txt") <(sort "$out/$name.system.txt") | sed 's/^/    /'
            continue
        fi
        echo "ok   $name ($(cat "$out/$name.ours.ms") ms here, $(cat "$out/$name.system.ms") ms on the system libzmq)"
    done
done

if [ ${#failures[@]} -ne 0 ]; then
    echo "${#failures[@]} failed: $(printf '%s\n' "${failures[@]}" | sort | uniq -c | awk '{print $2 ($1 > 1 ? " (x" $1 ")" : "")}' | tr '\n' ' ')"
    exit 1
fi
echo "all ${#built[@]} examples ok ($repeat round(s) on each library)"
exit 0
