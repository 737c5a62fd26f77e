/* A divide-and-conquer pipeline across transports: a ventilator hands out
 * numbered tasks over tcp to four worker threads (PUSH load-balances them),
 * each worker squares its numbers and pushes the results over ipc to a
 * sink, which adds them up; then zmq_ctx_shutdown stops the workers (their
 * zmq_poll returns ETERM). The total is the same however the tasks were
 * spread. */
#include <zmq.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WORKERS 4
#define TASKS 10000

static void *ctx;
static char tasks_endpoint[256];
static char results_endpoint[256];

static void *worker (void *arg)
{
    (void) arg;
    void *tasks = zmq_socket (ctx, ZMQ_PULL);
    void *results = zmq_socket (ctx, ZMQ_PUSH);
    int zero = 0;
    zmq_setsockopt (tasks, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt (results, ZMQ_LINGER, &zero, sizeof zero);
    zmq_connect (tasks, tasks_endpoint);
    zmq_connect (results, results_endpoint);
    zmq_pollitem_t items[] = {{tasks, 0, ZMQ_POLLIN, 0}};
    /* Until the context shuts down (ETERM). */
    while (zmq_poll (items, 1, -1) >= 0) {
        if (items[0].revents & ZMQ_POLLIN) {
            long long n;
            if (zmq_recv (tasks, &n, sizeof n, 0) != sizeof n)
                break;
            long long square = n * n;
            zmq_send (results, &square, sizeof square, 0);
        }
    }
    zmq_close (tasks);
    zmq_close (results);
    return NULL;
}

static int bound (void *s, const char *endpoint, char *out)
{
    if (zmq_bind (s, endpoint) != 0)
        return -1;
    size_t len = 256;
    return zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, out, &len);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    void *ventilator = zmq_socket (ctx, ZMQ_PUSH);
    void *sink = zmq_socket (ctx, ZMQ_PULL);
    char ipc[64];
    snprintf (ipc, sizeof ipc, "ipc:///tmp/pipeline-example-%d.ipc", (int) getpid ());
    if (bound (ventilator, "tcp://127.0.0.1:*", tasks_endpoint) != 0
        || bound (sink, ipc, results_endpoint) != 0) {
        fprintf (stderr, "bind: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    pthread_t threads[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        pthread_create (&threads[i], NULL, worker, NULL);
    /* Tasks queue until the workers connect; PUSH spreads them out. */
    for (long long n = 1; n <= TASKS; n++)
        zmq_send (ventilator, &n, sizeof n, 0);
    long long total = 0;
    for (int i = 0; i < TASKS; i++) {
        long long square;
        if (zmq_recv (sink, &square, sizeof square, 0) != sizeof square) {
            fprintf (stderr, "recv: %s\n", zmq_strerror (zmq_errno ()));
            return 1;
        }
        total += square;
    }
    printf ("%d tasks, sum of squares %lld\n", TASKS, total);
    zmq_ctx_shutdown (ctx);
    for (int i = 0; i < WORKERS; i++)
        pthread_join (threads[i], NULL);
    zmq_close (ventilator);
    zmq_close (sink);
    zmq_ctx_term (ctx);
    unlink (ipc + strlen ("ipc://")); /* in case the library left it */
    return 0;
}
