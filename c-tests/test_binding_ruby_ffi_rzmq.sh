#!/usr/bin/env bash
# Another language's binding on this library: Ruby's ffi-rzmq (Debian
# package ruby-ffi-rzmq, with ruby-ffi-rzmq-core), which dlopens
# libzmq.so.5 through Ruby-FFI and so follows LD_LIBRARY_PATH.
# c-tests/bindings/ffi_rzmq_side.rb talks over tcp (127.0.0.1, ports the
# kernel picks) to c-tests/bindings/peer.py, Debian's pyzmq on the system
# libzmq: REQ/REP, PUSH/PULL and PUB/SUB with a topic filter (waited for in
# zmq_poll), multipart messages, the binding binding in one run and
# connecting in the other. The binding must report libzmq 4.3.5 and its
# process must map build/lib/libzmq.so.5.2.5. Prints one line per check,
# then "N passed, M failed".
set -u
cd "$(dirname "$0")/.."
missing=
/usr/bin/ruby -e 'require "ffi-rzmq"' 2>/dev/null || missing="$missing ruby-ffi-rzmq"
/usr/bin/python3 -c 'import zmq' 2>/dev/null || missing="$missing python3-zmq"
if [ -n "$missing" ]; then
    echo "FAIL: missing Debian package(s):$missing"
    echo "0 passed, 1 failed"
    exit 1
fi
. c-tests/bindings/exchange.sh
run_exchange ffi-rzmq -- /usr/bin/ruby c-tests/bindings/ffi_rzmq_side.rb
