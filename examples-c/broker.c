/* A request-reply broker between REQ clients and REP workers, all over
 * tcp: the clients connect to a ROUTER, the workers to a DEALER, and
 * neither side knows how many of the other there are. The broker is first
 * written by hand (zmq_poll on both sockets, every frame passed on with
 * its ZMQ_SNDMORE flag, so the ROUTER's envelope comes back intact), then
 * replaced by zmq_proxy_steerable with a capture socket, stopped with
 * TERMINATE on its control socket. */
#include <zmq.h>
#include <stdio.h>
#include <string.h>

#define CLIENTS 3
#define WORKERS 2
#define REQUESTS 4

static void *ctx;
static char frontend_endpoint[256];
static char backend_endpoint[256];
static int wrong_answers;

static void worker (void *arg)
{
    (void) arg;
    void *rep = zmq_socket (ctx, ZMQ_REP);
    zmq_connect (rep, backend_endpoint);
    char job[32];
    int n;
    /* Until the context shuts down (ETERM). */
    while ((n = zmq_recv (rep, job, sizeof job - 1, 0)) >= 0) {
        job[n] = 0;
        char done[48];
        int len = snprintf (done, sizeof done, "%s: done", job);
        zmq_send (rep, done, (size_t) len, 0);
    }
    zmq_close (rep);
}

static void client (void *arg)
{
    int id = *(int *) arg;
    void *req = zmq_socket (ctx, ZMQ_REQ);
    int patience = 3000;
    zmq_setsockopt (req, ZMQ_RCVTIMEO, &patience, sizeof patience);
    zmq_connect (req, frontend_endpoint);
    for (int i = 0; i < REQUESTS; i++) {
        char job[32], expected[48], answer[48];
        snprintf (job, sizeof job, "job %c%d", 'A' + id, i);
        snprintf (expected, sizeof expected, "%s: done", job);
        zmq_send (req, job, strlen (job), 0);
        int n = zmq_recv (req, answer, sizeof answer - 1, 0);
        answer[n < 0 ? 0 : n] = 0;
        if (strcmp (answer, expected) != 0)
            __atomic_add_fetch (&wrong_answers, 1, __ATOMIC_SEQ_CST);
    }
    zmq_close (req);
}

/* Moves one whole message (all its frames) from one socket to another;
 * returns how many frames it moved. */
static int pass_on (void *from, void *to)
{
    int frames = 0;
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    while (zmq_msg_recv (&frame, from, 0) >= 0) {
        frames++;
        int more = zmq_msg_more (&frame);
        zmq_msg_send (&frame, to, more ? ZMQ_SNDMORE : 0);
        if (!more)
            break;
    }
    zmq_msg_close (&frame);
    return frames;
}

static int bind_any (void *s, char *endpoint)
{
    size_t size = 256;
    if (zmq_bind (s, "tcp://127.0.0.1:*") != 0)
        return -1;
    return zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &size);
}

struct proxy_sockets {
    void *frontend, *backend, *capture, *control;
    int rc;
};

static void run_proxy (void *arg)
{
    struct proxy_sockets *p = arg;
    p->rc = zmq_proxy_steerable (p->frontend, p->backend, p->capture, p->control);
}

/* One round: starts workers and clients, brokers until every client has
 * its answers, stops the workers. Returns 0 when all went right. */
static int round_trip (int use_proxy)
{
    ctx = zmq_ctx_new ();
    wrong_answers = 0;
    void *frontend = zmq_socket (ctx, ZMQ_ROUTER);
    void *backend = zmq_socket (ctx, ZMQ_DEALER);
    if (bind_any (frontend, frontend_endpoint) != 0 || bind_any (backend, backend_endpoint) != 0) {
        fprintf (stderr, "bind: %s\n", zmq_strerror (zmq_errno ()));
        return 1;
    }
    void *threads[WORKERS + CLIENTS];
    int ids[CLIENTS];
    for (int i = 0; i < WORKERS; i++)
        threads[i] = zmq_threadstart (worker, NULL);
    for (int i = 0; i < CLIENTS; i++) {
        ids[i] = i;
        threads[WORKERS + i] = zmq_threadstart (client, &ids[i]);
    }

    int ok = 1;
    if (!use_proxy) {
        int to_workers = 0, to_clients = 0, requests = 0, answers = 0;
        zmq_pollitem_t items[] = {{frontend, 0, ZMQ_POLLIN, 0}, {backend, 0, ZMQ_POLLIN, 0}};
        while (answers < CLIENTS * REQUESTS) {
            if (zmq_poll (items, 2, 3000) <= 0) {
                ok = 0;
                break;
            }
            if (items[0].revents & ZMQ_POLLIN) {
                to_workers += pass_on (frontend, backend);
                requests++;
            }
            if (items[1].revents & ZMQ_POLLIN) {
                to_clients += pass_on (backend, frontend);
                answers++;
            }
        }
        printf ("hand-written broker: %d requests in %d frames, %d answers in %d frames\n",
                requests, to_workers, answers, to_clients);
    }
    else {
        void *capture = zmq_socket (ctx, ZMQ_PUSH);
        void *tap = zmq_socket (ctx, ZMQ_PULL);
        void *control = zmq_socket (ctx, ZMQ_PAIR);
        void *steer = zmq_socket (ctx, ZMQ_PAIR);
        zmq_bind (tap, "inproc://tap");
        zmq_connect (capture, "inproc://tap");
        zmq_bind (steer, "inproc://steer");
        zmq_connect (control, "inproc://steer");
        struct proxy_sockets p = {frontend, backend, capture, control, -1};
        void *proxy = zmq_threadstart (run_proxy, &p);
        for (int i = WORKERS; i < WORKERS + CLIENTS; i++)
            zmq_threadclose (threads[i]);
        zmq_send (steer, "TERMINATE", 9, 0);
        zmq_threadclose (proxy);
        /* The capture socket got a copy of every frame the proxy moved. */
        int frames = 0;
        zmq_pollitem_t item = {tap, 0, ZMQ_POLLIN, 0};
        while (zmq_poll (&item, 1, 200) == 1) {
            zmq_msg_t frame;
            zmq_msg_init (&frame);
            zmq_msg_recv (&frame, tap, 0);
            /* libzmq 4.3 also copies the control command to the capture
             * socket; only the traffic is counted. */
            if (zmq_msg_size (&frame) != 9 || memcmp (zmq_msg_data (&frame), "TERMINATE", 9) != 0)
                frames++;
            zmq_msg_close (&frame);
        }
        printf ("zmq_proxy_steerable: returned %d after TERMINATE, captured %d frames of traffic\n",
                p.rc, frames);
        ok = p.rc == 0;
        zmq_close (capture);
        zmq_close (tap);
        zmq_close (control);
        zmq_close (steer);
    }
    if (!use_proxy)
        for (int i = WORKERS; i < WORKERS + CLIENTS; i++)
            zmq_threadclose (threads[i]);
    zmq_ctx_shutdown (ctx); /* the workers' zmq_recv returns ETERM */
    for (int i = 0; i < WORKERS; i++)
        zmq_threadclose (threads[i]);
    zmq_close (frontend);
    zmq_close (backend);
    zmq_ctx_term (ctx);
    printf ("%s: %d clients, %d requests each, %s\n",
            use_proxy ? "zmq_proxy_steerable" : "hand-written broker", CLIENTS, REQUESTS,
            wrong_answers ? "WRONG ANSWERS" : "every answer right");
    return ok && wrong_answers == 0 ? 0 : 1;
}

int main (void)
{
    int failed = round_trip (0);
    failed |= round_trip (1);
    return failed;
}
