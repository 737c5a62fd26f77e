#!/usr/bin/env bash
# Another language's binding on this library: Perl's ZMQ::FFI (Debian
# package libzmq-ffi-perl), which finds libzmq with FFI::CheckLib and
# dlopens it through FFI::Platypus. FFI_CHECKLIB_PATH (FFI::CheckLib's own
# search-path override) points it at build/lib, and LD_LIBRARY_PATH is set
# too. c-tests/bindings/zmq_ffi_side.pl talks over tcp (127.0.0.1, ports the
# kernel picks) to c-tests/bindings/peer.py, Debian's pyzmq on the system
# libzmq: REQ/REP, PUSH/PULL and PUB/SUB with a topic filter, multipart
# messages, the binding binding in one run and connecting in the other.
# The binding must report libzmq 4.3.5 and its process must map
# build/lib/libzmq.so.5.2.5. Prints one line per check, then
# "N passed, M failed".
set -u
cd "$(dirname "$0")/.."
missing=
/usr/bin/perl -MZMQ::FFI -e1 2>/dev/null || missing="$missing libzmq-ffi-perl"
/usr/bin/python3 -c 'import zmq' 2>/dev/null || missing="$missing python3-zmq"
if [ -n "$missing" ]; then
    echo "FAIL: missing Debian package(s):$missing"
    echo "0 passed, 1 failed"
    exit 1
fi
. c-tests/bindings/exchange.sh
run_exchange ZMQ::FFI FFI_CHECKLIB_PATH="$PWD/build/lib" -- \
    /usr/bin/perl c-tests/bindings/zmq_ffi_side.pl
