/* no-valgrind: it waits on heartbeats and links in real time */
/* A link cut without FIN: the server runs in a network namespace this
 * test makes, behind a veth pair. The link goes down under an
 * established connection: no FIN, no RST, just silence. The client's
 * heartbeats (ZMQ_HEARTBEAT_IVL/TIMEOUT) notice, it reconnects when the
 * link is back, and a message sent meanwhile is not lost.
 * Needs root (ip netns, veth); without it, says so and checks nothing. */
#define _GNU_SOURCE
#include "testnet.h"

#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <signal.h>
#include <sys/wait.h>

static char ns[32], veth[16], peer[16];
static int subnet;

static int sh (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
static int sh (const char *fmt, ...)
{
    char cmd[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (cmd, sizeof cmd, fmt, ap);
    va_end (ap);
    strncat (cmd, " >/dev/null 2>&1", sizeof cmd - strlen (cmd) - 1);
    return system (cmd);
}

static void teardown (void)
{
    sh ("ip netns del %s", ns);
    sh ("ip link del %s", veth);
}

/* The server: an echoing ROUTER inside the namespace, until killed. */
static void server (void)
{
    char path[64];
    snprintf (path, sizeof path, "/var/run/netns/%s", ns);
    int fd = open (path, O_RDONLY);
    if (fd < 0 || setns (fd, CLONE_NEWNET) != 0)
        _exit (2);
    void *ctx = zmq_ctx_new ();
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    set_int (router, ZMQ_HEARTBEAT_IVL, 100);
    set_int (router, ZMQ_HEARTBEAT_TIMEOUT, 500);
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://10.199.%d.2:5555", subnet);
    if (zmq_bind (router, endpoint) != 0)
        _exit (3);
    for (;;) {
        char id[256], body[256];
        int n = zmq_recv (router, id, sizeof id, 0);
        int m = zmq_recv (router, body, sizeof body, 0);
        if (n < 0 || m < 0)
            continue;
        zmq_send (router, id, (size_t) n, ZMQ_SNDMORE);
        zmq_send (router, body, (size_t) m, 0);
    }
}

int main (void)
{
    int pid = (int) getpid ();
    subnet = pid % 250 + 1;
    snprintf (ns, sizeof ns, "zmq-cut-%d", pid);
    snprintf (veth, sizeof veth, "zca%d", pid % 100000);
    snprintf (peer, sizeof peer, "zcb%d", pid % 100000);
    if (geteuid () != 0 || sh ("ip netns add %s", ns) != 0) {
        printf ("test_link_cut: needs root and ip netns; nothing checked\n");
        return 0;
    }
    int ok = sh ("ip link add %s type veth peer name %s", veth, peer) == 0
             && sh ("ip link set %s netns %s", peer, ns) == 0
             && sh ("ip addr add 10.199.%d.1/30 dev %s", subnet, veth) == 0
             && sh ("ip link set %s up", veth) == 0
             && sh ("ip netns exec %s ip addr add 10.199.%d.2/30 dev %s", ns, subnet, peer) == 0
             && sh ("ip netns exec %s ip link set %s up", ns, peer) == 0
             && sh ("ip netns exec %s ip link set lo up", ns) == 0;
    if (!ok) {
        teardown ();
        printf ("test_link_cut: could not make the veth pair; nothing checked\n");
        return 0;
    }
    pid_t child = fork ();
    if (child == 0)
        server ();

    void *ctx = zmq_ctx_new ();
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    set_int (dealer, ZMQ_LINGER, 0);
    set_int (dealer, ZMQ_HEARTBEAT_IVL, 100);
    set_int (dealer, ZMQ_HEARTBEAT_TIMEOUT, 500);
    set_int (dealer, ZMQ_RECONNECT_IVL, 100);
    set_int (dealer, ZMQ_RCVTIMEO, 10000);
    void *mon = mon_open (ctx, dealer, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED);
    REQUIRE (mon);
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://10.199.%d.2:5555", subnet);
    CHECK_EQ_INT (zmq_connect (dealer, endpoint), 0);
    char buf[16];
    CHECK_EQ_INT (zmq_send (dealer, "before", 6, 0), 6);
    CHECK_EQ_INT (zmq_recv (dealer, buf, sizeof buf, 0), 6);
    mon_log_t log = {0};
    CHECK (mon_until (mon, &log, ZMQ_EVENT_CONNECTED, 5000));

    /* The cut: the link goes down, nothing is said on the wire. */
    CHECK_EQ_INT (sh ("ip link set %s down", veth), 0);
    long long cut = now_usec ();
    CHECK (mon_until (mon, &log, ZMQ_EVENT_DISCONNECTED, 10000));
    printf ("link down: DISCONNECTED after %lld ms (heartbeat timeout 500 ms)\n",
            (now_usec () - cut) / 1000);
    /* Sent while there is no connection: it waits in the queue. */
    CHECK_EQ_INT (zmq_send (dealer, "during", 6, 0), 6);

    /* The link comes back: the client reconnects, and the message sent
     * meanwhile arrives and is answered. */
    CHECK_EQ_INT (sh ("ip link set %s up", veth), 0);
    long long back = now_usec ();
    CHECK (mon_until (mon, &log, ZMQ_EVENT_CONNECTED, 10000));
    CHECK_EQ_INT (zmq_recv (dealer, buf, sizeof buf, 0), 6);
    CHECK (memcmp (buf, "during", 6) == 0);
    printf ("link up: reconnected and answered after %lld ms\n", (now_usec () - back) / 1000);

    mon_close (dealer, mon);
    zmq_close (dealer);
    zmq_ctx_term (ctx);
    kill (child, SIGKILL);
    waitpid (child, NULL, 0);
    teardown ();
    return test_result ("test_link_cut");
}
