/* Network helpers for the C tests: plain BSD sockets standing in for
 * peers (raw clients and listeners on 127.0.0.1), and the ZMTP bytes such a
 * peer sends to look like a libzmq socket. */
#ifndef TESTNET_H
#define TESTNET_H

#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* REQUIRE for test functions returning void: counts a failed check and
 * returns. */
#define REQUIRE_VOID(cond)                                                     \
    do {                                                                       \
        checks_run++;                                                          \
        if (!(cond)) {                                                         \
            checks_failed++;                                                   \
            fprintf (stderr, "%s:%d: required: %s (errno %d: %s)\n", __FILE__, \
                     __LINE__, #cond, errno, zmq_strerror (errno));            \
            return;                                                            \
        }                                                                      \
    } while (0)

/* The port of a "tcp://host:port" endpoint. */
static inline int endpoint_port (const char *endpoint)
{
    const char *colon = strrchr (endpoint, ':');
    return colon ? atoi (colon + 1) : -1;
}

/* The port a socket is bound to (its ZMQ_LAST_ENDPOINT). */
static inline int bound_port (void *s)
{
    char endpoint[256];
    size_t len = sizeof endpoint;
    if (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &len) != 0)
        return -1;
    return endpoint_port (endpoint);
}

/* Reads on `fd` give up after `seconds`. */
static inline void read_timeout (int fd, int seconds)
{
    struct timeval tv = {seconds, 0};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* A plain tcp connection to 127.0.0.1:`port` (reads time out after 5 s),
 * or -1. */
static inline int raw_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons (port);
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0) {
        close (fd);
        return -1;
    }
    read_timeout (fd, 5);
    return fd;
}

/* A plain listener on 127.0.0.1 (accept times out after 10 s); its
 * endpoint goes to `endpoint`. */
static inline int raw_listen (char *endpoint, size_t size)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t alen = sizeof addr;
    if (bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0 || listen (fd, 4) != 0) {
        close (fd);
        return -1;
    }
    getsockname (fd, (struct sockaddr *) &addr, &alen);
    snprintf (endpoint, size, "tcp://127.0.0.1:%d", ntohs (addr.sin_port));
    read_timeout (fd, 10);
    return fd;
}

/* A ZMTP 3.1 greeting for the NULL mechanism (the signature's padding as
 * libzmq sends it). */
static const unsigned char zmtp_greeting[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1,  0x7f,
                                                3,    1, 'N', 'U', 'L', 'L'};

/* Writes the NULL handshake of a peer of `socket_type` ("ROUTER"...):
 * greeting and READY. Returns 1 when all was written. */
static inline int zmtp_handshake (int fd, const char *socket_type)
{
    unsigned char ready[64];
    size_t type_len = strlen (socket_type);
    size_t body = 1 + 5 + 1 + 11 + 4 + type_len;
    size_t n = 0;
    ready[n++] = 4; /* a short command frame */
    ready[n++] = (unsigned char) body;
    ready[n++] = 5;
    memcpy (ready + n, "READY", 5);
    n += 5;
    ready[n++] = 11;
    memcpy (ready + n, "Socket-Type", 11);
    n += 11;
    ready[n++] = 0;
    ready[n++] = 0;
    ready[n++] = 0;
    ready[n++] = (unsigned char) type_len;
    memcpy (ready + n, socket_type, type_len);
    n += type_len;
    return write (fd, zmtp_greeting, sizeof zmtp_greeting) == (ssize_t) sizeof zmtp_greeting
           && write (fd, ready, n) == (ssize_t) n;
}

#endif
