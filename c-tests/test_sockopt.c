/* Socket options: defaults, round trips, read-only options, and wrong
 * lengths or values. */
#include "testutil.h"

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx != NULL);
    void *s = zmq_socket (ctx, ZMQ_PUSH);
    REQUIRE (s != NULL);

    CHECK_EQ_INT (get_int (s, ZMQ_TYPE), ZMQ_PUSH);
    CHECK_EQ_INT (get_int (s, ZMQ_SNDHWM), 1000);
    CHECK_EQ_INT (get_int (s, ZMQ_RCVHWM), 1000);
    CHECK_EQ_INT (get_int (s, ZMQ_LINGER), -1);
    CHECK_EQ_INT (get_int (s, ZMQ_RCVTIMEO), -1);
    CHECK_EQ_INT (get_int (s, ZMQ_SNDTIMEO), -1);
    CHECK_EQ_INT (get_int (s, ZMQ_RCVMORE), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_IMMEDIATE), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_RECONNECT_IVL), 100);
    CHECK_EQ_INT (get_int (s, ZMQ_MECHANISM), ZMQ_NULL);
    CHECK_EQ_INT (get_int (s, ZMQ_IPV6), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_IPV4ONLY), 1);
    CHECK (get_int (s, ZMQ_FD) >= 0);
    int64_t maxmsgsize = 0;
    size_t len = sizeof maxmsgsize;
    CHECK_EQ_INT (zmq_getsockopt (s, ZMQ_MAXMSGSIZE, &maxmsgsize, &len), 0);
    CHECK_EQ_INT (maxmsgsize, -1);
    CHECK_EQ_INT (len, sizeof maxmsgsize);

    /* Round trips. */
    CHECK_EQ_INT (set_int (s, ZMQ_SNDHWM, 10), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_SNDHWM), 10);
    CHECK_EQ_INT (set_int (s, ZMQ_LINGER, 0), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_LINGER), 0);
    CHECK_EQ_INT (zmq_setsockopt (s, ZMQ_ROUTING_ID, "abc", 3), 0);
    char id[256];
    len = sizeof id;
    CHECK_EQ_INT (zmq_getsockopt (s, ZMQ_ROUTING_ID, id, &len), 0);
    CHECK_EQ_INT (len, 3);
    CHECK (memcmp (id, "abc", 3) == 0);

    /* Wrong lengths and values. */
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_LINGER, "ab", 2) == -1, EINVAL);
    int64_t big = 5;
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_LINGER, &big, sizeof big) == -1, EINVAL);
    CHECK_ERRNO (set_int (s, ZMQ_LINGER, -2) == -1, EINVAL);
    CHECK_ERRNO (set_int (s, ZMQ_SNDHWM, -1) == -1, EINVAL);
    CHECK_ERRNO (set_int (s, 12345, 1) == -1, EINVAL);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_ROUTING_ID, "", 0) == -1, EINVAL);
    char long_id[256];
    memset (long_id, 'i', sizeof long_id);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_ROUTING_ID, long_id, 256) == -1, EINVAL);
    int value;
    len = 2;
    CHECK_ERRNO (zmq_getsockopt (s, ZMQ_LINGER, &value, &len) == -1, EINVAL);
    len = sizeof value;
    CHECK_ERRNO (zmq_getsockopt (s, 12345, &value, &len) == -1, EINVAL);
    len = 2;
    CHECK_ERRNO (zmq_getsockopt (s, ZMQ_ROUTING_ID, id, &len) == -1, EINVAL);

    /* Switches from zmq.h's draft section that every libzmq 4.3 build
     * takes: any int, read back as 0 or 1 (ZMQ_LOOPBACK_FASTPATH is 94 and
     * ZMQ_MULTICAST_LOOP 96 there). */
    CHECK_EQ_INT (get_int (s, 94), 0);
    CHECK_EQ_INT (get_int (s, 96), 1);
    for (int option = 94; option <= 96; option += 2) {
        CHECK_EQ_INT (set_int (s, option, 7), 0);
        CHECK_EQ_INT (get_int (s, option), 1);
        CHECK_EQ_INT (set_int (s, option, 0), 0);
        CHECK_EQ_INT (get_int (s, option), 0);
        CHECK_EQ_INT (set_int (s, option, -1), 0);
        CHECK_EQ_INT (get_int (s, option), 1);
        CHECK_ERRNO (zmq_setsockopt (s, option, "ab", 2) == -1, EINVAL);
    }

    /* The heartbeat TTL is kept in deciseconds, up to 6553599 ms. */
    CHECK_EQ_INT (set_int (s, ZMQ_HEARTBEAT_TTL, 6553599), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_HEARTBEAT_TTL), 6553500);
    CHECK_EQ_INT (set_int (s, ZMQ_HEARTBEAT_TTL, 199), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_HEARTBEAT_TTL), 100);
    CHECK_ERRNO (set_int (s, ZMQ_HEARTBEAT_TTL, 6553600) == -1, EINVAL);
    /* What rounds to 0 deciseconds is 0, even below zero (libzmq). */
    CHECK_EQ_INT (set_int (s, ZMQ_HEARTBEAT_TTL, -99), 0);
    CHECK_EQ_INT (get_int (s, ZMQ_HEARTBEAT_TTL), 0);
    CHECK_ERRNO (set_int (s, ZMQ_HEARTBEAT_TTL, -100) == -1, EINVAL);

    /* Read-only options cannot be set. */
    CHECK_ERRNO (set_int (s, ZMQ_TYPE, ZMQ_PULL) == -1, EINVAL);
    CHECK_ERRNO (set_int (s, ZMQ_EVENTS, 1) == -1, EINVAL);
    CHECK_ERRNO (set_int (s, ZMQ_RCVMORE, 1) == -1, EINVAL);

#ifndef REFERENCE_LIBZMQ
    /* (The SOCKS options: test_socks.c.) */
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_LINGER, NULL, 4) == -1, EINVAL);
    CHECK_ERRNO (zmq_getsockopt (s, ZMQ_LINGER, &value, NULL) == -1, EFAULT);
#endif

    /* Context options. */
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 1);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), 1023);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_MSG_T_SIZE), 64);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_BLOCKY), 1);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_IPV6), 0);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 2), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 2);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 10), 0);
    CHECK_EQ_INT (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), 10);
    CHECK_ERRNO (zmq_ctx_set (ctx, ZMQ_IO_THREADS, -1) == -1, EINVAL);
    CHECK_ERRNO (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 0) == -1, EINVAL);
    CHECK_ERRNO (zmq_ctx_set (ctx, 12345, 1) == -1, EINVAL);
    CHECK_ERRNO (zmq_ctx_get (ctx, 12345) == -1, EINVAL);

    /* MAX_SOCKETS is enforced, as set before the first socket opened. */
    void *limited = zmq_ctx_new ();
    CHECK_EQ_INT (zmq_ctx_set (limited, ZMQ_MAX_SOCKETS, 10), 0);
    void *sockets[16];
    int opened = 0;
    for (int i = 0; i < 16; i++) {
        sockets[i] = zmq_socket (limited, ZMQ_PAIR);
        if (!sockets[i])
            break;
        opened++;
    }
    CHECK_EQ_INT (opened, 10);
    CHECK_EQ_INT (errno, EMFILE);
    for (int i = 0; i < opened; i++)
        zmq_close (sockets[i]);
    CHECK_EQ_INT (zmq_ctx_term (limited), 0);

    /* With ZMQ_BLOCKY off, new sockets linger 0. */
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_BLOCKY, 0), 0);
    void *t = zmq_socket (ctx, ZMQ_PAIR);
    CHECK_EQ_INT (get_int (t, ZMQ_LINGER), 0);
    zmq_close (t);
    zmq_close (s);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("sockopt");
}
