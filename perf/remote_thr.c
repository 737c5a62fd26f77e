/* Throughput, sending side: connects a PUSH socket to <connect-to> (where
 * local_thr is bound) and sends <message-count> messages of <message-size>
 * bytes, then waits for local_thr to hang up before closing.
 *   remote_thr <connect-to> <message-size> <message-count>
 *
 * Why wait: libzmq 4.3 can drop the last few thousand messages when the
 * sender closes while the receiver's pipe is full (seen over ipc://, see
 * zeromq/libzmq#4660), even with an infinite linger, and local_thr would
 * then wait forever.  So the PUSH socket is monitored and we close only
 * after ZMQ_EVENT_DISCONNECTED, i.e. once local_thr has received every
 * message and closed its socket.  A library without zmq_socket_monitor
 * (ENOTSUP) gets the plain close, relying on the linger alone.           */
#include <zmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOOL "remote_thr"
#include "perf_util.h"

int main (int argc, char *argv[])
{
    if (argc != 4) {
        fprintf (stderr, "usage: remote_thr <connect-to> <message-size> <message-count>\n");
        return 1;
    }
    const char *connect_to = argv[1];
    size_t size = (size_t) parse (argv[2], "message size", 0);
    long count = parse (argv[3], "message count", 2);

    void *ctx = zmq_ctx_new ();
    if (!ctx)
        fail ("zmq_ctx_new");
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    if (!push)
        fail ("zmq_socket");
    void *monitor = NULL;
    if (zmq_socket_monitor (push, "inproc://remote_thr.monitor", ZMQ_EVENT_DISCONNECTED) == 0) {
        monitor = zmq_socket (ctx, ZMQ_PAIR);
        if (!monitor)
            fail ("zmq_socket (monitor)");
        if (zmq_connect (monitor, "inproc://remote_thr.monitor") != 0)
            fail ("zmq_connect (monitor)");
    } else if (zmq_errno () != ENOTSUP)
        fail ("zmq_socket_monitor");
    curve_client (push);
    if (zmq_connect (push, connect_to) != 0)
        fail ("zmq_connect");

    for (long i = 0; i < count; i++) {
        zmq_msg_t msg;
        if (zmq_msg_init_size (&msg, size) != 0)
            fail ("zmq_msg_init_size");
        if (zmq_msg_send (&msg, push, 0) != (int) size)
            fail ("zmq_msg_send");
    }

    if (monitor) {
        /* An event is two frames: 16-bit event and 32-bit value, then the
         * endpoint.  Only ZMQ_EVENT_DISCONNECTED was asked for. */
        zmq_msg_t event;
        if (zmq_msg_init (&event) != 0)
            fail ("zmq_msg_init");
        do {
            if (zmq_msg_recv (&event, monitor, 0) < 0)
                fail ("zmq_msg_recv (monitor)");
        } while (zmq_msg_more (&event));
        if (zmq_msg_close (&event) != 0)
            fail ("zmq_msg_close");
        if (zmq_socket_monitor (push, NULL, 0) != 0)
            fail ("zmq_socket_monitor (stop)");
        if (zmq_close (monitor) != 0)
            fail ("zmq_close (monitor)");
    }

    /* Default (infinite) linger: zmq_ctx_term waits for whatever is still
     * queued (nothing, when we waited for the peer to hang up). */
    if (zmq_close (push) != 0)
        fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        fail ("zmq_ctx_term");
    return 0;
}
