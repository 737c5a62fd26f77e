#!/usr/bin/env bash
# The static library works on its own: a whole C test linked with
# build/lib's libzmq.a (and the system libraries libzmq.pc's Libs.private
# names) runs without libzmq.so. The installed copies are test_install.sh's.
set -eu
cd "$(dirname "$0")/.."
out=build/c-tests/static
mkdir -p "$out"
cc -std=gnu11 -Wall -Werror -Iinclude -Ic-tests -o "$out/test_msg" c-tests/test_msg.c \
    build/lib/libzmq.a -lpthread -ldl -lm -lrt -lgcc_s
if ldd "$out/test_msg" | grep -q libzmq; then
    echo "statically linked test still needs libzmq.so"
    exit 1
fi
"$out/test_msg"

echo "static library: ok"
