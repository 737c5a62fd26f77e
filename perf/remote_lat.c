/* Latency, requesting side: connects a REQ socket to <connect-to> (where
 * local_lat is bound), makes <roundtrip-count> round trips with messages
 * of <message-size> bytes and prints the average one-way latency (half the
 * mean round trip).  When there is more than one round trip the first one,
 * which also waits for the connection and its handshake, is not timed.
 *   remote_lat <connect-to> <message-size> <roundtrip-count>              */
#include <zmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOOL "remote_lat"
#include "perf_util.h"

static void roundtrip (void *req, zmq_msg_t *msg, size_t size, long n)
{
    if (zmq_msg_send (msg, req, 0) != (int) size)
        fail ("zmq_msg_send");
    int got = zmq_msg_recv (msg, req, 0);
    if (got < 0)
        fail ("zmq_msg_recv");
    if ((size_t) got != size) {
        fprintf (stderr, "remote_lat: reply %ld has %d bytes, want %zu\n", n, got, size);
        exit (1);
    }
}

int main (int argc, char *argv[])
{
    if (argc != 4) {
        fprintf (stderr, "usage: remote_lat <connect-to> <message-size> <roundtrip-count>\n");
        return 1;
    }
    const char *connect_to = argv[1];
    size_t size = (size_t) parse (argv[2], "message size", 0);
    long count = parse (argv[3], "roundtrip count", 1);

    void *ctx = zmq_ctx_new ();
    if (!ctx)
        fail ("zmq_ctx_new");
    void *req = zmq_socket (ctx, ZMQ_REQ);
    if (!req)
        fail ("zmq_socket");
    curve_client (req);
    if (zmq_connect (req, connect_to) != 0)
        fail ("zmq_connect");

    zmq_msg_t msg;
    if (zmq_msg_init_size (&msg, size) != 0)
        fail ("zmq_msg_init_size");
    if (size > 0)
        memset (zmq_msg_data (&msg), 'x', size);

    long timed = count;
    if (count > 1) {
        roundtrip (req, &msg, size, 1);
        timed = count - 1;
    }
    void *watch = zmq_stopwatch_start ();
    if (!watch)
        fail ("zmq_stopwatch_start");
    for (long i = count - timed; i < count; i++)
        roundtrip (req, &msg, size, i + 1);
    unsigned long elapsed = zmq_stopwatch_stop (watch);

    if (zmq_msg_close (&msg) != 0)
        fail ("zmq_msg_close");
    if (zmq_close (req) != 0)
        fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        fail ("zmq_ctx_term");

    printf ("message size: %zu [B]\n", size);
    printf ("roundtrip count: %ld\n", count);
    printf ("average latency: %.3f [us]\n", (double) elapsed / (double) timed / 2.0);
    return fflush (stdout) == 0 ? 0 : 1;
}
