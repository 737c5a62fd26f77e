/* A load-balancing broker: two ROUTER sockets, clients (REQ, over tcp) on
 * one and workers (REQ, over inproc) on the other. A worker announces
 * itself with "READY" and then each answer doubles as "ready again"; the
 * broker keeps the idle workers in a queue, hands each request to the one
 * that has waited longest, and listens to clients only while some worker
 * is idle. Workers take different times per job, so the fast ones get
 * more of them, without the broker measuring anything. */
#include <zmq.h>
#include <stdio.h>
#include <string.h>

#define CLIENTS 5
#define WORKERS 3
#define REQUESTS 4

static void *ctx;
static char clients_endpoint[256];
static int jobs_done[WORKERS];
static int wrong_answers;

static void worker (void *arg)
{
    int id = *(int *) arg;
    void *req = zmq_socket (ctx, ZMQ_REQ);
    zmq_connect (req, "inproc://workers");
    zmq_send (req, "READY", 5, 0);
    while (1) {
        /* [client id] [empty] [request] */
        char client[256], empty[8], request[32];
        int c = zmq_recv (req, client, sizeof client, 0);
        if (c < 0)
            break; /* the context is shutting down */
        zmq_recv (req, empty, sizeof empty, 0);
        int n = zmq_recv (req, request, sizeof request - 1, 0);
        if (n < 0)
            break;
        request[n] = 0;
        zmq_poll (NULL, 0, 2 * id); /* worker 0 is the fastest */
        char answer[48];
        int len = snprintf (answer, sizeof answer, "%s: done", request);
        zmq_send (req, client, (size_t) c, ZMQ_SNDMORE);
        zmq_send (req, "", 0, ZMQ_SNDMORE);
        zmq_send (req, answer, (size_t) len, 0);
        jobs_done[id]++;
    }
    zmq_close (req);
}

static void client (void *arg)
{
    int id = *(int *) arg;
    void *req = zmq_socket (ctx, ZMQ_REQ);
    int patience = 3000;
    zmq_setsockopt (req, ZMQ_RCVTIMEO, &patience, sizeof patience);
    zmq_connect (req, clients_endpoint);
    int right = 0;
    for (int i = 0; i < REQUESTS; i++) {
        char request[32], expected[48], answer[48];
        snprintf (request, sizeof request, "request %d.%d", id, i);
        snprintf (expected, sizeof expected, "%s: done", request);
        zmq_send (req, request, strlen (request), 0);
        int n = zmq_recv (req, answer, sizeof answer - 1, 0);
        answer[n < 0 ? 0 : n] = 0;
        right += strcmp (answer, expected) == 0;
    }
    printf ("client %d: %d of %d answers right\n", id, right, REQUESTS);
    if (right != REQUESTS)
        __atomic_add_fetch (&wrong_answers, 1, __ATOMIC_SEQ_CST);
    zmq_close (req);
}

/* Moves the rest of a message (after its first frames were read). */
static void pass_rest (void *from, void *to)
{
    int more = 1;
    while (more) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        zmq_msg_recv (&frame, from, 0);
        more = zmq_msg_more (&frame);
        zmq_msg_send (&frame, to, more ? ZMQ_SNDMORE : 0);
        zmq_msg_close (&frame);
    }
}

int main (void)
{
    ctx = zmq_ctx_new ();
    void *frontend = zmq_socket (ctx, ZMQ_ROUTER);
    void *backend = zmq_socket (ctx, ZMQ_ROUTER);
    size_t size = sizeof clients_endpoint;
    if (zmq_bind (frontend, "tcp://127.0.0.1:*") != 0
        || zmq_getsockopt (frontend, ZMQ_LAST_ENDPOINT, clients_endpoint, &size) != 0
        || zmq_bind (backend, "inproc://workers") != 0) {
        fprintf (stderr, "bind: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    void *threads[WORKERS + CLIENTS];
    int ids[WORKERS + CLIENTS];
    for (int i = 0; i < WORKERS; i++) {
        ids[i] = i;
        threads[i] = zmq_threadstart (worker, &ids[i]);
    }
    for (int i = 0; i < CLIENTS; i++) {
        ids[WORKERS + i] = i;
        threads[WORKERS + i] = zmq_threadstart (client, &ids[WORKERS + i]);
    }

    /* The idle workers' routing ids, longest idle first. */
    char idle[WORKERS][256];
    int idle_size[WORKERS];
    int idle_count = 0, checked_in = 0, answers = 0;
    while (answers < CLIENTS * REQUESTS || checked_in < WORKERS) {
        zmq_pollitem_t items[] = {{backend, 0, ZMQ_POLLIN, 0}, {frontend, 0, ZMQ_POLLIN, 0}};
        /* No idle worker: leave the clients' requests queued. */
        if (zmq_poll (items, idle_count ? 2 : 1, 3000) <= 0)
            break;
        if (items[0].revents & ZMQ_POLLIN) {
            /* [worker id] [empty] then [READY] or [client id] [empty] [answer] */
            char empty[8], first[256];
            int w = zmq_recv (backend, idle[idle_count], sizeof idle[0], 0);
            zmq_recv (backend, empty, sizeof empty, 0);
            int f = zmq_recv (backend, first, sizeof first, 0);
            if (w < 0 || f < 0)
                break;
            idle_size[idle_count++] = w;
            if (f == 5 && memcmp (first, "READY", 5) == 0)
                checked_in++;
            else {
                zmq_send (frontend, first, (size_t) f, ZMQ_SNDMORE);
                pass_rest (backend, frontend);
                answers++;
            }
        }
        if (idle_count && (items[1].revents & ZMQ_POLLIN)) {
            /* [client id] [empty] [request] goes to the first idle worker. */
            zmq_send (backend, idle[0], (size_t) idle_size[0], ZMQ_SNDMORE);
            zmq_send (backend, "", 0, ZMQ_SNDMORE);
            pass_rest (frontend, backend);
            idle_count--;
            memmove (idle[0], idle[1], sizeof idle[0] * (size_t) idle_count);
            memmove (&idle_size[0], &idle_size[1], sizeof idle_size[0] * (size_t) idle_count);
        }
    }
    for (int i = WORKERS; i < WORKERS + CLIENTS; i++)
        zmq_threadclose (threads[i]);
    zmq_ctx_shutdown (ctx);
    int jobs = 0;
    for (int i = 0; i < WORKERS; i++) {
        zmq_threadclose (threads[i]);
        jobs += jobs_done[i];
    }
    printf ("broker: %d workers checked in, %d requests answered, %d jobs done\n", checked_in,
            answers, jobs);
    zmq_close (frontend);
    zmq_close (backend);
    zmq_ctx_term (ctx);
    return answers == CLIENTS * REQUESTS && jobs == answers && wrong_answers == 0 ? 0 : 1;
}
