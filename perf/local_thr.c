/* Throughput, receiving side: binds a PULL socket to <bind-to>, receives
 * <message-count> messages of <message-size> bytes from remote_thr and
 * prints the mean throughput, timed from the first message to the last.
 *   local_thr <bind-to> <message-size> <message-count>
 * The endpoint actually bound (useful with tcp://127.0.0.1:*) is printed
 * first, as "endpoint: ...", before any message is awaited.              */
#include <zmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOOL "local_thr"
#include "perf_util.h"

int main (int argc, char *argv[])
{
    if (argc != 4) {
        fprintf (stderr, "usage: local_thr <bind-to> <message-size> <message-count>\n");
        return 1;
    }
    const char *bind_to = argv[1];
    size_t size = (size_t) parse (argv[2], "message size", 0);
    long count = parse (argv[3], "message count", 2);

    void *ctx = zmq_ctx_new ();
    if (!ctx)
        fail ("zmq_ctx_new");
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    if (!pull)
        fail ("zmq_socket");
    curve_server (pull);
    if (zmq_bind (pull, bind_to) != 0)
        fail ("zmq_bind");
    char endpoint[1024];
    size_t endpoint_len = sizeof endpoint;
    if (zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, endpoint, &endpoint_len) != 0)
        fail ("zmq_getsockopt (ZMQ_LAST_ENDPOINT)");
    printf ("endpoint: %s\n", endpoint);
    if (fflush (stdout) != 0) {
        perror ("local_thr: stdout");
        return 1;
    }

    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        fail ("zmq_msg_init");
    int got = zmq_msg_recv (&msg, pull, 0);
    if (got < 0)
        fail ("zmq_msg_recv");
    if ((size_t) got != size) {
        fprintf (stderr, "local_thr: message 1 has %d bytes, want %zu\n", got, size);
        return 1;
    }
    void *watch = zmq_stopwatch_start ();
    if (!watch)
        fail ("zmq_stopwatch_start");
    for (long i = 1; i < count; i++) {
        got = zmq_msg_recv (&msg, pull, 0);
        if (got < 0)
            fail ("zmq_msg_recv");
        if ((size_t) got != size) {
            fprintf (stderr, "local_thr: message %ld has %d bytes, want %zu\n", i + 1, got, size);
            return 1;
        }
    }
    unsigned long elapsed = zmq_stopwatch_stop (watch);
    if (zmq_msg_close (&msg) != 0)
        fail ("zmq_msg_close");
    if (zmq_close (pull) != 0)
        fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        fail ("zmq_ctx_term");

    print_throughput (size, count, elapsed);
    return fflush (stdout) == 0 ? 0 : 1;
}
