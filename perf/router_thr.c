/* ROUTER request rate: <dealers> DEALER sockets send requests of
 * <message-size> bytes to one ROUTER socket, which sends each back to the
 * DEALER it came from; prints the round trips completed per second, over
 * all the DEALERs together.
 *   router_thr <bind-to> <dealers> <message-size> <roundtrip-count>
 *
 * Two processes, as a server and its clients would be: the tool forks
 * before either makes a context. The parent binds the ROUTER to <bind-to>
 * (e.g. tcp://127.0.0.1:*) and answers; the child connects every DEALER
 * and times. Each DEALER has one request in flight at a time, so up to
 * <dealers> are outstanding at once: the child takes the DEALERs in turn,
 * waits for that one's reply and sends its next request, until
 * <roundtrip-count> replies have come back. One untimed round trip on
 * every DEALER first waits for all the connections.
 *
 * The soft limit on open files is raised to the hard limit (a DEALER is a
 * connection, and a descriptor on each side), the child's context takes
 * <dealers> sockets and more, and the ROUTER's listen backlog is <dealers>
 * (at least libzmq's 100), so that the connections all come at once.
 *
 * PERF_PIN=<cpu>,<cpu> in the environment pins the parent (and so its
 * library threads) to the first CPU and the child to the second.        */
#define _GNU_SOURCE
#include <zmq.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define TOOL "router_thr"
#include "perf_util.h"
#define CHILD_ROLE "the DEALERs' process"
#include "two_process.h"

/* Answers `total` requests: [identity][request] in, the same out. */
static int router (const char *bind_to, int dealers, size_t size, long total, int to_child)
{
    void *ctx = zmq_ctx_new ();
    if (!ctx)
        fail ("zmq_ctx_new");
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    if (!router)
        fail ("zmq_socket");
    int backlog = dealers > 100 ? dealers : 100;
    if (zmq_setsockopt (router, ZMQ_BACKLOG, &backlog, sizeof backlog) != 0)
        fail ("zmq_setsockopt (ZMQ_BACKLOG)");
    if (zmq_bind (router, bind_to) != 0)
        fail ("zmq_bind");
    char endpoint[1024];
    size_t endpoint_len = sizeof endpoint - 1;
    if (zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &endpoint_len) != 0)
        fail ("zmq_getsockopt (ZMQ_LAST_ENDPOINT)");
    endpoint[sizeof endpoint - 1] = '\0';
    size_t length = strlen (endpoint) + 1; /* with its NUL */
    if (write (to_child, endpoint, length) != (ssize_t) length) {
        perror (TOOL ": pipe");
        return 1;
    }

    zmq_msg_t identity, request;
    if (zmq_msg_init (&identity) != 0 || zmq_msg_init (&request) != 0)
        fail ("zmq_msg_init");
    for (long i = 0; i < total; i++) {
        while (zmq_msg_recv (&identity, router, 0) < 0)
            if (zmq_errno () != EINTR)
                fail ("zmq_msg_recv (identity)");
        int got;
        while ((got = zmq_msg_recv (&request, router, 0)) < 0)
            if (zmq_errno () != EINTR)
                fail ("zmq_msg_recv (request)");
        if ((size_t) got != size || zmq_msg_more (&request)) {
            fprintf (stderr, "%s: request %ld has %d bytes, want %zu in one frame\n", TOOL,
                     i + 1, got, size);
            return 1;
        }
        while (zmq_msg_send (&identity, router, ZMQ_SNDMORE) < 0)
            if (zmq_errno () != EINTR)
                fail ("zmq_msg_send (identity)");
        while (zmq_msg_send (&request, router, 0) != got)
            if (zmq_errno () != EINTR)
                fail ("zmq_msg_send (reply)");
    }
    zmq_msg_close (&identity);
    zmq_msg_close (&request);

    /* Default (infinite) linger: the last replies leave before term returns. */
    if (zmq_close (router) != 0)
        fail ("zmq_close");
    while (zmq_ctx_term (ctx) != 0)
        if (zmq_errno () != EINTR)
            fail ("zmq_ctx_term");
    return 0;
}

static void request (void *dealer, size_t size)
{
    zmq_msg_t msg;
    if (zmq_msg_init_size (&msg, size) != 0)
        fail ("zmq_msg_init_size");
    memset (zmq_msg_data (&msg), 'r', size);
    if (zmq_msg_send (&msg, dealer, 0) != (int) size)
        fail ("zmq_msg_send");
}

static void reply (void *dealer, zmq_msg_t *msg, size_t size)
{
    int got = zmq_msg_recv (msg, dealer, 0);
    if (got < 0)
        fail ("zmq_msg_recv");
    if ((size_t) got != size) {
        fprintf (stderr, "%s: a reply of %d bytes, want %zu\n", TOOL, got, size);
        exit (1);
    }
}

static int clients (int n, size_t size, long count, int from_parent)
{
    char endpoint[1024];
    size_t length = 0;
    while (length < sizeof endpoint) {
        ssize_t got = read (from_parent, endpoint + length, sizeof endpoint - length);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return 1; /* the parent failed and said why */
        length += (size_t) got;
        if (memchr (endpoint, '\0', length))
            break;
    }
    if (!memchr (endpoint, '\0', length))
        return 1;

    void *ctx = zmq_ctx_new ();
    if (!ctx)
        fail ("zmq_ctx_new");
    if (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, n + 16) != 0)
        fail ("zmq_ctx_set (ZMQ_MAX_SOCKETS)");
    void **dealers = calloc ((size_t) n, sizeof *dealers);
    long *quota = calloc ((size_t) n, sizeof *quota);
    if (!dealers || !quota) {
        fprintf (stderr, "%s: out of memory\n", TOOL);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        dealers[i] = zmq_socket (ctx, ZMQ_DEALER);
        if (!dealers[i])
            fail ("zmq_socket");
        if (zmq_connect (dealers[i], endpoint) != 0)
            fail ("zmq_connect");
    }
    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        fail ("zmq_msg_init");

    /* The untimed round: every connection made. */
    for (int i = 0; i < n; i++)
        request (dealers[i], size);
    for (int i = 0; i < n; i++)
        reply (dealers[i], &msg, size);

    /* DEALER i makes quota[i] round trips, count in all. */
    for (int i = 0; i < n; i++)
        quota[i] = count / n + (i < count % n);
    void *watch = zmq_stopwatch_start ();
    if (!watch)
        fail ("zmq_stopwatch_start");
    for (int i = 0; i < n; i++)
        if (quota[i] > 0)
            request (dealers[i], size);
    for (long done = 0; done < count;) {
        for (int i = 0; i < n; i++) {
            if (quota[i] == 0)
                continue;
            reply (dealers[i], &msg, size);
            done++;
            if (--quota[i] > 0)
                request (dealers[i], size);
        }
    }
    unsigned long elapsed = zmq_stopwatch_stop (watch);
    if (elapsed == 0)
        elapsed = 1;

    if (zmq_msg_close (&msg) != 0)
        fail ("zmq_msg_close");
    for (int i = 0; i < n; i++)
        if (zmq_close (dealers[i]) != 0)
            fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        fail ("zmq_ctx_term");
    free (dealers);
    free (quota);

    printf ("dealers: %d\n", n);
    printf ("message size: %zu [B]\n", size);
    printf ("roundtrip count: %ld\n", count);
    printf ("mean throughput: %.0f [req/s]\n", (double) count * 1000000.0 / (double) elapsed);
    return fflush (stdout) == 0 ? 0 : 1;
}

int main (int argc, char *argv[])
{
    if (argc != 5) {
        fprintf (stderr,
                 "usage: router_thr <bind-to> <dealers> <message-size> <roundtrip-count>\n");
        return 1;
    }
    const char *bind_to = argv[1];
    int n = (int) parse (argv[2], "dealer count", 1);
    size_t size = (size_t) parse (argv[3], "message size", 0);
    long count = parse (argv[4], "roundtrip count", 1);

    /* Two descriptors a DEALER on the whole (a socket each side, and the
     * sockets' own mailboxes), with room to spare. */
    struct rlimit files;
    if (getrlimit (RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit (RLIMIT_NOFILE, &files);
    }
    if (getrlimit (RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY
        && files.rlim_cur < (rlim_t) n * 2 + 64) {
        fprintf (stderr, "%s: %d DEALERs need more open files than the limit of %lu\n", TOOL,
                 n, (unsigned long) files.rlim_cur);
        return 1;
    }

    int down[2]; /* the endpoint, parent to child */
    if (pipe (down) != 0) {
        perror (TOOL ": pipe");
        return 1;
    }
    if (split () < 0)
        return 1;
    if (child == 0) {
        close (down[1]);
        exit (clients (n, size, count, down[0]));
    }
    close (down[0]);
    return join (router (bind_to, n, size, (long) n + count, down[1]));
}
