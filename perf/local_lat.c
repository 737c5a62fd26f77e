/* Latency, echoing side: binds a REP socket to <bind-to> and sends each of
 * <roundtrip-count> requests of <message-size> bytes back to remote_lat.
 *   local_lat <bind-to> <message-size> <roundtrip-count>
 * The endpoint actually bound (useful with tcp://127.0.0.1:*) is printed
 * first, as "endpoint: ...", before any request is awaited.              */
#include <zmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOOL "local_lat"
#include "perf_util.h"

int main (int argc, char *argv[])
{
    if (argc != 4) {
        fprintf (stderr, "usage: local_lat <bind-to> <message-size> <roundtrip-count>\n");
        return 1;
    }
    const char *bind_to = argv[1];
    size_t size = (size_t) parse (argv[2], "message size", 0);
    long count = parse (argv[3], "roundtrip count", 1);

    void *ctx = zmq_ctx_new ();
    if (!ctx)
        fail ("zmq_ctx_new");
    void *rep = zmq_socket (ctx, ZMQ_REP);
    if (!rep)
        fail ("zmq_socket");
    curve_server (rep);
    if (zmq_bind (rep, bind_to) != 0)
        fail ("zmq_bind");
    char endpoint[1024];
    size_t endpoint_len = sizeof endpoint;
    if (zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, endpoint, &endpoint_len) != 0)
        fail ("zmq_getsockopt (ZMQ_LAST_ENDPOINT)");
    printf ("endpoint: %s\n", endpoint);
    if (fflush (stdout) != 0) {
        perror ("local_lat: stdout");
        return 1;
    }

    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        fail ("zmq_msg_init");
    for (long i = 0; i < count; i++) {
        int got = zmq_msg_recv (&msg, rep, 0);
        if (got < 0)
            fail ("zmq_msg_recv");
        if ((size_t) got != size) {
            fprintf (stderr, "local_lat: request %ld has %d bytes, want %zu\n", i + 1, got, size);
            return 1;
        }
        if (zmq_msg_send (&msg, rep, 0) != got)
            fail ("zmq_msg_send");
    }
    if (zmq_msg_close (&msg) != 0)
        fail ("zmq_msg_close");

    /* Default (infinite) linger: the last reply leaves before term returns. */
    if (zmq_close (rep) != 0)
        fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        fail ("zmq_ctx_term");
    return 0;
}
