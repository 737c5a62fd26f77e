/* A request-reply service inside one process: clients (REQ) talk to a
 * ROUTER, zmq_proxy passes requests to a DEALER, worker threads (REP)
 * answer. Each client thread sends a few requests and checks the
 * answers. */
#include <zmq.h>
#include <stdio.h>
#include <string.h>

#define WORKERS 4
#define CLIENTS 3
#define REQUESTS 5

static void *ctx;

static void worker (void *arg)
{
    (void) arg;
    void *rep = zmq_socket (ctx, ZMQ_REP);
    zmq_connect (rep, "inproc://workers");
    while (1) {
        char request[32];
        int n = zmq_recv (rep, request, sizeof request - 1, 0);
        if (n < 0)
            break; /* context terminated */
        request[n] = 0;
        char reply[64];
        int len = snprintf (reply, sizeof reply, "done: %s", request);
        zmq_send (rep, reply, (size_t) len, 0);
    }
    zmq_close (rep);
}

static int failures;

static void client (void *arg)
{
    int id = *(int *) arg;
    void *req = zmq_socket (ctx, ZMQ_REQ);
    zmq_connect (req, "inproc://clients");
    for (int i = 0; i < REQUESTS; i++) {
        char request[32], expected[64], reply[64];
        snprintf (request, sizeof request, "job %d.%d", id, i);
        snprintf (expected, sizeof expected, "done: %s", request);
        zmq_send (req, request, strlen (request), 0);
        int n = zmq_recv (req, reply, sizeof reply - 1, 0);
        reply[n < 0 ? 0 : n] = 0;
        if (strcmp (reply, expected) != 0)
            failures++;
    }
    printf ("client %d: %d replies\n", id, REQUESTS);
    zmq_close (req);
}

static void broker (void *arg)
{
    (void) arg;
    void *clients = zmq_socket (ctx, ZMQ_ROUTER);
    void *workers = zmq_socket (ctx, ZMQ_DEALER);
    zmq_bind (clients, "inproc://clients");
    zmq_bind (workers, "inproc://workers");
    zmq_proxy (clients, workers, NULL); /* returns when ctx terminates */
    zmq_close (clients);
    zmq_close (workers);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    void *threads[1 + WORKERS + CLIENTS];
    int ids[CLIENTS];
    int t = 0;
    threads[t++] = zmq_threadstart (broker, NULL);
    for (int i = 0; i < WORKERS; i++)
        threads[t++] = zmq_threadstart (worker, NULL);
    for (int i = 0; i < CLIENTS; i++) {
        ids[i] = i;
        threads[t++] = zmq_threadstart (client, &ids[i]);
    }
    for (int i = 1 + WORKERS; i < t; i++)
        zmq_threadclose (threads[i]);
    zmq_ctx_shutdown (ctx);
    for (int i = 0; i < 1 + WORKERS; i++)
        zmq_threadclose (threads[i]);
    zmq_ctx_term (ctx);
    printf ("%s\n", failures ? "wrong replies" : "all replies right");
    return failures != 0;
}
