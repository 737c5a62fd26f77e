/* Heartbeating: how a peer that hangs (rather than disconnects) is noticed.
 * First by the application: a worker thread sends a heartbeat to its
 * queue every 100 ms, and the queue declares it dead after 5 intervals of
 * silence, which happens after the worker stalls. Then by the library:
 * with ZMQ_HEARTBEAT_IVL set, the socket PINGs its peer (a separate
 * process) and drops the connection when no answer comes within
 * ZMQ_HEARTBEAT_TIMEOUT; the peer is frozen with SIGSTOP, which leaves
 * its TCP connection open, and once it resumes the socket reconnects. */
#define _GNU_SOURCE
#include <zmq.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define INTERVAL_MS 100
#define LIVENESS 5

static void *ctx;
static int stalled; /* set by the worker when it stops heartbeating */

static long long now_ms (void)
{
    struct timespec t;
    clock_gettime (CLOCK_MONOTONIC, &t);
    return (long long) t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void worker (void *arg)
{
    (void) arg;
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    zmq_connect (dealer, "inproc://queue");
    zmq_send (dealer, "READY", 5, 0);
    for (int beat = 0; beat < 6; beat++) {
        zmq_poll (NULL, 0, INTERVAL_MS);
        zmq_send (dealer, "HEARTBEAT", 9, 0);
    }
    printf ("worker: stalling, no more heartbeats\n");
    __atomic_store_n (&stalled, 1, __ATOMIC_SEQ_CST);
    char buf[8];
    zmq_recv (dealer, buf, sizeof buf, 0); /* hangs until the context shuts down */
    zmq_close (dealer);
}

static int application_heartbeats (void)
{
    ctx = zmq_ctx_new ();
    void *queue = zmq_socket (ctx, ZMQ_ROUTER);
    zmq_bind (queue, "inproc://queue");
    void *thread = zmq_threadstart (worker, NULL);
    long long heard = now_ms ();
    int beats = 0, ok = 0;
    zmq_pollitem_t item = {queue, 0, ZMQ_POLLIN, 0};
    while (1) {
        long long deadline = heard + LIVENESS * INTERVAL_MS;
        long long left = deadline - now_ms ();
        if (left <= 0 || zmq_poll (&item, 1, left) == 0) {
            if (now_ms () < deadline)
                continue;
            int worker_stalled = __atomic_load_n (&stalled, __ATOMIC_SEQ_CST);
            printf ("queue: no heartbeat for %d intervals, worker declared dead%s\n", LIVENESS,
                    worker_stalled ? "" : " (TOO EARLY: it was still beating)");
            ok = worker_stalled && beats > 0;
            break;
        }
        char id[256], what[16];
        zmq_recv (queue, id, sizeof id, 0);
        int n = zmq_recv (queue, what, sizeof what - 1, 0);
        what[n < 0 ? 0 : n] = 0;
        heard = now_ms ();
        if (strcmp (what, "READY") == 0)
            printf ("queue: worker checked in\n");
        else if (beats++ == 0)
            printf ("queue: heartbeats arriving\n");
    }
    zmq_ctx_shutdown (ctx);
    zmq_threadclose (thread);
    zmq_close (queue);
    zmq_ctx_term (ctx);
    return ok;
}

/* The peer for the second part: echoes whatever it gets. */
static void echo_peer (int ready_fd)
{
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    void *peer_ctx = zmq_ctx_new ();
    void *router = zmq_socket (peer_ctx, ZMQ_ROUTER);
    int patience = 10000;
    zmq_setsockopt (router, ZMQ_RCVTIMEO, &patience, sizeof patience);
    char endpoint[256] = "";
    size_t size = sizeof endpoint;
    if (zmq_bind (router, "tcp://127.0.0.1:*") == 0)
        zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &size);
    if (write (ready_fd, endpoint, sizeof endpoint) != (ssize_t) sizeof endpoint)
        _exit (1);
    close (ready_fd);
    while (1) {
        zmq_msg_t id, body;
        zmq_msg_init (&id);
        zmq_msg_init (&body);
        if (zmq_msg_recv (&id, router, 0) < 0 || zmq_msg_recv (&body, router, 0) < 0)
            break;
        zmq_msg_send (&id, router, ZMQ_SNDMORE);
        zmq_msg_send (&body, router, 0);
    }
    _exit (0);
}

/* Waits for one of the events in mask; returns it, or 0 on timeout. */
static int next_event (void *monitor, int mask, int timeout_ms)
{
    long long deadline = now_ms () + timeout_ms;
    zmq_pollitem_t item = {monitor, 0, ZMQ_POLLIN, 0};
    while (now_ms () < deadline && zmq_poll (&item, 1, deadline - now_ms ()) == 1) {
        zmq_msg_t head, address;
        zmq_msg_init (&head);
        zmq_msg_init (&address);
        zmq_msg_recv (&head, monitor, 0);
        zmq_msg_recv (&address, monitor, 0);
        uint16_t event = 0;
        if (zmq_msg_size (&head) >= 2)
            memcpy (&event, zmq_msg_data (&head), 2);
        zmq_msg_close (&head);
        zmq_msg_close (&address);
        if (event & mask)
            return event;
    }
    return 0;
}

static int library_heartbeats (pid_t peer, const char *endpoint)
{
    ctx = zmq_ctx_new ();
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    int ivl = INTERVAL_MS, timeout = 3 * INTERVAL_MS, zero = 0, patience = 2000;
    zmq_setsockopt (dealer, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt (dealer, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout);
    zmq_setsockopt (dealer, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt (dealer, ZMQ_RCVTIMEO, &patience, sizeof patience);
    zmq_socket_monitor (dealer, "inproc://dealer-events",
                        ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED);
    void *monitor = zmq_socket (ctx, ZMQ_PAIR);
    zmq_connect (monitor, "inproc://dealer-events");
    zmq_connect (dealer, endpoint);

    int ok = 0;
    char buf[16];
    if (next_event (monitor, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 2000) == 0)
        printf ("heartbeat socket: never connected\n");
    else {
        printf ("heartbeat socket: connected, PING every %d ms, timeout %d ms\n", ivl, timeout);
        /* A live peer answers every PING: the connection stays. */
        int event = next_event (monitor, ZMQ_EVENT_DISCONNECTED, 5 * INTERVAL_MS);
        printf ("heartbeat socket: peer alive, %s after %d ms\n",
                event ? "DISCONNECTED" : "still connected", 5 * INTERVAL_MS);
        kill (peer, SIGSTOP);
        long long frozen = now_ms ();
        event = next_event (monitor, ZMQ_EVENT_DISCONNECTED, 3000);
        long long waited = now_ms () - frozen;
        int in_time = event && waited >= timeout - INTERVAL_MS;
        printf ("heartbeat socket: peer frozen with SIGSTOP, %s\n",
                in_time ? "connection dropped on the heartbeat timeout"
                        : event ? "connection dropped TOO SOON" : "connection NOT dropped");
        kill (peer, SIGCONT);
        int back = next_event (monitor, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 3000);
        int n = -1;
        if (back) {
            zmq_send (dealer, "still there?", 12, 0);
            n = zmq_recv (dealer, buf, sizeof buf - 1, 0);
        }
        buf[n < 0 ? 0 : n] = 0;
        printf ("heartbeat socket: peer resumed, %s\n",
                n == 12 ? "reconnected, and it echoes \"still there?\"" : "NO ECHO");
        ok = in_time && n == 12;
    }
    zmq_socket_monitor (dealer, NULL, 0);
    zmq_close (monitor);
    zmq_close (dealer);
    zmq_ctx_term (ctx);
    return ok;
}

int main (void)
{
    setvbuf (stdout, NULL, _IOLBF, 0);
    /* The peer process is forked first, before any context exists. */
    int fds[2];
    if (pipe (fds) != 0)
        return 1;
    pid_t peer = fork ();
    if (peer < 0)
        return 1;
    if (peer == 0) {
        close (fds[0]);
        echo_peer (fds[1]);
    }
    close (fds[1]);
    char endpoint[256];
    ssize_t got = read (fds[0], endpoint, sizeof endpoint);
    close (fds[0]);

    int ok = application_heartbeats ();
    if (got == (ssize_t) sizeof endpoint && endpoint[0])
        ok &= library_heartbeats (peer, endpoint);
    else
        ok = 0;
    kill (peer, SIGKILL);
    waitpid (peer, NULL, 0);
    return ok ? 0 : 1;
}
