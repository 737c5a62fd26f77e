/* ZMQ_STREAM: raw tcp with routing ids, against plain BSD sockets on the
 * other side: connect and disconnect notifications, data both ways, an
 * empty frame closing the peer, ZMQ_STREAM_NOTIFY off, connecting out to a
 * plain listener, and ids nobody has. */
#include "testnet.h"

#include <fcntl.h>

/* Receives [id, body]; returns the body length (or -1) and stores the id. */
static int recv_pair (void *s, unsigned char *id, size_t *id_len, char *body, size_t size)
{
    int n = zmq_recv (s, id, 256, 0);
    if (n < 0 || !get_int (s, ZMQ_RCVMORE))
        return -1;
    *id_len = (size_t) n;
    n = zmq_recv (s, body, size, 0);
    if (n >= 0 && get_int (s, ZMQ_RCVMORE))
        return -1;
    return n;
}

/* Reads from `fd` while letting `s` run its commands (libzmq closes a
 * connection only once the socket has processed them). */
static ssize_t read_serving (int fd, void *s, char *buf, size_t size)
{
    int flags = fcntl (fd, F_GETFL);
    fcntl (fd, F_SETFL, flags | O_NONBLOCK);
    ssize_t n = -1;
    for (int i = 0; i < 500; i++) {
        n = read (fd, buf, size);
        if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            break;
        get_int (s, ZMQ_EVENTS);
        usleep (10000);
    }
    fcntl (fd, F_SETFL, flags);
    return n;
}

static void test_server (void *ctx)
{
    void *stream = zmq_socket (ctx, ZMQ_STREAM);
    set_int (stream, ZMQ_RCVTIMEO, 5000);
    set_int (stream, ZMQ_LINGER, 0);
    CHECK_EQ_INT (zmq_bind (stream, "tcp://127.0.0.1:*"), 0);
    unsigned char id[256], id2[256];
    size_t id_len = sizeof id, id2_len = 0;
    /* No peer yet: no routing id. */
    CHECK_EQ_INT (zmq_getsockopt (stream, ZMQ_ROUTING_ID, id, &id_len), 0);
    CHECK_EQ_INT (id_len, 0);
    int fd = raw_connect (bound_port (stream));
    CHECK (fd >= 0);
    char body[256];
    /* The connection is announced by an empty message. */
    CHECK_EQ_INT (recv_pair (stream, id, &id_len, body, sizeof body), 0);
    CHECK_EQ_INT (id_len, 5);
    /* The id generated last reads back as the socket's routing id. */
    id2_len = sizeof id2;
    CHECK_EQ_INT (zmq_getsockopt (stream, ZMQ_ROUTING_ID, id2, &id2_len), 0);
    CHECK (id2_len == id_len && memcmp (id, id2, id_len) == 0);
    CHECK (write (fd, "hello", 5) == 5);
    CHECK_EQ_INT (recv_pair (stream, id2, &id2_len, body, sizeof body), 5);
    CHECK (id2_len == id_len && memcmp (id, id2, id_len) == 0);
    CHECK (memcmp (body, "hello", 5) == 0);
    /* A reply, with a stray SNDMORE on the body (ignored). */
    CHECK_EQ_INT (zmq_send (stream, id, id_len, ZMQ_SNDMORE), (int) id_len);
    CHECK_EQ_INT (zmq_send (stream, "world", 5, ZMQ_SNDMORE), 5);
    char buf[64];
    CHECK_EQ_INT (read_serving (fd, stream, buf, sizeof buf), 5);
    CHECK (memcmp (buf, "world", 5) == 0);
    /* An empty body closes the connection. */
    CHECK_EQ_INT (zmq_send (stream, id, id_len, ZMQ_SNDMORE), (int) id_len);
    CHECK_EQ_INT (zmq_send (stream, "", 0, 0), 0);
    CHECK_EQ_INT (read_serving (fd, stream, buf, sizeof buf), 0);
    close (fd);

    /* A peer that writes at once is still announced first, and every
     * frame carries its address. */
    fd = raw_connect (bound_port (stream));
    CHECK (write (fd, "early", 5) == 5);
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    CHECK_EQ_INT (zmq_msg_recv (&frame, stream, 0), 5);
    CHECK_STR (zmq_msg_gets (&frame, "Peer-Address"), "127.0.0.1");
    CHECK_EQ_INT (zmq_msg_recv (&frame, stream, 0), 0);
    CHECK_STR (zmq_msg_gets (&frame, "Peer-Address"), "127.0.0.1");
    CHECK_EQ_INT (zmq_msg_recv (&frame, stream, 0), 5);
    CHECK_EQ_INT (zmq_msg_recv (&frame, stream, 0), 5);
    CHECK (memcmp (zmq_msg_data (&frame), "early", 5) == 0);
    zmq_msg_close (&frame);
    close (fd);
    CHECK_EQ_INT (recv_pair (stream, id2, &id2_len, body, sizeof body), 0);

    /* A peer that leaves is announced by an empty message too. */
    fd = raw_connect (bound_port (stream));
    CHECK_EQ_INT (recv_pair (stream, id, &id_len, body, sizeof body), 0);
    CHECK (write (fd, "bye", 3) == 3);
    CHECK_EQ_INT (recv_pair (stream, id2, &id2_len, body, sizeof body), 3);
    close (fd);
    CHECK_EQ_INT (recv_pair (stream, id2, &id2_len, body, sizeof body), 0);
    CHECK (id2_len == id_len && memcmp (id, id2, id_len) == 0);

    /* Unknown ids are unreachable; a lone frame is dropped. */
    CHECK_ERRNO (zmq_send (stream, "nobody", 6, ZMQ_SNDMORE) < 0, EHOSTUNREACH);
    CHECK_EQ_INT (zmq_send (stream, "lonely", 6, 0), 6);
    zmq_close (stream);
}

static void test_notify_off (void *ctx)
{
    void *stream = zmq_socket (ctx, ZMQ_STREAM);
    set_int (stream, ZMQ_RCVTIMEO, 5000);
    set_int (stream, ZMQ_LINGER, 0);
    CHECK_ERRNO (set_int (stream, ZMQ_STREAM_NOTIFY, 2) < 0, EINVAL);
    CHECK_EQ_INT (set_int (stream, ZMQ_STREAM_NOTIFY, 0), 0);
    CHECK_EQ_INT (zmq_bind (stream, "tcp://127.0.0.1:*"), 0);
    int fd = raw_connect (bound_port (stream));
    CHECK (write (fd, "data", 4) == 4);
    unsigned char id[256];
    size_t id_len;
    char body[64];
    /* The first message is the data, not an announcement. */
    CHECK_EQ_INT (recv_pair (stream, id, &id_len, body, sizeof body), 4);
    close (fd);
    zmq_close (stream);
    /* Other socket types do not have the option. */
    void *pair = zmq_socket (ctx, ZMQ_PAIR);
    CHECK_ERRNO (set_int (pair, ZMQ_STREAM_NOTIFY, 0) < 0, EINVAL);
    zmq_close (pair);
}

static void test_client (void *ctx)
{
    char endpoint[64];
    int listener = raw_listen (endpoint, sizeof endpoint);
    REQUIRE_VOID (listener >= 0);

    void *stream = zmq_socket (ctx, ZMQ_STREAM);
    set_int (stream, ZMQ_RCVTIMEO, 5000);
    set_int (stream, ZMQ_LINGER, 0);
    CHECK_EQ_INT (zmq_setsockopt (stream, ZMQ_CONNECT_ROUTING_ID, "srv", 3), 0);
    CHECK_EQ_INT (zmq_connect (stream, endpoint), 0);
    int fd = accept (listener, NULL, NULL);
    REQUIRE_VOID (fd >= 0);
    read_timeout (fd, 5);
    unsigned char id[256];
    size_t id_len = 0;
    char body[64];
    /* Connected: announced under the id we chose. */
    CHECK_EQ_INT (recv_pair (stream, id, &id_len, body, sizeof body), 0);
    CHECK (id_len == 3 && memcmp (id, "srv", 3) == 0);
    CHECK_EQ_INT (zmq_send (stream, "srv", 3, ZMQ_SNDMORE), 3);
    CHECK_EQ_INT (zmq_send (stream, "GET /", 5, 0), 5);
    char buf[64];
    CHECK_EQ_INT (read (fd, buf, sizeof buf), 5);
    CHECK (memcmp (buf, "GET /", 5) == 0);
    CHECK (write (fd, "200 OK", 6) == 6);
    CHECK_EQ_INT (recv_pair (stream, id, &id_len, body, sizeof body), 6);
    CHECK (memcmp (body, "200 OK", 6) == 0);
    close (fd);
    close (listener);
    zmq_close (stream);
}

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    test_server (ctx);
    test_notify_off (ctx);
    test_client (ctx);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_stream");
}
