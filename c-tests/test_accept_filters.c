/* Accept filters: ZMQ_TCP_ACCEPT_FILTER keeps tcp peers of the networks it
 * names, ZMQ_IPC_FILTER_UID/GID/PID ipc peers of the users, groups or
 * processes it names; a peer outside them is closed at once and the
 * monitor sees ACCEPT_FAILED. Setting NULL empties a list. */
#include "testutil.h"

#include <unistd.h>

static void *ctx;

/* A PULL socket bound on `endpoint` with `setup` applied first; a PUSH
 * connects to it and sends; returns whether the message arrived. With
 * `watch` set, whichever comes first decides: the message, or the PULL's
 * monitor reporting ACCEPT_FAILED (a refused peer's message never comes).
 * Without it, the message must come. */
static int gets_through (const char *endpoint, void (*setup) (void *), int watch)
{
    static int round;
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    set_int (pull, ZMQ_LINGER, 0);
    set_int (pull, ZMQ_RCVTIMEO, 5000);
    setup (pull);
    char monitor[64];
    snprintf (monitor, sizeof monitor, "inproc://filter-monitor-%d", ++round);
    void *mon = NULL;
    if (watch) {
        CHECK_EQ_INT (zmq_socket_monitor (pull, monitor, ZMQ_EVENT_ACCEPT_FAILED), 0);
        mon = zmq_socket (ctx, ZMQ_PAIR);
        set_int (mon, ZMQ_RCVTIMEO, 5000);
        CHECK_EQ_INT (zmq_connect (mon, monitor), 0);
    }
    CHECK_EQ_INT (zmq_bind (pull, endpoint), 0);
    char bound[256];
    size_t len = sizeof bound;
    zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, bound, &len);
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    set_int (push, ZMQ_LINGER, 0);
    set_int (push, ZMQ_RECONNECT_IVL, 1000);
    CHECK_EQ_INT (zmq_connect (push, bound), 0);
    CHECK_EQ_INT (zmq_send (push, "hello", 5, ZMQ_DONTWAIT), 5);
    char buf[8];
    int arrived = 0;
    if (mon) {
        zmq_pollitem_t items[] = {{pull, 0, ZMQ_POLLIN, 0}, {mon, 0, ZMQ_POLLIN, 0}};
        CHECK_EQ_INT (zmq_poll (items, 2, 5000), 1);
        if (items[0].revents & ZMQ_POLLIN) {
            arrived = zmq_recv (pull, buf, sizeof buf, 0) == 5;
        } else {
            zmq_msg_t event;
            zmq_msg_init (&event);
            CHECK (zmq_msg_recv (&event, mon, 0) >= 6);
            uint16_t id;
            memcpy (&id, zmq_msg_data (&event), 2);
            CHECK_EQ_INT (id, ZMQ_EVENT_ACCEPT_FAILED);
            zmq_msg_recv (&event, mon, 0); /* the endpoint frame */
            zmq_msg_close (&event);
            /* And nothing came through. */
            CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), -1);
        }
        zmq_socket_monitor (pull, NULL, 0);
        zmq_close (mon);
    } else {
        arrived = zmq_recv (pull, buf, sizeof buf, 0) == 5;
    }
    zmq_close (push);
    zmq_close (pull);
    return arrived;
}

static void no_filter (void *s) { (void) s; }
static void other_host (void *s)
{
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_TCP_ACCEPT_FILTER, "192.0.2.1", 9), 0);
}
static void loopback_net (void *s)
{
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_TCP_ACCEPT_FILTER, "192.0.2.1", 9), 0);
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_TCP_ACCEPT_FILTER, "127.0.0.0/8", 11), 0);
}
static void cleared (void *s)
{
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_TCP_ACCEPT_FILTER, "192.0.2.1", 9), 0);
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_TCP_ACCEPT_FILTER, NULL, 0), 0);
}
static void other_user (void *s) { CHECK_EQ_INT (set_int (s, ZMQ_IPC_FILTER_UID, (int) getuid () + 1), 0); }
static void this_user (void *s)
{
    CHECK_EQ_INT (set_int (s, ZMQ_IPC_FILTER_UID, (int) getuid () + 1), 0);
    CHECK_EQ_INT (set_int (s, ZMQ_IPC_FILTER_UID, (int) getuid ()), 0);
}
static void this_group (void *s) { CHECK_EQ_INT (set_int (s, ZMQ_IPC_FILTER_GID, (int) getgid ()), 0); }
static void this_process (void *s)
{
    CHECK_EQ_INT (set_int (s, ZMQ_IPC_FILTER_UID, (int) getuid () + 1), 0);
    CHECK_EQ_INT (set_int (s, ZMQ_IPC_FILTER_PID, (int) getpid ()), 0);
}
static void other_process_cleared (void *s)
{
    CHECK_EQ_INT (set_int (s, ZMQ_IPC_FILTER_PID, (int) getpid () + 1), 0);
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_IPC_FILTER_PID, NULL, 0), 0);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    REQUIRE (ctx != NULL);
    const char *tcp = "tcp://127.0.0.1:*";
    CHECK (gets_through (tcp, no_filter, 1));
    CHECK (!gets_through (tcp, other_host, 1));
    CHECK (gets_through (tcp, loopback_net, 1));
    CHECK (gets_through (tcp, cleared, 0));

    char ipc[64];
    snprintf (ipc, sizeof ipc, "ipc:///tmp/zmq-test-filter-%d", (int) getpid ());
    CHECK (!gets_through (ipc, other_user, 1));
    CHECK (gets_through (ipc, this_user, 1));
    CHECK (gets_through (ipc, this_group, 0));
    CHECK (gets_through (ipc, this_process, 0));
    CHECK (gets_through (ipc, other_process_cleared, 0));

    /* Values refused, and the options cannot be read. */
    void *s = zmq_socket (ctx, ZMQ_PULL);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_TCP_ACCEPT_FILTER, "", 0) == -1, EINVAL);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_TCP_ACCEPT_FILTER, "10.0.0.0/33", 11) == -1, EINVAL);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_TCP_ACCEPT_FILTER, "not an address", 14) == -1, EINVAL);
    /* Any int names an id, as in libzmq (-1 is uid 4294967295). */
    CHECK_EQ_INT (set_int (s, ZMQ_IPC_FILTER_UID, -1), 0);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_IPC_FILTER_GID, "ab", 2) == -1, EINVAL);
    char buf[256];
    size_t len = sizeof buf;
    CHECK_ERRNO (zmq_getsockopt (s, ZMQ_TCP_ACCEPT_FILTER, buf, &len) == -1, EINVAL);
    len = sizeof (int);
    CHECK_ERRNO (zmq_getsockopt (s, ZMQ_IPC_FILTER_UID, buf, &len) == -1, EINVAL);
    zmq_close (s);

    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("accept_filters");
}
