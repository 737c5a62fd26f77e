#!/usr/bin/env bash
# Wire interop of the draft socket types with a libzmq built with the draft
# API (no distribution packages one, and a stable libzmq aborts in the
# handshake of these types, so this is not part of `make test`):
#
#   LIBZMQ_DRAFT=/path/to/libzmq-build bash c-tests/interop/draft_interop.sh
#
# LIBZMQ_DRAFT holds include/zmq.h and lib/libzmq.so (a cmake build of
# libzmq with -DENABLE_DRAFTS=ON). c-tests/interop/draft_peer.c is built
# against it and against build/draft/lib (`make lib-draft`); each pair of
# types runs over tcp and ipc with ours on each side, and RADIO/DISH over
# udp too. Prints one line per run and "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
theirs_dir=${LIBZMQ_DRAFT:?set LIBZMQ_DRAFT to a libzmq build with the draft API}
out=build/interop-draft
mkdir -p "$out"
cc -std=gnu11 -O1 -Wall -Wextra -Werror -DZMQ_BUILD_DRAFT_API -Iinclude \
    -o "$out/peer-ours" c-tests/interop/draft_peer.c -Lbuild/draft/lib -lzmq || exit 1
cc -std=gnu11 -O1 -Wall -Wextra -Werror -DZMQ_BUILD_DRAFT_API -I"$theirs_dir/include" \
    -o "$out/peer-theirs" c-tests/interop/draft_peer.c -L"$theirs_dir/lib" -lzmq || exit 1
ours="env LD_LIBRARY_PATH=build/draft/lib $out/peer-ours"
theirs="env LD_LIBRARY_PATH=$theirs_dir/lib $out/peer-theirs"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
passed=0
failed=0
port=$((20000 + RANDOM % 20000))

# run FIRST SECOND TRANSPORT FIRST_LIB SECOND_LIB: FIRST starts first and
# binds (a RADIO connects and its DISH binds: the RADIO starts first).
run() {
    port=$((port + 1))
    case $3 in
        tcp) endpoint="tcp://127.0.0.1:$port" ;;
        udp) endpoint="udp://127.0.0.1:$port" ;;
        ipc) endpoint="ipc://$dir/$port" ;;
    esac
    local first_how=bind second_how=connect
    [ "$1" = radio ] && { first_how=connect; second_how=bind; }
    local first_cmd=${!4} second_cmd=${!5}
    timeout 30 $first_cmd "$1" $first_how "$endpoint" 2>"$dir/first.log" &
    local first_pid=$!
    sleep 0.3
    timeout 30 $second_cmd "$2" $second_how "$endpoint" 2>"$dir/second.log"
    local second_rc=$?
    wait $first_pid
    local first_rc=$?
    if [ $first_rc = 0 ] && [ $second_rc = 0 ]; then
        passed=$((passed + 1))
        echo "PASS $1 ($4) / $2 ($5) over $3"
    else
        failed=$((failed + 1))
        echo "FAIL $1 ($4, exit $first_rc) / $2 ($5, exit $second_rc) over $3"
        cat "$dir/first.log" "$dir/second.log"
    fi
}

for transport in tcp ipc; do
    for pair in "server client" "gather scatter" "channel channel" "peer peer" "radio dish"; do
        set -- $pair
        run "$1" "$2" $transport ours theirs
        run "$1" "$2" $transport theirs ours
    done
done
run radio dish udp ours theirs
run radio dish udp theirs ours
echo "$passed passed, $failed failed"
[ $failed = 0 ]
