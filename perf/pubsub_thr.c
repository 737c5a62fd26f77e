/* PUB fan-out throughput: one PUB socket sends <message-count> messages of
 * <message-size> bytes to <subscribers> SUB sockets; prints the messages
 * delivered per second, summed over the subscribers.
 *   pubsub_thr <bind-to> <subscribers> <message-size> <message-count>
 *
 * Two processes, as two programs would be: the tool forks before either
 * makes a context. The parent binds the PUB socket to <bind-to> (e.g.
 * tcp://127.0.0.1:*); the child connects every SUB to it, receives and
 * times, from the first message to the last of all (<subscribers> times
 * <message-count> deliveries, the first untimed), and prints the report.
 * A pipe between the two carries only the endpoint and two go-aheads,
 * outside the timed part.
 *
 * Nothing is dropped, so the number means the same for any speed of
 * either side: the PUB has ZMQ_XPUB_NODROP (a send waits while a
 * subscriber's queue is full), and the parent publishes only once every
 * SUB has received one of its empty probe messages (so every subscription
 * has arrived). The child serves its SUBs in turn, taking whatever each has
 * queued, and waits in zmq_poll only when none had anything.
 * Both high-water marks are the default 1000 messages unless that would
 * queue more than 256 MiB on the receiving side (100 subscribers of 64 KiB
 * or larger messages): then they are lowered to fit, to 2 at least.
 *
 * PERF_PIN=<cpu>,<cpu> in the environment pins the parent (and so its
 * library threads) to the first CPU and the child to the second.        */
#define _GNU_SOURCE
#include <zmq.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOOL "pubsub_thr"
#include "perf_util.h"
#define CHILD_ROLE "the subscribing process"
#include "two_process.h"

static void set_int (void *socket, int option, int value, const char *what)
{
    if (zmq_setsockopt (socket, option, &value, sizeof value) != 0)
        fail (what);
}

static void put_byte (int fd)
{
    while (write (fd, "x", 1) != 1)
        if (errno != EINTR) {
            perror (TOOL ": pipe");
            exit (1);
        }
}

/* One byte from the other process; 0 when it has gone. */
static int get_byte (int fd)
{
    char byte;
    ssize_t got;
    while ((got = read (fd, &byte, 1)) < 0)
        if (errno != EINTR) {
            perror (TOOL ": pipe");
            exit (1);
        }
    return got == 1;
}

static int publisher (const char *bind_to, int hwm, size_t size, long count, int to_child,
                      int from_child)
{
    void *ctx = zmq_ctx_new ();
    if (!ctx)
        fail ("zmq_ctx_new");
    void *pub = zmq_socket (ctx, ZMQ_PUB);
    if (!pub)
        fail ("zmq_socket");
    set_int (pub, ZMQ_SNDHWM, hwm, "zmq_setsockopt (ZMQ_SNDHWM)");
    set_int (pub, ZMQ_XPUB_NODROP, 1, "zmq_setsockopt (ZMQ_XPUB_NODROP)");
    if (zmq_bind (pub, bind_to) != 0)
        fail ("zmq_bind");
    char endpoint[1024];
    size_t endpoint_len = sizeof endpoint - 1;
    if (zmq_getsockopt (pub, ZMQ_LAST_ENDPOINT, endpoint, &endpoint_len) != 0)
        fail ("zmq_getsockopt (ZMQ_LAST_ENDPOINT)");
    endpoint[sizeof endpoint - 1] = '\0';
    size_t length = strlen (endpoint) + 1; /* with its NUL */
    if (write (to_child, endpoint, length) != (ssize_t) length) {
        perror (TOOL ": pipe");
        return 1;
    }

    /* Empty probes, one a millisecond, until every SUB has had one. */
    struct pollfd ready = {from_child, POLLIN, 0};
    for (;;) {
        zmq_msg_t probe;
        if (zmq_msg_init (&probe) != 0)
            fail ("zmq_msg_init");
        if (zmq_msg_send (&probe, pub, 0) != 0 && zmq_errno () != EINTR)
            fail ("zmq_msg_send (probe)");
        zmq_msg_close (&probe);
        if (poll (&ready, 1, 1) > 0)
            break;
    }
    if (!get_byte (from_child))
        return 1;

    for (long i = 0; i < count; i++) {
        zmq_msg_t msg;
        if (zmq_msg_init_size (&msg, size) != 0)
            fail ("zmq_msg_init_size");
        while (zmq_msg_send (&msg, pub, 0) != (int) size)
            if (zmq_errno () != EINTR)
                fail ("zmq_msg_send");
    }

    /* Closed once the child has everything. */
    if (!get_byte (from_child))
        return 1;
    if (zmq_close (pub) != 0)
        fail ("zmq_close");
    while (zmq_ctx_term (ctx) != 0)
        if (zmq_errno () != EINTR)
            fail ("zmq_ctx_term");
    return 0;
}

static int subscribers (int n, int hwm, size_t size, long count, int from_parent, int to_parent)
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
    void **subs = calloc ((size_t) n, sizeof *subs);
    long *left = calloc ((size_t) n, sizeof *left);
    zmq_pollitem_t *items = calloc ((size_t) n, sizeof *items);
    if (!subs || !left || !items) {
        fprintf (stderr, "%s: out of memory\n", TOOL);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        subs[i] = zmq_socket (ctx, ZMQ_SUB);
        if (!subs[i])
            fail ("zmq_socket");
        set_int (subs[i], ZMQ_RCVHWM, hwm, "zmq_setsockopt (ZMQ_RCVHWM)");
        if (zmq_setsockopt (subs[i], ZMQ_SUBSCRIBE, "", 0) != 0)
            fail ("zmq_setsockopt (ZMQ_SUBSCRIBE)");
        if (zmq_connect (subs[i], endpoint) != 0)
            fail ("zmq_connect");
    }

    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        fail ("zmq_msg_init");

    /* Until every SUB has had a probe (left[i] is 1 while it has not). */
    int waiting = n;
    for (int i = 0; i < n; i++)
        left[i] = 1;
    while (waiting > 0) {
        int polled = 0;
        for (int i = 0; i < n; i++)
            if (left[i])
                items[polled++] = (zmq_pollitem_t){subs[i], 0, ZMQ_POLLIN, 0};
        if (zmq_poll (items, polled, -1) < 0 && zmq_errno () != EINTR)
            fail ("zmq_poll");
        for (int i = 0; i < n; i++) {
            if (!left[i])
                continue;
            while (zmq_msg_recv (&msg, subs[i], ZMQ_DONTWAIT) >= 0)
                if (left[i]) {
                    left[i] = 0;
                    waiting--;
                }
            if (zmq_errno () != EAGAIN && zmq_errno () != EINTR)
                fail ("zmq_msg_recv (probe)");
        }
    }
    put_byte (to_parent);

    /* Every SUB gets every message: count - 1 more each after the first. */
    for (int i = 0; i < n; i++)
        left[i] = count;
    long total = (long) n * count;
    void *watch = NULL;
    while (total > 0) {
        int progress = 0;
        for (int i = 0; i < n; i++) {
            while (left[i] > 0) {
                int got = zmq_msg_recv (&msg, subs[i], ZMQ_DONTWAIT);
                if (got < 0) {
                    if (zmq_errno () != EAGAIN && zmq_errno () != EINTR)
                        fail ("zmq_msg_recv");
                    break;
                }
                if (got == 0)
                    continue; /* a late probe */
                if ((size_t) got != size) {
                    fprintf (stderr, "%s: a message of %d bytes, want %zu\n", TOOL, got, size);
                    return 1;
                }
                if (!watch && !(watch = zmq_stopwatch_start ()))
                    fail ("zmq_stopwatch_start");
                left[i]--;
                total--;
                progress = 1;
            }
        }
        if (!progress && total > 0) {
            int polled = 0;
            for (int i = 0; i < n; i++)
                if (left[i] > 0)
                    items[polled++] = (zmq_pollitem_t){subs[i], 0, ZMQ_POLLIN, 0};
            if (zmq_poll (items, polled, -1) < 0 && zmq_errno () != EINTR)
                fail ("zmq_poll");
        }
    }
    unsigned long elapsed = zmq_stopwatch_stop (watch);
    put_byte (to_parent);

    if (zmq_msg_close (&msg) != 0)
        fail ("zmq_msg_close");
    for (int i = 0; i < n; i++)
        if (zmq_close (subs[i]) != 0)
            fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        fail ("zmq_ctx_term");
    free (subs);
    free (left);
    free (items);

    printf ("subscribers: %d\n", n);
    printf ("messages published: %ld\n", count);
    print_throughput (size, (long) n * count, elapsed);
    return fflush (stdout) == 0 ? 0 : 1;
}

int main (int argc, char *argv[])
{
    if (argc != 5) {
        fprintf (stderr,
                 "usage: pubsub_thr <bind-to> <subscribers> <message-size> <message-count>\n");
        return 1;
    }
    const char *bind_to = argv[1];
    int n = (int) parse (argv[2], "subscriber count", 1);
    size_t size = (size_t) parse (argv[3], "message size", 1);
    long count = parse (argv[4], "message count", 2);
    if ((long long) n * count > 0x7fffffffLL) {
        fprintf (stderr, "%s: subscribers times messages is too many\n", TOOL);
        return 1;
    }
    double budget = 256.0 * 1024 * 1024 / ((double) n * (double) size);
    int hwm = budget >= 1000 ? 1000 : budget < 2 ? 2 : (int) budget;

    int down[2], up[2]; /* parent to child, child to parent */
    if (pipe (down) != 0 || pipe (up) != 0) {
        perror (TOOL ": pipe");
        return 1;
    }
    if (split () < 0)
        return 1;
    if (child == 0) {
        close (down[1]);
        close (up[0]);
        exit (subscribers (n, hwm, size, count, down[0], up[1]));
    }
    close (down[0]);
    close (up[1]);
    return join (publisher (bind_to, hwm, size, count, down[1], up[0]));
}
