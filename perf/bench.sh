#!/usr/bin/env bash
# Runs the perf tools against this library and the system libzmq, side by
# side, and prints medians and ratios (ours / libzmq; for latency lower is
# better, so the ratio shown is libzmq / ours: above 1 means we are faster).
#   bash perf/bench.sh [runs]
# Environment:
#   BENCH=inproc,proxy,tcp,ipc,curve,instr  sections to run (default: all)
#   BENCH_TIMEOUT=20            seconds before one tcp/ipc process is killed
#   BENCH_OURS_LIB=build/lib    where "ours" finds libzmq.so.5 (pointing it
#                               at a directory holding the system library
#                               shows the whole table with libzmq twice)
#   BENCH_PIN=1                 0: let the scheduler place tcp/ipc processes
# tcp and ipc rows run local_thr/remote_thr and local_lat/remote_lat as two
# processes, both on the same library: local_* binds tcp://127.0.0.1:* (or a
# fresh ipc path in a temporary directory) and prints "endpoint: ..." which
# remote_* is then given.  A row whose processes fail shows "n/a", with the
# reason on the next line, and the bench goes on.  With two CPUs or more
# and taskset available, local_* runs on the first allowed CPU and remote_*
# on the second: left to the scheduler, the two processes' four threads
# land differently from run to run and both throughput and latency jump by
# 2-4x between runs (latency: ~12 us when all share a core, ~33 us across
# cores, on a 2-core VM); pinned, 5-run medians of libzmq against itself
# agree within about 10-20%.
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5}
sections=$(printf '%s' "${BENCH:-inproc proxy tcp ipc curve instr}" | tr ',' ' ')
limit=${BENCH_TIMEOUT:-20}
ours_lib=${BENCH_OURS_LIB:-build/lib}
for section in $sections; do
    case $section in
        inproc|proxy|tcp|ipc|curve|instr) ;;
        *) echo "bench.sh: unknown section '$section' (want inproc, proxy, tcp, ipc, curve, instr)" >&2; exit 1 ;;
    esac
done
want() { case " $sections " in *" $1 "*) return 0 ;; esac; return 1; }

# The first two CPUs this script may run on, for pinning local_* and remote_*.
pin_local=() pin_remote=()
if [ "${BENCH_PIN:-1}" != 0 ] && command -v taskset >/dev/null 2>&1; then
    allowed=$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status 2>/dev/null || true)
    set -- $(for part in ${allowed//,/ }; do
                 case $part in *-*) seq "${part%-*}" "${part#*-}" ;; *) echo "$part" ;; esac
             done | head -n 2)
    if [ $# -eq 2 ]; then
        pin_local=(taskset -c "$1") pin_remote=(taskset -c "$2")
    fi
    set --
fi

out=build/perf
mkdir -p "$out/ours" "$out/system"
for tool in inproc_thr inproc_lat proxy_thr local_thr remote_thr local_lat remote_lat; do
    cc -O2 -Wall -Iinclude -o "$out/ours/$tool" "perf/$tool.c" -Lbuild/lib -lzmq
    cc -O2 -Wall -o "$out/system/$tool" "perf/$tool.c" -lzmq
done

# Scratch space for logs and ipc socket files (kept short: an ipc path must
# fit in sun_path).
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zmq-bench.XXXXXX")
if [ "${#tmp}" -gt 60 ]; then
    rmdir "$tmp"
    tmp=$(mktemp -d /tmp/zmq-bench.XXXXXX)
fi
trap 'rm -rf "$tmp"' EXIT

ratio() {
    case "$1$2" in *n/a*) printf 'n/a'; return ;; esac
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
cell() { # value unit width: the value right-aligned, then its unit; n/a alone
    if [ "$1" = n/a ]; then
        printf '%*s' "$(($3 + ${#2} + 1))" n/a
    else
        printf '%*s %s' "$3" "$1" "$2"
    fi
}

measure() { # which tool size count field
    for _ in $(seq "$runs"); do
        if [ "$1" = ours ]; then
            LD_LIBRARY_PATH=$ours_lib "$out/ours/$2" "$3" "$4"
        else
            "$out/system/$2" "$3" "$4"
        fi | awk -v f="$5" -F': ' '$0 ~ f {split($2, v, " "); print v[1]}'
    done | median
}

printf '%-12s %8s %16s %16s %8s\n' test size ours libzmq ratio

if want inproc; then
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
fi

# zmq_proxy between two inproc hops (PUSH -> PULL | proxy | PUSH -> PULL).
if want proxy; then
    for size in 8 64 1024; do
        count=1000000
        [ "$size" -ge 1024 ] && count=500000
        a=$(measure ours proxy_thr "$size" "$count" 'msg/s')
        b=$(measure system proxy_thr "$size" "$count" 'msg/s')
        printf '%-12s %8s %12s msg/s %10s msg/s %8s\n' proxy_thr "$size" "$a" "$b" "$(ratio "$a" "$b")"
    done
fi

# One tcp/ipc run: local_<kind> and remote_<kind> as two processes on one
# library.  Prints the value of <field> (from local_thr or remote_lat), or
# returns 1 after writing the first error line to $tmp/reason.<which>.
# With curve=1 the two speak CURVE: local_* makes the server key pair and
# prints its public key, which remote_* is given (perf/perf_util.h).
curve=0
pair_once() { # which kind transport size count run field
    local which=$1 kind=$2 transport=$3 size=$4 count=$5 run=$6 field=$7
    local log="$tmp/$which-$transport-$kind-$size-$run" bind ep pid rpid lrc=0 rrc=0 value
    local -a cmd
    if [ "$which" = ours ]; then
        cmd=(env "LD_LIBRARY_PATH=$ours_lib" timeout "$limit")
    else
        cmd=(timeout "$limit")
    fi
    case $transport in
        tcp) bind='tcp://127.0.0.1:*' ;;
        ipc) bind="ipc://$log.sock" ;;
    esac
    : >"$log.local"
    local server_env=PERF_CURVE= client_env=PERF_CURVE=
    [ "$curve" = 1 ] && server_env=PERF_CURVE=server
    env "$server_env" "${cmd[@]}" ${pin_local[@]+"${pin_local[@]}"} "$out/$which/local_$kind" "$bind" "$size" "$count" \
        >"$log.local" 2>"$log.local.err" &
    pid=$!
    ep=
    while :; do
        ep=$(sed -n 's/^endpoint: //p' "$log.local")
        [ -n "$ep" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
    done
    if [ -n "$ep" ]; then
        [ "$curve" = 1 ] && client_env=PERF_CURVE=$(sed -n 's/^curve: //p' "$log.local")
        env "$client_env" "${cmd[@]}" ${pin_remote[@]+"${pin_remote[@]}"} "$out/$which/remote_$kind" "$ep" "$size" "$count" \
            >"$log.remote" 2>"$log.remote.err" &
        rpid=$!
        while kill -0 "$pid" 2>/dev/null && kill -0 "$rpid" 2>/dev/null; do
            sleep 0.01
        done
        # One has ended: if it failed, the other would only wait for its
        # peer until the timeout, so stop it.
        if ! kill -0 "$rpid" 2>/dev/null; then
            wait "$rpid" || rrc=$?
            [ "$rrc" -eq 0 ] || kill "$pid" 2>/dev/null || true
            wait "$pid" || lrc=$?
        else
            wait "$pid" || lrc=$?
            [ "$lrc" -eq 0 ] || kill "$rpid" 2>/dev/null || true
            wait "$rpid" || rrc=$?
        fi
    else
        wait "$pid" || lrc=$?
    fi
    if [ -z "$ep" ] || [ "$lrc" -ne 0 ] || [ "$rrc" -ne 0 ]; then
        {
            if [ -n "$ep" ]; then rrc="exit $rrc"; else rrc='not started'; fi
            printf 'local_%s exit %s, remote_%s %s' "$kind" "$lrc" "$kind" "$rrc"
            case "$lrc $rrc" in *124*) printf ' (timed out after %ss)' "$limit" ;; esac
            for f in "$log.local.err" "$log.remote.err"; do
                [ -s "$f" ] && printf ': %s' "$(head -n 1 "$f")"
            done
            printf '\n'
        } >"$tmp/reason.$which" 2>/dev/null
        return 1
    fi
    if [ "$kind" = thr ]; then value=$log.local; else value=$log.remote; fi
    value=$(awk -v f="$field" -F': ' '$0 ~ f {split($2, v, " "); print v[1]}' "$value")
    if [ -z "$value" ]; then
        echo "no '$field' line in the output" >"$tmp/reason.$which"
        return 1
    fi
    printf '%s\n' "$value"
}

measure_pair() { # which kind transport size count field: median, or n/a
    local run results=
    rm -f "$tmp/reason.$1"
    for run in $(seq "$runs"); do
        if ! results="$results$(pair_once "$1" "$2" "$3" "$4" "$5" "$run" "$6")
"; then
            echo n/a
            return
        fi
    done
    printf '%s' "$results" | median
}

reasons() { # after a row: why a side failed, if one did
    local which
    for which in ours system; do
        if [ -s "$tmp/reason.$which" ]; then
            printf '  %s failed: %s\n' "$which" "$(cat "$tmp/reason.$which")"
            rm -f "$tmp/reason.$which"
        fi
    done
}

for transport in tcp ipc; do
    want "$transport" || continue
    for size in 8 64 1024 65536; do
        count=1000000
        [ "$size" -ge 64 ] && count=500000
        [ "$size" -ge 1024 ] && count=200000
        [ "$size" -ge 65536 ] && count=10000
        a=$(measure_pair ours thr "$transport" "$size" "$count" 'msg/s')
        b=$(measure_pair system thr "$transport" "$size" "$count" 'msg/s')
        printf '%-12s %8s %s %s %8s\n' "${transport}_thr" "$size" \
            "$(cell "$a" msg/s 12)" "$(cell "$b" msg/s 10)" "$(ratio "$a" "$b")"
        reasons
    done
    for size in 8 64 1024 65536; do
        a=$(measure_pair ours lat "$transport" "$size" 5000 'latency')
        b=$(measure_pair system lat "$transport" "$size" 5000 'latency')
        printf '%-12s %8s %s %s %8s\n' "${transport}_lat" "$size" \
            "$(cell "$a" us 13)" "$(cell "$b" us 13)" "$(ratio "$b" "$a")"
        reasons
    done
done

# CURVE over tcp: every frame boxed and unboxed on each side.
if want curve; then
    curve=1
    for size in 64 1024; do
        count=200000
        a=$(measure_pair ours thr tcp "$size" "$count" 'msg/s')
        b=$(measure_pair system thr tcp "$size" "$count" 'msg/s')
        printf '%-12s %8s %s %s %8s\n' curve_thr "$size" \
            "$(cell "$a" msg/s 12)" "$(cell "$b" msg/s 10)" "$(ratio "$a" "$b")"
        reasons
    done
    a=$(measure_pair ours lat tcp 64 5000 'latency')
    b=$(measure_pair system lat tcp 64 5000 'latency')
    printf '%-12s %8s %s %s %8s\n' curve_lat 64 \
        "$(cell "$a" us 13)" "$(cell "$b" us 13)" "$(ratio "$b" "$a")"
    reasons
    curve=0
fi

# Instructions per message counted by callgrind: repeatable whatever else
# the machine is doing (lower is better; the ratio is libzmq / ours).
if want instr && command -v valgrind >/dev/null 2>&1; then
    instructions() { # which size count
        local out=build/perf/callgrind.$1.$2
        if [ "$1" = ours ]; then
            LD_LIBRARY_PATH=$ours_lib valgrind --tool=callgrind --callgrind-out-file="$out" \
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
