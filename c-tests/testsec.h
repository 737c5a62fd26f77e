/* What the security tests share (test_security_*.c): the events they
 * watch, how long they wait, fresh tcp and ipc endpoints, sockets that
 * never block a test for long, the address a ZAP handler is told, and
 * frame and byte helpers. Each test sets `ctx` and `ipc_dir` in main. */
#ifndef TESTSEC_H
#define TESTSEC_H

#include "testnet.h"

#include <pthread.h>

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93 /* draft in libzmq's zmq.h */
#endif

#define EVENT_MS 10000 /* an event that must come comes within this */
#define QUIET_MS 300   /* after the verdict, nothing else may happen in this */
#define HANDSHAKE_EVENTS                                                       \
    (ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL          \
     | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)

static void *ctx;
static char ipc_dir[64];
static int ipc_counter;

static inline int bind_fresh (void *s, const char *transport, char *endpoint, size_t size)
{
    char spec[128];
    if (strcmp (transport, "tcp") == 0)
        snprintf (spec, sizeof spec, "tcp://127.0.0.1:*");
    else
        snprintf (spec, sizeof spec, "ipc://%s/%d.sock", ipc_dir, ++ipc_counter);
    if (zmq_bind (s, spec) != 0)
        return -1;
    size_t len = size;
    return zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &len);
}

static inline void *new_socket (int type)
{
    void *s = zmq_socket (ctx, type);
    set_int (s, ZMQ_LINGER, 0);
    set_int (s, ZMQ_RCVTIMEO, 5000);
    set_int (s, ZMQ_SNDTIMEO, 5000);
    return s;
}

/* What libzmq gives as a peer's address: the IP over tcp; over ipc
 * "localhost:<uid>:<gid>:<pid>" of the peer process (SO_PEERCRED), here
 * this process. */
static inline void peer_address (const char *transport, char *out, size_t size)
{
    if (strcmp (transport, "tcp") == 0)
        snprintf (out, size, "127.0.0.1");
    else
        snprintf (out, size, "localhost:%d:%d:%d", (int) getuid (), (int) getgid (),
                  (int) getpid ());
}

static inline int frame_is (zmq_msg_t *f, const char *text)
{
    return zmq_msg_size (f) == strlen (text) && memcmp (zmq_msg_data (f), text, strlen (text)) == 0;
}

/* Reads exactly `size` bytes (or less, when the peer stops). */
static inline size_t read_n (int fd, unsigned char *buf, size_t size)
{
    size_t got = 0;
    while (got < size) {
        ssize_t n = read (fd, buf + got, size - got);
        if (n <= 0)
            break;
        got += (size_t) n;
    }
    return got;
}

#endif
