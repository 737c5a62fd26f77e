#!/usr/bin/env bash
# Binary drop-in without recompiling: a C program and a C++ program using
# cppzmq (Debian cppzmq-dev's zmq.hpp), both compiled and linked against the
# SYSTEM libzmq (Debian libzmq3-dev: no -I, no -L), run unchanged on
# build/lib's libzmq.so.5, once through LD_LIBRARY_PATH and once through
# LD_PRELOAD. Each run proves which library it used: zmq_version must say
# 4.3.5 and /proc/self/maps must list build/lib's libzmq and no other
# libzmq. Each run talks over tcp to a peer process that runs on the system
# libzmq (4.3.4, its own maps checked too): REQ/REP with multipart
# messages, an empty frame and a 1 MiB frame, then a PUSH from the peer to
# a PULL bound by the program (port read back with ZMQ_LAST_ENDPOINT).
# Last, the cppzmq program is built against this project's header
# (-Iinclude -Lbuild/lib) and run the same way.
# One PASS/FAIL line per check; the exit status is non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
root=$PWD
lib=$root/build/lib
RUN_TIMEOUT=20      # seconds per process

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
failure() { failed=$((failed + 1)); echo "FAIL $1"; }
summary() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

for need in /usr/include/zmq.h:libzmq3-dev /usr/include/zmq.hpp:cppzmq-dev; do
    [ -f "${need%%:*}" ] || failure "${need%%:*} is missing (Debian package ${need##*:})"
done
command -v cc >/dev/null || failure "no C compiler (Debian package gcc)"
command -v c++ >/dev/null || failure "no C++ compiler (Debian package g++)"
[ -e "$lib/libzmq.so.5" ] || failure "$lib/libzmq.so.5 is missing (build the library first)"
[ "$failed" -eq 0 ] || summary

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zmq-dropin.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sys_lib=$(readlink -f "$(env -u LD_LIBRARY_PATH ldconfig -p | awk '/libzmq\.so\.5 .*x86-64|libzmq\.so\.5 / {print $NF; exit}')")
our_lib=$(readlink -f "$lib/libzmq.so.5")

# ------------------------------------------------------------- sources
# Shared by the C program and the peer: which libzmq files are mapped.
cat >"$tmp/maps.h" <<'EOF'
#include <stdio.h>
#include <string.h>
/* Prints "mapped <path>" once per distinct libzmq file in this process. */
static void print_mapped_libzmq (void)
{
    FILE *maps = fopen ("/proc/self/maps", "r");
    char line[4096], seen[8][1024];
    int count = 0;
    while (maps && fgets (line, sizeof line, maps)) {
        char *path = strchr (line, '/');
        if (!path || !strstr (path, "libzmq"))
            continue;
        path[strcspn (path, "\n")] = 0;
        int known = 0;
        for (int i = 0; i < count; i++)
            known |= strcmp (seen[i], path) == 0;
        if (!known && count < 8) {
            snprintf (seen[count++], sizeof seen[0], "%s", path);
            printf ("mapped %s\n", path);
        }
    }
    if (maps)
        fclose (maps);
}
EOF

# The peer, on the system libzmq: a REP socket answering "echo" followed
# by the request's frames until "END"; then it connects a PUSH to the
# endpoint given in that last request and sends three messages.
cat >"$tmp/peer.c" <<'EOF'
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include "maps.h"

int main (int argc, char **argv)
{
    if (argc != 2)
        return 2;
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("peer on libzmq %d.%d.%d\n", major, minor, patch);
    print_mapped_libzmq ();
    void *ctx = zmq_ctx_new ();
    void *rep = zmq_socket (ctx, ZMQ_REP);
    int timeout = 15000;
    zmq_setsockopt (rep, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (zmq_bind (rep, "tcp://127.0.0.1:*") != 0)
        return 1;
    char endpoint[256];
    size_t size = sizeof endpoint;
    zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, endpoint, &size);
    /* Published atomically: written, then renamed. */
    char path[1024];
    snprintf (path, sizeof path, "%s.tmp", argv[1]);
    FILE *f = fopen (path, "w");
    fprintf (f, "%s\n", endpoint);
    fclose (f);
    rename (path, argv[1]);
    fflush (stdout);

    int served = 0;
    char push_to[256] = "";
    while (!*push_to) {
        zmq_msg_t frames[8];
        int count = 0, more = 1;
        while (more && count < 8) {
            zmq_msg_init (&frames[count]);
            if (zmq_msg_recv (&frames[count], rep, 0) == -1) {
                printf ("peer: receive failed: %s\n", zmq_strerror (zmq_errno ()));
                return 1;
            }
            more = zmq_msg_more (&frames[count++]);
        }
        if (count == 2 && zmq_msg_size (&frames[0]) == 3
                && memcmp (zmq_msg_data (&frames[0]), "END", 3) == 0) {
            snprintf (push_to, sizeof push_to, "%.*s", (int) zmq_msg_size (&frames[1]),
                      (char *) zmq_msg_data (&frames[1]));
            zmq_send (rep, "bye", 3, 0);
        } else {
            zmq_send (rep, "echo", 4, ZMQ_SNDMORE);
            for (int i = 0; i < count; i++)
                zmq_msg_send (&frames[i], rep, i + 1 < count ? ZMQ_SNDMORE : 0);
            served++;
        }
        for (int i = 0; i < count; i++)
            zmq_msg_close (&frames[i]);
    }
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    zmq_connect (push, push_to);
    for (int i = 0; i < 3; i++) {
        char text[32];
        int n = snprintf (text, sizeof text, "pushed %d", i);
        zmq_send (push, text, n, 0);
    }
    zmq_close (push);       /* default linger: delivered before exit */
    zmq_close (rep);
    zmq_ctx_term (ctx);
    printf ("peer served %d requests and pushed 3\n", served);
    return 0;
}
EOF

# The program under test, in C: connects a REQ to the peer, checks the
# echoes, binds a PULL and receives the peer's three pushes.
cat >"$tmp/client.c" <<'EOF'
#include <zmq.h>
#include <stdio.h>
#include <stdlib.h>
#include "maps.h"

static int recv_all (void *sock, zmq_msg_t *frames, int max)
{
    int count = 0, more = 1;
    while (more && count < max) {
        zmq_msg_init (&frames[count]);
        if (zmq_msg_recv (&frames[count], sock, 0) == -1)
            return -1;
        more = zmq_msg_more (&frames[count++]);
    }
    return count;
}

int main (int argc, char **argv)
{
    if (argc != 2)
        return 2;
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("client on libzmq %d.%d.%d\n", major, minor, patch);
    print_mapped_libzmq ();
    void *ctx = zmq_ctx_new ();
    void *req = zmq_socket (ctx, ZMQ_REQ);
    int timeout = 10000;
    zmq_setsockopt (req, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_connect (req, argv[1]);
    size_t big = 1024 * 1024;
    char *data = malloc (big);
    for (size_t i = 0; i < big; i++)
        data[i] = (char) (i % 251);
    int ok = 1;
    for (int round = 0; round < 50 && ok; round++) {
        char text[32];
        int n = snprintf (text, sizeof text, "request %d", round);
        size_t last = round % 10 == 0 ? big : 7;
        zmq_send (req, text, n, ZMQ_SNDMORE);
        zmq_send (req, "", 0, ZMQ_SNDMORE);
        zmq_send (req, data, last, 0);
        zmq_msg_t frames[8];
        int count = recv_all (req, frames, 8);
        ok = count == 4 && zmq_msg_size (&frames[0]) == 4
             && memcmp (zmq_msg_data (&frames[0]), "echo", 4) == 0
             && zmq_msg_size (&frames[1]) == (size_t) n
             && memcmp (zmq_msg_data (&frames[1]), text, n) == 0
             && zmq_msg_size (&frames[2]) == 0 && zmq_msg_size (&frames[3]) == last
             && memcmp (zmq_msg_data (&frames[3]), data, last) == 0;
        for (int i = 0; i < count; i++)
            zmq_msg_close (&frames[i]);
    }
    printf ("req/rep: 50 multipart round trips with the peer: %s\n", ok ? "ok" : "FAILED");

    void *pull = zmq_socket (ctx, ZMQ_PULL);
    zmq_setsockopt (pull, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_bind (pull, "tcp://127.0.0.1:*");
    char endpoint[256];
    size_t size = sizeof endpoint;
    zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, endpoint, &size);
    zmq_send (req, "END", 3, ZMQ_SNDMORE);
    zmq_send (req, endpoint, strlen (endpoint), 0);
    char buf[64];
    int n = zmq_recv (req, buf, sizeof buf, 0);
    int pushed = n == 3 && memcmp (buf, "bye", 3) == 0;
    for (int i = 0; i < 3 && pushed; i++) {
        char expected[32];
        int e = snprintf (expected, sizeof expected, "pushed %d", i);
        n = zmq_recv (pull, buf, sizeof buf, 0);
        pushed = n == e && memcmp (buf, expected, e) == 0;
    }
    printf ("push/pull: 3 messages from the peer to %s: %s\n", endpoint, pushed ? "ok" : "FAILED");
    free (data);
    zmq_close (pull);
    zmq_close (req);
    zmq_ctx_term (ctx);
    return ok && pushed ? 0 : 1;
}
EOF

# The same client with cppzmq.
cat >"$tmp/client.cpp" <<'EOF'
#include <zmq.hpp>
#include <zmq_addon.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

int main (int argc, char **argv)
{
    if (argc != 2)
        return 2;
    int major, minor, patch;
    std::tie (major, minor, patch) = zmq::version ();
    std::cout << "cppzmq client on libzmq " << major << "." << minor << "." << patch << std::endl;
    std::ifstream maps ("/proc/self/maps");
    std::set<std::string> mapped;
    for (std::string line; std::getline (maps, line);) {
        auto slash = line.find ('/');
        if (slash != std::string::npos && line.find ("libzmq", slash) != std::string::npos
                && mapped.insert (line.substr (slash)).second)
            std::cout << "mapped " << line.substr (slash) << std::endl;
    }

    zmq::context_t ctx;
    zmq::socket_t req (ctx, zmq::socket_type::req);
    req.set (zmq::sockopt::rcvtimeo, 10000);
    req.connect (argv[1]);
    std::string big (1024 * 1024, 'z');
    bool ok = true;
    for (int round = 0; round < 50 && ok; round++) {
        std::string text = "request " + std::to_string (round);
        const std::string &last = round % 10 == 0 ? big : text;
        std::vector<zmq::const_buffer> request = {zmq::buffer (text), zmq::const_buffer (),
                                                  zmq::buffer (last)};
        ok = zmq::send_multipart (req, request).has_value ();
        std::vector<zmq::message_t> reply;
        auto count = zmq::recv_multipart (req, std::back_inserter (reply));
        ok = ok && count && *count == 4 && reply[0].to_string () == "echo"
             && reply[1].to_string () == text && reply[2].size () == 0
             && reply[3].to_string () == last;
    }
    std::cout << "req/rep: 50 multipart round trips with the peer: " << (ok ? "ok" : "FAILED") << std::endl;

    zmq::socket_t pull (ctx, zmq::socket_type::pull);
    pull.set (zmq::sockopt::rcvtimeo, 10000);
    pull.bind ("tcp://127.0.0.1:*");
    std::string endpoint = pull.get (zmq::sockopt::last_endpoint);
    std::vector<zmq::const_buffer> end = {zmq::str_buffer ("END"), zmq::buffer (endpoint)};
    zmq::send_multipart (req, end);
    zmq::message_t bye;
    bool pushed = req.recv (bye) && bye.to_string () == "bye";
    for (int i = 0; i < 3 && pushed; i++) {
        zmq::message_t msg;
        pushed = pull.recv (msg) && msg.to_string () == "pushed " + std::to_string (i);
    }
    std::cout << "push/pull: 3 messages from the peer to " << endpoint << ": "
              << (pushed ? "ok" : "FAILED") << std::endl;
    return ok && pushed ? 0 : 1;
}
EOF

# --------------------------------------------------------------- build
build() {   # name, command...
    local name=$1
    shift
    if "$@" 2>"$tmp/$name.build.log"; then
        pass "build $name: $*"
    else
        sed 's/^/    /' "$tmp/$name.build.log"
        failure "build $name"
    fi
}
build peer cc -std=gnu11 -Wall -Werror -o "$tmp/peer" "$tmp/peer.c" -lzmq
build client-c cc -std=gnu11 -Wall -Werror -o "$tmp/client-c" "$tmp/client.c" -lzmq
build client-cppzmq c++ -std=c++17 -Wall -Werror -o "$tmp/client-cppzmq" "$tmp/client.cpp" -lzmq
build client-cppzmq-ours c++ -std=c++17 -Wall -Werror -I"$root/include" -o "$tmp/client-cppzmq-ours" \
    "$tmp/client.cpp" -L"$lib" -lzmq
[ "$failed" -eq 0 ] || summary

# The system-built programs must resolve the system libzmq by themselves.
for bin in peer client-c client-cppzmq; do
    linked=$(readlink -f "$(env -u LD_LIBRARY_PATH -u LD_PRELOAD ldd "$tmp/$bin" | awk '/libzmq\.so/ {print $3}')")
    if [ -n "$linked" ] && [ "$linked" = "$sys_lib" ]; then
        pass "$bin is linked against the system libzmq ($linked)"
    else
        failure "$bin should load the system libzmq $sys_lib without help, loads '$linked'"
    fi
done

# Checks a run's log: the version, and the only libzmq mapped.
check_library() {   # what, log, version, library file
    local what=$1 log=$2 version=$3 file=$4 mapped
    if ! grep -q "on libzmq $version\$" "$log"; then
        failure "$what: zmq_version is not $version ($(grep -o 'on libzmq .*' "$log" | head -1))"
        return
    fi
    mapped=$(awk '/^mapped / {print $2}' "$log" | xargs -r -n1 readlink -f | sort -u)
    if [ "$mapped" = "$file" ]; then
        pass "$what: zmq_version $version, /proc/self/maps lists $file only"
    else
        failure "$what: /proc/self/maps should list $file only, lists: $(echo $mapped)"
    fi
}

# Runs one program under test (with env settings) against a fresh peer.
run_pair() {   # what, binary, env assignments...
    local what=$1 bin=$2 dir peer_pid endpoint rc i
    shift 2
    dir=$(mktemp -d "$tmp/run.XXXXXX")
    env -u LD_LIBRARY_PATH -u LD_PRELOAD timeout -k 2 "$RUN_TIMEOUT" "$tmp/peer" "$dir/endpoint" \
        >"$dir/peer.log" 2>&1 &
    peer_pid=$!
    pids+=("$peer_pid")
    for i in $(seq 100); do
        [ -s "$dir/endpoint" ] && break
        kill -0 "$peer_pid" 2>/dev/null || break
        sleep 0.05
    done
    endpoint=$(cat "$dir/endpoint" 2>/dev/null)
    case "$endpoint" in
        tcp://127.0.0.1:[0-9]*) ;;
        *) failure "$what: the peer published no endpoint"; sed 's/^/    /' "$dir/peer.log"
           kill "$peer_pid" 2>/dev/null; wait "$peer_pid" 2>/dev/null; return ;;
    esac
    env -u LD_LIBRARY_PATH -u LD_PRELOAD "$@" timeout -k 2 "$RUN_TIMEOUT" "$bin" "$endpoint" \
        >"$dir/client.log" 2>&1
    rc=$?
    wait "$peer_pid"
    local peer_rc=$?
    check_library "$what" "$dir/client.log" 4.3.5 "$our_lib"
    check_library "$what: peer" "$dir/peer.log" 4.3.4 "$sys_lib"
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        failure "$what: $(basename "$bin") timed out after ${RUN_TIMEOUT}s"
    elif [ "$rc" -gt 128 ]; then
        failure "$what: $(basename "$bin") crashed with signal $((rc - 128))"
    elif [ "$rc" -ne 0 ] || grep -q FAILED "$dir/client.log"; then
        failure "$what: messages with the peer (exit status $rc)"
    else
        pass "$what: $(grep -c ': ok$' "$dir/client.log") exchanges with the peer on the system libzmq ($endpoint)"
    fi
    [ "$rc" -ne 0 ] && sed 's/^/    /' "$dir/client.log"
    if [ "$peer_rc" -ne 0 ]; then
        failure "$what: the peer exited with status $peer_rc"
        sed 's/^/    /' "$dir/peer.log"
    fi
}

run_pair "C program via LD_LIBRARY_PATH" "$tmp/client-c" LD_LIBRARY_PATH="$lib"
run_pair "C program via LD_PRELOAD" "$tmp/client-c" LD_PRELOAD="$lib/libzmq.so.5"
run_pair "cppzmq program via LD_LIBRARY_PATH" "$tmp/client-cppzmq" LD_LIBRARY_PATH="$lib"
run_pair "cppzmq program via LD_PRELOAD" "$tmp/client-cppzmq" LD_PRELOAD="$lib/libzmq.so.5"
run_pair "cppzmq program built on include/ and build/lib" "$tmp/client-cppzmq-ours" LD_LIBRARY_PATH="$lib"
summary
