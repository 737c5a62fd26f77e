/* no-valgrind: thousands of connections are for native speed */
/* What connections and backlogs cost is given back or bounded:
 * - churn: a DEALER connects to one ROUTER over tcp, is answered, and
 *   closes, cycle after cycle (5,000 here, 100,000 under `make soak`);
 *   the process soon holds the descriptors it held after a warm-up
 *   again, and its resident memory is within a few MiB of what it was
 *   then;
 * - a slow subscriber: a PUB sends far more than the high-water marks
 *   allow to a SUB that reads nothing; memory grows by what the marks
 *   allow, not by what was sent (the rest is dropped, as PUB does).
 * The figures are printed. */
#include "testnet.h"

#define WARM_UP 500
#define HANG_MS 10000
/* Resident growth allowed after the warm-up: caches that fill in steps
 * (message pools, the allocator's arenas), not per-connection state. */
#define CHURN_SLACK (8 << 20)

static void *ctx;

/* The descriptor count once it has held still for 100 ms (connections
 * close in the background), or when it reaches `target` (-1: none). */
static int settled_descriptors (int target)
{
    long long deadline = now_usec () + HANG_MS * 1000LL;
    int last = open_descriptors (), still = 0;
    while (last != target && still < 10 && now_usec () < deadline) {
        usleep (10000);
        int now = open_descriptors ();
        still = now == last ? still + 1 : 0;
        last = now;
    }
    return last;
}

/* One connection's life: connect, ask, be answered, close. */
static int cycle (void *router, const char *endpoint, int i)
{
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    if (!dealer)
        return 0;
    set_int (dealer, ZMQ_LINGER, 0);
    set_int (dealer, ZMQ_RCVTIMEO, HANG_MS);
    int ok = zmq_connect (dealer, endpoint) == 0
             && zmq_send (dealer, &i, sizeof i, 0) == (int) sizeof i;
    char id[256];
    int body = -1, n = ok ? zmq_recv (router, id, sizeof id, 0) : -1;
    ok = ok && n > 0 && zmq_recv (router, &body, sizeof body, 0) == (int) sizeof body
         && body == i && zmq_send (router, id, (size_t) n, ZMQ_SNDMORE) == n
         && zmq_send (router, &body, sizeof body, 0) == (int) sizeof body;
    int answer = -1;
    ok = ok && zmq_recv (dealer, &answer, sizeof answer, 0) == (int) sizeof answer && answer == i;
    zmq_close (dealer);
    return ok;
}

static void churn (void)
{
    int cycles = soak_sized (5000, 100000);
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    set_int (router, ZMQ_LINGER, 0);
    set_int (router, ZMQ_RCVTIMEO, HANG_MS);
    REQUIRE_VOID (zmq_bind (router, "tcp://127.0.0.1:*") == 0);
    char endpoint[64];
    size_t len = sizeof endpoint;
    zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &len);
    int answered = 0;
    for (int i = 0; i < WARM_UP; i++)
        answered += cycle (router, endpoint, i);
    int fds_before = settled_descriptors (-1);
    long long rss_before = resident_bytes ();

    long long start = now_usec ();
    for (int i = 0; i < cycles; i++)
        answered += cycle (router, endpoint, i);
    long long us = now_usec () - start;
    CHECK_EQ_INT (answered, WARM_UP + cycles);
    int fds_after = settled_descriptors (fds_before);
    long long rss_after = resident_bytes ();
    CHECK_EQ_INT (fds_after, fds_before);
    printf ("churn: %d connections in %lld ms (%.0f us each); descriptors %d -> %d; "
            "resident %.1f -> %.1f MiB\n",
            cycles, us / 1000, (double) us / cycles, fds_before, fds_after,
            rss_before / 1048576.0, rss_after / 1048576.0);
#ifndef __SANITIZE_ADDRESS__
    CHECK (rss_after - rss_before < CHURN_SLACK);
#else
    /* AddressSanitizer holds freed memory back on purpose. */
    printf ("churn: resident memory not judged under AddressSanitizer\n");
#endif
    zmq_close (router);
}

/* The largest size the kernel lets a tcp socket buffer grow to (the third
   value of tcp_rmem or tcp_wmem); 8 MiB if unknown. */
static long long largest_tcp_buffer (const char *path)
{
    long long low, usual, high = 8 << 20;
    FILE *f = fopen (path, "r");
    if (f) {
        if (fscanf (f, "%lld %lld %lld", &low, &usual, &high) != 3)
            high = 8 << 20;
        fclose (f);
    }
    return high;
}

static void slow_subscriber (void)
{
    enum { SIZE = 1024, HWM = 1000 };
    int count = soak_sized (200000, 2000000);
    void *pub = zmq_socket (ctx, ZMQ_PUB);
    void *sub = zmq_socket (ctx, ZMQ_SUB);
    set_int (pub, ZMQ_LINGER, 0);
    set_int (sub, ZMQ_LINGER, 0);
    set_int (pub, ZMQ_SNDHWM, HWM);
    set_int (sub, ZMQ_RCVHWM, HWM);
    set_int (sub, ZMQ_RCVTIMEO, HANG_MS);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0);
    REQUIRE_VOID (zmq_bind (pub, "tcp://127.0.0.1:*") == 0);
    char endpoint[64];
    size_t len = sizeof endpoint;
    zmq_getsockopt (pub, ZMQ_LAST_ENDPOINT, endpoint, &len);
    REQUIRE_VOID (zmq_connect (sub, endpoint) == 0);
    /* Until the subscription has arrived, nothing reaches the SUB. */
    char body[SIZE];
    memset (body, 'x', sizeof body);
    int arrived = 0;
    for (int tries = 0; tries < 1000 && !arrived; tries++) {
        zmq_send (pub, "probe", 5, 0);
        arrived = zmq_recv (sub, body, sizeof body, ZMQ_DONTWAIT) >= 0;
        if (!arrived)
            usleep (10000);
    }
    REQUIRE_VOID (arrived);
    while (zmq_recv (sub, body, sizeof body, ZMQ_DONTWAIT) >= 0)
        ;
    long long rss_before = resident_bytes ();
    int sent = 0;
    for (int i = 0; i < count; i++)
        sent += zmq_send (pub, body, sizeof body, 0) == SIZE;
    CHECK_EQ_INT (sent, count);
    /* Let what the connection carries settle into the SUB's queue. */
    usleep (200000);
    long long grown = resident_bytes () - rss_before;
    /* Both queues full of bodies, with room for the copies in flight. */
    long long allowed = 4LL * 2 * HWM * SIZE + (16 << 20);
    printf ("slow subscriber: %d messages of %d B (%lld MiB) sent; resident grew %.1f MiB "
            "(allowed %.1f)\n",
            count, SIZE, (long long) count * SIZE >> 20, grown / 1048576.0,
            allowed / 1048576.0);
    CHECK (grown < allowed);
    /* The SUB holds at most its high-water mark and still works. Draining
       it also takes what refills it meanwhile: the PUB's queue and what
       the kernel's socket buffers hold (how much depends on the machine
       and its load, hence the allowance). */
    int queued = 0;
    while (zmq_recv (sub, body, sizeof body, ZMQ_DONTWAIT) >= 0)
        queued++;
    long long kernel = largest_tcp_buffer ("/proc/sys/net/ipv4/tcp_rmem")
                       + largest_tcp_buffer ("/proc/sys/net/ipv4/tcp_wmem");
    printf ("slow subscriber: drained %d messages (HWM %d; kernel buffers up to %lld KiB)\n",
            queued, HWM, kernel >> 10);
    CHECK (queued > 0);
    CHECK (queued <= 2 * HWM + kernel / SIZE);
    zmq_close (pub);
    zmq_close (sub);
}

int main (void)
{
    ctx = zmq_ctx_new ();
    REQUIRE (ctx);
    churn ();
    slow_subscriber ();
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_churn");
}
