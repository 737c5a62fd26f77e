#!/usr/bin/env bash
# Wire interop with the real libzmq: c-tests/interop/peer.c is built twice,
# build/interop/peer-sys against the system libzmq (Debian libzmq3-dev) and
# build/interop/peer-ours against build/lib, and every run pairs one of each
# over tcp (127.0.0.1, wildcard port) or ipc (a socket in a fresh mktemp -d
# directory). Each peer checks every frame it receives exactly (see peer.c).
#
#   bash c-tests/test_interop.sh [filter]      e.g. "tcp", "PUB/SUB", "reconnect"
#
# For each of REQ/REP DEALER/ROUTER DEALER/REP REQ/ROUTER PUB/SUB XPUB/XSUB
# PUSH/PULL PAIR/PAIR and each transport, "ours" plays each of the two types
# in turn, and binds, then connects. Every run carries multipart messages
# with frames of 0, 1, 255, 256, 64 KiB and 8 MiB. Some runs add heartbeats
# (an idle pause longer than the heartbeat timeout, and a reconnect interval
# longer than the run, so a connection dropped for want of PONGs fails),
# routing ids (text, 255 binary bytes, or ROUTER-generated), or
# REQ_RELAXED + REQ_CORRELATE; the tags at the end of each line say which.
# The reconnect runs kill the sys side (SIGKILL) mid-conversation and start
# it again on the same endpoint; ours must reconnect (and a SUB must renew
# its subscription).
#
# The security runs put PLAIN and CURVE between the two, over tcp and ipc,
# ours as the server (binding, with the ZAP handler thread of peer.c) and
# then as the client: PLAIN with the right password (every message
# carries the handler's User-Id) and a wrong one; CURVE REQ/REP checked by
# the handler against the client's key, PUSH/PULL with 10000 messages and
# no handler, an unknown client key and a wrong server key. Server keys
# come from the server's library (peer --keypair), client keys from the
# client's. The big frames are 1 MiB. A refused run passes when both sides
# see the failure libzmq reports (server and client monitor events) and
# nothing gets through.
#
# REFERENCE=1 uses peer-sys for "ours" as well: the test then proves that it
# expects exactly what libzmq does. Each run prints one PASS/FAIL line; the
# last line is "N passed, M failed" and the exit status is non-zero on any
# failure. Logs of every peer are kept in build/interop/logs/.
set -u
cd "$(dirname "$0")/.."
root=$PWD
lib=$root/build/lib
out=$root/build/interop
logs=$out/logs
filter=${1:-}
reference=${REFERENCE:-0}
CC=${CC:-cc}
CFLAGS="-std=gnu11 -O1 -g -Wall -Wextra -Werror"
PEER_TIMEOUT=30     # seconds, per process (peers time out on their own first)
# ZMQ_HEARTBEAT_IVL:TIMEOUT:TTL (ms). The timeout leaves room for a peer
# that a busy machine does not schedule for a few hundred ms: both libraries
# rightly drop a connection whose peer is silent for longer.
HB=100:1000:2000
PAUSE=1200          # ms of silence in heartbeat runs (> heartbeat timeout)

exec 3>&2
mkdir -p "$out"
# Another instance (say c-tests/run.sh started elsewhere) would rebuild the
# peers and wipe the logs under this one's feet: take turns.
exec 9>"$out/.lock"
if ! flock -n 9; then
    echo "waiting for another test_interop.sh to finish"
    flock 9
fi
rm -rf "$logs"
mkdir -p "$logs"
ipcdir=$(mktemp -d "${TMPDIR:-/tmp}/zmq-interop.XXXXXX")
started=$(date +%s%N)

passed=0
failed=0
failures=()
pids=()

cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null
    done
    rm -rf "$ipcdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { passed=$((passed + 1)); echo "PASS $1"; }
failure() { failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1"; }

summary() {
    local secs=$((($(date +%s%N) - started) / 1000000000))
    # Anything on the shell's stderr other than job notices is shown.
    if [ -s "$logs/shell-notices.log" ]; then
        grep -vE ': line [0-9]+: +[0-9]+ ' "$logs/shell-notices.log" >&3
    fi
    [ ${#failures[@]} -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
    echo "interop: ${secs}s$([ "$reference" = 1 ] && echo ', REFERENCE mode: sys on both sides')"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

# ---------------------------------------------------------------- build
sys_bin=$out/peer-sys
ours_bin=$out/peer-ours
if ! $CC $CFLAGS -o "$sys_bin" c-tests/interop/peer.c -lzmq -lpthread 2>"$out/peer-sys.build.log"; then
    cat "$out/peer-sys.build.log"; failure "build peer-sys"; summary
fi
if [ "$reference" = 1 ]; then
    ours_bin=$sys_bin
    echo "REFERENCE mode: peer-sys plays both sides"
else
    if ! $CC $CFLAGS -I"$root/include" -o "$ours_bin" c-tests/interop/peer.c \
            -L"$lib" -lzmq -lpthread 2>"$out/peer-ours.build.log"; then
        cat "$out/peer-ours.build.log"; failure "build peer-ours"; summary
    fi
fi

# Both programs load a "libzmq.so.5": make sure each gets the right one.
sys_lib=$(env -u LD_LIBRARY_PATH ldd "$sys_bin" | awk '/libzmq\.so/ {print $3}')
case "$(readlink -f "$sys_lib")" in
    ""|"$root"/*) failure "peer-sys must load the system libzmq, loads '$sys_lib'"; summary ;;
esac
if [ "$reference" != 1 ]; then
    ours_lib=$(env LD_LIBRARY_PATH="$lib" ldd "$ours_bin" | awk '/libzmq\.so/ {print $3}')
    if [ "$(readlink -f "$ours_lib")" != "$(readlink -f "$lib/libzmq.so.5")" ]; then
        failure "peer-ours must load $lib/libzmq.so.5, loads '$ours_lib'"; summary
    fi
fi

# The shell's own notices about background jobs that died of a signal
# ("Killed", "Aborted") would interleave with the results: they go to a log
# (the runs report exit statuses themselves).
exec 3>&2 2>"$logs/shell-notices.log"

# ---------------------------------------------------------------- processes
# start_peer ours|sys LOGPREFIX ARGS...: runs a peer in the background under
# `timeout`; its pid is left in $peer_pid, its command line in LOGPREFIX.cmd.
start_peer() {
    local impl=$1 prefix=$2
    shift 2
    # No stale lines: the file exists only once this peer has opened it.
    rm -f "$prefix.out" "$prefix.err"
    if [ "$impl" = ours ] && [ "$reference" != 1 ]; then
        echo "LD_LIBRARY_PATH=build/lib build/interop/peer-ours $*" >"$prefix.cmd"
        env LD_LIBRARY_PATH="$lib" timeout -k 2 $PEER_TIMEOUT "$ours_bin" "$@" \
            >"$prefix.out" 2>"$prefix.err" 9>&- &
    else
        # peer-sys (for "ours" too in REFERENCE mode), never with build/lib
        # on the library path: it would load our libzmq.so.5.
        echo "build/interop/peer-sys $*" >"$prefix.cmd"
        env -u LD_LIBRARY_PATH timeout -k 2 $PEER_TIMEOUT "$sys_bin" "$@" \
            >"$prefix.out" 2>"$prefix.err" 9>&- &
    fi
    peer_pid=$!
    pids+=("$peer_pid")
}

alive() { kill -0 "$1" 2>/dev/null; }

# wait_line FILE KEY SECONDS PID...: waits until FILE has a line "KEY value"
# and leaves the value in $line_value; gives up when time runs out or any
# of the PIDs has exited.
wait_line() {
    local file=$1 key=$2 tries=$(($3 * 100)) p l
    shift 3
    line_value=
    while [ $tries -gt 0 ]; do
        l=$(grep -m1 "^$key " "$file" 2>/dev/null)
        if [ -n "$l" ]; then line_value=${l#"$key "}; return 0; fi
        for p in "$@"; do alive "$p" || { l=$(grep -m1 "^$key " "$file"); [ -n "$l" ] && { line_value=${l#"$key "}; return 0; }; return 1; }; done
        sleep 0.01
        tries=$((tries - 1))
    done
    return 1
}

# wait_both PID_A PID_B: waits for both; when one fails, stops the other at
# once (its conversation cannot succeed). Leaves $rc_a, $rc_b, $stopped.
wait_both() {
    local a=$1 b=$2
    stopped=
    while alive "$a" && alive "$b"; do sleep 0.01; done
    if ! alive "$a"; then
        wait "$a"; rc_a=$?
        [ $rc_a -ne 0 ] && alive "$b" && { kill -TERM "$b" 2>/dev/null; stopped=b; }
        wait "$b"; rc_b=$?
    else
        wait "$b"; rc_b=$?
        [ $rc_b -ne 0 ] && alive "$a" && { kill -TERM "$a" 2>/dev/null; stopped=a; }
        wait "$a"; rc_a=$?
    fi
}

# explain ROLE PREFIX RC STOPPED: the failure details of one side.
explain() {
    local role=$1 prefix=$2 rc=$3 was_stopped=$4 why
    case $rc in
        0) why="ok" ;;
        124) why="exit 124 (stopped by timeout after ${PEER_TIMEOUT}s)" ;;
        12[5-9]|1[3-9][0-9]|2[0-9][0-9])
            why="exit $rc (died of SIG$(kill -l $((rc - 128)) 2>/dev/null || echo "$((rc - 128))"))" ;;
        *) why="exit $rc" ;;
    esac
    [ "$was_stopped" = 1 ] && why="stopped by the script (exit $rc) after the other side failed"
    echo "    $role: $why"
    echo "      \$ $(cat "$prefix.cmd")"
    [ -s "$prefix.err" ] && tail -n 8 "$prefix.err" | sed 's/^/      /'
}

# The outcome of a two-peer run (rc_a, rc_b, stopped from wait_both):
# pass, or fail with each peer's story.
#   verdict <label> <role a> <log prefix a> <role b> <log prefix b>
verdict() {
    if [ "$rc_a" -eq 0 ] && [ "$rc_b" -eq 0 ]; then
        pass "$1"
    else
        failure "$1"
        explain "$2" "$3" "$rc_a" "$([ "$stopped" = a ] && echo 1)"
        explain "$4" "$5" "$rc_b" "$([ "$stopped" = b ] && echo 1)"
    fi
}

# ---------------------------------------------------------------- one run
case_no=0

# run_case LABEL NEED_CONTROL: binder from B_IMPL/B_ARGS, connector from
# C_IMPL/C_ARGS, where @EP@ and @CTL@ stand for what the binder printed.
run_case() {
    local label=$1 need_ctl=$2
    case "$label" in *"$filter"*) ;; *) return ;; esac
    case_no=$((case_no + 1))
    local pfx b c ep ctl= a cargs=()
    pfx=$logs/$(printf %03d $case_no)
    b=$pfx.binder
    c=$pfx.connector
    echo "$label" >"$pfx.label"
    start_peer "$B_IMPL" "$b" "${B_ARGS[@]}"
    local pb=$peer_pid
    if ! wait_line "$b.out" endpoint 5 "$pb" \
            || { [ "$need_ctl" = 1 ] && ! wait_line "$b.out" control 5 "$pb"; }; then
        alive "$pb" && kill -TERM "$pb" 2>/dev/null
        wait "$pb"; rc_a=$?
        failure "$label"
        echo "    binder printed no endpoint"
        explain "binder ($B_IMPL ${B_ARGS[0]})" "$b" "$rc_a" 0
        return
    fi
    ep=$(grep -m1 '^endpoint ' "$b.out" | cut -d' ' -f2-)
    [ "$need_ctl" = 1 ] && ctl=$(grep -m1 '^control ' "$b.out" | cut -d' ' -f2-)
    for a in "${C_ARGS[@]}"; do a=${a//@EP@/$ep}; cargs+=("${a//@CTL@/$ctl}"); done
    start_peer "$C_IMPL" "$c" "${cargs[@]}"
    local pc=$peer_pid
    wait_both "$pb" "$pc"
    verdict "$label" "binder ($B_IMPL ${B_ARGS[0]})" "$b" "connector ($C_IMPL ${C_ARGS[0]})" "$c"
}

# ---------------------------------------------------------------- the matrix
pairs="REQ:REP DEALER:ROUTER DEALER:REP REQ:ROUTER PUB:SUB XPUB:XSUB PUSH:PULL PAIR:PAIR"
for tr in tcp ipc; do
    for pair in $pairs; do
        t1=${pair%:*}
        t2=${pair#*:}
        for ours_is in 1 2; do
            [ "$t1" = "$t2" ] && [ $ours_is = 2 ] && continue
            if [ $ours_is = 1 ]; then ours_t=$t1 sys_t=$t2; else ours_t=$t2 sys_t=$t1; fi
            for binder in ours sys; do
                n=$((case_no + 1))
                if [ $binder = ours ]; then
                    bt=$ours_t ct=$sys_t B_IMPL=ours C_IMPL=sys
                else
                    bt=$sys_t ct=$ours_t B_IMPL=sys C_IMPL=ours
                fi
                if [ $tr = tcp ]; then
                    bep='tcp://127.0.0.1:*' bctl='tcp://127.0.0.1:*'
                else
                    bep=ipc://$ipcdir/$n.sock bctl=ipc://$ipcdir/$n.ctl
                fi
                B_ARGS=("$bt" bind "$bep" --with "$ct" --big)
                C_ARGS=("$ct" connect @EP@ --with "$bt" --big)
                tags=
                need_ctl=0
                if [ "$t1" = PUB ]; then
                    need_ctl=1
                    B_ARGS+=(--control "$bctl")
                    C_ARGS+=(--control @CTL@)
                fi
                # Heartbeats: over tcp on the binder when ours plays the first
                # type (so ours sends PINGs once and answers them once); over
                # ipc on both sides when ours connects as the second type.
                hb=
                if [ $tr = tcp ] && [ $ours_is = 1 ]; then
                    hb=binder
                elif [ $tr = ipc ] && [ $binder = sys ] && { [ $ours_is = 2 ] || [ "$t1" = "$t2" ]; }; then
                    hb=both
                fi
                if [ -n "$hb" ]; then
                    B_ARGS+=(--hb $HB --pause $PAUSE)
                    C_ARGS+=(--pause $PAUSE --reconnect-ivl 60000)
                    [ $hb = both ] && C_ARGS+=(--hb $HB) && tags+=" hb:both"
                    [ $hb = binder ] && tags+=" hb:$B_IMPL"
                fi
                # Routing ids as a ROUTER sees them.
                if [ "$t2" = ROUTER ]; then
                    if [ $bt = ROUTER ]; then rargs=B_ARGS cargs_=C_ARGS; else rargs=C_ARGS cargs_=B_ARGS; fi
                    if [ $tr = ipc ]; then
                        eval "$rargs+=(--peer-id auto)"; tags+=" id:auto"
                    elif [ $binder = ours ]; then
                        eval "$cargs_+=(--id interop-client)"; eval "$rargs+=(--peer-id interop-client)"
                        tags+=" id:text"
                    else
                        eval "$cargs_+=(--id-bytes 255)"; eval "$rargs+=(--peer-id-bytes 255)"
                        tags+=" id:255-bytes"
                    fi
                fi
                # REQ_RELAXED + REQ_CORRELATE over ipc.
                if [ "$t1" = REQ ] && [ $tr = ipc ]; then
                    if [ $bt = REQ ]; then B_ARGS+=(--relaxed); C_ARGS+=(--peer-relaxed)
                    else C_ARGS+=(--relaxed); B_ARGS+=(--peer-relaxed); fi
                    tags+=" relaxed"
                fi
                label=$(printf '%-3s %-13s ours %-6s %-8s sys %-6s %-8s%s' $tr "$t1/$t2" \
                    $ours_t "$([ $binder = ours ] && echo binds || echo connects)" \
                    $sys_t "$([ $binder = sys ] && echo binds || echo connects)" "$tags")
                run_case "${label%"${label##*[! ]}"}" $need_ctl
            done
        done
    done
done

# ---------------------------------------------------------------- reconnect
# reconnect_case TRANSPORT CLIENT_TYPE SERVER_TYPE: ours CLIENT_TYPE connects
# to sys SERVER_TYPE; the script kills the server once it prints
# "waiting-to-be-killed <pid>" and starts a second one on the same endpoint.
#
# Over tcp the server binds a fixed port below the kernel's ephemeral range:
# while ours retries against a closed ephemeral port, one of its own connect
# attempts could be given that port as source and connect to itself.
port_low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
port_low=${port_low:-32768}

reconnect_case() {
    local tr=$1 ct=$2 st=$3
    local label
    label=$(printf '%-3s %-13s ours %-6s connects, sys %s binds, is killed and restarted' \
        "$tr" "reconnect" "$ct" "$st")
    case "$label" in *"$filter"*) ;; *) return ;; esac
    case_no=$((case_no + 1))
    local pfx ep ctl= bep bctl sargs=() cextra=() need_ctl=0 try r1 rc killed=0
    pfx=$logs/$(printf %03d $case_no)
    echo "$label" >"$pfx.label"
    local s1=$pfx.server1 s2=$pfx.server2 c=$pfx.client
    if [ $st = PUB ]; then
        need_ctl=1
    else
        sargs=(--peer-id reconnector)
        cextra=(--id reconnector)
    fi
    for try in 1 2 3 4 5 6 7 8; do
        if [ $tr = ipc ]; then
            bep=ipc://$ipcdir/r$case_no.sock bctl=ipc://$ipcdir/r$case_no.ctl
        elif [ "$port_low" -gt 6000 ]; then
            local port=$((port_low - 5000 + RANDOM % 4000))
            bep=tcp://127.0.0.1:$port bctl=tcp://127.0.0.1:$((port + 1))
        else
            bep='tcp://127.0.0.1:*' bctl='tcp://127.0.0.1:*'
        fi
        local ctlargs=()
        [ $need_ctl = 1 ] && ctlargs=(--control "$bctl")
        start_peer sys "$s1" $st bind "$bep" --with $ct "${ctlargs[@]}" --big --reconnect-server 1 "${sargs[@]}"
        p1=$peer_pid
        if wait_line "$s1.out" endpoint 5 "$p1" \
                && { [ $need_ctl = 0 ] || wait_line "$s1.out" control 5 "$p1"; }; then
            break
        fi
        alive "$p1" && kill -TERM "$p1"
        wait "$p1"; r1=$?
        if [ $tr = tcp ] && [ $try -lt 8 ] && grep -q "Address already in use" "$s1.err"; then
            continue
        fi
        failure "$label"
        echo "    the first server printed no endpoint"
        explain "first server (sys $st)" "$s1" $r1 0
        return
    done
    ep=$(grep -m1 '^endpoint ' "$s1.out" | cut -d' ' -f2-)
    [ $need_ctl = 1 ] && ctl=$(grep -m1 '^control ' "$s1.out" | cut -d' ' -f2-)
    local cargs=($ct connect "$ep" --with $st --big --reconnect-client --reconnect-ivl 20 "${cextra[@]}")
    [ $need_ctl = 1 ] && cargs+=(--control "$ctl")
    start_peer ours "$c" "${cargs[@]}"
    local pc=$peer_pid
    if ! wait_line "$s1.out" waiting-to-be-killed 10 "$p1" "$pc"; then
        local stop1=0 stopc=0
        alive "$p1" && { kill -TERM "$p1"; stop1=1; }
        alive "$pc" && { kill -TERM "$pc"; stopc=1; }
        wait "$p1"; r1=$?
        wait "$pc"; rc=$?
        failure "$label"
        echo "    the first server did not get to the point where it is killed"
        explain "first server (sys $st)" "$s1" $r1 $stop1
        explain "client (ours $ct)" "$c" $rc $stopc
        return
    fi
    kill -KILL "$line_value"
    wait "$p1"
    sleep 0.2   # ours retries (every 20 ms) against a closed endpoint meanwhile
    local ctlargs=()
    [ $need_ctl = 1 ] && ctlargs=(--control "$ctl")
    start_peer sys "$s2" $st bind "$ep" --with $ct "${ctlargs[@]}" --big --reconnect-server 2 "${sargs[@]}"
    local p2=$peer_pid
    wait_both "$p2" "$pc"
    verdict "$label" "second server (sys $st)" "$s2" "client (ours $ct)" "$c"
}

for tr in tcp ipc; do
    reconnect_case $tr DEALER ROUTER
    reconnect_case $tr SUB PUB
done

# ---------------------------------------------------------------- security
# keypair ours|sys: a CURVE key pair from that library, in $kp_pub $kp_sec.
keypair() {
    local line
    if [ "$1" = ours ] && [ "$reference" != 1 ]; then
        line=$(env LD_LIBRARY_PATH="$lib" "$ours_bin" --keypair)
    else
        line=$(env -u LD_LIBRARY_PATH "$sys_bin" --keypair)
    fi
    kp_pub=${line%% *}
    kp_sec=${line#* }
    [ ${#kp_pub} -eq 40 ] && [ ${#kp_sec} -eq 40 ]
}

# security_case TRANSPORT SERVER_IMPL WHAT: the server (binder) of
# SERVER_IMPL against a client of the other library.
security_case() {
    local tr=$1 simpl=$2 what=$3 cimpl bep n=$((case_no + 1)) st ct label
    if [ "$simpl" = ours ]; then cimpl=sys; else cimpl=ours; fi
    if [ "$tr" = tcp ]; then bep='tcp://127.0.0.1:*'; else bep=ipc://$ipcdir/s$n.sock; fi
    local sargs=() cargs=() mib=(--big-size 1048576) domain=()
    [ "$tr" = tcp ] && domain=(--zap-domain global)
    case $what in
        plain-ok|plain-wrong)
            st=ROUTER ct=DEALER
            sargs=(--plain-server "${domain[@]}" --zap plain:admin:password)
            if [ $what = plain-ok ]; then
                sargs+=("${mib[@]}" --expect-user-id admin)
                cargs=("${mib[@]}" --plain-user admin:password)
            else
                sargs+=(--expect-refused auth:400)
                cargs=(--plain-user admin:wrong --expect-refused auth:400)
            fi ;;
        curve-*)
            keypair "$simpl" || { failure "$tr $what: no server key pair"; return; }
            local spub=$kp_pub ssec=$kp_sec
            sargs=(--curve-server "$ssec")
            case $what in
                curve-reqrep)
                    st=REP ct=REQ
                    keypair "$cimpl" || { failure "$tr $what: no client key pair"; return; }
                    sargs+=("${mib[@]}" "${domain[@]}" --zap "curve:$kp_pub" --expect-user-id "$kp_pub")
                    cargs=("${mib[@]}" --curve-client "$spub" --curve-public "$kp_pub" --curve-secret "$kp_sec") ;;
                curve-many)
                    st=PULL ct=PUSH
                    sargs+=("${mib[@]}" --seq 10000 --hwm 0)
                    cargs=("${mib[@]}" --seq 10000 --hwm 0 --curve-client "$spub") ;;
                curve-unknown)
                    st=ROUTER ct=DEALER
                    keypair "$simpl" || { failure "$tr $what: no key pair"; return; }
                    sargs+=("${domain[@]}" --zap "curve:$kp_pub" --expect-refused auth:400)
                    cargs=(--curve-client "$spub" --expect-refused auth:400) ;;
                curve-wrongkey)
                    st=ROUTER ct=DEALER
                    keypair "$cimpl" || { failure "$tr $what: no key pair"; return; }
                    sargs+=("${domain[@]}" --zap allow --expect-refused protocol:0x11000001)
                    cargs=(--curve-client "$kp_pub" --expect-refused nodetail:32) ;;
            esac ;;
    esac
    local desc
    case $what in
        plain-ok) desc="PLAIN, right password, ZAP" ;;
        plain-wrong) desc="PLAIN, wrong password: both AUTH 400" ;;
        curve-reqrep) desc="CURVE, ZAP checks the client key" ;;
        curve-many) desc="CURVE, no ZAP, 10000 messages" ;;
        curve-unknown) desc="CURVE, unknown client key: both AUTH 400" ;;
        curve-wrongkey) desc="CURVE, wrong server key: CRYPTOGRAPHIC / EPIPE" ;;
    esac
    label=$(printf '%-3s %-13s ours %-6s %-8s sys %-6s %-8s %s' "$tr" "security" \
        "$([ $simpl = ours ] && echo $st || echo $ct)" \
        "$([ $simpl = ours ] && echo binds || echo connects)" \
        "$([ $simpl = sys ] && echo $st || echo $ct)" \
        "$([ $simpl = sys ] && echo binds || echo connects)" "$desc")
    B_IMPL=$simpl C_IMPL=$cimpl
    B_ARGS=($st bind "$bep" --with $ct "${sargs[@]}")
    C_ARGS=($ct connect @EP@ --with $st "${cargs[@]}")
    run_case "$label" 0
}

for tr in tcp ipc; do
    for simpl in ours sys; do
        for what in plain-ok plain-wrong curve-reqrep curve-many curve-unknown curve-wrongkey; do
            security_case $tr $simpl $what
        done
    done
done

summary
