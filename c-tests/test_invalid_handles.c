/* Calls given NULL, foreign, closed or terminated handles fail with
 * libzmq's errno (ENOTSOCK for sockets, EFAULT for contexts). */
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
    CHECK_ERRNO (zmq_send (s, "a", 1, 0) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_send_const (s, "a", 1, 0) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_recv (s, buf, sizeof buf, ZMQ_DONTWAIT) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_setsockopt (s, ZMQ_LINGER, &value, sizeof value) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_getsockopt (s, ZMQ_TYPE, buf, &len) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_msg_send (&msg, s, 0) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_msg_recv (&msg, s, ZMQ_DONTWAIT) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_sendmsg (s, &msg, 0) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_recvmsg (s, &msg, ZMQ_DONTWAIT) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_sendiov (s, &iov, 1, 0) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_recviov (s, &iov, &count, ZMQ_DONTWAIT) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_socket_monitor (s, "inproc://monitor", ZMQ_EVENT_ALL) == -1, ENOTSOCK);
    zmq_msg_close (&msg);
}

int main (void)
{
    _Alignas (8) unsigned char foreign[256];
    memset (foreign, 0x3C, sizeof foreign);

    check_not_socket (NULL);
    check_not_socket (foreign);

    CHECK_ERRNO (zmq_socket (NULL, ZMQ_PAIR) == NULL, EFAULT);
    CHECK_ERRNO (zmq_ctx_term (NULL) == -1, EFAULT);
    CHECK_ERRNO (zmq_ctx_shutdown (NULL) == -1, EFAULT);
    CHECK_ERRNO (zmq_ctx_set (NULL, ZMQ_IO_THREADS, 1) == -1, EFAULT);
    CHECK_ERRNO (zmq_ctx_get (NULL, ZMQ_IO_THREADS) == -1, EFAULT);
    CHECK_ERRNO (zmq_term (NULL) == -1, EFAULT);
    CHECK_ERRNO (zmq_ctx_destroy (NULL) == -1, EFAULT);
    CHECK_ERRNO (zmq_socket (foreign, ZMQ_PAIR) == NULL, EFAULT);
    CHECK_ERRNO (zmq_ctx_term (foreign) == -1, EFAULT);
    CHECK_ERRNO (zmq_proxy (NULL, NULL, NULL) == -1, EFAULT);
    CHECK_EQ_INT (zmq_poll (NULL, 0, 0), 0);

    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx != NULL);
    CHECK_ERRNO (zmq_socket (ctx, 12345) == NULL, EINVAL);
    CHECK_ERRNO (zmq_socket (ctx, -1) == NULL, EINVAL);

    zmq_pollitem_t item = {foreign, 0, ZMQ_POLLIN, 0};
    CHECK_ERRNO (zmq_poll (&item, 1, 0) == -1, ENOTSOCK);
    CHECK_ERRNO (zmq_poll (NULL, 1, 0) == -1, EFAULT);

#ifndef REFERENCE_LIBZMQ
    /* Handles used after close and after term. */
    void *s = zmq_socket (ctx, ZMQ_PAIR);
    REQUIRE (s != NULL);
    CHECK_EQ_INT (zmq_close (s), 0);
    check_not_socket (s);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    CHECK_ERRNO (zmq_ctx_term (ctx) == -1, EFAULT);
    CHECK_ERRNO (zmq_socket (ctx, ZMQ_PAIR) == NULL, EFAULT);
    CHECK_ERRNO (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 1) == -1, EFAULT);
    /* A misaligned pointer is no handle either. */
    check_not_socket (foreign + 1);
    CHECK_ERRNO (zmq_ctx_term (foreign + 1) == -1, EFAULT);
#else
    zmq_ctx_term (ctx);
#endif
    return test_result ("invalid_handles");
}
