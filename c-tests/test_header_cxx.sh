#!/usr/bin/env bash
# include/zmq.h compiles as strict C99, as C++, and under cppzmq (the C++
# binding Debian ships), which must pick up our header rather than the
# system one.
set -eu
cd "$(dirname "$0")/.."
out=build/c-tests/header
mkdir -p "$out"
command -v g++ >/dev/null || { echo "g++ is missing (Debian package g++)"; exit 1; }
[ -f /usr/include/zmq.hpp ] || { echo "cppzmq is missing (Debian package cppzmq-dev)"; exit 1; }

printf '#include <zmq.h>\n#include <zmq_utils.h>\nint main (void) { return zmq_errno () < 0; }\n' > "$out/plain.c"
for draft in "" "-DZMQ_BUILD_DRAFT_API"; do
    cc -std=c99 -pedantic -Wall -Wextra -Werror $draft -Iinclude -fsyntax-only "$out/plain.c"
    g++ -std=c++11 -Wall -Wextra -Werror $draft -Iinclude -fsyntax-only -x c++ "$out/plain.c"
done
echo "C99 and C++11: ok"

cat > "$out/cppzmq.cpp" <<'CPP'
#include <zmq.hpp>
#include <zmq_addon.hpp>
static_assert (ZMQ_VERSION_PATCH == 5, "cppzmq must use this library's zmq.h");
int main ()
{
    zmq::context_t ctx;
    zmq::socket_t pull (ctx, zmq::socket_type::pull);
    zmq::socket_t push (ctx, zmq::socket_type::push);
    pull.bind ("inproc://cppzmq");
    push.connect ("inproc://cppzmq");
    push.send (zmq::str_buffer ("hello"), zmq::send_flags::sndmore);
    push.send (zmq::str_buffer ("world"), zmq::send_flags::none);
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart (pull, std::back_inserter (parts)))
        return 1;
    return parts.size () == 2 && parts[1].to_string () == "world" ? 0 : 2;
}
CPP
# Built against our header and library, and run on it.
g++ -std=c++17 -Wall -Wextra -Werror -Iinclude -o "$out/cppzmq" "$out/cppzmq.cpp" -Lbuild/lib -lzmq
LD_LIBRARY_PATH=build/lib "$out/cppzmq"
echo "cppzmq program on our header and library: ok"
