/* REQ, REP, DEALER and ROUTER over inproc: envelopes, strict turns (EFSM),
 * routing ids (set and generated), ROUTER_MANDATORY, ROUTER_HANDOVER,
 * PROBE_ROUTER, REQ_RELAXED and REQ_CORRELATE, and a broker chain. */
#include "testutil.h"

static int recv_str (void *s, char *buf, size_t size)
{
    int n = zmq_recv (s, buf, size - 1, 0);
    buf[n < 0 ? 0 : (n < (int) size - 1 ? n : (int) size - 1)] = 0;
    return n;
}

static void check_req_rep (void *ctx)
{
    char endpoint[64], buf[64];
    void *rep = zmq_socket (ctx, ZMQ_REP);
    void *req = zmq_socket (ctx, ZMQ_REQ);
    CHECK_EQ_INT (bind_inproc (rep, endpoint, sizeof endpoint), 0);
    CHECK_EQ_INT (zmq_connect (req, endpoint), 0);

    CHECK_ERRNO (zmq_recv (req, buf, sizeof buf, 0) == -1, EFSM);
    CHECK_ERRNO (zmq_send (rep, "x", 1, 0) == -1, EFSM);
    for (int round = 0; round < 3; round++) {
        CHECK_EQ_INT (zmq_send (req, "hello", 5, ZMQ_SNDMORE), 5);
        CHECK_EQ_INT (zmq_send (req, "there", 5, 0), 5);
        CHECK_ERRNO (zmq_send (req, "again", 5, 0) == -1, EFSM);
        CHECK_EQ_INT (recv_str (rep, buf, sizeof buf), 5);
        CHECK_STR (buf, "hello");
        CHECK_EQ_INT (get_int (rep, ZMQ_RCVMORE), 1);
        CHECK_EQ_INT (recv_str (rep, buf, sizeof buf), 5);
        CHECK_STR (buf, "there");
        CHECK_ERRNO (zmq_recv (rep, buf, sizeof buf, ZMQ_DONTWAIT) == -1, EFSM);
        CHECK_EQ_INT (zmq_send (rep, "world", 5, 0), 5);
        CHECK_EQ_INT (recv_str (req, buf, sizeof buf), 5);
        CHECK_STR (buf, "world");
        CHECK_EQ_INT (get_int (req, ZMQ_RCVMORE), 0);
    }

    /* A second REP: requests alternate between them. */
    void *rep2 = zmq_socket (ctx, ZMQ_REP);
    CHECK_EQ_INT (zmq_connect (rep2, endpoint), 0);
    zmq_close (rep2);
    zmq_close (req);
    zmq_close (rep);
}

static void check_router_dealer (void *ctx)
{
    char endpoint[64], buf[256];
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    CHECK_EQ_INT (bind_inproc (router, endpoint, sizeof endpoint), 0);
    void *named = zmq_socket (ctx, ZMQ_DEALER);
    CHECK_EQ_INT (zmq_setsockopt (named, ZMQ_ROUTING_ID, "A", 1), 0);
    CHECK_EQ_INT (zmq_connect (named, endpoint), 0);
    void *anonymous = zmq_socket (ctx, ZMQ_DEALER);
    CHECK_EQ_INT (zmq_connect (anonymous, endpoint), 0);

    CHECK_EQ_INT (zmq_send (named, "from A", 6, 0), 6);
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 1);
    CHECK_EQ_INT (buf[0], 'A');
    CHECK_EQ_INT (get_int (router, ZMQ_RCVMORE), 1);
    CHECK_EQ_INT (recv_str (router, buf, sizeof buf), 6);
    CHECK_STR (buf, "from A");

    CHECK_EQ_INT (zmq_send (anonymous, "anon", 4, 0), 4);
    unsigned char id[256];
    int id_len = zmq_recv (router, id, sizeof id, 0);
    CHECK_EQ_INT (id_len, 5);
    CHECK_EQ_INT (id[0], 0);
    CHECK_EQ_INT (recv_str (router, buf, sizeof buf), 4);

    /* Replies by id. */
    CHECK_EQ_INT (zmq_send (router, id, (size_t) id_len, ZMQ_SNDMORE), id_len);
    CHECK_EQ_INT (zmq_send (router, "back", 4, 0), 4);
    CHECK_EQ_INT (recv_str (anonymous, buf, sizeof buf), 4);
    CHECK_STR (buf, "back");
    CHECK_EQ_INT (zmq_send (router, "A", 1, ZMQ_SNDMORE), 1);
    CHECK_EQ_INT (zmq_send (router, "to A", 4, 0), 4);
    CHECK_EQ_INT (recv_str (named, buf, sizeof buf), 4);

    /* Unknown ids are dropped, or refused with ZMQ_ROUTER_MANDATORY. */
    CHECK_EQ_INT (zmq_send (router, "nobody", 6, ZMQ_SNDMORE), 6);
    CHECK_EQ_INT (zmq_send (router, "lost", 4, 0), 4);
    CHECK_EQ_INT (set_int (router, ZMQ_ROUTER_MANDATORY, 1), 0);
    CHECK_ERRNO (zmq_send (router, "nobody", 6, ZMQ_SNDMORE) == -1, EHOSTUNREACH);
    CHECK_ERRNO (zmq_recv (named, buf, sizeof buf, ZMQ_DONTWAIT) == -1, EAGAIN);

    /* REQ to ROUTER: [id, "", body]. */
    void *req = zmq_socket (ctx, ZMQ_REQ);
    CHECK_EQ_INT (zmq_setsockopt (req, ZMQ_ROUTING_ID, "R", 1), 0);
    CHECK_EQ_INT (zmq_connect (req, endpoint), 0);
    CHECK_EQ_INT (zmq_send (req, "ask", 3, 0), 3);
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 1);
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 0);
    CHECK_EQ_INT (get_int (router, ZMQ_RCVMORE), 1);
    CHECK_EQ_INT (recv_str (router, buf, sizeof buf), 3);
    CHECK_EQ_INT (zmq_send (router, "R", 1, ZMQ_SNDMORE), 1);
    CHECK_EQ_INT (zmq_send (router, "", 0, ZMQ_SNDMORE), 0);
    CHECK_EQ_INT (zmq_send (router, "answer", 6, 0), 6);
    CHECK_EQ_INT (recv_str (req, buf, sizeof buf), 6);
    CHECK_STR (buf, "answer");
    zmq_close (req);

    /* A duplicate id is refused, or takes over with ROUTER_HANDOVER. */
    void *dup = zmq_socket (ctx, ZMQ_DEALER);
    CHECK_EQ_INT (zmq_setsockopt (dup, ZMQ_ROUTING_ID, "A", 1), 0);
    CHECK_EQ_INT (zmq_connect (dup, endpoint), 0);
    CHECK_EQ_INT (zmq_send (router, "A", 1, ZMQ_SNDMORE), 1);
    CHECK_EQ_INT (zmq_send (router, "first", 5, 0), 5);
    CHECK_EQ_INT (recv_str (named, buf, sizeof buf), 5);
    CHECK_EQ_INT (set_int (router, ZMQ_ROUTER_HANDOVER, 1), 0);
    void *taker = zmq_socket (ctx, ZMQ_DEALER);
    CHECK_EQ_INT (zmq_setsockopt (taker, ZMQ_ROUTING_ID, "A", 1), 0);
    CHECK_EQ_INT (zmq_connect (taker, endpoint), 0);
    CHECK_EQ_INT (zmq_send (taker, "hi", 2, 0), 2);
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 1);
    CHECK_EQ_INT (recv_str (router, buf, sizeof buf), 2);
    CHECK_EQ_INT (zmq_send (router, "A", 1, ZMQ_SNDMORE), 1);
    CHECK_EQ_INT (zmq_send (router, "second", 6, 0), 6);
    CHECK_EQ_INT (recv_str (taker, buf, sizeof buf), 6);
    CHECK_STR (buf, "second");

    zmq_close (dup);
    zmq_close (taker);
    zmq_close (named);
    zmq_close (anonymous);
    zmq_close (router);
}

static void check_probe_relaxed_correlate (void *ctx)
{
    char endpoint[64], buf[64];
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    CHECK_EQ_INT (bind_inproc (router, endpoint, sizeof endpoint), 0);
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    CHECK_EQ_INT (set_int (dealer, ZMQ_PROBE_ROUTER, 1), 0);
    CHECK_EQ_INT (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "P", 1), 0);
    CHECK_EQ_INT (zmq_connect (dealer, endpoint), 0);
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 1);
    CHECK_EQ_INT (buf[0], 'P');
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 0);
    CHECK_EQ_INT (get_int (router, ZMQ_RCVMORE), 0);
    zmq_close (dealer);

    /* REQ_RELAXED allows a new request; REQ_CORRELATE drops stale replies. */
    void *req = zmq_socket (ctx, ZMQ_REQ);
    CHECK_EQ_INT (set_int (req, ZMQ_REQ_RELAXED, 1), 0);
    CHECK_EQ_INT (set_int (req, ZMQ_REQ_CORRELATE, 1), 0);
    CHECK_EQ_INT (zmq_setsockopt (req, ZMQ_ROUTING_ID, "Q", 1), 0);
    CHECK_EQ_INT (zmq_connect (req, endpoint), 0);
    CHECK_EQ_INT (zmq_send (req, "one", 3, 0), 3);
    CHECK_EQ_INT (zmq_send (req, "two", 3, 0), 3);
    unsigned char first_id[8], second_id[8];
    /* Each request arrives as [Q, request id, "", body]. */
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 1);
    CHECK_EQ_INT (zmq_recv (router, first_id, sizeof first_id, 0), 4);
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 0);
    CHECK_EQ_INT (recv_str (router, buf, sizeof buf), 3);
    CHECK_STR (buf, "one");
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 1);
    CHECK_EQ_INT (zmq_recv (router, second_id, sizeof second_id, 0), 4);
    CHECK_EQ_INT (zmq_recv (router, buf, sizeof buf, 0), 0);
    CHECK_EQ_INT (recv_str (router, buf, sizeof buf), 3);
    CHECK (memcmp (first_id, second_id, 4) != 0);
    /* The stale reply is dropped, the current one delivered. */
    unsigned char *ids[2] = {first_id, second_id};
    const char *bodies[2] = {"stale", "fresh"};
    for (int i = 0; i < 2; i++) {
        zmq_send (router, "Q", 1, ZMQ_SNDMORE);
        zmq_send (router, ids[i], 4, ZMQ_SNDMORE);
        zmq_send (router, "", 0, ZMQ_SNDMORE);
        zmq_send (router, bodies[i], 5, 0);
    }
    CHECK_EQ_INT (recv_str (req, buf, sizeof buf), 5);
    CHECK_STR (buf, "fresh");
    zmq_close (req);
    zmq_close (router);
}

static void check_connect_routing_id (void *ctx)
{
    char endpoint[64], buf[64];
    void *a = zmq_socket (ctx, ZMQ_ROUTER);
    CHECK_EQ_INT (bind_inproc (a, endpoint, sizeof endpoint), 0);
    void *b = zmq_socket (ctx, ZMQ_ROUTER);
    CHECK_EQ_INT (zmq_setsockopt (b, ZMQ_ROUTING_ID, "B", 1), 0);
    CHECK_EQ_INT (set_int (b, ZMQ_ROUTER_MANDATORY, 1), 0);
    /* The connecting ROUTER names its peer itself and can send at once. */
    CHECK_EQ_INT (zmq_setsockopt (b, ZMQ_CONNECT_ROUTING_ID, "peerA", 5), 0);
    CHECK_EQ_INT (zmq_connect (b, endpoint), 0);
    CHECK_EQ_INT (zmq_send (b, "peerA", 5, ZMQ_SNDMORE), 5);
    CHECK_EQ_INT (zmq_send (b, "hello", 5, 0), 5);
    CHECK_EQ_INT (recv_str (a, buf, sizeof buf), 1);
    CHECK_STR (buf, "B");
    CHECK_EQ_INT (recv_str (a, buf, sizeof buf), 5);
    CHECK_STR (buf, "hello");
    /* Only for that one connect. */
    CHECK_ERRNO (zmq_send (b, "B", 1, ZMQ_SNDMORE) == -1, EHOSTUNREACH);
    zmq_close (a);
    zmq_close (b);
}

static void check_router_connects_first (void *ctx)
{
    /* A ROUTER connected before its peer bound learns the peer's id when
     * the peer speaks. */
    char buf[64];
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    CHECK_EQ_INT (zmq_connect (router, "inproc://bound-later"), 0);
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    CHECK_EQ_INT (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "late", 4), 0);
    CHECK_EQ_INT (zmq_bind (dealer, "inproc://bound-later"), 0);
    CHECK_EQ_INT (zmq_send (dealer, "hi", 2, 0), 2);
    CHECK_EQ_INT (recv_str (router, buf, sizeof buf), 4);
    CHECK_STR (buf, "late");
    CHECK_EQ_INT (recv_str (router, buf, sizeof buf), 2);
    CHECK_EQ_INT (zmq_send (router, "late", 4, ZMQ_SNDMORE), 4);
    CHECK_EQ_INT (zmq_send (router, "back", 4, 0), 4);
    CHECK_EQ_INT (recv_str (dealer, buf, sizeof buf), 4);
    CHECK_STR (buf, "back");
    zmq_close (router);
    zmq_close (dealer);
}

static void check_broker (void *ctx)
{
    /* REQ -> ROUTER | DEALER -> REP, forwarded by hand. */
    char front[64], back[64], buf[64];
    void *frontend = zmq_socket (ctx, ZMQ_ROUTER);
    void *backend = zmq_socket (ctx, ZMQ_DEALER);
    CHECK_EQ_INT (bind_inproc (frontend, front, sizeof front), 0);
    CHECK_EQ_INT (bind_inproc (backend, back, sizeof back), 0);
    void *client = zmq_socket (ctx, ZMQ_REQ);
    void *worker = zmq_socket (ctx, ZMQ_REP);
    CHECK_EQ_INT (zmq_connect (client, front), 0);
    CHECK_EQ_INT (zmq_connect (worker, back), 0);
    CHECK_EQ_INT (zmq_send (client, "job", 3, 0), 3);
    zmq_msg_t part;
    zmq_msg_init (&part);
    int more = 1;
    while (more) {
        zmq_msg_recv (&part, frontend, 0);
        more = zmq_msg_more (&part);
        zmq_msg_send (&part, backend, more ? ZMQ_SNDMORE : 0);
    }
    CHECK_EQ_INT (recv_str (worker, buf, sizeof buf), 3);
    CHECK_STR (buf, "job");
    CHECK_EQ_INT (zmq_send (worker, "done", 4, 0), 4);
    more = 1;
    while (more) {
        zmq_msg_recv (&part, backend, 0);
        more = zmq_msg_more (&part);
        zmq_msg_send (&part, frontend, more ? ZMQ_SNDMORE : 0);
    }
    zmq_msg_close (&part);
    CHECK_EQ_INT (recv_str (client, buf, sizeof buf), 4);
    CHECK_STR (buf, "done");
    zmq_close (client);
    zmq_close (worker);
    zmq_close (frontend);
    zmq_close (backend);
}

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx != NULL);
    check_req_rep (ctx);
    check_router_dealer (ctx);
    check_probe_relaxed_correlate (ctx);
    check_broker (ctx);
    check_connect_routing_id (ctx);
    check_router_connects_first (ctx);

    /* Bad input: options with wrong lengths, bad routing ids. */
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    CHECK_ERRNO (zmq_setsockopt (router, ZMQ_ROUTER_MANDATORY, "x", 1) == -1, EINVAL);
    CHECK_ERRNO (set_int (router, ZMQ_ROUTER_MANDATORY, -1) == -1, EINVAL);
    /* Unroutable ids, empty or too long for any peer, are dropped. */
    CHECK_EQ_INT (zmq_send (router, "", 0, ZMQ_SNDMORE), 0);
    CHECK_EQ_INT (zmq_send (router, "body", 4, 0), 4);
    char long_id[300];
    memset (long_id, 'x', sizeof long_id);
    CHECK_EQ_INT (zmq_send (router, long_id, sizeof long_id, ZMQ_SNDMORE), 300);
    CHECK_EQ_INT (zmq_send (router, "body", 4, 0), 4);
    CHECK_EQ_INT (set_int (router, ZMQ_ROUTER_MANDATORY, 2), 0);
    CHECK_ERRNO (zmq_send (router, long_id, sizeof long_id, ZMQ_SNDMORE) == -1, EHOSTUNREACH);
    zmq_close (router);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("reqrep");
}
