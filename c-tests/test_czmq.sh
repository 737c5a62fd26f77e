#!/usr/bin/env bash
# Binary drop-in: programs built with Debian's CZMQ (whose libczmq links
# the system libzmq) run on this library through LD_LIBRARY_PATH: actors
# (inproc PAIR pipes and signals), the zloop reactor, zpoller.
set -eu
cd "$(dirname "$0")/.."
[ -f /usr/include/czmq.h ] || { echo "CZMQ is missing (Debian package libczmq-dev)"; exit 1; }
out=build/c-tests/czmq
mkdir -p "$out"
for src in c-tests/czmq/*.c; do
    name=$(basename "$src" .c)
    cc -std=gnu11 -Wall -Werror -o "$out/$name" "$src" -lczmq -lzmq
    LD_LIBRARY_PATH=$PWD/build/lib timeout 60 "$out/$name" | tee "$out/$name.txt"
    # The library CZMQ really used must be ours.
    grep -q "libzmq 4.3.5" "$out/$name.txt"
done
