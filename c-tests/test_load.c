/* no-valgrind: a thousand connections and millions of hops are for native speed */
/* Load, bounded and on loopback: 1,000 DEALERs connected at once to one
 * ROUTER over tcp, each answered; 50 publishers to 50 subscribers (up to
 * 100 x 100 under `make soak`, as the descriptor limit allows), each
 * subscriber connected to every publisher;
 * and a 10-stage PUSH/PULL pipeline over tcp (a zmq_proxy per stage)
 * moving 200,000 messages (10 million under `make soak`) with blocking
 * sends, every one arriving once and in order. Prints its figures. */
#include "testnet.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/resource.h>

#define PEERS 1000
#define STAGES 10

static void *ctx;

static void thousand_connections (void)
{
    void *router = zmq_socket (ctx, ZMQ_ROUTER);
    set_int (router, ZMQ_LINGER, 0);
    set_int (router, ZMQ_RCVTIMEO, 10000);
    set_int (router, ZMQ_BACKLOG, 1024);
    REQUIRE_VOID (zmq_bind (router, "tcp://127.0.0.1:*") == 0);
    char endpoint[64];
    size_t len = sizeof endpoint;
    zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, endpoint, &len);
    static void *dealers[PEERS];
    long long start = now_usec ();
    for (int i = 0; i < PEERS; i++) {
        dealers[i] = zmq_socket (ctx, ZMQ_DEALER);
        REQUIRE_VOID (dealers[i]);
        set_int (dealers[i], ZMQ_LINGER, 0);
        set_int (dealers[i], ZMQ_RCVTIMEO, 10000);
        char id[16];
        snprintf (id, sizeof id, "peer%d", i);
        zmq_setsockopt (dealers[i], ZMQ_ROUTING_ID, id, strlen (id));
        CHECK_EQ_INT (zmq_connect (dealers[i], endpoint), 0);
        CHECK_EQ_INT (zmq_send (dealers[i], id, strlen (id), 0), (int) strlen (id));
    }
    /* Each request is answered with its own body. */
    int answered = 0;
    for (int i = 0; i < PEERS; i++) {
        char id[16], body[16];
        int n = zmq_recv (router, id, sizeof id, 0);
        int m = zmq_recv (router, body, sizeof body, 0);
        if (n <= 0 || m <= 0)
            break;
        zmq_send (router, id, (size_t) n, ZMQ_SNDMORE);
        zmq_send (router, body, (size_t) m, 0);
        answered++;
    }
    CHECK_EQ_INT (answered, PEERS);
    int back = 0;
    for (int i = 0; i < PEERS; i++) {
        char want[16], got[16];
        snprintf (want, sizeof want, "peer%d", i);
        int n = zmq_recv (dealers[i], got, sizeof got, 0);
        back += n == (int) strlen (want) && memcmp (got, want, (size_t) n) == 0;
        zmq_close (dealers[i]);
    }
    CHECK_EQ_INT (back, PEERS);
    printf ("%d connections, each answered, in %lld ms\n", PEERS,
            (now_usec () - start) / 1000);
    zmq_close (router);
}

/* Publishers x subscribers over tcp: every subscriber connects to every
 * publisher (an XPUB that waits until all have subscribed) and gets every
 * message of every publisher. */
#define MAX_SIDE 100
#define PER_PUBLISHER 100

static void publishers_and_subscribers (int side)
{
    const int PUBLISHERS = side, SUBSCRIBERS = side;
    static void *pubs[MAX_SIDE], *subs[MAX_SIDE];
    static char endpoints[MAX_SIDE][64];
    long long start = now_usec ();
    for (int p = 0; p < PUBLISHERS; p++) {
        pubs[p] = zmq_socket (ctx, ZMQ_XPUB);
        set_int (pubs[p], ZMQ_LINGER, 0);
        set_int (pubs[p], ZMQ_XPUB_VERBOSE, 1);
        set_int (pubs[p], ZMQ_RCVTIMEO, 10000);
        set_int (pubs[p], ZMQ_SNDHWM, 0);
        REQUIRE_VOID (zmq_bind (pubs[p], "tcp://127.0.0.1:*") == 0);
        size_t len = sizeof endpoints[p];
        zmq_getsockopt (pubs[p], ZMQ_LAST_ENDPOINT, endpoints[p], &len);
    }
    for (int s = 0; s < SUBSCRIBERS; s++) {
        subs[s] = zmq_socket (ctx, ZMQ_SUB);
        set_int (subs[s], ZMQ_LINGER, 0);
        set_int (subs[s], ZMQ_RCVTIMEO, 10000);
        set_int (subs[s], ZMQ_RCVHWM, 0);
        zmq_setsockopt (subs[s], ZMQ_SUBSCRIBE, "", 0);
        for (int p = 0; p < PUBLISHERS; p++)
            CHECK_EQ_INT (zmq_connect (subs[s], endpoints[p]), 0);
    }
    /* Every publisher hears every subscription before it sends. */
    int subscribed = 0;
    for (int p = 0; p < PUBLISHERS && subscribed == p * SUBSCRIBERS; p++) {
        char buf[8];
        for (int s = 0; s < SUBSCRIBERS; s++)
            if (zmq_recv (pubs[p], buf, sizeof buf, 0) == 1 && buf[0] == 1)
                subscribed++;
            else
                break;
    }
    CHECK_EQ_INT (subscribed, PUBLISHERS * SUBSCRIBERS);
    for (int p = 0; p < PUBLISHERS; p++)
        for (int m = 0; m < PER_PUBLISHER; m++)
            zmq_send (pubs[p], &p, sizeof p, 0);
    int complete = 0;
    for (int s = 0; s < SUBSCRIBERS; s++) {
        int from[MAX_SIDE] = {0};
        for (int m = 0; m < PUBLISHERS * PER_PUBLISHER; m++) {
            int p;
            if (zmq_recv (subs[s], &p, sizeof p, 0) != sizeof p || p < 0 || p >= PUBLISHERS)
                break;
            from[p]++;
        }
        int all = 1;
        for (int p = 0; p < PUBLISHERS; p++)
            all &= from[p] == PER_PUBLISHER;
        complete += all;
    }
    CHECK_EQ_INT (complete, SUBSCRIBERS);
    printf ("%d publishers x %d subscribers: %d messages each, in %lld ms\n", PUBLISHERS,
            SUBSCRIBERS, PUBLISHERS * PER_PUBLISHER, (now_usec () - start) / 1000);
    for (int p = 0; p < PUBLISHERS; p++)
        zmq_close (pubs[p]);
    for (int s = 0; s < SUBSCRIBERS; s++)
        zmq_close (subs[s]);
}

typedef struct {
    void *in, *out;
} stage_t;

static void *run_stage (void *arg)
{
    stage_t *s = arg;
    zmq_proxy (s->in, s->out, NULL);
    zmq_close (s->in);
    zmq_close (s->out);
    return NULL;
}

static void pipeline (int count)
{
    /* source PUSH -> [PULL proxy PUSH] x STAGES -> sink PULL, over tcp. */
    void *source = zmq_socket (ctx, ZMQ_PUSH);
    set_int (source, ZMQ_LINGER, 0);
    REQUIRE_VOID (zmq_bind (source, "tcp://127.0.0.1:*") == 0);
    char endpoint[64];
    size_t len = sizeof endpoint;
    zmq_getsockopt (source, ZMQ_LAST_ENDPOINT, endpoint, &len);
    stage_t stages[STAGES];
    pthread_t threads[STAGES];
    for (int i = 0; i < STAGES; i++) {
        stages[i].in = zmq_socket (ctx, ZMQ_PULL);
        stages[i].out = zmq_socket (ctx, ZMQ_PUSH);
        set_int (stages[i].in, ZMQ_LINGER, 0);
        set_int (stages[i].out, ZMQ_LINGER, 0);
        CHECK_EQ_INT (zmq_connect (stages[i].in, endpoint), 0);
        CHECK_EQ_INT (zmq_bind (stages[i].out, "tcp://127.0.0.1:*"), 0);
        len = sizeof endpoint;
        zmq_getsockopt (stages[i].out, ZMQ_LAST_ENDPOINT, endpoint, &len);
    }
    void *sink = zmq_socket (ctx, ZMQ_PULL);
    set_int (sink, ZMQ_LINGER, 0);
    set_int (sink, ZMQ_RCVTIMEO, 10000);
    CHECK_EQ_INT (zmq_connect (sink, endpoint), 0);
    for (int i = 0; i < STAGES; i++)
        pthread_create (&threads[i], NULL, run_stage, &stages[i]);

    long long start = now_usec ();
    int in_order = 0, received = 0;
    /* The source sends from this thread in bursts, the sink drains. */
    uint32_t next = 0;
    for (uint32_t sent = 0; sent < (uint32_t) count;) {
        uint32_t burst = sent + 1000 < (uint32_t) count ? 1000 : (uint32_t) count - sent;
        for (uint32_t k = 0; k < burst; k++, sent++)
            if (zmq_send (source, &sent, sizeof sent, 0) != sizeof sent)
                break;
        for (uint32_t k = 0; k < burst; k++) {
            uint32_t seq;
            if (zmq_recv (sink, &seq, sizeof seq, 0) != sizeof seq)
                break;
            received++;
            in_order += seq == next;
            next = seq + 1;
        }
    }
    long long us = now_usec () - start;
    CHECK_EQ_INT (received, count);
    CHECK_EQ_INT (in_order, count);
    printf ("%d messages through %d tcp stages in %lld ms (%.0f msg/s end to end)\n", count,
            STAGES, us / 1000, count / (us / 1e6));
    zmq_close (source);
    zmq_close (sink);
    zmq_ctx_shutdown (ctx);
    for (int i = 0; i < STAGES; i++)
        pthread_join (threads[i], NULL);
}

int main (void)
{
    /* Two descriptors a connection (both ends are here), and an eventfd
     * a socket: as many publishers and subscribers as the limit allows,
     * up to the size asked for. */
    int side = soak_sized (50, MAX_SIDE);
    rlim_t wanted = (rlim_t) (2 * side * side + 4096);
    struct rlimit limit;
    getrlimit (RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < wanted) {
        limit.rlim_cur = limit.rlim_max < wanted ? limit.rlim_max : wanted;
        setrlimit (RLIMIT_NOFILE, &limit);
        getrlimit (RLIMIT_NOFILE, &limit);
    }
    while (side > 1 && (rlim_t) (2 * side * side + 1024) > limit.rlim_cur)
        side--;
    ctx = zmq_ctx_new ();
    zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 2048);
    thousand_connections ();
    publishers_and_subscribers (side);
    pipeline (soak_sized (200000, 10000000));
    CHECK_EQ_INT (zmq_ctx_term (ctx), 0);
    return test_result ("test_load");
}
