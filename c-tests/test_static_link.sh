#!/usr/bin/env bash
# The static library works on its own: a C test linked with libzmq.a (and
# the system libraries from libzmq.pc's Libs.private) runs without
# libzmq.so, and make install's pkg-config file builds a program.
set -eu
cd "$(dirname "$0")/.."
out=build/c-tests/static
mkdir -p "$out"
cc -std=gnu11 -Wall -Werror -Iinclude -Ic-tests -o "$out/test_msg" c-tests/test_msg.c \
    build/lib/libzmq.a -lpthread -ldl -lm
if ldd "$out/test_msg" | grep -q libzmq; then
    echo "statically linked test still needs libzmq.so"
    exit 1
fi
"$out/test_msg"

prefix=$PWD/$out/prefix
rm -rf "$prefix"
make -s install PREFIX="$prefix" >/dev/null
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cc -std=gnu11 $(pkg-config --cflags libzmq) -Ic-tests -o "$out/test_version" \
    c-tests/test_version_errors.c $(pkg-config --libs libzmq)
LD_LIBRARY_PATH=$prefix/lib "$out/test_version"
[ "$(pkg-config --modversion libzmq)" = 4.3.5 ]
echo "static library and installed pkg-config: ok"
