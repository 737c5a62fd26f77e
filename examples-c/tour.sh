#!/usr/bin/env bash
# A short tour of the example programs on our library (build/lib): builds
# each against include/zmq.h, then runs it after a line saying what it
# shows. `make run` calls this; it takes about ten seconds.
#
#   bash examples-c/tour.sh [program...]    # default: the tour below
set -u
cd "$(dirname "$0")/.."
lib=$PWD/build/lib
bin=build/examples
CC=${CC:-cc}
mkdir -p "$bin"
if [ ! -e "$lib/libzmq.so.5" ]; then
    echo "no library in build/lib: run make first"; exit 1
fi

describe() {
    case "$1" in
        demo)       echo "the library itself: version, capabilities, messages, Z85, CURVE keys, timers" ;;
        reqrep)     echo "request-reply: REQ and REP in lock-step over tcp" ;;
        weather)    echo "pub-sub with a filter: one zip code out of 100000 updates" ;;
        pipeline)   echo "a pipeline: ventilator, four workers, sink (tcp and ipc)" ;;
        syncpub)    echo "pub-sub synchronisation: the publisher waits for its subscribers" ;;
        envelope)   echo "envelopes: topic frames, and what REQ, ROUTER and REP put around a request" ;;
        identity)   echo "identities: how a ROUTER names its peers and addresses them" ;;
        broker)     echo "a ROUTER/DEALER broker, by hand and with zmq_proxy_steerable" ;;
        workers)    echo "a multithreaded server: zmq_proxy in front of inproc workers" ;;
        lbbroker)   echo "a load-balancing broker: requests go to the worker idle longest" ;;
        lazypirate) echo "lazy pirate: client-side timeouts and retries against a server that stalls, then dies" ;;
        heartbeat)  echo "heartbeating: in the application, then ZMQ_HEARTBEAT_IVL against a frozen peer" ;;
        interrupt)  echo "SIGINT: a blocking zmq_recv returns EINTR, the server shuts down cleanly" ;;
        poller)     echo "zmq_poll: one thread serving a PULL and a SUB socket" ;;
        curve)      echo "CURVE encryption with a ZAP handler: one client allowed, one refused" ;;
        relay)      echo "threads signalling each other over inproc PAIR sockets" ;;
        *)          echo "examples-c/$1.c" ;;
    esac
}

if [ $# -gt 0 ]; then
    programs=("$@")
else
    programs=(demo reqrep weather envelope lbbroker lazypirate heartbeat interrupt curve)
fi
failed=0
for name in "${programs[@]}"; do
    if ! $CC -std=gnu11 -Wall -Wextra -Iinclude -o "$bin/$name" "examples-c/$name.c" \
            -L"$lib" -lzmq -lpthread; then
        echo "$name: does not build"; failed=1; continue
    fi
    echo
    echo "== $name: $(describe "$name")"
    LD_LIBRARY_PATH=$lib timeout -k 2 20 "$bin/$name" 2>&1 | sed 's/^/   /'
    rc=${PIPESTATUS[0]}
    if [ "$rc" -ne 0 ]; then
        echo "   ($name FAILED: exit status $rc)"; failed=1
    fi
done
echo
[ $failed -eq 0 ] && echo "tour done: every program succeeded (bash c-tests/test_examples.sh compares them with the system libzmq)"
exit $failed
