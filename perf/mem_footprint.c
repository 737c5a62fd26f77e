/* Memory footprint: what one socket, one idle tcp connection and one idle
 * ipc connection cost.  Each measurement reads the resident set size
 * (VmRSS from /proc/self/status, page-grained) and the malloc heap in use
 * (mallinfo2: arena + mmapped chunks, minus free chunks) before and after
 * creating <count> of the thing, and prints the growth divided by <count>:
 *   socket      <count> DEALER sockets in one context (nothing bound)
 *   tcp         one ROUTER bound on tcp://127.0.0.1:*, <count> DEALERs
 *               connected to it; each DEALER sends one message and the
 *               ROUTER receives all <count>, so every connection is up
 *   ipc         the same over ipc:// (a path in a fresh temporary directory)
 * Both ends of a connection live in this process, so the tcp and ipc
 * figures are per connection PAIR (the DEALER socket with its session and
 * engine, plus the ROUTER's session and engine for it), DEALER socket
 * included; "*_conn_only" subtracts the socket figure to leave the
 * connection itself.  Output is one line per measurement,
 *   <name> TAB <bytes per unit>
 * e.g. "socket_rss\t12345" (rss and heap lines for socket, tcp_conn_pair,
 * tcp_conn_only, ipc_conn_pair, ipc_conn_only).  Each of the three runs in
 * a child process with a context of its own, so none inherits another's
 * freed-but-resident memory; connections are counted after one warm-up
 * pair.  The fd soft limit is raised to the hard one; a connection pair
 * takes two fds, a socket one or two more (its mailbox).
 *   mem_footprint [socket-count [connection-count]]   (default 1000 500) */
#define _GNU_SOURCE
#include <zmq.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOOL "mem_footprint"
#include "perf_util.h"

/* Resident set size in bytes (VmRSS, reported in kB). */
static long rss_bytes (void)
{
    FILE *f = fopen ("/proc/self/status", "r");
    if (!f) {
        perror (TOOL ": /proc/self/status");
        exit (1);
    }
    char line[256];
    long kb = -1;
    while (fgets (line, sizeof line, f))
        if (sscanf (line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose (f);
    if (kb < 0) {
        fprintf (stderr, "%s: no VmRSS in /proc/self/status\n", TOOL);
        exit (1);
    }
    return kb * 1024;
}

/* Bytes handed out by malloc and not freed, over every arena (the
 * library's I/O threads allocate in arenas of their own). */
static long heap_bytes (void)
{
    struct mallinfo2 mi = mallinfo2 ();
    return (long) (mi.uordblks + mi.hblkhd);
}

struct snapshot {
    long rss, heap;
};

static struct snapshot take (void)
{
    struct snapshot s;
    s.heap = heap_bytes ();
    s.rss = rss_bytes ();
    return s;
}

/* Lets the I/O threads settle: finish whatever handshakes and commands
 * are in flight before a snapshot. */
static void settle (void)
{
    usleep (200 * 1000);
}

static void **sockets (long n)
{
    void **s = (void **) calloc ((size_t) n, sizeof *s);
    if (!s) {
        fprintf (stderr, "%s: out of memory\n", TOOL);
        exit (1);
    }
    return s;
}

static void close_all (void **s, long n)
{
    int zero = 0;
    for (long i = 0; i < n; i++)
        if (s[i]) {
            zmq_setsockopt (s[i], ZMQ_LINGER, &zero, sizeof zero);
            if (zmq_close (s[i]) != 0)
                fail ("zmq_close");
        }
    free (s);
}

/* A DEALER connected to <endpoint>, with one message sent. */
static void *dealer (void *ctx, const char *endpoint)
{
    void *d = zmq_socket (ctx, ZMQ_DEALER);
    if (!d)
        fail ("zmq_socket (DEALER)");
    if (zmq_connect (d, endpoint) != 0)
        fail ("zmq_connect");
    if (zmq_send (d, "hi", 2, 0) != 2)
        fail ("zmq_send");
    return d;
}

/* <n> DEALERs connected to a ROUTER bound on <bind_to>: snapshots before
 * the first measured DEALER and after the last connection is up (the
 * ROUTER, its listener and one warm-up pair come before). */
static void connections (void *ctx, const char *bind_to, long n, struct snapshot *before,
                         struct snapshot *after)
{
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    if (!router)
        fail ("zmq_socket (ROUTER)");
    int zero = 0;
    zmq_setsockopt (router, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind (router, bind_to) != 0)
        fail ("zmq_bind");
    char endpoint[256];
    size_t len = sizeof endpoint;
    if (zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &len) != 0)
        fail ("zmq_getsockopt (ZMQ_LAST_ENDPOINT)");
    /* One warm-up pair first, so the first connection's one-off costs
     * (listener state, I/O thread buffers, lazily made tables) are not
     * charged to the measured ones; it stays open.  dealers[0] is it. */
    void **dealers = sockets (n + 1);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    dealers[0] = dealer (ctx, endpoint);
    do { /* [identity, "hi"] */
        if (zmq_msg_recv (&msg, router, 0) < 0)
            fail ("zmq_msg_recv");
    } while (zmq_msg_more (&msg));
    settle ();
    *before = take ();
    for (long i = 1; i <= n; i++)
        dealers[i] = dealer (ctx, endpoint);
    /* Every connection is up once the ROUTER has had a message on each. */
    for (long got = 0; got < n;) {
        if (zmq_msg_recv (&msg, router, 0) < 0)
            fail ("zmq_msg_recv");
        if (!zmq_msg_more (&msg))
            got++;
    }
    zmq_msg_close (&msg);
    settle ();
    *after = take ();
    close_all (dealers, n + 1);
    if (zmq_close (router) != 0)
        fail ("zmq_close (ROUTER)");
}

/* Per-unit growth, as a child process hands it back. */
struct result {
    long rss, heap;
};

static struct result per_unit (struct snapshot before, struct snapshot after, long n)
{
    struct result r = {(after.rss - before.rss) / n, (after.heap - before.heap) / n};
    return r;
}

/* A fresh context, started and warmed up (a first socket, closed again,
 * starts its threads and whatever it makes lazily), with room for <n>
 * sockets and a margin. */
static void *context (long n)
{
    void *ctx = zmq_ctx_new ();
    if (!ctx)
        fail ("zmq_ctx_new");
    if (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, (int) (n + 16)) != 0)
        fail ("zmq_ctx_set (ZMQ_MAX_SOCKETS)");
    void *first = zmq_socket (ctx, ZMQ_DEALER);
    if (!first)
        fail ("zmq_socket");
    if (zmq_close (first) != 0)
        fail ("zmq_close");
    settle ();
    return ctx;
}

static struct result measure_sockets (long n)
{
    void *ctx = context (n);
    void **s = sockets (n);
    struct snapshot before = take ();
    for (long i = 0; i < n; i++) {
        s[i] = zmq_socket (ctx, ZMQ_DEALER);
        if (!s[i])
            fail ("zmq_socket (DEALER)");
    }
    settle ();
    struct snapshot after = take ();
    close_all (s, n);
    if (zmq_ctx_term (ctx) != 0)
        fail ("zmq_ctx_term");
    return per_unit (before, after, n);
}

static struct result measure_connections (const char *transport, long n)
{
    void *ctx = context (n + 1);
    char dir[] = "/tmp/memfpXXXXXX", path[64] = "", bind_to[80];
    if (strcmp (transport, "ipc") == 0) {
        if (!mkdtemp (dir)) {
            perror (TOOL ": mkdtemp");
            exit (1);
        }
        snprintf (path, sizeof path, "%s/s", dir);
        snprintf (bind_to, sizeof bind_to, "ipc://%s", path);
    } else
        snprintf (bind_to, sizeof bind_to, "tcp://127.0.0.1:*");
    struct snapshot before, after;
    connections (ctx, bind_to, n, &before, &after);
    if (*path) {
        unlink (path); /* if the library left it */
        rmdir (dir);
    }
    if (zmq_ctx_term (ctx) != 0)
        fail ("zmq_ctx_term");
    return per_unit (before, after, n);
}

/* Runs one measurement in a child process, so each starts from a fresh
 * heap and RSS (memory freed by an earlier one would stay resident in
 * malloc's arenas and hide the next one's growth).  No context exists in
 * the parent, so forking is safe. */
static struct result isolated (const char *what, long n)
{
    int fds[2];
    if (pipe (fds) != 0) {
        perror (TOOL ": pipe");
        exit (1);
    }
    fflush (stdout);
    pid_t pid = fork ();
    if (pid < 0) {
        perror (TOOL ": fork");
        exit (1);
    }
    if (pid == 0) {
        close (fds[0]);
        struct result r =
          strcmp (what, "socket") == 0 ? measure_sockets (n) : measure_connections (what, n);
        if (write (fds[1], &r, sizeof r) != (ssize_t) sizeof r)
            _exit (1);
        _exit (0);
    }
    close (fds[1]);
    struct result r;
    ssize_t got = read (fds[0], &r, sizeof r);
    close (fds[0]);
    int status;
    if (waitpid (pid, &status, 0) != pid || !WIFEXITED (status) || WEXITSTATUS (status) != 0
        || got != (ssize_t) sizeof r) {
        fprintf (stderr, "%s: the %s measurement failed\n", TOOL, what);
        exit (1);
    }
    return r;
}

int main (int argc, char *argv[])
{
    if (argc > 3) {
        fprintf (stderr, "usage: mem_footprint [socket-count [connection-count]]\n");
        return 1;
    }
    long nsock = argc > 1 ? parse (argv[1], "socket count", 1) : 1000;
    long nconn = argc > 2 ? parse (argv[2], "connection count", 1) : 500;

    struct rlimit rl;
    if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit (RLIMIT_NOFILE, &rl);
    }
    getrlimit (RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur != RLIM_INFINITY && (rlim_t) (2 * nconn + 64) > rl.rlim_cur) {
        fprintf (stderr, "%s: %ld connections want ~%ld fds, the limit is %lu\n", TOOL, nconn,
                 2 * nconn + 64, (unsigned long) rl.rlim_cur);
        return 1;
    }

    struct result sock = isolated ("socket", nsock);
    printf ("socket_rss\t%ld\n", sock.rss);
    printf ("socket_heap\t%ld\n", sock.heap);
    const char *transports[] = {"tcp", "ipc"};
    for (int t = 0; t < 2; t++) {
        struct result conn = isolated (transports[t], nconn);
        printf ("%s_conn_pair_rss\t%ld\n", transports[t], conn.rss);
        printf ("%s_conn_pair_heap\t%ld\n", transports[t], conn.heap);
        printf ("%s_conn_only_rss\t%ld\n", transports[t], conn.rss - sock.rss);
        printf ("%s_conn_only_heap\t%ld\n", transports[t], conn.heap - sock.heap);
    }
    return 0;
}
