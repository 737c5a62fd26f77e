#!/usr/bin/env bash
# The shared library must export exactly libzmq's API: every stable name, the
# draft names only when built with them, and nothing else (no Rust internals).
set -eu
so=$1
here=$(dirname "$0")
actual=$(nm -D --defined-only "$so" | awk '{print $NF}' | sort)
expected=$(sort "$here/exported-symbols.txt")
missing=$(comm -13 <(echo "$actual") <(echo "$expected"))
extra=$(comm -23 <(echo "$actual") <(echo "$expected") | grep -v '^zmq_' || true)
unknown=$(comm -23 <(echo "$actual") <(echo "$expected") | grep '^zmq_' || true)
status=0
[ -z "$missing" ] || { echo "missing exports:"; echo "$missing"; status=1; }
[ -z "$extra" ] || { echo "non-API exports:"; echo "$extra"; status=1; }
[ -z "$unknown" ] || { echo "zmq_ exports not in the API list:"; echo "$unknown"; status=1; }
soname=$(objdump -p "$so" | awk '/SONAME/ {print $2}')
[ "$soname" = "libzmq.so.5" ] || { echo "SONAME is '$soname', not libzmq.so.5"; status=1; }
count=$(echo "$actual" | grep -c '^zmq_')
echo "exports: $count zmq_ symbols, SONAME $soname"
exit $status
