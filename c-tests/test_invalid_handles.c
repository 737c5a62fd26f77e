/* Calls given a handle that is not one: NULL, or storage that never held a
 * socket or context. libzmq checks a tag word in its objects, so readable
 * garbage is refused as NULL is: ENOTSOCK for sockets, EFAULT for
 * contexts. Handles used after close or term are checked for this library
 * only (libzmq reads freed memory there). */
#include "testutil.h"
#include <sys/uio.h>

static void check_not_socket (void *s)
{
    char buf[8];
    size_t len = sizeof buf;
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    struct iovec iov = {buf, sizeof buf};
    size_t count = 1;
    int value = 1;
    CHECK_ERRNO (zmq_close (s) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_bind (s, "inproc://x") == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_connect (s, "inproc://x") == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_unbind (s, "inproc://x") == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_disconnect (s, "inproc://x") == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_send (s, "a", 1, ZMQ_DONTWAIT) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_send_const (s, "a", 1, ZMQ_DONTWAIT) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_recv (s, buf, sizeof buf, ZMQ_DONTWAIT) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_LINGER, &value, sizeof value) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_getsockopt (s, ZMQ_TYPE, buf, &len) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_msg_send (&msg, s, ZMQ_DONTWAIT) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_msg_recv (&msg, s, ZMQ_DONTWAIT) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_sendmsg (s, &msg, ZMQ_DONTWAIT) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_recvmsg (s, &msg, ZMQ_DONTWAIT) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_sendiov (s, &iov, 1, ZMQ_DONTWAIT) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_recviov (s, &iov, &count, ZMQ_DONTWAIT) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_socket_monitor (s, "inproc://monitor", ZMQ_EVENT_ALL) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_socket_monitor (s, NULL, 0) == -1, ENOTSOCK);
    /* The message given along was not touched. */
    CHECK_EQ_INT (zmq_msg_size (&msg), 0);
    CHECK_EQ_INT (zmq_msg_close (&msg), 0);
}

static void check_not_context (void *ctx)
{
    CHECK_ERRNO (zmq_socket (ctx, ZMQ_PAIR) == NULL, EFAULT);
    CHECK_ERRNO (zmq_ctx_term (ctx) == -1, EFAULT);
    CHECK_ERRNO (zmq_ctx_shutdown (ctx) == -1, EFAULT);
    CHECK_ERRNO (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 1) == -1, EFAULT);
    CHECK_ERRNO (zmq_ctx_get (ctx, ZMQ_IO_THREADS) == -1, EFAULT);
    CHECK_ERRNO (zmq_term (ctx) == -1, EFAULT);
    CHECK_ERRNO (zmq_ctx_destroy (ctx) == -1, EFAULT);
}

int main (void)
{
    _Alignas (8) unsigned char pattern[256], zeros[256];
    memset (pattern, 0x3C, sizeof pattern);
    memset (zeros, 0, sizeof zeros);

    check_not_socket (NULL);
    check_not_socket (pattern);
    check_not_socket (zeros);
    check_not_context (NULL);
    check_not_context (pattern);
    check_not_context (zeros);
    /* Nothing was written into the foreign storage. */
    CHECK_EQ_INT (pattern[0], 0x3C);
    CHECK_EQ_INT (pattern[255], 0x3C);
    CHECK_EQ_INT (zeros[0], 0);

    CHECK_ERRNO (zmq_proxy (NULL, NULL, NULL) == -1, EFAULT);
    CHECK_ERRNO (zmq_proxy_steerable (NULL, NULL, NULL, NULL) == -1, EFAULT);

    /* Polling: no items is fine (and still waits); NULL items are not. */
    CHECK_EQ_INT (zmq_poll (NULL, 0, 0), 0);
    long long before = now_usec ();
    CHECK_EQ_INT (zmq_poll (NULL, 0, 20), 0);
    CHECK (now_usec () - before >= 19000);
    CHECK_ERRNO (zmq_poll (NULL, 1, 0) == -1, EFAULT);
    zmq_pollitem_t item = {pattern, 0, ZMQ_POLLIN, 0};
    CHECK_ERRNO (zmq_poll (&item, 1, 0) == -1, ENOTSOCK);
    item.socket = zeros;
    CHECK_ERRNO (zmq_poll (&item, 1, 0) == -1, ENOTSOCK);

    /* With a real context, when contexts work (they are not what this test
     * is about): bad socket types, then handles used after close and term. */
    void *ctx = zmq_ctx_new ();
    if (ctx) {
        CHECK_ERRNO (zmq_socket (ctx, 12345) == NULL, EINVAL);
        CHECK_ERRNO (zmq_socket (ctx, -1) == NULL, EINVAL);
#ifndef REFERENCE_LIBZMQ
        void *s = zmq_socket (ctx, ZMQ_PAIR);
        CHECK (s != NULL);
        if (s) {
            CHECK_EQ_INT (zmq_close (s), 0);
            check_not_socket (s);
        }
        CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
        check_not_context (ctx);
        /* A misaligned pointer is no handle either. */
        check_not_socket (pattern + 1);
        check_not_context (pattern + 1);
#else
        CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
#endif
    }
    return test_result ("invalid_handles");
}
