#!/usr/bin/env bash
# Runs the perf tools against this library and the system libzmq, side by
# side, and prints medians and ratios (ours / libzmq; for latency lower is
# better, so the ratio shown is libzmq / ours: above 1 means we are faster).
# Each row starts with an untimed warm-up run of each library, then runs
# are interleaved (round r runs one library then the other, the first
# alternating: ours, libzmq, libzmq, ours, ...), and every median comes
# with its spread: the lowest and highest run in brackets, and for the
# ratio the lowest and highest of the rounds' own ratios.
#   bash perf/bench.sh [runs]       # runs per library and row (default 5)
#   bash perf/bench.sh --smoke      # each tool once, small: "N passed, M failed"
# Environment:
#   QUICK=1                     fewer runs (3), sizes and messages: under
#                               two minutes (make bench QUICK=1)
#   BENCH=inproc,proxy,tcp,ipc,curve,pubsub,router,instr,memory
#                               sections to run (default: all)
#   BENCH_TIMEOUT=20            seconds before one tool process is killed
#   BENCH_OURS_LIB=build/lib    where "ours" finds libzmq.so.5 (pointing it
#                               at a directory holding the system library
#                               shows the whole table with libzmq twice)
#   BENCH_PIN=both              unpinned: the headline table only (as users
#                               run); pinned: the rows of two processes
#                               pinned only; both: the headline, then a
#                               pinned table
#   BENCH_RESULTS=bench         where results.tsv and results.svg go
#
# Rows: test, transport, message size.  thr is messages per second through
# PUSH/PULL (inproc_thr, or local_thr and remote_thr); lat is the one-way
# latency of REQ/REP round trips (inproc_lat, or local_lat and remote_lat);
# proxy_thr goes through zmq_proxy between two inproc hops; curve_* are thr
# and lat with CURVE; pubsub_N is one PUB fanning out to N SUBs, messages
# delivered per second summed over them (pubsub_thr); router_N is N DEALERs
# making round trips to one ROUTER, round trips per second (router_thr);
# instr counts instructions per message with callgrind; memory is the heap
# in use per socket and per idle tcp or ipc connection (mem_footprint,
# mallinfo2: repeatable to a few bytes, so one run of each).
#
# tcp and ipc rows run local_thr/remote_thr and local_lat/remote_lat as two
# processes, both on the same library: local_* binds tcp://127.0.0.1:* (or a
# fresh ipc path in a temporary directory) and prints "endpoint: ..." which
# remote_* is then given.  pubsub_thr and router_thr fork into two
# processes themselves (the binding side is the parent).  A row whose
# processes fail shows "n/a", with the reason on the next line, and the
# bench goes on.  Users do not pin threads, so the headline leaves placement
# to the scheduler; the pinned table (local_* and the binding side on the
# first allowed CPU, remote_* and the connecting side on the second, with
# taskset or PERF_PIN) shows the same rows with that luck taken out.
#
# The table goes to the terminal; $BENCH_RESULTS/results.tsv gets one line
# per row (and pinning) with the medians, the ratio and its spread, and
# perf/plot.py draws it as $BENCH_RESULTS/results.svg (skipped, with a
# message, without python3-matplotlib).
set -eu
cd "$(dirname "$0")/.."

smoke=0
if [ "${1:-}" = --smoke ]; then
    smoke=1
    shift
fi
quick=0
case ${QUICK:-0} in '' | 0) ;; *) quick=1 ;; esac
runs=${1:-5}
[ $# -eq 0 ] && [ "$quick" = 1 ] && runs=3
case $runs in
    '' | *[!0-9]* | 0) echo "bench.sh: runs is a whole number of at least 1, not '$runs'" >&2; exit 1 ;;
esac
sections=$(printf '%s' "${BENCH:-inproc proxy tcp ipc curve pubsub router instr memory}" | tr ',' ' ')
limit=${BENCH_TIMEOUT:-20}
ours_lib=${BENCH_OURS_LIB:-build/lib}
results=${BENCH_RESULTS:-bench}
for section in $sections; do
    case $section in
        inproc | proxy | tcp | ipc | curve | pubsub | router | instr | memory) ;;
        *)
            echo "bench.sh: unknown section '$section' (want inproc, proxy, tcp, ipc, curve, pubsub, router, instr, memory)" >&2
            exit 1
            ;;
    esac
done
want() { case " $sections " in *" $1 "*) return 0 ;; esac; return 1; }

# Message sizes: every throughput row runs each of thr_sizes, every latency
# row each of lat_sizes.  QUICK=1 takes fewer, and divides the message
# counts by `scale`.
all_sizes=(8 64 256 1024 65536 1048576)
if [ "$quick" = 1 ]; then
    thr_sizes=(64 65536) lat_sizes=(64) inproc_lat_sizes=(64) curve_sizes=(1024) fan_sizes=(64 65536)
    scale=4
else
    thr_sizes=("${all_sizes[@]}") lat_sizes=(8 64 1024 65536) inproc_lat_sizes=(8 64 1024)
    curve_sizes=("${all_sizes[@]}") fan_sizes=("${all_sizes[@]}") scale=1
fi
fanouts=(1 10 100)
dealers=(1 100 1000)

# A message count divided by the scale, at least 2.
scaled() { # count
    local n=$(($1 / scale))
    [ "$n" -ge 2 ] || n=2
    echo "$n"
}

# The message count for a size: one count given for each of all_sizes
# (each run ~1 s or less), scaled.
count_for() { # size count...
    local size=$1 i=1 s
    shift
    for s in "${all_sizes[@]}"; do
        [ "$size" -le "$s" ] && break
        i=$((i + 1))
    done
    scaled "${!i}"
}

# The first two CPUs this script may run on, for pinning.
pin_mode=${BENCH_PIN:-both}
[ "$smoke" = 1 ] && pin_mode=unpinned
case $pin_mode in
    unpinned | pinned | both) ;;
    0) pin_mode=unpinned ;;
    1) pin_mode=pinned ;;
    *) echo "bench.sh: BENCH_PIN is unpinned, pinned or both" >&2; exit 1 ;;
esac
pin_cpus=() pin_local=() pin_remote=() pin_spec=
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
pinned=unpinned
pinning() { # on|off
    if [ "$1" = on ]; then
        pin_local=(taskset -c "${pin_cpus[0]}") pin_remote=(taskset -c "${pin_cpus[1]}")
        pin_spec=${pin_cpus[0]},${pin_cpus[1]} pinned=pinned
    else
        pin_local=() pin_remote=() pin_spec= pinned=unpinned
    fi
}

out=build/perf
tools=(inproc_thr inproc_lat proxy_thr local_thr remote_thr local_lat remote_lat pubsub_thr router_thr mem_footprint)
mkdir -p "$out/ours" "$out/system"
for tool in "${tools[@]}"; do
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
tsv=$tmp/results.tsv
printf '%s\n' "test	transport	size	pinning	unit	better	ours	libzmq	ratio	ratio_low	ratio_high	ours_low	ours_high	libzmq_low	libzmq_high	ours_runs	libzmq_runs" >"$tsv"

ratio() {
    case "$1$2" in *n/a*) printf 'n/a'; return ;; esac
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'
}

human() { # bytes: 8B, 1KiB, 1MiB
    if [ "$1" -ge 1048576 ] && [ $(($1 % 1048576)) -eq 0 ]; then
        echo "$(($1 / 1048576))MiB"
    elif [ "$1" -ge 1024 ] && [ $(($1 % 1024)) -eq 0 ]; then
        echo "$(($1 / 1024))KiB"
    else
        echo "$1B"
    fi
}

# The first number on the line of a tool's output that matches <field>.
field_of() { # field file
    awk -v f="$1" -F': ' '$0 ~ f {split($2, v, " "); print v[1]; exit}' "$2"
}

# Why a run failed, for the line after the row (reasons) or the smoke test.
failed_run() { # which what status errfile
    {
        printf '%s exit %s' "$2" "$3"
        [ "$3" = 124 ] && printf ' (timed out after %ss)' "$limit"
        [ -s "$4" ] && printf ': %s' "$(head -n 1 "$4")"
        printf '\n'
    } >"$tmp/reason.$1"
    return 1
}

# A value read from a run's output, or a failure when there is none.
value_of() { # which field file
    local value
    value=$(field_of "$2" "$3")
    case $value in
        '' | *[!0-9.e+-]*)
            echo "no '$2' number in the output" >"$tmp/reason.$1"
            return 1
            ;;
    esac
    printf '%s\n' "$value"
}

# One row: an untimed warm-up run of each library, then round after round
# one run of each (the first alternating), each a call of `fn which round
# args...` that prints one value or fails.  Prints "<ours median> [min-max]
# <libzmq median> [min-max] <ratio> [min-max]", the ratio ours/libzmq
# (libzmq/ours with invert=1, for latencies) from the medians, its spread
# from each round's own ratio, and appends the row to the results.  Failed
# runs are left out; a side with none shows n/a.
measure() { # test transport size invert unit fn args...
    local test=$1 transport=$2 size=$3 invert=$4 unit=$5 fn=$6 r which value
    shift 6
    printf '%-11s %-9s %6s  ' "$test" "$transport" "$(human "$size")"
    "$fn" ours 0 "$@" >/dev/null 2>&1 || true
    "$fn" system 0 "$@" >/dev/null 2>&1 || true
    rm -f "$tmp/reason.ours" "$tmp/reason.system"
    for r in $(seq "$runs"); do
        for which in $(if [ $((r % 2)) = 1 ]; then echo ours system; else echo system ours; fi); do
            value=$("$fn" "$which" "$r" "$@") || value=n/a
            echo "$r $which ${value:-n/a}"
        done
    done | awk -v invert="$invert" -v unit="$unit" -v tsv="$tsv" -v test="$test" \
        -v transport="$transport" -v size="$size" -v pinning="$pinned" '
        function sort(a, n,    i, j, t) {
            for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        }
        function med(a, n) { return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        function num(v) { return (v >= 1e6) ? sprintf("%.2fM", v / 1e6) : (v >= 1e4) ? sprintf("%.0fk", v / 1e3) : (v >= 100) ? sprintf("%.0f", v) : sprintf("%.1f", v) }
        function side(a, n) {
            if (n == 0) return sprintf("%27s", "n/a")
            return sprintf("%8s %-5s [%s-%s]", num(med(a, n)), unit, num(a[1]), num(a[n]))
        }
        function g(v) { return (v == "n/a") ? v : sprintf("%.10g", v) }
        { if ($1 > rounds) rounds = $1 }
        $3 != "n/a" { v[$1, $2] = $3; if ($2 == "ours") o[++no] = $3; else s[++ns] = $3 }
        END {
            sort(o, no); sort(s, ns)
            printf "%s  %s", side(o, no), side(s, ns)
            mo = lo_o = hi_o = ms = lo_s = hi_s = q = qlo = qhi = "n/a"
            if (no) { mo = med(o, no); lo_o = o[1]; hi_o = o[no] }
            if (ns) { ms = med(s, ns); lo_s = s[1]; hi_s = s[ns] }
            if (no && ns && mo > 0 && ms > 0) {
                q = invert ? ms / mo : mo / ms
                for (r = 1; r <= rounds; r++) {
                    if (!((r, "ours") in v) || !((r, "system") in v)) continue
                    if (v[r, "ours"] <= 0 || v[r, "system"] <= 0) continue
                    x = invert ? v[r, "system"] / v[r, "ours"] : v[r, "ours"] / v[r, "system"]
                    if (nq++ == 0 || x < qlo) qlo = x
                    if (nq == 1 || x > qhi) qhi = x
                }
                if (nq == 0) qlo = qhi = q
                printf "  %5.2f [%.2f-%.2f]\n", q, qlo, qhi
            } else
                printf "  %5s\n", "n/a"
            printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", test, transport, size, \
                pinning, unit, invert ? "lower" : "higher", g(mo), g(ms), g(q), g(qlo), g(qhi), \
                g(lo_o), g(hi_o), g(lo_s), g(hi_s), no, ns >>tsv
        }'
    reasons
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

# One run of a tool that takes <size> <count> (inproc_thr, inproc_lat,
# proxy_thr), printing the value of <field>.
one_tool() { # which round tool size count field
    local which=$1 run=$2 tool=$3 size=$4 count=$5 field=$6 rc=0
    local log="$tmp/$which-$tool-$size-$run"
    if [ "$which" = ours ]; then
        env "LD_LIBRARY_PATH=$ours_lib" timeout "$limit" "$out/ours/$tool" "$size" "$count" \
            >"$log" 2>"$log.err" || rc=$?
    else
        timeout "$limit" "$out/system/$tool" "$size" "$count" >"$log" 2>"$log.err" || rc=$?
    fi
    [ "$rc" -eq 0 ] || failed_run "$which" "$tool" "$rc" "$log.err" || return 1
    value_of "$which" "$field" "$log"
}

# One run of pubsub_thr or router_thr over tcp, which fork into the binding
# side and the connecting side (PERF_PIN pins them when pinning is on).
fork_tool() { # which round tool peers size count field
    local which=$1 run=$2 tool=$3 peers=$4 size=$5 count=$6 field=$7 rc=0
    local log="$tmp/$which-$tool-$peers-$size-$run"
    local -a cmd=(timeout "$limit")
    [ "$which" = ours ] && cmd=(env "LD_LIBRARY_PATH=$ours_lib" timeout "$limit")
    env "PERF_PIN=$pin_spec" "${cmd[@]}" "$out/$which/$tool" 'tcp://127.0.0.1:*' "$peers" "$size" "$count" \
        >"$log" 2>"$log.err" || rc=$?
    [ "$rc" -eq 0 ] || failed_run "$which" "$tool" "$rc" "$log.err" || return 1
    value_of "$which" "$field" "$log"
}

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
    value_of "$which" "$field" "$value"
}

pair_value() { # which round kind transport size count field
    pair_once "$1" "$3" "$4" "$5" "$6" "$2" "$7"
}

# Results in $BENCH_RESULTS (or another directory): the table's rows as
# results.tsv, drawn by perf/plot.py as results.svg when matplotlib is
# there. Returns 1 when plot.py fails, 3 when the chart was skipped.
publish() { # directory
    local dir=$1 rc=0
    mkdir -p "$dir"
    cp "$tsv" "$dir/results.tsv.new"
    mv -f "$dir/results.tsv.new" "$dir/results.tsv"
    echo "results: $dir/results.tsv"
    # Debian's python3-matplotlib is for /usr/bin/python3, which need not
    # be the python3 found first.
    local python=
    for python in python3 /usr/bin/python3 ''; do
        [ -n "$python" ] && command -v "$python" >/dev/null 2>&1 \
            && "$python" -c 'import matplotlib' >/dev/null 2>&1 && break
    done
    if [ -z "$python" ]; then
        echo "chart skipped: no matplotlib for python3 (Debian: apt-get install python3-matplotlib)" >&2
        return 3
    fi
    "$python" perf/plot.py "$dir/results.tsv" "$dir/results.svg" || rc=$?
    case $rc in
        0) echo "chart: $dir/results.svg" ;;
        *) echo "perf/plot.py failed (exit $rc)" >&2; return 1 ;;
    esac
}

# Heap in use per socket and per idle connection (the memory rows).
footprint() { # which sockets connections: mem_footprint's lines
    if [ "$1" = ours ]; then
        LD_LIBRARY_PATH=$ours_lib timeout "$limit" build/perf/ours/mem_footprint "$2" "$3"
    else
        timeout "$limit" build/perf/system/mem_footprint "$2" "$3"
    fi
}

# --smoke (make test's perf stage): every tool once on each library, with
# small counts, a check each (it passes when the tool exits 0 and prints a
# number), then perf/plot.py on those numbers; the last line is "N passed,
# M failed".  No timing decides anything.
if [ "$smoke" = 1 ]; then
    passed=0 failed=0
    check() { # label fn args...
        local label=$1 fn=$2 which value
        shift 2
        for which in ours system; do
            rm -f "$tmp/reason.$which"
            if value=$("$fn" "$which" 1 "$@"); then
                passed=$((passed + 1))
                echo "PASS perf $label ($which): $value"
                eval "value_$which=\$value"
            else
                failed=$((failed + 1))
                echo "FAIL perf $label ($which): $(cat "$tmp/reason.$which" 2>/dev/null)"
                eval "value_$which=n/a"
            fi
        done
    }
    row_of() { # test transport size invert unit
        printf '%s\t%s\t%s\tunpinned\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t1\t1\n' "$1" "$2" "$3" "$5" \
            "$([ "$4" = 1 ] && echo lower || echo higher)" "$value_ours" "$value_system" \
            "$(if [ "$4" = 1 ]; then ratio "$value_system" "$value_ours"; else ratio "$value_ours" "$value_system"; fi)" \
            n/a n/a "$value_ours" "$value_ours" "$value_system" "$value_system" >>"$tsv"
    }
    check "inproc_thr 64B" one_tool inproc_thr 64 20000 'msg/s'; row_of thr inproc 64 0 msg/s
    check "inproc_lat 64B" one_tool inproc_lat 64 2000 'latency'; row_of lat inproc 64 1 us
    check "proxy_thr 64B" one_tool proxy_thr 64 20000 'msg/s'; row_of proxy_thr inproc 64 0 msg/s
    check "local_thr/remote_thr tcp 64B" pair_value thr tcp 64 20000 'msg/s'; row_of thr tcp 64 0 msg/s
    check "local_lat/remote_lat ipc 64B" pair_value lat ipc 64 1000 'latency'; row_of lat ipc 64 1 us
    check "pubsub_thr 100 SUBs 64B" fork_tool pubsub_thr 100 64 200 'msg/s'; row_of pubsub_100 tcp 64 0 msg/s
    check "router_thr 1000 DEALERs 64B" fork_tool router_thr 1000 64 5000 'req/s'; row_of router_1000 tcp 64 0 req/s
    memory_once() { # which: heap bytes per idle tcp connection
        footprint "$1" 50 20 >"$tmp/mem.$1" 2>"$tmp/reason.$1" || return 1
        awk '$1 == "tcp_conn_only_heap" {print $2; found = 1} END {exit !found}' "$tmp/mem.$1"
    }
    check "mem_footprint tcp connection" memory_once; row_of tcp_conn memory 0 1 B
    rc=0
    publish build/perf/smoke >/dev/null 2>"$tmp/plot.err" || rc=$?
    case $rc in
        0) passed=$((passed + 1)); echo "PASS perf plot.py: build/perf/smoke/results.svg" ;;
        3) echo "note: no chart check (python3-matplotlib missing)" ;;
        *) failed=$((failed + 1)); echo "FAIL perf plot.py: $(tail -n 1 "$tmp/plot.err")" ;;
    esac
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
fi

header() {
    printf '%-11s %-9s %6s  %-27s  %-27s  %s\n' test transport size "ours [spread]" "libzmq [spread]" "ratio [spread]"
}

echo "$runs interleaved runs per row after a warm-up; medians, [lowest-highest]; ratio above 1: ours faster"
[ "$quick" = 1 ] && echo "(QUICK: fewer sizes, messages and runs)"
echo
echo "== unpinned (headline)"
header

if want inproc; then
    for size in "${thr_sizes[@]}"; do
        measure thr inproc "$size" 0 msg/s one_tool inproc_thr "$size" \
            "$(count_for "$size" 2000000 2000000 2000000 500000 50000 50000)" 'msg/s'
    done
    for size in "${inproc_lat_sizes[@]}"; do
        measure lat inproc "$size" 1 us one_tool inproc_lat "$size" "$(scaled 100000)" 'latency'
    done
fi

# zmq_proxy between two inproc hops (PUSH -> PULL | proxy | PUSH -> PULL).
if want proxy; then
    for size in "${thr_sizes[@]}"; do
        measure proxy_thr inproc "$size" 0 msg/s one_tool proxy_thr "$size" \
            "$(count_for "$size" 1000000 1000000 1000000 500000 100000 50000)" 'msg/s'
    done
fi

network_rows() {
    local transport size n
    for transport in tcp ipc; do
        want "$transport" || continue
        for size in "${thr_sizes[@]}"; do
            measure thr "$transport" "$size" 0 msg/s pair_value thr "$transport" "$size" \
                "$(count_for "$size" 1000000 500000 500000 200000 10000 500)" 'msg/s'
        done
        for size in "${lat_sizes[@]}"; do
            measure lat "$transport" "$size" 1 us pair_value lat "$transport" "$size" "$(scaled 5000)" 'latency'
        done
    done

    # CURVE over tcp: every frame boxed and unboxed on each side.
    if want curve; then
        curve=1
        for size in "${curve_sizes[@]}"; do
            measure curve_thr tcp "$size" 0 msg/s pair_value thr tcp "$size" \
                "$(count_for "$size" 200000 200000 200000 100000 1000 50)" 'msg/s'
        done
        measure curve_lat tcp 64 1 us pair_value lat tcp 64 "$(scaled 5000)" 'latency'
        curve=0
    fi

    # One PUB to N SUBs: about the same number of deliveries (N times the
    # messages) per run whatever N.
    if want pubsub; then
        local deliveries
        for n in "${fanouts[@]}"; do
            for size in "${fan_sizes[@]}"; do
                deliveries=$(count_for "$size" 1000000 1000000 1000000 500000 10000 600)
                measure "pubsub_$n" tcp "$size" 0 msg/s fork_tool pubsub_thr "$n" "$size" \
                    $((deliveries / n > 2 ? deliveries / n : 2)) 'msg/s'
            done
        done
    fi

    # N DEALERs, a request each in flight, to one ROUTER.
    if want router; then
        for n in "${dealers[@]}"; do
            measure "router_$n" tcp 64 0 req/s fork_tool router_thr "$n" 64 \
                "$(case $n in 1) scaled 10000 ;; 100) scaled 50000 ;; *) scaled 30000 ;; esac)" 'req/s'
        done
    fi
}

if [ "$pin_mode" != pinned ]; then
    pinning off
    network_rows
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
    if [ "$quick" = 1 ]; then instr_sizes=(64); else instr_sizes=(8 64 1024); fi
    for size in "${instr_sizes[@]}"; do
        a=$(instructions ours "$size" "$(scaled 100000)")
        b=$(instructions system "$size" "$(scaled 100000)")
        q=$(ratio "$b" "$a")
        printf '%-11s %-9s %6s  %8s %-18s  %8s %-18s  %5s\n' instr inproc "$(human "$size")" "$a" instr/msg "$b" instr/msg "$q"
        printf '%s\tinproc\t%s\tunpinned\tinstr/msg\tlower\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t1\t1\n' \
            instr "$size" "$a" "$b" "$q" "$q" "$q" "$a" "$a" "$b" "$b" >>"$tsv"
    done
fi

# Heap in use per socket and per idle connection (lower is better; the
# ratio is libzmq / ours).
if want memory && [ "$smoke" = 0 ]; then
    if footprint ours 1000 500 >"$tmp/mem.ours" 2>&1 && footprint system 1000 500 >"$tmp/mem.system" 2>&1; then
        for name in socket tcp_conn_only ipc_conn_only; do
            a=$(awk -v k="${name}_heap" '$1 == k {print $2}' "$tmp/mem.ours")
            b=$(awk -v k="${name}_heap" '$1 == k {print $2}' "$tmp/mem.system")
            q=$(ratio "$b" "$a")
            test=${name%_only}
            printf '%-11s %-9s %6s  %8s %-18s  %8s %-18s  %5s\n' "$test" memory - "$a" B "$b" B "$q"
            printf '%s\tmemory\t0\tunpinned\tB\tlower\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t1\t1\n' \
                "$test" "$a" "$b" "$q" "$q" "$q" "$a" "$a" "$b" "$b" >>"$tsv"
        done
    else
        echo "memory: mem_footprint failed: $(tail -n 1 "$tmp/mem.ours" "$tmp/mem.system" 2>/dev/null | tr '\n' ' ')"
    fi
fi

if [ "$pin_mode" != unpinned ] && { want tcp || want ipc || want curve || want pubsub || want router; }; then
    echo
    echo "== pinned (local_* and the binding side on CPU ${pin_cpus[0]}, remote_* and the connecting side on CPU ${pin_cpus[1]})"
    header
    pinning on
    network_rows
    pinning off
fi

echo
rc=0
publish "$results" || rc=$?
[ "$rc" -ne 1 ]
