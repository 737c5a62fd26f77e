#!/usr/bin/env bash
# Binary drop-in: Debian's pyzmq, built against the system libzmq, runs on
# this library through LD_LIBRARY_PATH.
set -eu
cd "$(dirname "$0")/.."
python=/usr/bin/python3
$python -c 'import zmq' 2>/dev/null || { echo "python3-zmq is missing (Debian package python3-zmq)"; exit 1; }
export LD_LIBRARY_PATH=$PWD/build/lib
# The library pyzmq really loads must be ours.
$python -c 'import zmq; assert zmq.zmq_version() == "4.3.5", zmq.zmq_version()'
for script in c-tests/python/*.py; do
    timeout 60 $python "$script"
done
