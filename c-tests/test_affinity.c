/* ZMQ_AFFINITY picks the I/O threads a socket's connections use: bit n is
 * thread n, 0 means any. A mask that names no thread the context has makes
 * bind and connect fail with EMTHREAD. */
#include "testutil.h"

int main (void)
{
    void *ctx = zmq_ctx_new ();
    REQUIRE (ctx != NULL);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 2), 0);

    void *pull = zmq_socket (ctx, ZMQ_PULL);
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    uint64_t affinity = 0;
    size_t len = sizeof affinity;
    CHECK_EQ_INT (zmq_getsockopt (pull, ZMQ_AFFINITY, &affinity, &len), 0);
    CHECK (affinity == 0);
    CHECK_ERRNO (zmq_setsockopt (pull, ZMQ_AFFINITY, &affinity, 4) == -1, EINVAL);

    /* Threads 2 and 3 do not exist. */
    affinity = 4 | 8;
    CHECK_EQ_INT (zmq_setsockopt (pull, ZMQ_AFFINITY, &affinity, sizeof affinity), 0);
    CHECK_ERRNO (zmq_bind (pull, "tcp://127.0.0.1:*") == -1, EMTHREAD);
    CHECK_EQ_INT (zmq_setsockopt (push, ZMQ_AFFINITY, &affinity, sizeof affinity), 0);
    CHECK_ERRNO (zmq_connect (push, "tcp://127.0.0.1:5555") == -1, EMTHREAD);
    /* inproc needs no I/O thread. */
    CHECK_EQ_INT (zmq_bind (pull, "inproc://affinity"), 0);

    /* Thread 1 only, then thread 0 and a missing one: both work. */
    affinity = 2;
    CHECK_EQ_INT (zmq_setsockopt (pull, ZMQ_AFFINITY, &affinity, sizeof affinity), 0);
    CHECK_EQ_INT (zmq_bind (pull, "tcp://127.0.0.1:*"), 0);
    char endpoint[256];
    len = sizeof endpoint;
    CHECK_EQ_INT (zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, endpoint, &len), 0);
    affinity = 1 | 16;
    CHECK_EQ_INT (zmq_setsockopt (push, ZMQ_AFFINITY, &affinity, sizeof affinity), 0);
    CHECK_EQ_INT (zmq_connect (push, endpoint), 0);
    len = sizeof affinity;
    CHECK_EQ_INT (zmq_getsockopt (push, ZMQ_AFFINITY, &affinity, &len), 0);
    CHECK (affinity == (1 | 16));
    CHECK_EQ_INT (zmq_send (push, "hi", 2, 0), 2);
    set_int (pull, ZMQ_RCVTIMEO, 5000);
    char buf[8];
    CHECK_EQ_INT (zmq_recv (pull, buf, sizeof buf, 0), 2);

    set_int (push, ZMQ_LINGER, 0);
    zmq_close (push);
    zmq_close (pull);

    /* Without I/O threads nothing but inproc works, whatever the mask. */
    void *none = zmq_ctx_new ();
    CHECK_EQ_INT (zmq_ctx_set (none, ZMQ_IO_THREADS, 0), 0);
    void *s = zmq_socket (none, ZMQ_PULL);
    CHECK_ERRNO (zmq_bind (s, "tcp://127.0.0.1:*") == -1, EMTHREAD);
    zmq_close (s);
    CHECK_EQ_INT (zmq_ctx_term (none), 0);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("affinity");
}
