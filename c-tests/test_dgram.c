/* DGRAM, which a stable libzmq 4.3 creates from its number (18): raw udp
 * datagrams, each an address frame ("ip:port") and a body frame. Two
 * bound DGRAMs talk and answer the address they received; a plain udp
 * socket reaches one and hears its answer; only udp fits (ENOCOMPATPROTO
 * for tcp, ipc, inproc, as in a draft build of libzmq); a send that is not
 * exactly an address and a body is EINVAL. Runs against the system libzmq
 * too (REFERENCE=1). */
#include "testnet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

enum { T_DGRAM = 18 };

/* A udp port free a moment ago on 127.0.0.1. */
static int free_udp_port (void)
{
    int fd = socket (AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0
        || getsockname (fd, (struct sockaddr *) &addr, &len) != 0)
        return -1;
    close (fd);
    return ntohs (addr.sin_port);
}

static int bind_dgram (void *s, int *port)
{
    char endpoint[64];
    for (int tries = 0; tries < 20; tries++) {
        *port = free_udp_port ();
        snprintf (endpoint, sizeof endpoint, "udp://127.0.0.1:%d", *port);
        if (zmq_bind (s, endpoint) == 0)
            return 0;
    }
    return -1;
}

/* Receives an address frame and a body frame. */
static int recv_pair (void *s, char *address, size_t asize, char *body, size_t bsize)
{
    memset (address, 0, asize);
    memset (body, 0, bsize);
    int n = zmq_recv (s, address, asize - 1, 0);
    if (n < 0 || !get_int (s, ZMQ_RCVMORE))
        return -1;
    n = zmq_recv (s, body, bsize - 1, 0);
    return n < 0 || get_int (s, ZMQ_RCVMORE) ? -1 : n;
}

static int send_pair (void *s, const char *address, const char *body)
{
    if (zmq_send (s, address, strlen (address), ZMQ_SNDMORE) < 0)
        return -1;
    return zmq_send (s, body, strlen (body), 0) < 0 ? -1 : 0;
}

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    void *a = zmq_socket (ctx, T_DGRAM);
    void *b = zmq_socket (ctx, T_DGRAM);
    REQUIRE (a && b);
    CHECK_EQ_INT (get_int (a, ZMQ_TYPE), T_DGRAM);
    CHECK_EQ_INT (get_int (a, ZMQ_THREAD_SAFE), 0);
    set_int (a, ZMQ_RCVTIMEO, 5000);
    set_int (b, ZMQ_RCVTIMEO, 5000);

#ifndef REFERENCE_LIBZMQ
    /* Only udp, as in a libzmq built with the draft API (a stable build
     * takes the others, and the DGRAM then sends into them). */
    CHECK_ERRNO (zmq_bind (a, "tcp://127.0.0.1:*") == -1, ENOCOMPATPROTO);
    CHECK_ERRNO (zmq_bind (a, "inproc://dgram") == -1, ENOCOMPATPROTO);
    CHECK_ERRNO (zmq_connect (a, "ipc:///tmp/zmq-test-dgram") == -1, ENOCOMPATPROTO);
#endif

    int port_a, port_b;
    CHECK_EQ_INT (bind_dgram (a, &port_a), 0);
    CHECK_EQ_INT (bind_dgram (b, &port_b), 0);
    char to_b[64], address[64], body[64];
    snprintf (to_b, sizeof to_b, "127.0.0.1:%d", port_b);

    /* Not an address and a body: refused. */
    CHECK_ERRNO (zmq_send (a, "body alone", 10, 0) == -1, EINVAL);

    /* a to b; b answers the address it got. udp loses what arrives before
     * the peer's socket is up (libzmq binds on its I/O thread, a moment
     * after zmq_bind returns), so a probes until one arrives. */
    int got = -1;
    set_int (b, ZMQ_RCVTIMEO, 50);
    for (int i = 0; i < 100 && got < 0; i++) {
        CHECK_EQ_INT (send_pair (a, to_b, "hello"), 0);
        got = recv_pair (b, address, sizeof address, body, sizeof body);
    }
    CHECK_EQ_INT (got, 5);
    CHECK_STR (body, "hello");
    char later[64], later_body[64];
    while (recv_pair (b, later, sizeof later, later_body, sizeof later_body) >= 0)
        CHECK_STR (later_body, "hello");
    set_int (b, ZMQ_RCVTIMEO, 5000);
    char expected[64];
    snprintf (expected, sizeof expected, "127.0.0.1:%d", port_a);
    CHECK_STR (address, expected);
    CHECK_EQ_INT (send_pair (b, address, "hi a"), 0);
    CHECK_EQ_INT (recv_pair (a, address, sizeof address, body, sizeof body), 4);
    CHECK_STR (body, "hi a");

    /* A plain udp socket: its datagram arrives with its address; the
     * answer reaches it. */
    int fd = socket (AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in dest = {.sin_family = AF_INET};
    dest.sin_port = htons ((unsigned short) port_b);
    dest.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    read_timeout (fd, 5);
    CHECK_EQ_INT (sendto (fd, "raw", 3, 0, (struct sockaddr *) &dest, sizeof dest), 3);
    CHECK_EQ_INT (recv_pair (b, address, sizeof address, body, sizeof body), 3);
    CHECK_STR (body, "raw");
    CHECK_EQ_INT (send_pair (b, address, "answer"), 0);
    char answer[16] = {0};
    CHECK_EQ_INT (recv (fd, answer, sizeof answer - 1, 0), 6);
    CHECK_STR (answer, "answer");
    close (fd);

    set_int (a, ZMQ_LINGER, 0);
    set_int (b, ZMQ_LINGER, 0);
    zmq_close (a);
    zmq_close (b);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_dgram");
}
