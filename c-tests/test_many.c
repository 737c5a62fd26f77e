/* Scale: a thousand sockets at once, and 8 threads pushing to one PULL
 * with nothing lost or duplicated. */
#include "testutil.h"
#include <pthread.h>
#include <stdint.h>

#define THREADS 8

static void *ctx;
static char endpoint[64];
static int per_thread;

static void *pusher (void *arg)
{
    uint32_t base = (uint32_t) (uintptr_t) arg * (uint32_t) per_thread;
    void *push = zmq_socket (ctx, ZMQ_PUSH);
    if (zmq_connect (push, endpoint) != 0)
        return NULL;
    for (int i = 0; i < per_thread; i++) {
        uint32_t n = base + (uint32_t) i;
        if (zmq_send (push, &n, sizeof n, 0) != sizeof n)
            break;
    }
    zmq_close (push);
    return NULL;
}

int main (void)
{
    ctx = zmq_ctx_new ();
    REQUIRE (ctx != NULL);
    CHECK_EQ_INT (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 2000), 0);

    int count = scaled (1000) < 100 ? 100 : 1000;
    void **sockets = calloc ((size_t) count, sizeof *sockets);
    char name[64];
    for (int i = 0; i < count; i++) {
        sockets[i] = zmq_socket (ctx, i % 2 ? ZMQ_PUSH : ZMQ_PULL);
        REQUIRE (sockets[i] != NULL);
        snprintf (name, sizeof name, "inproc://many-%d", i / 2);
        CHECK_EQ_INT (i % 2 ? zmq_connect (sockets[i], name) : zmq_bind (sockets[i], name), 0);
    }
    for (int i = 1; i < count; i += 2)
        CHECK_EQ_INT (zmq_send (sockets[i], "x", 1, 0), 1);
    char buf[8];
    for (int i = 0; i < count; i += 2)
        CHECK_EQ_INT (zmq_recv (sockets[i], buf, sizeof buf, 0), 1);
    for (int i = 0; i < count; i++)
        CHECK_EQ_INT (zmq_close (sockets[i]), 0);
    free (sockets);

    per_thread = scaled (100000);
    void *pull = zmq_socket (ctx, ZMQ_PULL);
    CHECK_EQ_INT (bind_inproc (pull, endpoint, sizeof endpoint), 0);
    pthread_t threads[THREADS];
    for (uintptr_t t = 0; t < THREADS; t++)
        pthread_create (&threads[t], NULL, pusher, (void *) t);
    int total = THREADS * per_thread;
    unsigned char *seen = calloc ((size_t) total, 1);
    int duplicates = 0, received = 0;
    for (int i = 0; i < total; i++) {
        uint32_t n;
        if (zmq_recv (pull, &n, sizeof n, 0) != sizeof n || n >= (uint32_t) total)
            break;
        duplicates += seen[n];
        seen[n] = 1;
        received++;
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join (threads[t], NULL);
    CHECK_EQ_INT (received, total);
    CHECK_EQ_INT (duplicates, 0);
    free (seen);
    zmq_close (pull);
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("many");
}
