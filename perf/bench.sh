#!/usr/bin/env bash
# Runs the perf tools against this library and the system libzmq, side by
# side, and prints medians and ratios (ours / libzmq; for latency lower is
# better, so the ratio shown is libzmq / ours: above 1 means we are faster).
# Runs are interleaved (round r runs one library then the other, the first
# alternating), and every median comes with its spread: the lowest and
# highest run in brackets, and for the ratio the lowest and highest of the
# rounds' own ratios.
#   bash perf/bench.sh [runs]
# Environment:
#   BENCH=inproc,proxy,tcp,ipc,curve,instr  sections to run (default: all)
#   BENCH_TIMEOUT=20            seconds before one tcp/ipc process is killed
#   BENCH_OURS_LIB=build/lib    where "ours" finds libzmq.so.5 (pointing it
#                               at a directory holding the system library
#                               shows the whole table with libzmq twice)
#   BENCH_PIN=both              unpinned: the headline table only (as users
#                               run); pinned: the tcp/ipc rows pinned only;
#                               both: the headline, then a pinned table
# tcp and ipc rows run local_thr/remote_thr and local_lat/remote_lat as two
# processes, both on the same library: local_* binds tcp://127.0.0.1:* (or a
# fresh ipc path in a temporary directory) and prints "endpoint: ..." which
# remote_* is then given.  A row whose processes fail shows "n/a", with the
# reason on the next line, and the bench goes on.  Users do not pin
# threads, so the headline leaves placement to the scheduler; the pinned
# table (local_* on the first allowed CPU, remote_* on the second, with
# taskset) shows the same rows with that luck taken out.
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
pin_mode=${BENCH_PIN:-both}
case $pin_mode in
    unpinned|pinned|both) ;;
    0) pin_mode=unpinned ;;
    1) pin_mode=pinned ;;
    *) echo "bench.sh: BENCH_PIN is unpinned, pinned or both" >&2; exit 1 ;;
esac
pin_cpus=() pin_local=() pin_remote=()
if [ "$pin_mode" != unpinned ] && command -v taskset >/dev/null 2>&1; then
    allowed=$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status 2>/dev/null || true)
    set -- $(for part in ${allowed//,/ }; do
                 case $part in *-*) seq "${part%-*}" "${part#*-}" ;; *) echo "$part" ;; esac
             done | head -n 2)
    if [ $# -eq 2 ]; then
        pin_cpus=("$1" "$2")
    fi
    set --
fi
if [ "$pin_mode" != unpinned ] && [ ${#pin_cpus[@]} -ne 2 ]; then
    echo "(no two CPUs to pin to, or no taskset: unpinned only)"
    pin_mode=unpinned
fi
pinning() { # on|off
    if [ "$1" = on ]; then
        pin_local=(taskset -c "${pin_cpus[0]}") pin_remote=(taskset -c "${pin_cpus[1]}")
    else
        pin_local=() pin_remote=()
    fi
}

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

# Round after round, one run of each library (the first alternating), each
# a call of `fn which round args...` that prints one value or fails; then a
# row: "<ours median> [min-max] <libzmq median> [min-max] <ratio> [min-max]",
# the ratio ours/libzmq (libzmq/ours with invert=1, for latencies) from the
# medians, its spread from each round's own ratio. Failed runs are left out;
# a side with none shows n/a.
interleaved() { # invert unit fn args...
    local invert=$1 unit=$2 fn=$3 r which value
    shift 3
    for r in $(seq "$runs"); do
        for which in $(if [ $((r % 2)) = 1 ]; then echo ours system; else echo system ours; fi); do
            value=$("$fn" "$which" "$r" "$@") || value=n/a
            echo "$r $which ${value:-n/a}"
        done
    done | awk -v invert="$invert" -v unit="$unit" '
        function med(a, n,    i, j, t) {
            for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        function num(v) { return (v >= 1e6) ? sprintf("%.2fM", v / 1e6) : (v >= 1e4) ? sprintf("%.0fk", v / 1e3) : sprintf("%.1f", v) }
        function side(a, n,    m, lo, hi, i) {
            if (n == 0) return sprintf("%27s", "n/a")
            lo = a[1]; hi = a[1]
            for (i = 2; i <= n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
            m = med(a, n)
            return sprintf("%8s %-5s [%s-%s]", num(m), unit, num(lo), num(hi))
        }
        { if ($1 > rounds) rounds = $1 }
        $3 != "n/a" { v[$1, $2] = $3; if ($2 == "ours") o[++no] = $3; else s[++ns] = $3 }
        END {
            printf "%s  %s", side(o, no), side(s, ns)
            if (no == 0 || ns == 0) { printf "  %5s\n", "n/a"; exit }
            mo = med(o, no); ms = med(s, ns)
            for (r = 1; r <= rounds; r++) {
                if (!((r, "ours") in v) || !((r, "system") in v)) continue
                q = invert ? v[r, "system"] / v[r, "ours"] : v[r, "ours"] / v[r, "system"]
                if (nq++ == 0 || q < qlo) qlo = q
                if (nq == 1 || q > qhi) qhi = q
            }
            printf "  %5.2f [%.2f-%.2f]\n", invert ? ms / mo : mo / ms, qlo, qhi
        }'
}

one_tool() { # which round tool size count field
    local which=$1 tool=$3 size=$4 count=$5 field=$6 line
    if [ "$which" = ours ]; then
        line=$(LD_LIBRARY_PATH=$ours_lib "$out/ours/$tool" "$size" "$count")
    else
        line=$("$out/system/$tool" "$size" "$count")
    fi || return 1
    printf '%s\n' "$line" | awk -v f="$field" -F': ' '$0 ~ f {split($2, v, " "); print v[1]}'
}

header() {
    printf '%-12s %6s  %-27s  %-27s  %s\n' test size "ours [spread]" "libzmq [spread]" "ratio [spread]"
}
row() { printf '%-12s %6s  ' "$1" "$2"; }

echo "$runs interleaved runs per row; medians, [lowest-highest]; ratio above 1: ours faster"
echo
echo "== unpinned (headline)"
header

if want inproc; then
    for size in 8 64 1024 65536; do
        count=2000000
        [ "$size" -ge 1024 ] && count=500000
        [ "$size" -ge 65536 ] && count=50000
        row inproc_thr "$size"; interleaved 0 msg/s one_tool inproc_thr "$size" "$count" 'msg/s'
    done
    for size in 8 64 1024; do
        row inproc_lat "$size"; interleaved 1 us one_tool inproc_lat "$size" 100000 'latency'
    done
fi

# zmq_proxy between two inproc hops (PUSH -> PULL | proxy | PUSH -> PULL).
if want proxy; then
    for size in 8 64 1024; do
        count=1000000
        [ "$size" -ge 1024 ] && count=500000
        row proxy_thr "$size"; interleaved 0 msg/s one_tool proxy_thr "$size" "$count" 'msg/s'
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

pair_value() { # which round kind transport size count field
    pair_once "$1" "$3" "$4" "$5" "$6" "$2" "$7"
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

network_rows() {
    for transport in tcp ipc; do
        want "$transport" || continue
        for size in 8 64 1024 65536; do
            count=1000000
            [ "$size" -ge 64 ] && count=500000
            [ "$size" -ge 1024 ] && count=200000
            [ "$size" -ge 65536 ] && count=10000
            row "${transport}_thr" "$size"
            interleaved 0 msg/s pair_value thr "$transport" "$size" "$count" 'msg/s'
            reasons
        done
        for size in 8 64 1024 65536; do
            row "${transport}_lat" "$size"
            interleaved 1 us pair_value lat "$transport" "$size" 5000 'latency'
            reasons
        done
    done

    # CURVE over tcp: every frame boxed and unboxed on each side.
    if want curve; then
        curve=1
        for size in 64 1024; do
            row curve_thr "$size"
            interleaved 0 msg/s pair_value thr tcp "$size" 200000 'msg/s'
            reasons
        done
        row curve_lat 64
        interleaved 1 us pair_value lat tcp 64 5000 'latency'
        reasons
        curve=0
    fi
}

if [ "$pin_mode" != pinned ]; then
    pinning off
    network_rows
fi
if [ "$pin_mode" != unpinned ] && { want tcp || want ipc || want curve; }; then
    echo
    echo "== pinned (local_* on CPU ${pin_cpus[0]}, remote_* on CPU ${pin_cpus[1]})"
    header
    pinning on
    network_rows
    pinning off
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
