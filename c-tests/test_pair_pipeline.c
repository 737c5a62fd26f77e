/* PAIR and PUSH/PULL over inproc through zmq.h: round trips, round-robin,
 * fair-queueing, multipart atomicity, connect before bind, endpoints. */
#include "testutil.h"
#include <sys/uio.h>

static int recv_str (void *s, char *buf, size_t size, int flags)
{
    int n = zmq_recv (s, buf, size - 1, flags);
    if (n >= 0)
        buf[n < (int) size - 1 ? n : (int) size - 1] = 0;
    return n;
}

static void check_pair (void *ctx)
{
    void *a = zmq_socket (ctx, ZMQ_PAIR);
    void *b = zmq_socket (ctx, ZMQ_PAIR);
    char endpoint[64], buf[64];
    CHECK_EQ_INT (bind_inproc (a, endpoint, sizeof endpoint), 0);
    CHECK_EQ_INT (zmq_connect (b, endpoint), 0);
    CHECK_EQ_INT (zmq_send (b, "ping", 4, 0), 4);
    CHECK_EQ_INT (recv_str (a, buf, sizeof buf, 0), 4);
    CHECK_STR (buf, "ping");
    CHECK_EQ_INT (zmq_send (a, "pong", 4, 0), 4);
    CHECK_EQ_INT (recv_str (b, buf, sizeof buf, 0), 4);
    CHECK_STR (buf, "pong");
    CHECK_ERRNO (zmq_recv (b, buf, sizeof buf, ZMQ_DONTWAIT) == -1, EAGAIN);

    /* Truncation: the full size is returned, only len bytes are written. */
    CHECK_EQ_INT (zmq_send (a, "0123456789", 10, 0), 10);
    memset (buf, 0, sizeof buf);
    CHECK_EQ_INT (zmq_recv (b, buf, 4, 0), 10);
    CHECK_STR (buf, "0123");

    /* zmq_send_const and zmq_msg_send / zmq_msg_recv. */
    static const char constant[] = "constant";
    CHECK_EQ_INT (zmq_send_const (a, constant, 8, 0), 8);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    CHECK_EQ_INT (zmq_msg_recv (&msg, b, 0), 8);
    CHECK (memcmp (zmq_msg_data (&msg), constant, 8) == 0);
    CHECK_EQ_INT (zmq_msg_send (&msg, b, 0), 8);
    CHECK_EQ_INT (zmq_msg_size (&msg), 0);
    CHECK_EQ_INT (recv_str (a, buf, sizeof buf, 0), 8);
    zmq_msg_close (&msg);
    zmq_close (a);
    zmq_close (b);
}

static void check_multipart (void *ctx)
{
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    char endpoint[64], buf[64];
    CHECK_EQ_INT (bind_inproc (pull, endpoint, sizeof endpoint), 0);
    CHECK_EQ_INT (zmq_connect (push, endpoint), 0);
    CHECK_EQ_INT (zmq_send (push, "a", 1, ZMQ_SNDMORE), 1);
    CHECK_EQ_INT (zmq_send (push, "b", 1, ZMQ_SNDMORE), 1);
    /* Nothing of an unfinished message is visible. */
    CHECK_ERRNO (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT) == -1, EAGAIN);
    CHECK_EQ_INT (get_int (pull, ZMQ_EVENTS) & ZMQ_POLLIN, 0);
    CHECK_EQ_INT (zmq_send (push, "c", 1, 0), 1);
    const char *parts = "abc";
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT (recv_str (pull, buf, sizeof buf, 0), 1);
        CHECK_EQ_INT (buf[0], parts[i]);
        CHECK_EQ_INT (get_int (pull, ZMQ_RCVMORE), i < 2);
    }
    /* zmq_sendiov with ZMQ_SNDMORE sends one multipart message and
     * returns the last frame's size; zmq_recviov returns the frames. */
    char one[] = "one", two[] = "two!";
    struct iovec out[2] = {{one, 3}, {two, 4}};
    CHECK_EQ_INT (zmq_sendiov (push, out, 2, ZMQ_SNDMORE), 4);
    struct iovec in[4];
    size_t count = 4;
    CHECK_EQ_INT (zmq_recviov (pull, in, &count, 0), 2);
    CHECK_EQ_INT (count, 2);
    if (count == 2) {
        CHECK (in[0].iov_len == 3 && memcmp (in[0].iov_base, "one", 3) == 0);
        CHECK (in[1].iov_len == 4 && memcmp (in[1].iov_base, "two!", 4) == 0);
        free (in[0].iov_base);
        free (in[1].iov_base);
    }
    /* PUSH cannot receive, PULL cannot send. */
    CHECK_ERRNO (zmq_recv (push, buf, sizeof buf, ZMQ_DONTWAIT) == -1, ENOTSUP);
    CHECK_ERRNO (zmq_send (pull, "x", 1, ZMQ_DONTWAIT) == -1, ENOTSUP);
    zmq_close (push);
    zmq_close (pull);
}

static void check_round_robin_and_fair_queue (void *ctx)
{
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    char endpoint[64], buf[8];
    CHECK_EQ_INT (bind_inproc (push, endpoint, sizeof endpoint), 0);
    void *pulls[3];
    for (int i = 0; i < 3; i++) {
        pulls[i] = zmq_socket (ctx, ZMQ_PULL);
        CHECK_EQ_INT (zmq_connect (pulls[i], endpoint), 0);
    }
    /* Let the PUSH see its three peers before sending. */
    zmq_pollitem_t item = {push, 0, ZMQ_POLLOUT, 0};
    CHECK_EQ_INT (zmq_poll (&item, 1, 1000), 1);
    for (int i = 0; i < 9; i++)
        CHECK_EQ_INT (zmq_send (push, "m", 1, 0), 1);
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++)
            CHECK_EQ_INT (zmq_recv (pulls[i], buf, sizeof buf, 0), 1);
        CHECK_ERRNO (zmq_recv (pulls[i], buf, sizeof buf, ZMQ_DONTWAIT) == -1, EAGAIN);
    }
    for (int i = 0; i < 3; i++)
        zmq_close (pulls[i]);
    zmq_close (push);

    /* PULL takes turns between its peers. */
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    CHECK_EQ_INT (bind_inproc (pull, endpoint, sizeof endpoint), 0);
    void *pushes[2];
    for (int i = 0; i < 2; i++) {
        pushes[i] = zmq_socket (ctx, ZMQ_PUSH);
        CHECK_EQ_INT (zmq_connect (pushes[i], endpoint), 0);
        for (int j = 0; j < 3; j++)
            CHECK_EQ_INT (zmq_send (pushes[i], i ? "B" : "A", 1, 0), 1);
    }
    int a = 0, b = 0;
    for (int j = 0; j < 4; j++) {
        CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, 0), 1);
        a += buf[0] == 'A';
        b += buf[0] == 'B';
    }
    CHECK_EQ_INT (a, 2);
    CHECK_EQ_INT (b, 2);
    for (int i = 0; i < 2; i++)
        zmq_close (pushes[i]);
    zmq_close (pull);
}

static void check_endpoints (void *ctx)
{
    void *s = zmq_socket (ctx, ZMQ_PULL);
    void *t = zmq_socket (ctx, ZMQ_PUSH);
    char buf[64];
    /* Connect before bind: messages wait for the bind. */
    CHECK_EQ_INT (zmq_connect (t, "inproc://later"), 0);
    CHECK_EQ_INT (zmq_send (t, "early", 5, 0), 5);
    CHECK_EQ_INT (zmq_bind (s, "inproc://later"), 0);
    CHECK_EQ_INT (zmq_recv (s, buf, sizeof buf, 0), 5);
    size_t len = sizeof buf;
    CHECK_EQ_INT (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, buf, &len), 0);
    CHECK_STR (buf, "inproc://later");
    CHECK_EQ_INT (len, strlen ("inproc://later") + 1);

    void *u = zmq_socket (ctx, ZMQ_PULL);
    CHECK_ERRNO (zmq_bind (u, "inproc://later") == -1, EADDRINUSE);
    CHECK_ERRNO (zmq_unbind (u, "inproc://later") == -1, ENOENT);
    CHECK_ERRNO (zmq_disconnect (u, "inproc://nowhere") == -1, ENOENT);
    CHECK_ERRNO (zmq_bind (u, "nonsense") == -1, EINVAL);
    CHECK_ERRNO (zmq_connect (u, "bogus://x") == -1, EPROTONOSUPPORT);
    CHECK_EQ_INT (zmq_unbind (s, "inproc://later"), 0);
    CHECK_EQ_INT (zmq_bind (u, "inproc://later"), 0);
    CHECK_EQ_INT (zmq_disconnect (t, "inproc://later"), 0);
    zmq_close (s);
    zmq_close (t);
    zmq_close (u);
}

/* What a peer sent before closing stays readable, even after asking
 * ZMQ_EVENTS (which finds that nothing can be sent to it any more). */
static void check_left_behind (void *ctx)
{
    void *a = zmq_socket (ctx, ZMQ_PAIR);
    void *b = zmq_socket (ctx, ZMQ_PAIR);
    char endpoint[64];
    CHECK_EQ_INT (bind_inproc (a, endpoint, sizeof endpoint), 0);
    CHECK_EQ_INT (zmq_connect (b, endpoint), 0);
    CHECK_EQ_INT (zmq_send (b, "last", 4, ZMQ_SNDMORE), 4);
    CHECK_EQ_INT (zmq_send (b, "words", 5, 0), 5);
    zmq_close (b);
    CHECK_EQ_INT (get_int (a, ZMQ_EVENTS) & ZMQ_POLLIN, ZMQ_POLLIN);
    char buf[8];
    CHECK_EQ_INT (zmq_recv (a, buf, sizeof buf, ZMQ_DONTWAIT), 4);
    CHECK_EQ_INT (get_int (a, ZMQ_EVENTS) & ZMQ_POLLIN, ZMQ_POLLIN);
    CHECK_EQ_INT (zmq_recv (a, buf, sizeof buf, ZMQ_DONTWAIT), 5);
    CHECK_ERRNO (zmq_recv (a, buf, sizeof buf, ZMQ_DONTWAIT) < 0, EAGAIN);
    zmq_close (a);
}

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx != NULL);
    check_pair (ctx);
    check_multipart (ctx);
    check_round_robin_and_fair_queue (ctx);
    check_endpoints (ctx);
    check_left_behind (ctx);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("pair_pipeline");
}
