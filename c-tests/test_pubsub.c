/* PUB, SUB, XPUB and XSUB over inproc: prefix filtering, counted
 * subscriptions, multipart, HWM drops, XPUB subscription messages with
 * de-duplication, VERBOSE/VERBOSER, NODROP, MANUAL, WELCOME_MSG,
 * INVERT_MATCHING, and subscribers leaving. */
#include "testutil.h"

static void settle (void)
{
    zmq_pollitem_t none = {NULL, -1, 0, 0};
    zmq_poll (&none, 1, 30);
}

static int recv_str (void *s, char *buf, size_t size, int flags)
{
    int n = zmq_recv (s, buf, size - 1, flags);
    buf[n < 0 ? 0 : (n < (int) size - 1 ? n : (int) size - 1)] = 0;
    return n;
}

static void check_pub_sub (void *ctx)
{
    char endpoint[64], buf[64];
    void *pub = zmq_socket (ctx, ZMQ_PUB);
    CHECK_EQ_INT (bind_inproc (pub, endpoint, sizeof endpoint), 0);
    void *weather = zmq_socket (ctx, ZMQ_SUB);
    void *all = zmq_socket (ctx, ZMQ_SUB);
    void *none = zmq_socket (ctx, ZMQ_SUB);
    CHECK_EQ_INT (zmq_setsockopt (weather, ZMQ_SUBSCRIBE, "weather", 7), 0);
    CHECK_EQ_INT (zmq_setsockopt (all, ZMQ_SUBSCRIBE, "", 0), 0);
    CHECK_EQ_INT (zmq_connect (weather, endpoint), 0);
    CHECK_EQ_INT (zmq_connect (all, endpoint), 0);
    CHECK_EQ_INT (zmq_connect (none, endpoint), 0);
    settle ();
    CHECK_EQ_INT (zmq_send (pub, "weather sunny", 13, 0), 13);
    CHECK_EQ_INT (zmq_send (pub, "sports score", 12, 0), 12);
    CHECK_EQ_INT (zmq_send (pub, "weather", 7, ZMQ_SNDMORE), 7);
    CHECK_EQ_INT (zmq_send (pub, "rain", 4, 0), 4);
    CHECK_EQ_INT (recv_str (weather, buf, sizeof buf, 0), 13);
    CHECK_EQ_INT (recv_str (weather, buf, sizeof buf, 0), 7);
    CHECK_EQ_INT (get_int (weather, ZMQ_RCVMORE), 1);
    CHECK_EQ_INT (recv_str (weather, buf, sizeof buf, 0), 4);
    CHECK_STR (buf, "rain");
    CHECK_ERRNO (zmq_recv (weather, buf, sizeof buf, ZMQ_DONTWAIT) == -1, EAGAIN);
    CHECK_EQ_INT (recv_str (all, buf, sizeof buf, 0), 13);
    CHECK_EQ_INT (recv_str (all, buf, sizeof buf, 0), 12);
    CHECK_EQ_INT (recv_str (all, buf, sizeof buf, 0), 7);
    CHECK_EQ_INT (recv_str (all, buf, sizeof buf, 0), 4);
    CHECK_ERRNO (zmq_recv (none, buf, sizeof buf, ZMQ_DONTWAIT) == -1, EAGAIN);
    CHECK_ERRNO (zmq_send (weather, "x", 1, 0) == -1, ENOTSUP);
    CHECK_ERRNO (zmq_recv (pub, buf, sizeof buf, ZMQ_DONTWAIT) == -1, ENOTSUP);

    /* Subscriptions are counted: two subscribes need two unsubscribes. */
    CHECK_EQ_INT (zmq_setsockopt (weather, ZMQ_SUBSCRIBE, "weather", 7), 0);
    CHECK_EQ_INT (zmq_setsockopt (weather, ZMQ_UNSUBSCRIBE, "weather", 7), 0);
    settle ();
    CHECK_EQ_INT (zmq_send (pub, "weather fog", 11, 0), 11);
    CHECK_EQ_INT (recv_str (weather, buf, sizeof buf, 0), 11);
    CHECK_EQ_INT (zmq_setsockopt (weather, ZMQ_UNSUBSCRIBE, "weather", 7), 0);
    settle ();
    CHECK_EQ_INT (zmq_send (pub, "weather hail", 12, 0), 12);
    settle ();
    CHECK_ERRNO (zmq_recv (weather, buf, sizeof buf, ZMQ_DONTWAIT) == -1, EAGAIN);
    /* Unsubscribing from something never subscribed is harmless. */
    CHECK_EQ_INT (zmq_setsockopt (weather, ZMQ_UNSUBSCRIBE, "never", 5), 0);

    /* PUB drops for a subscriber at its HWM: exactly SNDHWM + RCVHWM
     * arrive. */
    void *slow = zmq_socket (ctx, ZMQ_SUB);
    CHECK_EQ_INT (set_int (slow, ZMQ_RCVHWM, 3), 0);
    CHECK_EQ_INT (set_int (pub, ZMQ_SNDHWM, 2), 0);
    CHECK_EQ_INT (zmq_setsockopt (slow, ZMQ_SUBSCRIBE, "", 0), 0);
    void *pub2 = zmq_socket (ctx, ZMQ_PUB);
    CHECK_EQ_INT (set_int (pub2, ZMQ_SNDHWM, 2), 0);
    CHECK_EQ_INT (zmq_bind (pub2, "inproc://hwm-pub"), 0);
    CHECK_EQ_INT (zmq_connect (slow, "inproc://hwm-pub"), 0);
    settle ();
    for (int i = 0; i < 20; i++)
        CHECK_EQ_INT (zmq_send (pub2, "m", 1, ZMQ_DONTWAIT), 1);
    int got = 0;
    while (zmq_recv (slow, buf, sizeof buf, ZMQ_DONTWAIT) == 1)
        got++;
    CHECK_EQ_INT (got, 5);
    zmq_close (pub2);
    zmq_close (slow);
    zmq_close (weather);
    zmq_close (all);
    zmq_close (none);
    zmq_close (pub);
}

static void check_xpub (void *ctx)
{
    char buf[64];
    void *xpub = zmq_socket (ctx, ZMQ_XPUB);
    CHECK_EQ_INT (zmq_bind (xpub, "inproc://xpub"), 0);
    void *a = zmq_socket (ctx, ZMQ_SUB);
    void *b = zmq_socket (ctx, ZMQ_SUB);
    CHECK_EQ_INT (zmq_connect (a, "inproc://xpub"), 0);
    CHECK_EQ_INT (zmq_connect (b, "inproc://xpub"), 0);
    CHECK_EQ_INT (zmq_setsockopt (a, ZMQ_SUBSCRIBE, "topic", 5), 0);
    CHECK_EQ_INT (zmq_setsockopt (b, ZMQ_SUBSCRIBE, "topic", 5), 0);
    /* One subscription message for two subscribers. */
    CHECK_EQ_INT (recv_str (xpub, buf, sizeof buf, 0), 6);
    CHECK_EQ_INT (buf[0], 1);
    CHECK_STR (buf + 1, "topic");
    settle ();
    CHECK_ERRNO (zmq_recv (xpub, buf, sizeof buf, ZMQ_DONTWAIT) == -1, EAGAIN);
    /* The cancel comes when the last subscriber leaves the topic. */
    CHECK_EQ_INT (zmq_setsockopt (a, ZMQ_UNSUBSCRIBE, "topic", 5), 0);
    settle ();
    CHECK_ERRNO (zmq_recv (xpub, buf, sizeof buf, ZMQ_DONTWAIT) == -1, EAGAIN);
    zmq_close (b);
    CHECK_EQ_INT (recv_str (xpub, buf, sizeof buf, 0), 6);
    CHECK_EQ_INT (buf[0], 0);

    /* VERBOSE passes every subscribe. */
    CHECK_EQ_INT (set_int (xpub, ZMQ_XPUB_VERBOSE, 1), 0);
    void *c = zmq_socket (ctx, ZMQ_SUB);
    void *d = zmq_socket (ctx, ZMQ_SUB);
    zmq_connect (c, "inproc://xpub");
    zmq_connect (d, "inproc://xpub");
    zmq_setsockopt (c, ZMQ_SUBSCRIBE, "v", 1);
    zmq_setsockopt (d, ZMQ_SUBSCRIBE, "v", 1);
    CHECK_EQ_INT (recv_str (xpub, buf, sizeof buf, 0), 2);
    CHECK_EQ_INT (recv_str (xpub, buf, sizeof buf, 0), 2);
    zmq_close (c);
    zmq_close (d);
    CHECK_EQ_INT (recv_str (xpub, buf, sizeof buf, 0), 2);
    CHECK_EQ_INT (buf[0], 0);
    zmq_close (a);

    /* An XSUB sends subscriptions as messages. */
    void *xsub = zmq_socket (ctx, ZMQ_XSUB);
    zmq_connect (xsub, "inproc://xpub");
    char sub_msg[] = {1, 'x'};
    CHECK_EQ_INT (zmq_send (xsub, sub_msg, 2, 0), 2);
    CHECK_EQ_INT (zmq_recv (xpub, buf, sizeof buf, 0), 2);
    CHECK_EQ_INT (buf[0], 1);
    CHECK_EQ_INT (zmq_send (xpub, "xyz", 3, 0), 3);
    CHECK_EQ_INT (zmq_send (xpub, "abc", 3, 0), 3);
    CHECK_EQ_INT (recv_str (xsub, buf, sizeof buf, 0), 3);
    CHECK_STR (buf, "xyz");
    settle ();
    CHECK_ERRNO (zmq_recv (xsub, buf, sizeof buf, ZMQ_DONTWAIT) == -1, EAGAIN);
    zmq_close (xsub);
    zmq_close (xpub);
}

static void check_xpub_options (void *ctx)
{
    char buf[64];
    /* WELCOME_MSG reaches each new subscriber. */
    void *xpub = zmq_socket (ctx, ZMQ_XPUB);
    CHECK_EQ_INT (zmq_setsockopt (xpub, ZMQ_XPUB_WELCOME_MSG, "W", 1), 0);
    CHECK_EQ_INT (zmq_bind (xpub, "inproc://welcome"), 0);
    void *sub = zmq_socket (ctx, ZMQ_SUB);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "W", 1);
    zmq_connect (sub, "inproc://welcome");
    /* The XPUB takes the new pipe when it next runs: here, receiving the
     * subscription. */
    CHECK_EQ_INT (recv_str (xpub, buf, sizeof buf, 0), 2);
    CHECK_EQ_INT (recv_str (sub, buf, sizeof buf, 0), 1);
    CHECK_STR (buf, "W");
    zmq_close (sub);
    zmq_close (xpub);

    /* MANUAL: the application decides the subscriptions. */
    xpub = zmq_socket (ctx, ZMQ_XPUB);
    CHECK_EQ_INT (set_int (xpub, ZMQ_XPUB_MANUAL, 1), 0);
    CHECK_EQ_INT (zmq_bind (xpub, "inproc://manual"), 0);
    sub = zmq_socket (ctx, ZMQ_SUB);
    zmq_connect (sub, "inproc://manual");
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "a", 1);
    CHECK_EQ_INT (recv_str (xpub, buf, sizeof buf, 0), 2);
    /* The XPUB subscribes that subscriber to "ab" only. */
    CHECK_EQ_INT (zmq_setsockopt (xpub, ZMQ_SUBSCRIBE, "ab", 2), 0);
    zmq_send (xpub, "ac", 2, 0);
    zmq_send (xpub, "abc", 3, 0);
    CHECK_EQ_INT (recv_str (sub, buf, sizeof buf, 0), 3);
    CHECK_STR (buf, "abc");
    zmq_close (sub);
    zmq_close (xpub);

    /* NODROP: EAGAIN instead of dropping at the HWM. */
    xpub = zmq_socket (ctx, ZMQ_XPUB);
    CHECK_EQ_INT (set_int (xpub, ZMQ_XPUB_NODROP, 1), 0);
    CHECK_EQ_INT (set_int (xpub, ZMQ_SNDHWM, 1), 0);
    CHECK_EQ_INT (zmq_bind (xpub, "inproc://nodrop"), 0);
    sub = zmq_socket (ctx, ZMQ_SUB);
    CHECK_EQ_INT (set_int (sub, ZMQ_RCVHWM, 1), 0);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0);
    zmq_connect (sub, "inproc://nodrop");
    CHECK_EQ_INT (recv_str (xpub, buf, sizeof buf, 0), 1);
    int sent = 0;
    while (zmq_send (xpub, "n", 1, ZMQ_DONTWAIT) == 1 && sent < 100)
        sent++;
    CHECK_EQ_INT (sent, 2);
    CHECK_EQ_INT (errno, EAGAIN);
    zmq_close (sub);
    zmq_close (xpub);

    /* INVERT_MATCHING: a SUB gets what does not match. */
    void *pub = zmq_socket (ctx, ZMQ_PUB);
    CHECK_EQ_INT (set_int (pub, ZMQ_INVERT_MATCHING, 1), 0);
    zmq_bind (pub, "inproc://invert");
    sub = zmq_socket (ctx, ZMQ_SUB);
    CHECK_EQ_INT (set_int (sub, ZMQ_INVERT_MATCHING, 1), 0);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "skip", 4);
    zmq_connect (sub, "inproc://invert");
    settle ();
    zmq_send (pub, "skip me", 7, 0);
    zmq_send (pub, "keep me", 7, 0);
    CHECK_EQ_INT (recv_str (sub, buf, sizeof buf, 0), 7);
    CHECK_STR (buf, "keep me");
    zmq_close (sub);
    zmq_close (pub);
}

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx != NULL);
    check_pub_sub (ctx);
    check_xpub (ctx);
    check_xpub_options (ctx);

    /* Bad input: huge topics, wrong option lengths. */
    void *sub = zmq_socket (ctx, ZMQ_SUB);
    static char huge[65536];
    memset (huge, 'h', sizeof huge);
    CHECK_EQ_INT (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, huge, sizeof huge), 0);
    CHECK_EQ_INT (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, huge, sizeof huge), 0);
    CHECK_ERRNO (zmq_setsockopt (sub, ZMQ_INVERT_MATCHING, "x", 1) == -1, EINVAL);
    void *xpub = zmq_socket (ctx, ZMQ_XPUB);
    CHECK_ERRNO (zmq_setsockopt (xpub, ZMQ_XPUB_VERBOSE, "xy", 2) == -1, EINVAL);
    zmq_close (xpub);
    zmq_close (sub);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("pubsub");
}
