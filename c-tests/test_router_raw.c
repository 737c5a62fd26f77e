/* ZMQ_ROUTER_RAW: a ROUTER (or REP) that speaks raw bytes over tcp instead
 * of ZMTP, as STREAM does: generated ids, an empty message when a peer
 * comes and goes, one data frame per id, an empty one to hang up. */
#include "testsec.h"


/* Receives [id][data]; returns the data's length (-1 on error), the id in
 * `id` (its length in *id_len). */
static int recv_pair (void *s, unsigned char *id, size_t *id_len, char *data, size_t size)
{
    int n = zmq_recv (s, id, 255, 0);
    if (n < 0)
        return -1;
    *id_len = (size_t) n;
    int more = get_int (s, ZMQ_RCVMORE);
    if (!more)
        return -1;
    n = zmq_recv (s, data, size - 1, 0);
    if (n < 0)
        return -1;
    data[n] = 0;
    return n;
}

static void check_option_rules (void)
{
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    CHECK_ERRNO (set_int (router, ZMQ_ROUTER_RAW, -1), EINVAL);
    CHECK_ERRNO (zmq_setsockopt (router, ZMQ_ROUTER_RAW, "ab", 2), EINVAL);
    CHECK_EQ_INT (set_int (router, ZMQ_ROUTER_RAW, 2), 0);
    /* Write-only. */
    int value;
    size_t len = sizeof value;
    CHECK_ERRNO (zmq_getsockopt (router, ZMQ_ROUTER_RAW, &value, &len), EINVAL);
    zmq_close (router);
    void *rep = zmq_socket (ctx, ZMQ_REP);
    CHECK_EQ_INT (set_int (rep, ZMQ_ROUTER_RAW, 1), 0);
    zmq_close (rep);
    const int others[] = {ZMQ_PAIR, ZMQ_PUB, ZMQ_SUB, ZMQ_REQ, ZMQ_DEALER,
                          ZMQ_PULL, ZMQ_PUSH, ZMQ_XPUB, ZMQ_XSUB, ZMQ_STREAM};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        void *s = zmq_socket (ctx, others[i]);
        CHECK_ERRNO (set_int (s, ZMQ_ROUTER_RAW, 1), EINVAL);
        zmq_close (s);
    }
}

static void check_bound_router (void)
{
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    set_int (router, ZMQ_LINGER, 0);
    set_int (router, ZMQ_RCVTIMEO, 5000);
    CHECK_EQ_INT (set_int (router, ZMQ_ROUTER_RAW, 1), 0);
    REQUIRE_VOID (zmq_bind (router, "tcp://127.0.0.1:*") == 0);
    int fd = raw_connect (bound_port (router));
    REQUIRE_VOID (fd >= 0);

    unsigned char id[256], id2[256];
    size_t id_len, id2_len;
    char data[256];
    /* The connection is announced: a generated id (0x00 and 4 bytes) and
     * an empty frame. */
    CHECK_EQ_INT (recv_pair (router, id, &id_len, data, sizeof data), 0);
    CHECK_EQ_INT ((int) id_len, 5);
    CHECK_EQ_INT (id[0], 0);
    /* Bytes arrive as they are, with no ZMTP around them. */
    CHECK_EQ_INT ((int) write (fd, "hello", 5), 5);
    CHECK_EQ_INT (recv_pair (router, id2, &id2_len, data, sizeof data), 5);
    CHECK_STR (data, "hello");
    CHECK (id2_len == id_len && memcmp (id, id2, id_len) == 0);
    /* One data frame per id: its MORE flag is ignored. */
    CHECK_EQ_INT (zmq_send (router, id, id_len, ZMQ_SNDMORE), (int) id_len);
    CHECK_EQ_INT (zmq_send (router, "world", 5, ZMQ_SNDMORE), 5);
    char buf[16];
    CHECK_EQ_INT ((int) read_n (fd, (unsigned char *) buf, 5), 5);
    CHECK (memcmp (buf, "world", 5) == 0);
    /* An empty data frame ends the route to that peer... */
    CHECK_EQ_INT (zmq_send (router, id, id_len, ZMQ_SNDMORE), (int) id_len);
    CHECK_EQ_INT (zmq_send (router, "", 0, 0), 0);
    set_int (router, ZMQ_ROUTER_MANDATORY, 1);
    CHECK_ERRNO (zmq_send (router, id, id_len, ZMQ_SNDMORE), EHOSTUNREACH);
    set_int (router, ZMQ_ROUTER_MANDATORY, 0);
#ifndef REFERENCE_LIBZMQ
    /* ...and hangs up. libzmq 4.3.4 leaves the connection open with no
     * route to it (docs/differences.md). */
    CHECK_EQ_INT ((int) read (fd, buf, sizeof buf), 0);
#endif
    close (fd);

    /* A peer that leaves is announced too. */
    fd = raw_connect (bound_port (router));
    REQUIRE_VOID (fd >= 0);
    CHECK_EQ_INT (recv_pair (router, id, &id_len, data, sizeof data), 0);
    close (fd);
    CHECK_EQ_INT (recv_pair (router, id2, &id2_len, data, sizeof data), 0);
    CHECK (id2_len == id_len && memcmp (id, id2, id_len) == 0);
    zmq_close (router);
}

static void check_connecting_router (void)
{
    char endpoint[64];
    int listener = raw_listen (endpoint, sizeof endpoint);
    REQUIRE_VOID (listener >= 0);
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    set_int (router, ZMQ_LINGER, 0);
    set_int (router, ZMQ_RCVTIMEO, 5000);
    set_int (router, ZMQ_ROUTER_RAW, 1);
    CHECK_EQ_INT (zmq_connect (router, endpoint), 0);
    int fd = accept (listener, NULL, NULL);
    REQUIRE_VOID (fd >= 0);
    read_timeout (fd, 5);
    unsigned char id[256];
    size_t id_len;
    char data[64];
    /* No greeting goes out: the first bytes are the application's. */
    CHECK_EQ_INT (recv_pair (router, id, &id_len, data, sizeof data), 0);
    CHECK_EQ_INT (zmq_send (router, id, id_len, ZMQ_SNDMORE), (int) id_len);
    CHECK_EQ_INT (zmq_send (router, "GET /", 5, 0), 5);
    char buf[16];
    CHECK_EQ_INT ((int) read_n (fd, (unsigned char *) buf, 5), 5);
    CHECK (memcmp (buf, "GET /", 5) == 0);
    close (fd);
    close (listener);
    zmq_close (router);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    check_option_rules ();
    check_bound_router ();
    check_connecting_router ();
    zmq_ctx_term (ctx);
    return test_result ("test_router_raw");
}
