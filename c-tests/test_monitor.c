/* zmq_socket_monitor: the events of binding, accepting, connecting,
 * handshakes (good and bad), disconnections, retries, unbinding and the end
 * of monitoring, each as two frames (event and value, then the endpoint). */
#include "testnet.h"

#include <stdint.h>

/* Reads one event; returns its number (-1 on timeout) and stores its value
 * and endpoint. */
static int read_event (void *mon, uint32_t *value, char *endpoint, size_t size)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, mon, 0) < 0)
        return -1;
    int event = -1;
    if (zmq_msg_size (&msg) == 6 && zmq_msg_more (&msg)) {
        uint16_t e;
        memcpy (&e, zmq_msg_data (&msg), 2);
        memcpy (value, (char *) zmq_msg_data (&msg) + 2, 4);
        event = e;
    }
    zmq_msg_close (&msg);
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, mon, 0) < 0 || zmq_msg_more (&msg))
        event = -1;
    size_t n = zmq_msg_size (&msg) < size - 1 ? zmq_msg_size (&msg) : size - 1;
    memcpy (endpoint, zmq_msg_data (&msg), n);
    endpoint[n] = 0;
    zmq_msg_close (&msg);
    return event;
}

/* Reads events until `wanted` comes (others may come first). */
static int expect_event (void *mon, int wanted, uint32_t *value, char *endpoint)
{
    char buf[256];
    uint32_t v = 0;
    for (int i = 0; i < 50; i++) {
        int event = read_event (mon, &v, buf, sizeof buf);
        if (event < 0)
            break;
        if (event == wanted) {
            if (value)
                *value = v;
            if (endpoint)
                strcpy (endpoint, buf);
            return 1;
        }
    }
    fprintf (stderr, "event 0x%x did not come\n", wanted);
    return 0;
}

static void *monitor_of (void *ctx, void *s, const char *name, int events)
{
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://%s", name);
    if (zmq_socket_monitor (s, endpoint, events) != 0)
        return NULL;
    void *mon = zmq_socket (ctx, ZMQ_PAIR);
    set_int (mon, ZMQ_RCVTIMEO, 5000);
    set_int (mon, ZMQ_LINGER, 0);
    zmq_connect (mon, endpoint);
    return mon;
}

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    void *server = zmq_socket (ctx, ZMQ_REP);
    void *client = zmq_socket (ctx, ZMQ_REQ);
    set_int (server, ZMQ_LINGER, 0);
    set_int (client, ZMQ_LINGER, 0);
    set_int (server, ZMQ_RCVTIMEO, 5000);
    set_int (client, ZMQ_RCVTIMEO, 5000);

    /* Only inproc endpoints. */
    CHECK_ERRNO (zmq_socket_monitor (server, "tcp://127.0.0.1:*", ZMQ_EVENT_ALL) < 0,
                 EPROTONOSUPPORT);
    CHECK_ERRNO (zmq_socket_monitor (server, "nonsense", ZMQ_EVENT_ALL) < 0, EINVAL);
    /* Events travel in 16 bits: a wider mask (as -1 is, widened with its
     * sign) is refused. */
    CHECK_ERRNO (zmq_socket_monitor (server, "inproc://mon-wide", -1) < 0, EINVAL);
    CHECK_ERRNO (zmq_socket_monitor (server, "inproc://mon-wide", 0x10000) < 0,
                 EINVAL);
    /* The monitor's endpoint must be free. */
    void *squatter = zmq_socket (ctx, ZMQ_PAIR);
    CHECK_EQ_INT (zmq_bind (squatter, "inproc://mon-taken"), 0);
    CHECK_ERRNO (zmq_socket_monitor (server, "inproc://mon-taken", ZMQ_EVENT_ALL) < 0,
                 EADDRINUSE);
    zmq_close (squatter);

    void *server_mon = monitor_of (ctx, server, "mon-server", ZMQ_EVENT_ALL);
    void *client_mon = monitor_of (ctx, client, "mon-client", ZMQ_EVENT_ALL);
    REQUIRE (server_mon && client_mon);

    CHECK_EQ_INT (zmq_bind (server, "tcp://127.0.0.1:*"), 0);
    char endpoint[256], seen[256];
    size_t len = sizeof endpoint;
    zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, endpoint, &len);
    uint32_t value = 0;
    CHECK (expect_event (server_mon, ZMQ_EVENT_LISTENING, &value, seen));
    CHECK_STR (seen, endpoint);
    CHECK (value > 0);

    /* A second bind to the same port fails, and says so. */
    void *other = zmq_socket (ctx, ZMQ_REP);
    void *other_mon = monitor_of (ctx, other, "mon-other", ZMQ_EVENT_BIND_FAILED);
#ifndef REFERENCE_LIBZMQ
    CHECK_ERRNO (zmq_bind (other, endpoint) < 0, EADDRINUSE);
#else
    /* libzmq's errno here is whatever sending the event left (EAGAIN). */
    CHECK (zmq_bind (other, endpoint) < 0);
#endif
    CHECK (expect_event (other_mon, ZMQ_EVENT_BIND_FAILED, &value, seen));
    CHECK_EQ_INT (value, EADDRINUSE);
    zmq_close (other);
    zmq_close (other_mon);

    CHECK_EQ_INT (zmq_connect (client, endpoint), 0);
    CHECK (expect_event (client_mon, ZMQ_EVENT_CONNECTED, &value, seen));
    CHECK_STR (seen, endpoint);
    CHECK (expect_event (client_mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, NULL, NULL));
    CHECK (expect_event (server_mon, ZMQ_EVENT_ACCEPTED, &value, seen));
    CHECK_STR (seen, endpoint);
    CHECK (expect_event (server_mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, NULL, NULL));

    CHECK_EQ_INT (zmq_send (client, "x", 1, 0), 1);
    char c;
    CHECK_EQ_INT (zmq_recv (server, &c, 1, 0), 1);
    CHECK_EQ_INT (zmq_send (server, "y", 1, 0), 1);
    CHECK_EQ_INT (zmq_recv (client, &c, 1, 0), 1);

    /* A peer that speaks no ZMTP fails its handshake. */
    int fd = raw_connect (endpoint_port (endpoint));
    REQUIRE (fd >= 0);
    unsigned char bad[64];
    memcpy (bad, zmtp_greeting, sizeof bad);
    memcpy (bad + 12, "BAD\0", 4);
    CHECK (write (fd, bad, sizeof bad) == sizeof bad);
    CHECK (expect_event (server_mon, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, &value, NULL));
    CHECK_EQ_INT (value, ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    CHECK (expect_event (server_mon, ZMQ_EVENT_DISCONNECTED, NULL, NULL));
    close (fd);

    /* The client goes: the server sees it leave. Monitoring stops before
     * the monitor's reader closes: libzmq sends MONITOR_STOPPED blocking,
     * and waits forever when the reader is already gone. */
    zmq_socket_monitor (client, NULL, 0);
    zmq_close (client_mon);
    zmq_close (client);
    CHECK (expect_event (server_mon, ZMQ_EVENT_DISCONNECTED, NULL, NULL));

    /* Unbinding closes the listener. */
    CHECK_EQ_INT (zmq_unbind (server, endpoint), 0);
    CHECK (expect_event (server_mon, ZMQ_EVENT_CLOSED, NULL, seen));
    CHECK_STR (seen, endpoint);

    /* Stopping the monitor is the last event. */
    CHECK_EQ_INT (zmq_socket_monitor (server, NULL, 0), 0);
    CHECK (expect_event (server_mon, ZMQ_EVENT_MONITOR_STOPPED, NULL, NULL));
    zmq_close (server_mon);

    /* Nobody listens: the connect is retried, as often as asked. */
    void *lonely = zmq_socket (ctx, ZMQ_DEALER);
    set_int (lonely, ZMQ_LINGER, 0);
    set_int (lonely, ZMQ_RECONNECT_IVL, 50);
    void *lonely_mon = monitor_of (ctx, lonely, "mon-lonely",
                                   ZMQ_EVENT_CONNECT_DELAYED | ZMQ_EVENT_CONNECT_RETRIED);
    CHECK_EQ_INT (zmq_connect (lonely, endpoint), 0);
    /* A tcp connect is under way at first: its value is the errno. */
    CHECK (expect_event (lonely_mon, ZMQ_EVENT_CONNECT_DELAYED, &value, seen));
    CHECK_EQ_INT (value, EINPROGRESS);
    CHECK (expect_event (lonely_mon, ZMQ_EVENT_CONNECT_RETRIED, &value, seen));
    /* The interval (libzmq adds up to one interval of jitter). */
    CHECK (value >= 50 && value < 100);
    CHECK_STR (seen, endpoint);
    zmq_close (lonely);
    zmq_close (lonely_mon);

    /* A wildcard bind: LISTENING names the endpoint bound, the events of
     * a connection (ACCEPTED on) its own local address. */
    void *wide = zmq_socket (ctx, ZMQ_PULL);
    set_int (wide, ZMQ_LINGER, 0);
    void *wide_mon = monitor_of (ctx, wide, "mon-wide-bind", ZMQ_EVENT_ALL);
    REQUIRE (wide_mon);
    CHECK_EQ_INT (zmq_bind (wide, "tcp://*:*"), 0);
    len = sizeof endpoint;
    zmq_getsockopt (wide, ZMQ_LAST_ENDPOINT, endpoint, &len);
    CHECK (strncmp (endpoint, "tcp://0.0.0.0:", 14) == 0);
    CHECK (expect_event (wide_mon, ZMQ_EVENT_LISTENING, NULL, seen));
    CHECK_STR (seen, endpoint);
    char loopback[256];
    snprintf (loopback, sizeof loopback, "tcp://127.0.0.1:%d", endpoint_port (endpoint));
    void *pusher = zmq_socket (ctx, ZMQ_PUSH);
    set_int (pusher, ZMQ_LINGER, 0);
    CHECK_EQ_INT (zmq_connect (pusher, loopback), 0);
    CHECK (expect_event (wide_mon, ZMQ_EVENT_ACCEPTED, NULL, seen));
    CHECK_STR (seen, loopback);
    CHECK (expect_event (wide_mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, NULL, seen));
    CHECK_STR (seen, loopback);
    zmq_close (pusher);
    CHECK (expect_event (wide_mon, ZMQ_EVENT_DISCONNECTED, NULL, seen));
    CHECK_STR (seen, loopback);
    zmq_socket_monitor (wide, NULL, 0);
    zmq_close (wide_mon);
    zmq_close (wide);

    zmq_close (server);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_monitor");
}
