/* The draft monitor API through zmq.h: zmq_socket_monitor_versioned with
 * event format 2 (64-bit number, value count, values, local and remote
 * endpoint), a PUB monitor, zmq_socket_monitor_pipes_stats, and the
 * arguments it refuses. Built with ZMQ_BUILD_DRAFT_API against the draft
 * build of the library. */
#include "testnet.h"

#include <stdint.h>

typedef struct
{
    uint64_t number;
    uint64_t values[4];
    uint64_t count;
    char local[256];
    char remote[256];
} event_t;

static int recv_frame (void *s, void *buf, size_t size, int *more)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, s, 0) < 0)
        return -1;
    int n = (int) zmq_msg_size (&msg);
    memcpy (buf, zmq_msg_data (&msg), (size_t) n < size ? (size_t) n : size);
    *more = zmq_msg_more (&msg);
    zmq_msg_close (&msg);
    return n;
}

/* Reads one format-2 event; 0 on a timeout or a malformed event. */
static int read_event (void *mon, event_t *e)
{
    memset (e, 0, sizeof *e);
    int more = 0;
    if (recv_frame (mon, &e->number, 8, &more) != 8 || !more)
        return 0;
    if (recv_frame (mon, &e->count, 8, &more) != 8 || !more || e->count > 4)
        return 0;
    for (uint64_t i = 0; i < e->count; i++)
        if (recv_frame (mon, &e->values[i], 8, &more) != 8 || !more)
            return 0;
    int n = recv_frame (mon, e->local, sizeof e->local - 1, &more);
    if (n < 0 || !more)
        return 0;
    e->local[n] = 0;
    n = recv_frame (mon, e->remote, sizeof e->remote - 1, &more);
    if (n < 0 || more)
        return 0;
    e->remote[n] = 0;
    return 1;
}

static int expect_event (void *mon, uint64_t wanted, event_t *e)
{
    for (int i = 0; i < 50; i++) {
        if (!read_event (mon, e))
            break;
        if (e->number == wanted)
            return 1;
    }
    fprintf (stderr, "event 0x%llx did not come\n", (unsigned long long) wanted);
    return 0;
}

static void *watch (void *ctx, void *s, const char *endpoint)
{
    if (zmq_socket_monitor_versioned (s, endpoint, ZMQ_EVENT_ALL_V2, 2, ZMQ_PAIR) != 0)
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
    CHECK_EQ_INT (ZMQ_CURRENT_EVENT_VERSION, 1);
    CHECK_EQ_INT (ZMQ_CURRENT_EVENT_VERSION_DRAFT, 2);

    void *server = zmq_socket (ctx, ZMQ_PULL);
    void *client = zmq_socket (ctx, ZMQ_PUSH);
    set_int (server, ZMQ_LINGER, 0);
    set_int (client, ZMQ_LINGER, 0);

    /* Refused arguments. */
    CHECK_ERRNO (zmq_socket_monitor_pipes_stats (server) == -1, EINVAL);
    CHECK_ERRNO (zmq_socket_monitor_versioned (server, "inproc://m", ZMQ_EVENT_ALL_V2, 1,
                                               ZMQ_PAIR) == -1,
                 EINVAL);
    CHECK_ERRNO (zmq_socket_monitor_versioned (server, "inproc://m", ZMQ_EVENT_ALL, 2,
                                               ZMQ_DEALER) == -1,
                 EINVAL);
    CHECK_ERRNO (zmq_socket_monitor_versioned (server, "inproc://m", ZMQ_EVENT_ALL, 3,
                                               ZMQ_PAIR) == -1,
                 EINVAL);
    CHECK_ERRNO (zmq_socket_monitor_versioned (server, "tcp://127.0.0.1:*", ZMQ_EVENT_ALL,
                                               2, ZMQ_PAIR) == -1,
                 EPROTONOSUPPORT);
    CHECK_ERRNO (zmq_socket_monitor_pipes_stats (NULL) == -1, ENOTSOCK);

    void *server_mon = watch (ctx, server, "inproc://v2-server");
    void *client_mon = watch (ctx, client, "inproc://v2-client");
    REQUIRE (server_mon && client_mon);
    /* Monitored, but no peer yet. */
    CHECK_ERRNO (zmq_socket_monitor_pipes_stats (server) == -1, EAGAIN);

    CHECK_EQ_INT (zmq_bind (server, "tcp://127.0.0.1:*"), 0);
    char endpoint[256];
    size_t len = sizeof endpoint;
    zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, endpoint, &len);
    event_t e;
    CHECK (expect_event (server_mon, ZMQ_EVENT_LISTENING, &e));
    CHECK_STR (e.local, endpoint);
    CHECK_STR (e.remote, "");
    CHECK_EQ_INT (e.count, 1);

    CHECK_EQ_INT (zmq_connect (client, endpoint), 0);
    CHECK (expect_event (client_mon, ZMQ_EVENT_CONNECTED, &e));
    CHECK_STR (e.remote, endpoint);
    CHECK (strncmp (e.local, "tcp://127.0.0.1:", 16) == 0);
    char client_end[256];
    strcpy (client_end, e.local);
    CHECK (expect_event (server_mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, &e));
    CHECK_STR (e.local, endpoint);
    CHECK_STR (e.remote, client_end);

    /* Three messages wait at the server: its pipe says so. */
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT (zmq_send (client, "queued", 6, 0), 6);
    /* The connection's pipe reaches the socket just after the handshake
     * (EAGAIN until then), and the messages a moment later. */
    int seen = 0;
    for (int tries = 0; tries < 200 && !seen; tries++) {
        if (zmq_socket_monitor_pipes_stats (server) == 0) {
            CHECK (expect_event (server_mon, ZMQ_EVENT_PIPES_STATS, &e));
            seen = e.count == 2 && e.values[0] == 0 && e.values[1] == 3;
        } else
            CHECK_EQ_INT (errno, EAGAIN);
        if (!seen) {
            zmq_pollitem_t pause = {NULL, -1, 0, 0};
            zmq_poll (&pause, 1, 10);
        }
    }
    CHECK (seen);
    CHECK_STR (e.local, endpoint);
    CHECK_STR (e.remote, client_end);

    /* Stopping: MONITOR_STOPPED with one value and no endpoints. */
    CHECK_EQ_INT (zmq_socket_monitor_versioned (client, NULL, 0, 2, ZMQ_PAIR), 0);
    CHECK (expect_event (client_mon, ZMQ_EVENT_MONITOR_STOPPED, &e));
    CHECK_EQ_INT (e.count, 1);
    CHECK_STR (e.local, "");
    CHECK_STR (e.remote, "");

    /* A PUB monitor: the event number is the topic. */
    CHECK_EQ_INT (zmq_socket_monitor_versioned (client, "inproc://v2-pub", ZMQ_EVENT_ALL_V2,
                                                2, ZMQ_PUB),
                  0);
    void *sub = zmq_socket (ctx, ZMQ_SUB);
    set_int (sub, ZMQ_RCVTIMEO, 5000);
    set_int (sub, ZMQ_LINGER, 0);
    CHECK_EQ_INT (zmq_connect (sub, "inproc://v2-pub"), 0);
    uint64_t topic = ZMQ_EVENT_PIPES_STATS;
    CHECK_EQ_INT (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, &topic, sizeof topic), 0);
    /* Ask until the subscription has reached the monitor. */
    seen = 0;
    for (int tries = 0; tries < 50 && !seen; tries++) {
        CHECK_EQ_INT (zmq_socket_monitor_pipes_stats (client), 0);
        set_int (sub, ZMQ_RCVTIMEO, 100);
        seen = read_event (sub, &e);
    }
    CHECK (seen);
    CHECK_EQ_INT (e.number, ZMQ_EVENT_PIPES_STATS);
    CHECK_STR (e.remote, endpoint);

    zmq_close (sub);
    zmq_close (client_mon);
    zmq_close (server_mon);
    zmq_close (client);
    zmq_close (server);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_monitor_v2");
}
