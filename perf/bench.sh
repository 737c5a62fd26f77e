#!/usr/bin/env bash
# Runs the perf tools against this library and the system libzmq, side by
# side, and prints medians and ratios (ours / libzmq; for latency lower is
# better, so the ratio shown is libzmq / ours: above 1 means we are faster).
#   bash perf/bench.sh [runs]
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5}
out=build/perf
mkdir -p "$out/ours" "$out/system"
for tool in inproc_thr inproc_lat; do
    cc -O2 -Wall -Iinclude -o "$out/ours/$tool" "perf/$tool.c" -Lbuild/lib -lzmq
    cc -O2 -Wall -o "$out/system/$tool" "perf/$tool.c" -lzmq
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

measure() { # which tool size count field
    for _ in $(seq "$runs"); do
        if [ "$1" = ours ]; then
            LD_LIBRARY_PATH=build/lib "$out/ours/$2" "$3" "$4"
        else
            "$out/system/$2" "$3" "$4"
        fi | awk -v f="$5" -F': ' '$0 ~ f {split($2, v, " "); print v[1]}'
    done | median
}

printf '%-12s %8s %16s %16s %8s\n' test size ours libzmq ratio
for size in 8 64 1024 65536; do
    count=2000000
    [ "$size" -ge 1024 ] && count=500000
    [ "$size" -ge 65536 ] && count=50000
    a=$(measure ours inproc_thr "$size" "$count" 'msg/s')
    b=$(measure system inproc_thr "$size" "$count" 'msg/s')
    printf '%-12s %8s %12s msg/s %10s msg/s %8s\n' inproc_thr "$size" "$a" "$b" "$(ratio "$a" "$b")"
done
for size in 8 64 1024; do
    a=$(measure ours inproc_lat "$size" 100000 'latency')
    b=$(measure system inproc_lat "$size" 100000 'latency')
    printf '%-12s %8s %13s us %13s us %8s\n' inproc_lat "$size" "$a" "$b" "$(ratio "$b" "$a")"
done

# Instructions per message counted by callgrind: repeatable whatever else
# the machine is doing (lower is better; the ratio is libzmq / ours).
if command -v valgrind >/dev/null 2>&1; then
    instructions() { # which size count
        local out=build/perf/callgrind.$1.$2
        if [ "$1" = ours ]; then
            LD_LIBRARY_PATH=build/lib valgrind --tool=callgrind --callgrind-out-file="$out" \
                build/perf/ours/inproc_thr "$2" "$3" >/dev/null 2>&1
        else
            valgrind --tool=callgrind --callgrind-out-file="$out" \
                build/perf/system/inproc_thr "$2" "$3" >/dev/null 2>&1
        fi
        awk -v n="$3" '/^summary:/ {printf "%.0f", $2 / n}' "$out"
    }
    for size in 8 64 1024; do
        a=$(instructions ours "$size" 100000)
        b=$(instructions system "$size" 100000)
        printf '%-12s %8s %10s instr/msg %8s instr/msg %8s\n' inproc_instr "$size" "$a" "$b" "$(ratio "$b" "$a")"
    done
fi
