/* Misuse across threads must not corrupt anything: a socket closed while
 * another thread sends on it, peers vanishing mid-stream, the context
 * terminated while threads still block. Each round ends cleanly. */
#include "testutil.h"
#include <pthread.h>
#include <unistd.h>

static void *ctx;

static void *sender (void *socket)
{
    /* Runs until its socket is closed under it (ENOTSOCK) or the context
     * stops (ETERM). */
    for (;;) {
        if (zmq_send (socket, "data", 4, ZMQ_DONTWAIT) == -1 && errno != EAGAIN)
            return (void *) (intptr_t) errno;
    }
}

static void *blocked_receiver (void *socket)
{
    char buf[8];
    int rc = zmq_recv (socket, buf, sizeof buf, 0);
    return (void *) (intptr_t) (rc == -1 ? errno : 0);
}

int main (void)
{
#ifdef REFERENCE_LIBZMQ
    /* libzmq's sockets are not thread-safe: this is our contract only. */
    puts ("races: not run against libzmq (undefined behaviour there)");
    return 0;
#endif
    int rounds = scaled (20) < 3 ? 3 : scaled (20);
    for (int round = 0; round < rounds; round++) {
        ctx = zmq_ctx_new ();
        REQUIRE (ctx != NULL);
        char endpoint[64];
        void *pull = zmq_socket (ctx, ZMQ_PULL);
        void *push = zmq_socket (ctx, ZMQ_PUSH);
        CHECK_EQ_INT (bind_inproc (pull, endpoint, sizeof endpoint), 0);
        CHECK_EQ_INT (zmq_connect (push, endpoint), 0);

        /* Close the PUSH while another thread is sending on it. */
        pthread_t thread;
        pthread_create (&thread, NULL, sender, push);
        usleep (1000);
        zmq_close (push);
        void *result;
        pthread_join (thread, &result);
        CHECK_EQ_INT ((intptr_t) result, ENOTSOCK);

        /* The reader drains what arrived, then sees nothing more. */
        char buf[8];
        while (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT) == 4) {
        }
        CHECK_ERRNO (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT) == -1, EAGAIN);

        /* Terminate while one thread blocks in recv and another sends. */
        void *pull2 = zmq_socket (ctx, ZMQ_PULL);
        void *push2 = zmq_socket (ctx, ZMQ_PUSH);
        zmq_connect (push2, endpoint);
        pthread_t blocked, sending;
        pthread_create (&blocked, NULL, blocked_receiver, pull2);
        pthread_create (&sending, NULL, sender, push2);
        usleep (2000);
        zmq_ctx_shutdown (ctx);
        pthread_join (blocked, &result);
        CHECK_EQ_INT ((intptr_t) result, ETERM);
        pthread_join (sending, &result);
        CHECK_EQ_INT ((intptr_t) result, ETERM);
        zmq_close (pull2);
        zmq_close (push2);
        zmq_close (pull);
        CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    }
    return test_result ("races");
}
