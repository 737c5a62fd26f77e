#!/usr/bin/env bash
# Every program in examples-c/ builds against our header and library, runs
# to success, and prints the same lines (in any order) as when built
# against the system libzmq and run on it.
set -eu
cd "$(dirname "$0")/.."
out=build/c-tests/examples
mkdir -p "$out"
status=0
for src in examples-c/*.c; do
    name=$(basename "$src" .c)
    cc -std=gnu11 -Wall -Wextra -Werror -Iinclude -o "$out/$name" "$src" -Lbuild/lib -lzmq
    cc -std=gnu11 -Wall -o "$out/$name.system" "$src" -lzmq
    if ! LD_LIBRARY_PATH=build/lib timeout 60 "$out/$name" > "$out/$name.txt"; then
        echo "$name: failed on this library"; status=1; continue
    fi
    timeout 60 "$out/$name.system" > "$out/$name.system.txt" || true
    # The demo prints library-specific lines (keys, capabilities): only
    # its success counts.
    if [ "$name" != demo ] && ! diff <(sort "$out/$name.txt") <(sort "$out/$name.system.txt") >/dev/null; then
        echo "$name: output differs from the system libzmq's"
        diff <(sort "$out/$name.txt") <(sort "$out/$name.system.txt") || true
        status=1
        continue
    fi
    echo "$name: ok"
done
exit $status
