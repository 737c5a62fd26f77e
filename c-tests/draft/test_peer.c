/* PEER through the draft API, over inproc, tcp and ipc: zmq_connect_peer
 * returns the routing id of the new connection, usable at once (messages
 * queue until it is up); the bound PEER answers with the routing id it
 * received; zmq_disconnect_peer drops one peer (EHOSTUNREACH after) on a
 * PEER and on a SERVER; and misuse is refused: zmq_connect_peer on another
 * type (ENOTSUP) or with ZMQ_IMMEDIATE (EFAULT), a bad endpoint (EINVAL),
 * zmq_disconnect_peer on a DEALER (ENOTSUP) or of an unknown id
 * (EHOSTUNREACH). */
#include "testnet.h"

#include <stdint.h>
#include <unistd.h>

static void *ctx;

static int send_to (void *s, uint32_t id, const char *body)
{
    zmq_msg_t msg;
    zmq_msg_init_size (&msg, strlen (body));
    memcpy (zmq_msg_data (&msg), body, strlen (body));
    if (zmq_msg_set_routing_id (&msg, id) != 0 || zmq_msg_send (&msg, s, ZMQ_DONTWAIT) < 0) {
        int saved = errno;
        zmq_msg_close (&msg);
        errno = saved;
        return -1;
    }
    return 0;
}

static uint32_t recv_from (void *s, char *buf, size_t size)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    uint32_t id = 0;
    if (zmq_msg_recv (&msg, s, 0) >= 0) {
        size_t len = zmq_msg_size (&msg) < size - 1 ? zmq_msg_size (&msg) : size - 1;
        memcpy (buf, zmq_msg_data (&msg), len);
        buf[len] = 0;
        id = zmq_msg_routing_id (&msg);
    }
    zmq_msg_close (&msg);
    return id;
}

static void peers_on (const char *transport)
{
    char endpoint[256], buf[64];
    void *a = zmq_socket (ctx, ZMQ_PEER);
    void *b = zmq_socket (ctx, ZMQ_PEER);
    set_int (a, ZMQ_RCVTIMEO, 5000);
    set_int (b, ZMQ_RCVTIMEO, 5000);
    CHECK_EQ_INT (get_int (a, ZMQ_THREAD_SAFE), 1);
    CHECK_EQ_INT (bind_transport (a, transport, endpoint, sizeof endpoint), 0);
    uint32_t to_a = zmq_connect_peer (b, endpoint);
    CHECK (to_a != 0);
    /* Usable at once: the message waits for the connection. */
    CHECK_EQ_INT (send_to (b, to_a, "hello a"), 0);
    uint32_t to_b = recv_from (a, buf, sizeof buf);
    CHECK (to_b != 0);
    CHECK_STR (buf, "hello a");
    CHECK_EQ_INT (send_to (a, to_b, "hello b"), 0);
    CHECK_EQ_INT (recv_from (b, buf, sizeof buf), to_a);
    CHECK_STR (buf, "hello b");

    /* Two connections from one PEER get two routing ids. */
    uint32_t again = zmq_connect_peer (b, endpoint);
    CHECK (again != 0 && again != to_a);

    /* Dropped: the routing id is unknown from now on. */
    CHECK_EQ_INT (zmq_disconnect_peer (b, to_a), 0);
    CHECK_ERRNO (send_to (b, to_a, "gone") == -1, EHOSTUNREACH);
    CHECK_ERRNO (zmq_disconnect_peer (b, to_a) == -1, EHOSTUNREACH);
    CHECK_EQ_INT (send_to (b, again, "second"), 0);
    uint32_t from = recv_from (a, buf, sizeof buf);
    CHECK (from != 0);
    CHECK_STR (buf, "second");
    set_int (a, ZMQ_LINGER, 0);
    set_int (b, ZMQ_LINGER, 0);
    zmq_close (b);
    zmq_close (a);
}

static void misuse (void)
{
    char endpoint[256];
    void *server = zmq_socket (ctx, ZMQ_SERVER);
    void *client = zmq_socket (ctx, ZMQ_CLIENT);
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    void *peer = zmq_socket (ctx, ZMQ_PEER);
    CHECK_EQ_INT (bind_transport (server, "tcp", endpoint, sizeof endpoint), 0);

    errno = 0;
    CHECK_EQ_INT (zmq_connect_peer (client, endpoint), 0);
    CHECK_EQ_INT (errno, ENOTSUP);
    errno = 0;
    CHECK_EQ_INT (zmq_connect_peer (peer, "nonsense"), 0);
    CHECK_EQ_INT (errno, EINVAL);
    errno = 0;
    CHECK_EQ_INT (zmq_connect_peer (NULL, endpoint), 0);
    CHECK_EQ_INT (errno, ENOTSOCK);
    set_int (peer, ZMQ_IMMEDIATE, 1);
    errno = 0;
    CHECK_EQ_INT (zmq_connect_peer (peer, endpoint), 0);
    CHECK_EQ_INT (errno, EFAULT);

    CHECK_ERRNO (zmq_disconnect_peer (dealer, 1) == -1, ENOTSUP);
    CHECK_ERRNO (zmq_disconnect_peer (server, 12345) == -1, EHOSTUNREACH);
    CHECK_ERRNO (zmq_disconnect_peer (NULL, 1) == -1, ENOTSOCK);

    /* A SERVER drops a client it knows. */
    char buf[16];
    set_int (server, ZMQ_RCVTIMEO, 5000);
    CHECK_EQ_INT (zmq_connect (client, endpoint), 0);
    CHECK_EQ_INT (zmq_send (client, "hi", 2, 0), 2);
    uint32_t id = recv_from (server, buf, sizeof buf);
    CHECK (id != 0);
    CHECK_EQ_INT (zmq_disconnect_peer (server, id), 0);
    CHECK_ERRNO (send_to (server, id, "gone") == -1, EHOSTUNREACH);

    set_int (client, ZMQ_LINGER, 0);
    zmq_close (peer);
    zmq_close (dealer);
    zmq_close (client);
    zmq_close (server);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    peers_on ("inproc");
    peers_on ("tcp");
    peers_on ("ipc");
    misuse ();
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_peer");
}
