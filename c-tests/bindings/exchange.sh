# Sourced by c-tests/test_binding_*.sh, from the repository root: runs one
# binding's side of the exchange (c-tests/bindings/*_side.*) on our library
# against c-tests/bindings/peer.py on the system libzmq, and checks that the
# binding's process really mapped build/lib's libzmq.
#
#   run_exchange NAME ENV-ASSIGNMENTS... -- COMMAND...
#
# ENV-ASSIGNMENTS are added to the binding's environment (LD_LIBRARY_PATH
# is always set to build/lib). COMMAND gets the exchange directory as its
# last argument. Prints one line per check and "N passed, M failed" last;
# returns non-zero on any failure.

lib=$PWD/build/lib
PROC_TIMEOUT=40     # seconds, for each process started here
passed=0
failed=0
started=()
tmp=

check() { # status description
    if [ "$1" -eq 0 ]; then
        passed=$((passed + 1)); echo "PASS: $2"
    else
        failed=$((failed + 1)); echo "FAIL: $2"
    fi
    return "$1"
}

cleanup() {
    local p
    for p in "${started[@]}"; do
        # timeout(1)'s child first, then timeout itself
        for c in $(cat "/proc/$p/task/$p/children" 2>/dev/null); do kill -KILL "$c" 2>/dev/null; done
        { kill -KILL "$p" && wait "$p"; } 2>/dev/null
    done
    [ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The pid of the program timeout(1) runs.
child_of() {
    cat "/proc/$1/task/$1/children" 2>/dev/null | awk '{print $1}'
}

run_exchange() {
    local name=$1; shift
    local envs=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/zmq-binding.XXXXXX")

    [ -f "$lib/libzmq.so.5" ]
    check $? "our library is built ($lib/libzmq.so.5)" || return 1

    env -u LD_PRELOAD LD_LIBRARY_PATH="$lib" "${envs[@]}" \
        timeout -s KILL $PROC_TIMEOUT "$@" "$tmp" >"$tmp/binding.log" 2>&1 &
    local bpid=$!
    started+=("$bpid")

    local i=0
    while [ ! -e "$tmp/b.eps" ] && kill -0 "$bpid" 2>/dev/null && [ $i -lt 400 ]; do
        sleep 0.05; i=$((i + 1))
    done
    if [ ! -e "$tmp/b.eps" ]; then
        check 1 "$name side started and bound its sockets"
        sed 's/^/  binding| /' "$tmp/binding.log"
        return 1
    fi
    local prog
    prog=$(child_of "$bpid")
    local maps
    maps=$(grep libzmq "/proc/$prog/maps" 2>/dev/null | awk '{print $NF}' | sort -u)
    echo "$name process $prog mapped: $(echo $maps)"
    echo "$maps" | grep -qx "$lib/libzmq.so.5.2.5"
    check $? "/proc/$prog/maps of the $name process shows $lib/libzmq.so.5.2.5"
    ! echo "$maps" | grep -q '^/usr/lib\|^/lib'
    check $? "the $name process mapped no system libzmq"
    grep -q 'reports libzmq 4\.3\.5$' "$tmp/binding.log"
    check $? "$name's version call reports libzmq 4.3.5 (ours; the system's is 4.3.4)"

    env -u LD_LIBRARY_PATH -u LD_PRELOAD \
        timeout -s KILL $PROC_TIMEOUT /usr/bin/python3 c-tests/bindings/peer.py "$tmp" "$name" \
        >"$tmp/peer.log" 2>&1 &
    local ppid_=$!
    started+=("$ppid_")

    wait "$bpid"; local brc=$?
    wait "$ppid_"; local prc=$?

    echo "--- $name side (our library):"
    sed 's/^/  /' "$tmp/binding.log"
    echo "--- pyzmq side (system libzmq):"
    sed 's/^/  /' "$tmp/peer.log"
    local p f
    p=$(grep -c '^PASS' "$tmp/binding.log" "$tmp/peer.log" | awk -F: '{s+=$2} END {print s}')
    f=$(grep -c '^FAIL' "$tmp/binding.log" "$tmp/peer.log" | awk -F: '{s+=$2} END {print s}')
    passed=$((passed + p)); failed=$((failed + f))
    local why=
    [ $brc -eq 137 ] && why=" (killed after ${PROC_TIMEOUT}s: hang)"
    [ $brc -gt 128 ] && [ $brc -ne 137 ] && why=" (signal $((brc - 128)): crash)"
    check $brc "$name process exited 0 (exit $brc$why)"
    why=
    [ $prc -eq 137 ] && why=" (killed after ${PROC_TIMEOUT}s: hang)"
    check $prc "pyzmq peer exited 0 (exit $prc$why)"
    [ "$p" -ge 14 ]
    check $? "the exchange ran all its checks ($p passed inside the two processes)"

    echo "$passed passed, $failed failed"
    [ $failed -eq 0 ]
}
